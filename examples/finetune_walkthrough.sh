#!/usr/bin/env bash
# Fine-tuning walkthrough: teach the shipped classifier a character it does not
# know — '*' here — from photos that carry line-level labels only. No boxes are
# drawn by hand: the detector finds the characters, and lines whose character
# count matches their label become labelled crops. The detector is not retrained.
#
#   examples/finetune_walkthrough.sh [WORK_DIR]
#
# In a factory, step 1 is your own photos plus a labels.tsv (image<TAB>text).
set -euo pipefail
cd "$(dirname "$0")/.."
OCR2S=${OCR2S:-build/ocr2s}
work=${1:-/tmp/ocr2s-finetune}
rm -rf "$work"

# 1. "Photos" of codes that use the new character, with line labels only.
"$OCR2S" synth --out "$work/photos" --count 400 --seed 2027 --charset '0-9A-Z*-' --max-size 640x160
# ... and a held-out set from another seed to measure the result on.
"$OCR2S" synth --out "$work/holdout" --count 200 --seed 2028 --charset '0-9A-Z*-' --max-size 640x160

# 2. Harvest labelled crops with the shipped detector.
"$OCR2S" train harvest --images "$work/photos" --labels "$work/photos/labels.tsv" --out "$work/crops"

# 3. Fine-tune: the new model's charset is the union; old classes keep their
#    weights, and replayed synthetic crops keep their accuracy.
"$OCR2S" train classifier --base models/classifier.pt --data "$work/crops" \
    --out "$work/classifier_star.pt" --steps 1500 --threads "$(nproc)"

# 4. Before and after, on the held-out photos.
echo "== shipped classifier =="
"$OCR2S" eval --labels "$work/holdout/labels.tsv" | tail -n +1 | head -12
echo "== fine-tuned classifier =="
"$OCR2S" eval --labels "$work/holdout/labels.tsv" --classifier "$work/classifier_star.pt" | head -12
