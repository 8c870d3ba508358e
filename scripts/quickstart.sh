#!/usr/bin/env bash
# Builds the ocr2s tool and reads the example images with the shipped models.
# This is the README's first quick-start command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${BUILD_DIR:-build}
scripts/configure.sh "$build" Release >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target ocr2s_cli

echo "== ocr2s read examples/images (image<TAB>text) =="
"$build/ocr2s" read examples/images --format tsv --no-progress
echo
echo "== ocr2s eval against examples/images/labels.tsv =="
"$build/ocr2s" eval --labels examples/images/labels.tsv
