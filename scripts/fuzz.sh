#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/) with clang, ASan and UBSan in build-fuzz/
# and runs each for a bounded time. Fails on any finding: a crash, a sanitizer
# report, an uncaught exception, a broken invariant, a leak, a unit slower than
# FUZZ_TIMEOUT seconds, or more than 2 GB of memory.
#
#   scripts/fuzz.sh                      # every harness, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh fuzz_pattern
#
# Environment: FUZZ_SECONDS (default 60), FUZZ_TIMEOUT (per input, default 25),
# BUILD_DIR (default build-fuzz), JOBS (default nproc). fuzz_read needs the
# shipped models (OCR2S_MODEL_DIR, default models/).
#
# Seeds come from fuzz/corpus/<harness>/ (committed, read only here); what the
# fuzzer finds goes to $BUILD_DIR/corpus/<harness>/, crash inputs to
# $BUILD_DIR/artifacts/. Reproduce one with: $BUILD_DIR/fuzz/<harness> <file>.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
build=${BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
unit_timeout=${FUZZ_TIMEOUT:-25}
jobs=${JOBS:-$(nproc)}
harnesses=("$@")
if ((${#harnesses[@]} == 0)); then harnesses=(fuzz_postprocess fuzz_pattern fuzz_read); fi

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" \
  -DOCR2S_BUILD_FUZZERS=ON -DOCR2S_SANITIZE=address,undefined \
  -DOCR2S_BUILD_TESTS=OFF -DOCR2S_BUILD_BENCHMARKS=OFF -DOCR2S_BUILD_EXAMPLES=OFF -DOCR2S_BUILD_CLI=OFF \
  "${launcher[@]}" >/dev/null
echo "fuzz.sh: building ${harnesses[*]} in $build"
time cmake --build "$build" --parallel "$jobs" --target "${harnesses[@]}"

supp="$root/tests/sanitizers"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
export OMP_NUM_THREADS=1
export OCR2S_MODEL_DIR=${OCR2S_MODEL_DIR:-$root/models}

mkdir -p "$build/artifacts"
failed=()
for h in "${harnesses[@]}"; do
  name=${h#fuzz_}
  corpus="$build/corpus/$name"
  mkdir -p "$corpus"
  echo "== $h: ${seconds} s =="
  start=$(date +%s)
  # -max_len 16384: room for small real images (fuzz_read) without letting the
  # fuzzer spend its time on long inputs; the pure harnesses read far less.
  if "$build/fuzz/$h" "$corpus" "fuzz/corpus/$name" \
      -max_total_time="$seconds" -timeout="$unit_timeout" -rss_limit_mb=2048 -max_len=16384 \
      -artifact_prefix="$build/artifacts/$h-" -print_final_stats=1 >"$build/$h.log" 2>&1; then
    tail -n 12 "$build/$h.log" | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)' || true
    echo "$h: clean after $(( $(date +%s) - start )) s"
  else
    tail -n 60 "$build/$h.log"
    echo "$h: FINDING (log: $build/$h.log, inputs: $build/artifacts/$h-*)" >&2
    failed+=("$h")
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz.sh: findings in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${harnesses[*]} clean"
