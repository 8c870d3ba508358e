#!/usr/bin/env bash
# Builds ocr2s with sanitizers and runs tests under them (CI runs both modes after
# scripts/test.sh).
#
#   scripts/sanitize.sh address   # ASan + UBSan + LeakSanitizer, build-asan/, ctest
#   scripts/sanitize.sh thread    # TSan, build-tsan/, the [concurrency] reader test
#
# address: every layer's tests, [train] included (24 tests, 110 s on one busy
#   core: LibTorch itself is not instrumented, only our code around it), except
#   the hidden [.bench] synth test and the find_package consumer (an
#   uninstrumented project cannot link an ASan library). Any report fails the run: UBSan halts on the first
#   error, LSan reports leaks at exit. tests/sanitizers/{lsan,ubsan}.supp may
#   only name third-party code (both are empty today).
# thread: the [concurrency] test (four threads reading through one Reader).
#   LibTorch, libgomp, OpenCV and GDAL are not instrumented;
#   tests/sanitizers/tsan.supp silences reports inside them only, never ocr2s.
#
# Environment: BUILD_DIR (default build-asan / build-tsan), JOBS (default nproc),
# CTEST_ARGS (extra ctest arguments), CMAKE_ARGS (extra configure arguments).
# The Reader tests need the shipped models in models/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=${1:-}
case "$mode" in
  address) sanitize=address,undefined; build=${BUILD_DIR:-build-asan} ;;
  thread) sanitize=thread; build=${BUILD_DIR:-build-tsan} ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread" >&2
    exit 2
    ;;
esac

scripts/install-deps.sh
jobs=${JOBS:-$(nproc)}
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

supp="$root/tests/sanitizers"
# Catch's test discovery runs the test executables at build time, so the runtime
# options must be in place before the build.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_init_order=1:detect_stack_use_after_return=0:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp:history_size=4"
# One OpenMP/MKL thread: parallelism in these tests comes from the test's own
# threads, and the idle OpenMP pool is uninstrumented noise for TSan.
export OMP_NUM_THREADS=1

# -O1 keeps the sanitized build and run tolerable; -g1 gives file:line in reports.
# NDEBUG stays undefined: assertions are checks too.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" \
  -DOCR2S_SANITIZE="$sanitize" \
  -DOCR2S_BUILD_TESTS=ON -DOCR2S_BUILD_BENCHMARKS=OFF -DOCR2S_BUILD_EXAMPLES=OFF \
  -DOCR2S_BUILD_FUZZERS=OFF "${launcher[@]}" ${CMAKE_ARGS:-} >/dev/null

if [[ $mode == address ]]; then
  targets=(test_craft test_assemble test_synth test_charcls test_reader test_cli test_train ocr2s_cli)
else
  targets=(test_reader)
fi
echo "sanitize.sh: building ${targets[*]} in $build (-fsanitize=$sanitize)"
# bash's time: wall and CPU seconds of the build (CPU / cores = wall on an idle machine).
time cmake --build "$build" --parallel "$jobs" --target "${targets[@]}"

start=$(date +%s)
if [[ $mode == address ]]; then
  # Exclusions are by label/name, see the header of this file.
  ctest --test-dir "$build" --output-on-failure --parallel "$jobs" \
    -E '^package: ' ${CTEST_ARGS:-}
else
  # Run the test binary directly: every TSan report fails it (halt_on_error).
  "$build/tests/test_reader" "[concurrency]" ${CTEST_ARGS:-}
fi
echo "sanitize.sh: $mode tests took $(( $(date +%s) - start )) s"
