#!/usr/bin/env bash
# run_dashboard.sh [SECONDS] [REPS]: client-side latency of one dashboard rebuild (the
# loader's one statement, parsed and planned every time as the service sends it), before
# (dashboard_before.sql) and after (dashboard_after.sql) 0005, alternating, one client.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-8} reps=${2:-3} today=$(date -u +%F)
for rep in $(seq "$reps"); do
  for f in before after; do
    sed "s/TODAY/$today/g" pgbench_dashboard_$f.sql > /tmp/pgbench_dashboard_$f.$$.sql
    printf 'rep %s %-6s ' "$rep" "$f"
    pgbench -n -M simple -f /tmp/pgbench_dashboard_$f.$$.sql -T "$secs" -c 1 2>&1 |
      grep -E 'latency average|latency stddev|^tps' | tr '\n' ' '
    echo
    rm -f /tmp/pgbench_dashboard_$f.$$.sql
  done
done
