#!/usr/bin/env bash
# /health throughput and latency of `shopfloor serve` with wrk (bounded: 10 s, 64
# connections, 2 threads). Needs a Release build (scripts/run.sh makes one in
# build/release) and the local servers (scripts/devenv.sh start).
#   bench/http_health.sh [duration_seconds]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${SHOPFLOOR_BIN:-$ROOT/build/release/src/app/shopfloor}
DURATION=${1:-10}
PORT=${SHOPFLOOR_BENCH_PORT:-18480}
# shellcheck disable=SC1091
source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/env.sh"
export SHOPFLOOR_MES_PORT=$PORT SHOPFLOOR_PRICING_PORT=$((PORT + 1)) SHOPFLOOR_SHOP_PORT=$((PORT + 2))
export SHOPFLOOR_LOG_LEVEL=${SHOPFLOOR_LOG_LEVEL:-warn}
"$BIN" serve >/tmp/shopfloor-bench.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
echo "# shopfloor $("$BIN" version | cut -d' ' -f2), $(nproc) cores, wrk -t2 -c64 -d${DURATION}s GET /health"
timeout $((DURATION + 20)) wrk -t2 -c64 -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/health" |
  awk '/Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2} /^ +50%/ {p50=$2} /Non-2xx/ {bad=$NF}
       END {printf "requests_per_second=%s p50=%s p99=%s non_2xx=%s\n", rps, p50, p99, (bad==""?0:bad)}'
