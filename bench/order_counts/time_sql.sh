#!/usr/bin/env bash
# time_sql.sh FILE [RUNS]: runs the statement in FILE (psql variable :'today' = today in
# UTC) RUNS times (default 20) under EXPLAIN (ANALYZE, BUFFERS) after 3 warm-up runs and
# prints min / median / max of PostgreSQL's "Execution Time", and the buffers and rows
# of the last run. Connection from the PG* environment (or .run/env.sh + the shopfloor
# role). Read-only unless FILE writes.
set -euo pipefail
file=$1 runs=${2:-20}
today=$(date -u +%F)
stmt=$(grep -v '^--' "$file" | sed 's/;[[:space:]]*$//')
explain() { printf '%s\n' "EXPLAIN (ANALYZE, BUFFERS) $stmt;" | psql -X -q -v today="$today" -f -; }
for _ in 1 2 3; do explain >/dev/null; done
times=()
for _ in $(seq "$runs"); do
  times+=("$(explain | sed -n 's/.*Execution Time: \([0-9.]*\) ms.*/\1/p')")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v f="$file" '{a[NR]=$1} END {
  printf "%s: execution ms over %d runs: min %.3f  median %.3f  max %.3f\n", f, NR, a[1], a[int((NR+1)/2)], a[NR] }'
explain | grep -E 'Buffers: shared|Planning Time|actual time' | head -${LINES_SHOWN:-6}
