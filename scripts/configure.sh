#!/usr/bin/env bash
# Configures a Ninja build of ocr2s (through ccache when it is installed). Shared by
# the README's two quick-start commands, which install the dependencies first, and
# scripts/bench.sh.
#
#   scripts/configure.sh BUILD_DIR BUILD_TYPE [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# < 2)); then
  echo "usage: scripts/configure.sh BUILD_DIR BUILD_TYPE [cmake arguments...]" >&2
  exit 2
fi
build=$1
type=$2
shift 2
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${launcher[@]}" "$@"
