#!/usr/bin/env bash
# Steady memory: reads a folder of label-sized images through the CLI (shipped
# models) and samples the process's resident set size over time. Writes the
# samples to $WORK/rss.tsv and prints peak RSS and the RSS at 10 %, 50 % and
# 100 % of the images read (benchmarks/README.md "## Memory").
#
#   benchmarks/bench_memory.sh [BUILD_DIR]        # default build/
#
# Environment: COUNT (images, default 10000), THREADS (ocr2s read --threads,
# default 2), INTERVAL (seconds between samples, default 0.5), WORK (scratch
# folder, default /tmp/ocr2s_bench_memory). The images (ocr2s synth, seed 4242,
# exactly 640×160, all styles) are generated once and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
count=${COUNT:-10000}
threads=${THREADS:-2}
interval=${INTERVAL:-0.5}
work=${WORK:-/tmp/ocr2s_bench_memory}
cli="$build/ocr2s"
[[ -x $cli ]] || { echo "bench_memory: $cli not built (cmake --build $build --target ocr2s_cli)" >&2; exit 2; }

data="$work/data_${count}"
if [[ ! -f $data/labels.tsv ]]; then
  echo "bench_memory: generating $count images in $data"
  rm -rf "$data"
  "$cli" synth --out "$data" --count "$count" --seed 4242 --max-size 640x160 --fixed-size --threads "$threads" >/dev/null
fi
images=$(find "$data/images" -name '*.png' | wc -l)
echo "bench_memory: reading $images images with --threads $threads"

out="$work/out.tsv"
samples="$work/rss.tsv"
rm -f "$out"
start=$(date +%s.%N)
"$cli" read "$data/images" --format tsv --out "$out" --threads "$threads" --no-progress 2>"$work/read.err" &
pid=$!
echo -e "seconds\trss_kb\thwm_kb\timages_done" >"$samples"
while kill -0 "$pid" 2>/dev/null; do
  status=$(cat "/proc/$pid/status" 2>/dev/null) || break
  rss=$(awk '/^VmRSS:/ {print $2}' <<<"$status")
  hwm=$(awk '/^VmHWM:/ {print $2}' <<<"$status")
  done_=0
  if [[ -f $out ]]; then done_=$(( $(wc -l <"$out") - 1 )); fi
  if [[ -n $rss ]]; then
    printf '%.2f\t%s\t%s\t%d\n' "$(echo "$(date +%s.%N) - $start" | bc)" "$rss" "$hwm" $((done_ < 0 ? 0 : done_)) >>"$samples"
  fi
  sleep "$interval"
done
rc=0
wait "$pid" || rc=$?
elapsed=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
done_=$(( $(wc -l <"$out") - 1 ))
echo "bench_memory: ocr2s read exited $rc after ${elapsed} s, $done_ records ($(grep -c . "$work/read.err" || true) errors)"

# RSS at the first sample with at least p % of the images done (100 %: the last sample).
awk -F'\t' -v n="$images" '
  NR == 1 { next }
  { if ($3 > peak) peak = $3; last = $2
    for (i = 1; i <= 3; ++i) if (!(i in at) && $4 >= n * p[i] / 100) at[i] = $2 }
  BEGIN { p[1] = 10; p[2] = 50; p[3] = 100 }
  END {
    printf "samples: %d\n", NR - 1
    printf "peak RSS (VmHWM): %.1f MB\n", peak / 1024
    for (i = 1; i <= 2; ++i) printf "RSS at %d%%: %.1f MB\n", p[i], at[i] / 1024
    printf "RSS at 100%% (last sample): %.1f MB\n", last / 1024
  }' "$samples"
exit "$rc"
