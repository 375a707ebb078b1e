#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang++-14 (-fsanitize=fuzzer,address,
# undefined, in build/fuzz) and runs each for SECONDS of wall time on its corpus
# fuzz/corpus/<name>/, then merges the new inputs that reach new code back into that
# corpus and keeps it minimal (see merge() below).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default: 60 seconds, every target
#
# Fuzzers run under `nice -n 19`: on a shared machine they only take idle CPU. Each
# run's CPU time is measured with /usr/bin/time (user + system) and its executions with
# -print_final_stats=1; the table at the end (also build/fuzz/runs/summary.txt) has both.
# A crash, a sanitizer report or a failed FUZZ_CHECK stops that target, leaves the input
# in build/fuzz/runs/<name>/artifacts/ and makes the script exit 1. To replay one input:
#   build/fuzz/fuzz/<name>_fuzz <file>
# Once fixed, copy the input into fuzz/corpus/<name>/ as a regression (the corpus replay
# unit tests of scripts/test.sh then run it on every build).
#
# Settings: SHOPFLOOR_FUZZ_PARALLEL (default 1) targets at once; SHOPFLOOR_JOBS (default
# 2) build jobs; SHOPFLOOR_FUZZ_NO_MERGE=1 leaves the corpus as it is.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECONDS_PER_TARGET=${1:-60}
shift || true
ALL=(http_request target list_query catalog_query json_body calculation resp)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
BUILD=$ROOT/build/fuzz
RUNS=$BUILD/runs
PARALLEL=${SHOPFLOOR_FUZZ_PARALLEL:-1}

bash scripts/install-deps.sh
LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 \
  -DSHOPFLOOR_FUZZ=ON -DSHOPFLOOR_BUILD_BENCH=OFF "${LAUNCHER[@]}" >/dev/null
ninja -C "$BUILD" -j "${SHOPFLOOR_JOBS:-2}" fuzzers

max_len() {
  case $1 in
    http_request) echo 4096 ;;
    json_body | calculation | resp) echo 2048 ;;
    *) echo 1024 ;;
  esac
}

# Rebuilds fuzz/corpus/<name>/ as the hand-written inputs (every file not named by its
# SHA-1, as libFuzzer names what it finds: seeds, regression_*) plus a minimal set of the
# rest of the corpus and the run's new inputs that covers every edge they cover
# (-use_counters=0: edges, not hit counts, keeps the corpus at a few hundred files).
merge() {
  local name=$1 bin=$BUILD/fuzz/${1}_fuzz corpus=$ROOT/fuzz/corpus/$1 dir=$RUNS/$1
  rm -rf "$dir/min"
  mkdir -p "$dir/min"
  find "$corpus" -maxdepth 1 -type f -regextype posix-extended ! -regex '.*/[0-9a-f]{40}' -exec cp {} "$dir/min/" \;
  nice -n 19 "$bin" -merge=1 -use_counters=0 -max_len="$(max_len "$name")" "$dir/min" \
    "$corpus" "$dir/new" >"$dir/merge.log" 2>&1 || return 1
  find "$corpus" -maxdepth 1 -type f -delete
  cp "$dir/min/"* "$corpus/"
}

# Runs one target; writes build/fuzz/runs/<name>/result: name cpu_s execs corpus status.
run_one() {
  local name=$1 bin=$BUILD/fuzz/${1}_fuzz corpus=$ROOT/fuzz/corpus/$1 dir=$RUNS/$1
  rm -rf "$dir"
  mkdir -p "$dir/new" "$dir/artifacts" "$corpus"
  local dict=() status=ok
  [ -f "$ROOT/fuzz/dict/$name.dict" ] && dict=(-dict="$ROOT/fuzz/dict/$name.dict")
  # New inputs go to $dir/new (the first directory); the corpus is only read.
  nice -n 19 /usr/bin/time -f '%U %S' -o "$dir/time" "$bin" -max_total_time="$SECONDS_PER_TARGET" \
    -print_final_stats=1 -max_len="$(max_len "$name")" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$dir/artifacts/" "${dict[@]}" "$dir/new" "$corpus" >"$dir/log" 2>&1 ||
    status=FAILED
  if [ "$status" = ok ] && [ "${SHOPFLOOR_FUZZ_NO_MERGE:-0}" != 1 ]; then
    merge "$name" || status=MERGE_FAILED
  fi
  local cpu execs files
  cpu=$(tail -1 "$dir/time" | awk "{printf \"%.0f\", \$1 + \$2}" 2>/dev/null || echo "?")
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/log" | awk '{print $2}' | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  echo "$name ${cpu:-?} ${execs:-?} $files $status" >"$dir/result"
}

mkdir -p "$RUNS"
echo "fuzz: ${#TARGETS[@]} target(s), ${SECONDS_PER_TARGET}s each, $PARALLEL at a time (nice 19)"
running=0
for t in "${TARGETS[@]}"; do
  [ -x "$BUILD/fuzz/${t}_fuzz" ] || { echo "fuzz: no target $t (one of: ${ALL[*]})" >&2; exit 2; }
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$PARALLEL" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

rc=0
{
  printf '%-14s %8s %12s %8s  %s\n' target cpu_s execs corpus status
  for t in "${TARGETS[@]}"; do
    read -r name cpu execs files status <"$RUNS/$t/result"
    printf '%-14s %8s %12s %8s  %s\n' "$name" "$cpu" "$execs" "$files" "$status"
    [ "$status" = ok ] || rc=1
  done
} | tee "$RUNS/summary.txt"
if [ $rc != 0 ]; then
  echo "fuzz: FAILED; logs and inputs in $RUNS/<target>/" >&2
  grep -l -E 'ERROR: |FUZZ_CHECK|runtime error' "$RUNS"/*/log 2>/dev/null >&2 || true
fi
exit $rc
