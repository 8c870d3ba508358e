#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite. This is the README's test command.
#   scripts/test.sh            # Release build in build/
#   BUILD_DIR=... scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${BUILD_DIR:-build}
# shellcheck disable=SC2086  # CMAKE_ARGS is a list of arguments
scripts/configure.sh "$build" "${BUILD_TYPE:-Release}" ${CMAKE_ARGS:-}
cmake --build "$build" --parallel "$(nproc)"
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" ${CTEST_ARGS:-}
