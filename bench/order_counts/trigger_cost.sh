#!/usr/bin/env bash
# trigger_cost.sh [N]: server-side time of each orders trigger for one status change
# (in_production <-> quality_check on N orders of bench_toggle, one session, each change
# under EXPLAIN ANALYZE and rolled back, so nothing changes). Prints min / median / max
# per trigger of the last N-5 runs (the first 5 warm the session's plan caches, as a
# pooled service connection is warm).
set -euo pipefail
n=${1:-40}
{
  for k in $(seq "$n"); do
    echo "BEGIN;"
    echo "EXPLAIN (ANALYZE, SUMMARY ON) UPDATE orders SET status = CASE status WHEN 'in_production' THEN 'quality_check' ELSE 'in_production' END WHERE id = (SELECT id FROM bench_toggle WHERE k = $((k * 97 % 9000 + 1)));"
    echo "ROLLBACK;"
  done
} | psql -XAtq -f - | python3 -c '
import re, sys, statistics
v, runs = {}, 0
for line in sys.stdin:
    m = re.match(r"Trigger (\S+): time=([0-9.]+)", line)
    if m:
        v.setdefault(m.group(1), []).append(float(m.group(2)))
    m = re.match(r"Execution Time: ([0-9.]+)", line)
    if m:
        v.setdefault("statement, triggers included", []).append(float(m.group(1)))
for k, xs in sorted(v.items()):
    xs = sorted(xs[5:])
    print(f"{k:32} ms: min {xs[0]:.3f}  median {statistics.median(xs):.3f}  max {xs[-1]:.3f}  (n={len(xs)})")
'
