#!/usr/bin/env bash
# write_ab.sh [SECONDS] [REPS] [CLIENTS]: latency of one status change transaction
# (status_change.sql, as Repository::change_status runs it) without and with the 0005
# triggers, alternating: "before" disables orders_counts_* (0004's triggers still run, as
# on main), "after" enables them. Ends with the triggers enabled and
# orders_counts_rebuild() (the counters drift while disabled). Needs setup.sql run first.
# Bounded: REPS x 2 runs of SECONDS each.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-10} reps=${2:-3} clients=${3:-1}
n=$(psql -XAtq -c "SELECT count(*) FROM bench_toggle")
triggers() {
  psql -Xq -c "ALTER TABLE orders $1 TRIGGER orders_aggregates_insert, $1 TRIGGER orders_aggregates_update,
               $1 TRIGGER orders_aggregates_delete, $1 TRIGGER orders_aggregates_truncate" 2>/dev/null ||
  for t in insert update delete truncate; do psql -Xq -c "ALTER TABLE orders $1 TRIGGER orders_counts_$t"; done
}
trap 'triggers ENABLE; psql -XAtq -c "SELECT orders_counts_rebuild()" >/dev/null' EXIT
for rep in $(seq "$reps"); do
  for mode in before after; do
    if [ "$mode" = before ]; then triggers DISABLE; else triggers ENABLE; fi
    out=$(pgbench -n -r -f status_change.sql -D toggle_n="$n" -T "$secs" -c "$clients" -j "$clients" 2>&1)
    avg=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
    upd=$(awk '/WITH changed AS \(UPDATE/ {print $1}' <<<"$out")
    com=$(awk '/^ +[0-9.]+ +[0-9]+ +COMMIT;/ {print $1}' <<<"$out")
    printf 'rep %s %-6s clients %s: tx latency %s ms, tps %s; UPDATE statement %s ms, COMMIT %s ms\n' \
      "$rep" "$mode" "$clients" "$avg" "$tps" "$upd" "$com"
  done
done
