#!/usr/bin/env bash
# POST /calculations under load, cache on and cache off side by side in one run, plus
# the uncached latency of one calculation of the deepest BOM.
#
#   mix:      1,000 distinct requests (the 200 products with the deepest BOMs x
#             quantities 1, 10, 100, 1000, 10000, in a fixed shuffled order), drawn
#             Zipf(s=1.0) by rank (bench/pricing_mix.lua); wrk -t2 -c64 for DURATION
#             seconds. With the cache on, a warm-up of WARMUP seconds runs first (not
#             measured), so the numbers are the steady state of a 10-minute TTL.
#   deepest:  the cache off, one connection, one request body: every request is a full
#             calculation (version check + explosion + JSON) of the deepest BOM.
#
# Needs a Release build of `shopfloor` that serves the Pricing API (scripts/run.sh
# builds build/release), the local servers (scripts/devenv.sh start), the migrations
# and the seed (shopfloor migrate && shopfloor seed), wrk and psql. Bounded: each wrk
# run is killed DURATION+20 s after it starts; the server is stopped on exit.
#
#   bench/pricing_mix.sh [duration_seconds=10] [warmup_seconds=3]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${SHOPFLOOR_BIN:-$ROOT/build/release/src/app/shopfloor}
DURATION=${1:-10}
WARMUP=${2:-3}
PORT=${SHOPFLOOR_BENCH_PORT:-18580}
# shellcheck disable=SC1091
source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/env.sh"
export SHOPFLOOR_MES_PORT=$((PORT + 10)) SHOPFLOOR_PRICING_PORT=$PORT SHOPFLOOR_SHOP_PORT=$((PORT + 11))
export SHOPFLOOR_LOG_LEVEL=${SHOPFLOOR_LOG_LEVEL:-warn}
TOKEN=$(cat "$SHOPFLOOR_ADMIN_TOKEN_FILE")
WORK=$(mktemp -d)
PID=
stop_server() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# Products by BOM depth (sub-assembly levels), then by the BOM lines their explosion
# visits (the same order as bench/pricing_calculator_bench.cpp's "deepest").
psql_q "WITH RECURSIVE walk(root, sku, depth) AS (
          SELECT sku, sku, 0 FROM products
          UNION ALL
          SELECT w.root, b.component_sku, w.depth + 1 FROM walk w
          JOIN bom_lines b ON b.product_sku = w.sku
          WHERE b.component_sku IS NOT NULL AND w.depth < 32)
        SELECT w.root || ' ' || max(w.depth) || ' ' || sum(l.lines) FROM walk w
        CROSS JOIN LATERAL (SELECT count(*) AS lines FROM bom_lines b WHERE b.product_sku = w.sku) l
        GROUP BY w.root ORDER BY max(w.depth) DESC, sum(l.lines) DESC, w.root LIMIT 200" >"$WORK/products"
[ "$(wc -l <"$WORK/products")" -eq 200 ] || { echo "need >= 200 seeded products (shopfloor seed)" >&2; exit 1; }
read -r DEEPEST DEEPEST_LEVELS _ <"$WORK/products"
while read -r sku _; do
  for q in 1 10 100 1000 10000; do printf '{"product_sku":"%s","quantity":%d}\n' "$sku" "$q"; done
done <"$WORK/products" | shuf --random-source=<(yes) >"$WORK/bodies"
export PRICING_MIX_BODIES=$WORK/bodies PRICING_MIX_TOKEN=$TOKEN

start_server() {  # $1: cache enabled (true|false)
  SHOPFLOOR_CACHE_ENABLED=$1 "$BIN" serve >"$WORK/server-$1.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && return 0; sleep 0.1; done
  echo "server did not start; log:" >&2; cat "$WORK/server-$1.log" >&2; exit 1
}

# wrk's latency figure in milliseconds ("950.00us", "1.20ms", "1.05s").

to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

# Runs wrk; prints "rps p50_ms p99_ms non_2xx".
run_wrk() {  # $1 threads $2 connections $3 seconds $4.. extra wrk args
  local t=$1 c=$2 d=$3; shift 3
  timeout $((d + 20)) wrk -t"$t" -c"$c" -d"${d}s" --latency "$@" "http://127.0.0.1:$PORT/calculations" >"$WORK/wrk.out"
  local rps p50 p99 bad
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
  p50=$(awk '$1 == "50%" {print $2}' "$WORK/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")
  bad=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.out")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${bad:-0}"
}

# "hits misses bypass requests": calculation-cache lookups by result and POST
# /calculations answered, from the server's own metrics. Concurrent lookups of one key
# share one cache read or one load (single flight), so hits + misses + bypass can be
# fewer than the requests; the requests that ran the calculator are misses + bypass.
cache_counts() {
  curl -fs "http://127.0.0.1:$PORT/metrics" |
    awk '/^shopfloor_cache_requests_total\{cache="calculation"/ {
           if ($0 ~ /result="hit"/) h = $NF; else if ($0 ~ /result="miss"/) m = $NF; else if ($0 ~ /result="bypass"/) b = $NF }
         /^shopfloor_http_requests_total\{.*route="\/calculations"/ { r += $NF }
         END { printf "%d %d %d %d\n", h, m, b, r }'
}

echo "# shopfloor $("$BIN" version 2>/dev/null | cut -d' ' -f2), $(nproc) cores; POST /calculations, 1000 distinct requests, Zipf s=1.0, wrk -t2 -c64 -d${DURATION}s"
echo "# deepest BOM: $DEEPEST ($DEEPEST_LEVELS sub-assembly levels)"

start_server true
run_wrk 2 64 "$WARMUP" -s "$ROOT/bench/pricing_mix.lua" >/dev/null
read -r h0 m0 b0 r0 < <(cache_counts)
on_cpu0=$(service_cpu)
read -r on_rps on_p50 on_p99 on_bad < <(run_wrk 2 64 "$DURATION" -s "$ROOT/bench/pricing_mix.lua")
on_cpu1=$(service_cpu)
read -r h1 m1 b1 r1 < <(cache_counts)
stop_server

start_server false
off_cpu0=$(service_cpu); read -r _ _ _ off_r0 < <(cache_counts)
read -r off_rps off_p50 off_p99 off_bad < <(run_wrk 2 64 "$DURATION" -s "$ROOT/bench/pricing_mix.lua")
off_cpu1=$(service_cpu); read -r _ _ _ off_r1 < <(cache_counts)
printf '{"product_sku":"%s","quantity":120}\n' "$DEEPEST" >"$WORK/deepest"
read -r one_rps one_p50 one_p99 one_bad < <(PRICING_MIX_BODIES=$WORK/deepest run_wrk 1 1 5 -s "$ROOT/bench/pricing_mix.lua")
stop_server

hits=$((h1 - h0)) misses=$((m1 - m0)) bypass=$((b1 - b0)) requests=$((r1 - r0))
printf '%-22s %12s %9s %9s %8s  %s\n' mode requests_per_s p50_ms p99_ms non_2xx note
printf '%-22s %12s %9s %9s %8s  %s\n' cache_on "$on_rps" "$on_p50" "$on_p99" "$on_bad" \
  "calculated $((misses + bypass)) of $requests requests (cache reads $hits hit, $misses miss, $bypass bypass)"
printf '%-22s %12s %9s %9s %8s  %s\n' cache_off "$off_rps" "$off_p50" "$off_p99" "$off_bad" "every request calculated"
printf '%-22s %12s %9s %9s %8s  %s\n' deepest_uncached_c1 "$one_rps" "$one_p50" "$one_p99" "$one_bad" "$DEEPEST x 120, cache off, 1 connection"
per_request() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1e6 / n; else print "-" }'; }
echo "service CPU per request (user + system, µs): cache on $(per_request "$on_cpu0" "$on_cpu1" $((r1 - r0))), cache off $(per_request "$off_cpu0" "$off_cpu1" $((off_r1 - off_r0)))"
echo "cache_on/cache_off throughput: $(awk -v a="$on_rps" -v b="$off_rps" 'BEGIN { r = (b > 0) ? a / b : 0; printf "%.1fx", r }')"
