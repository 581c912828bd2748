#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang into build-fuzz/ (ASan + UBSan) and runs
# each for SECONDS (default 60), one at a time, under nice -n 15. Each run starts from the
# target's committed corpus, its regression inputs and, where ../shared is present, seeds
# made from the JT/T 808 dev vectors; new inputs go to build-fuzz/fuzz-corpus/<target>/. A
# crash is copied into the target's committed regression directory (replayed by ctest in
# every build as <target>_regressions) and makes the script exit non-zero.
#
#   ./deploy/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true

./deploy/install-deps.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYARDGATE_FUZZ=ON >/dev/null
mapfile -t rows <build-fuzz/fuzz_targets.tsv
targets=()
for row in "${rows[@]}"; do
  name=${row%%$'\t'*}
  if (($# == 0)) || [[ " $* " == *" $name "* ]]; then targets+=("$name"); fi
done
((${#targets[@]} > 0)) || { echo "fuzz.sh: no fuzz target selected" >&2; exit 2; }
nice -n 10 cmake --build build-fuzz -j2 --target "${targets[@]}" jt808_fuzz_seeds >/dev/null

seeds=build-fuzz/fuzz-seeds
if [[ -f ../shared/protocols/jt808-dev-vectors.tsv ]]; then
  build-fuzz/bin/jt808_fuzz_seeds ../shared/protocols/jt808-dev-vectors.tsv "$seeds" >/dev/null
fi

status=0
for row in "${rows[@]}"; do
  IFS=$'\t' read -r name regressions corpus options <<<"$row"
  [[ " ${targets[*]} " == *" $name "* ]] || continue
  work=build-fuzz/fuzz-corpus/$name
  artifacts=build-fuzz/fuzz-artifacts/$name
  mkdir -p "$work" "$artifacts" "$regressions" "$corpus"
  echo "fuzz.sh: $name for ${seconds}s" >&2
  dirs=("$work" "$corpus" "$regressions")
  [[ -d $seeds/$name ]] && dirs+=("$seeds/$name")
  # shellcheck disable=SC2086 # the target's own libFuzzer flags, one word each
  if ! nice -n 15 "build-fuzz/bin/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 ${options:-} \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "${dirs[@]}" 2>"build-fuzz/$name.log"; then
    status=1
    for crash in "$artifacts"/*; do
      [[ -f $crash ]] && cp "$crash" "$regressions/" && echo "fuzz.sh: $name: kept $(basename "$crash") in $regressions" >&2
    done
  fi
  grep -E "^stat::|Done [0-9]+ runs|^#[0-9]+.*DONE|ERROR|SUMMARY" "build-fuzz/$name.log" >&2 || true
done
exit $status
