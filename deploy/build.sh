#!/usr/bin/env bash
# Installs what is missing, then configures and builds yardgate into ${BUILD_DIR:-build}.
# Used by the Quick start's two commands; safe to run again (ccache and make keep it quick).
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build_dir" -j "$jobs"
