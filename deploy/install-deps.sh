#!/usr/bin/env bash
# Installs yardgate's build and test dependencies from Debian bookworm packages.
# Idempotent and quiet: packages already present are not touched, and apt runs only when
# something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache git
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libsqlitecpp-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtesseract-dev libleptonica-dev tesseract-ocr-eng
  libopencv-dev libtorch-dev
  libmodbus-dev
  libcpp-httplib-dev
  openssl libssl-dev
  clang libclang-rt-14-dev
  fonts-dejavu-core fonts-liberation fonts-wqy-zenhei
  fonts-opendin fonts-roboto-unhinted fonts-droid-fallback fonts-noto-cjk
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
