#!/usr/bin/env bash
# Every benchmark in one run (benchmarks/README.md), on an idle machine:
#   scripts/bench.sh            # builds build/ (Release) first
# Prints Markdown and keeps a copy in build/bench_last.md. Takes about 5 minutes
# on the 2-core development machine, most of it generating and reading the
# 10,000 images of the memory benchmark (COUNT=… makes it shorter).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
scripts/configure.sh "$build" Release >/dev/null
cmake --build "$build" --parallel "$(nproc)" \
  --target ocr2s_cli bench_postprocess bench_detector bench_classifier bench_compare
out="$build/bench_last.md"
{
  echo "# scripts/bench.sh, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "## bench_postprocess 5000"
  "$build/benchmarks/bench_postprocess" 5000
  echo
  echo "## bench_detector"
  "$build/benchmarks/bench_detector"
  echo
  echo "## bench_classifier"
  "$build/benchmarks/bench_classifier"
  echo
  echo "## bench_compare --per-style 20"
  "$build/benchmarks/bench_compare" --per-style 20
  echo
  echo "## bench_memory.sh (COUNT=${COUNT:-10000})"
  benchmarks/bench_memory.sh "$build"
} 2>&1 | tee "$out"
echo "scripts/bench.sh: wrote $out" >&2
