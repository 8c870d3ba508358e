#!/usr/bin/env bash
# Installs every system dependency of ocr2s from Debian 12 packages.
# Idempotent and non-interactive; run as root (or through sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # libFuzzer and the sanitizer runtimes for clang (scripts/fuzz.sh)
  clang libclang-rt-14-dev
  # libraries
  libtorch-dev libopencv-dev libopencv-contrib-dev libeigen3-dev
  catch2 libcli11-dev nlohmann-json3-dev libopenblas0-pthread
  # fonts the synthetic generator renders with
  fonts-ocr-a fonts-ocr-b fonts-dseg fonts-dejavu-core fonts-dejavu-extra
  fonts-liberation fonts-liberation2 fonts-freefont-ttf
  # the peer engine the benchmarks compare against
  libtesseract-dev tesseract-ocr-eng
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
