#!/usr/bin/env bash
# The MES read mix under load (issue 4): cache on and cache off side by side, then the
# same mix with 1% status changes, and nginx serving one cached list answer as a static
# file with the same connections (the practical ceiling for a cached answer).
#
#   mix:     80% GET /orders over 200 filter/sort/page combinations drawn Zipf(s=1) by
#            rank, 15% GET /orders/{number} Zipf(s=1) over the 100,000 newest orders,
#            5% GET /dashboard (bench/mes_mix.lua); wrk -t2 -c64, DURATION seconds per
#            phase. Cache-on phases are preceded by a WARMUP not measured.
#   writes:  the same mix with 1% POST /orders/{number}/status (in_production <->
#            quality_check on live orders, disjoint per wrk thread); then the read mix
#            beside 20 writer connections sending ~50 status changes/s in all
#            (bench/mes_mix.lua with MES_MIX_DELAY_MS), and GET /dashboard alone beside the same writers
#            (its latency on its own). Each write phase moves its own 1,000-2,000 orders.
#   gzip:    the read mix again with every request sending `Accept-Encoding: gzip`
#            (MES_MIX_GZIP=1; lists and the dashboard come as stored, compressed, unless
#            SHOPFLOOR_CACHE_GZIP_MES=false), and nginx serving the compressed bytes of the
#            same list answer with gzip_static to the same kind of request.
#   numbers: requests/s, p50 and p99 (wrk), cache hit ratio of the three MES caches
#            (from /metrics; a lookup that joined another's load counts as a hit),
#            PostgreSQL transactions per request (pg_stat_database xact_commit +
#            xact_rollback of the database: includes anything else running on it, e.g. the
#            listener or other clients), PostgreSQL rows read per request (tup_returned +
#            tup_fetched), Redis bytes sent per request (INFO stats
#            total_net_output_bytes, as the admin user), the service's own database loads per request
#            (cache misses + bypasses, from /metrics; writes not included), the bypasses (answered
#            from the database because the cache could not be used: none while Redis is healthy), the
#            service's CPU per request (user + system time of the process, /proc), Redis
#            commands and Redis CPU per request (INFO total_commands_processed,
#            used_cpu_user + used_cpu_sys: the per-request costs docs/SCALING.md starts
#            from), and the cached mix as a fraction of nginx.
#
# Needs a Release build of `shopfloor` (default build/release/src/app/shopfloor;
# SHOPFLOOR_BIN overrides), the local servers
# (scripts/devenv.sh start), migrations and >= 200,000 seeded orders (1,000,000 for the
# published numbers: shopfloor seed --orders 1000000), wrk, nginx and psql. Bounded:
# each wrk run is killed DURATION+20 s after it starts; servers are stopped on exit.
# The status changes of the write phase stay in the database (live orders move between
# in_production and quality_check; run the seed again on a fresh database to reset).
#
# The service's settings come from the environment as usual (e.g. SHOPFLOOR_THREADS,
# SHOPFLOOR_CACHE_TIMEOUT_MS); anything exported before the call applies to every phase.
#
# Topologies (issue 12):
#   BENCH_REDIS=cluster  the service uses the 3 + 3 Redis Cluster of `scripts/devenv.sh
#                        cluster-start` (start it first, with the same SHOPFLOOR_RUN_DIR);
#                        Redis commands are counted on its primaries, Redis CPU and bytes
#                        on all six nodes.
#   BENCH_INSTANCES=N    N `shopfloor serve` instances behind nginx (scripts/lb.sh, each
#                        with SHOPFLOOR_THREADS, default 1): the load goes through nginx's
#                        front port; service CPU and cache counts are the instances' sums.
#   BENCH_LOGS=DIR       keep the servers' logs there (server-true.log: cache on phases).
#   BENCH_READ_RUNS=N    the cache-on read phase N times in a row (default 1), e.g. 3 to see
#                        whether any run's p99 shows a TTL cliff; the ratios use the last.
#   BENCH_QUICK=1        only the first cache-on phases (reads; reads with gzip; reads +
#                        1% changes).
#
#   bench/mes_mix.sh [duration_seconds=20] [warmup_seconds=10]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${SHOPFLOOR_BIN:-$ROOT/build/release/src/app/shopfloor}
DURATION=${1:-20}
WARMUP=${2:-10}
PORT=${SHOPFLOOR_BENCH_PORT:-18680}
NGINX_PORT=$((PORT + 5))
CONNECTIONS=64
# shellcheck disable=SC1091
source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/env.sh"
export SHOPFLOOR_MES_PORT=$PORT SHOPFLOOR_PRICING_PORT=$((PORT + 1)) SHOPFLOOR_SHOP_PORT=$((PORT + 2))
export SHOPFLOOR_LOG_LEVEL=${SHOPFLOOR_LOG_LEVEL:-warn}
TOKEN=$(cat "$SHOPFLOOR_ADMIN_TOKEN_FILE")
WORK=$(mktemp -d)
chmod 755 "$WORK"  # nginx workers must read www/
PID=
PIDS=()          # the service's processes (one, or BENCH_INSTANCES)
METRICS_PORTS=() # where their /metrics are
NGINX_PID=
INSTANCES=${BENCH_INSTANCES:-0}
stop_server() {
  if [ "$INSTANCES" -gt 0 ] && [ ${#PIDS[@]} -gt 0 ]; then
    SHOPFLOOR_LB_PORT=$LB_PORT "$ROOT/scripts/lb.sh" stop >/dev/null 2>&1 || true
    PIDS=(); PID=
  fi
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; PIDS=(); fi
}
cleanup() {
  stop_server
  if [ -n "${BENCH_LOGS:-}" ]; then mkdir -p "$BENCH_LOGS" && cp "$WORK"/*.log "$BENCH_LOGS"/ 2>/dev/null || true; fi
  if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

ORDERS=$(psql_q "SELECT count(*) FROM orders")
[ "$ORDERS" -ge 200000 ] || { echo "need >= 200,000 orders (shopfloor seed --orders 1000000); have $ORDERS" >&2; exit 1; }
NEWEST=$(psql_q "SELECT max(id) FROM orders")

# 200 list queries: every filter kind x sorts x pages, in a fixed shuffled order (the
# Zipf rank is the line number).
mapfile -t CUSTOMERS < <(psql_q "SELECT customer FROM orders GROUP BY customer ORDER BY count(*) DESC LIMIT 12")
mapfile -t CENTRES < <(psql_q "SELECT code FROM work_centers ORDER BY code LIMIT 12")
{
  filters=("" "status=new" "status=approved" "status=in_production" "status=quality_check"
           "status=ready" "status=shipped" "status=cancelled" "status=new,approved"
           "status=in_production,quality_check" "overdue=true" "status=ready&overdue=true")
  for c in "${CUSTOMERS[@]}"; do filters+=("customer=$c" "customer=$c&status=in_production"); done
  for w in "${CENTRES[@]}"; do filters+=("work_center=$w" "work_center=$w&status=in_production"); done
  for f in "${filters[@]}"; do
    for s in -created_at due_date -priority number; do
      for p in 1 2 3; do
        q="sort=$s&page=$p"
        [ -n "$f" ] && q="$f&$q"
        echo "/orders?$q"
      done
    done
  done
} >"$WORK/all_lists"
shuf -n 200 --random-source=<(yes) "$WORK/all_lists" >"$WORK/lists"
# Orders the write phases move, each phase its own (all in_production at its start).
psql_q "SELECT id FROM orders WHERE status = 'in_production' ORDER BY id LIMIT 4000" >"$WORK/ids"
# Fewer would leave a write phase without orders to move: its writers would only read.
[ "$(wc -l <"$WORK/ids")" -ge 4000 ] || {
  echo "need >= 4,000 in_production orders for the write phases; have $(wc -l <"$WORK/ids")" \
    "(earlier runs left them in quality_check: UPDATE orders SET status = 'in_production'" \
    "WHERE id IN (SELECT id FROM orders WHERE status = 'quality_check' LIMIT 8000))" >&2
  exit 1
}
head -n 2000 "$WORK/ids" >"$WORK/write_ids"
sed -n 2001,3000p "$WORK/ids" >"$WORK/write_ids_2"
sed -n 3001,4000p "$WORK/ids" >"$WORK/write_ids_3"
export MES_MIX_LISTS=$WORK/lists MES_MIX_TOKEN=$TOKEN MES_MIX_NEWEST_ID=$NEWEST MES_MIX_ORDERS=100000
export MES_MIX_WRITE_IDS=$WORK/write_ids MES_MIX_THREADS=2

LB_PORT=$((PORT + 100))
if [ "${BENCH_REDIS:-}" = cluster ]; then
  # shellcheck disable=SC1091
  source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/cluster-env.sh"
  export SHOPFLOOR_REDIS_MODE=cluster SHOPFLOOR_REDIS_NODES=$SHOPFLOOR_TEST_REDIS_CLUSTER_NODES
fi

start_server() {  # $1: cache enabled (true|false)
  if [ "$INSTANCES" -gt 0 ]; then
    SHOPFLOOR_CACHE_ENABLED=$1 SHOPFLOOR_BIN=$BIN SHOPFLOOR_LB_PORT=$LB_PORT \
      "$ROOT/scripts/lb.sh" start "$INSTANCES" >"$WORK/lb-$1.log" 2>&1 ||
      { echo "scripts/lb.sh start $INSTANCES failed:" >&2; cat "$WORK/lb-$1.log" >&2; exit 1; }
    local lb_dir=${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/lb i
    PIDS=(); METRICS_PORTS=()
    for i in $(seq 1 "$INSTANCES"); do
      PIDS+=("$(cat "$lb_dir/instance-$i.pid")"); METRICS_PORTS+=($((LB_PORT + 10 * i)))
    done
    PID=${PIDS[0]}
    PORT=$LB_PORT
    return 0
  fi
  SHOPFLOOR_CACHE_ENABLED=$1 "$BIN" serve >"$WORK/server-$1.log" 2>&1 &
  PID=$!
  PIDS=("$PID"); METRICS_PORTS=("$PORT")
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/dashboard" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "the server did not answer GET /dashboard within 10 s (does $BIN serve the MES API?)" >&2
  tail -5 "$WORK/server-$1.log" >&2
  exit 1
}

pg_xacts() { psql_q "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"; }
pg_rows() { psql_q "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = current_database()"; }
# The Redis servers behind the service, host:port per line (the cluster's six nodes).
redis_nodes() {
  if [ "${BENCH_REDIS:-}" = cluster ]; then tr ',' '\n' <<<"$SHOPFLOOR_TEST_REDIS_CLUSTER_NODES"
  else echo "$SHOPFLOOR_REDIS_HOST:$SHOPFLOOR_REDIS_PORT"; fi
}
# redis_info [--primaries] FIELD...: the fields' values from INFO, summed over the nodes
# (with --primaries, over the primaries only: replicas also count the commands they
# replay).
redis_info() {
  local only_primaries=0 node sum=0 v
  [ "$1" = --primaries ] && { only_primaries=1; shift; }
  for node in $(redis_nodes); do
    v=$(redis-cli --tls --cacert "$SHOPFLOOR_REDIS_CA_FILE" -h "${node%:*}" -p "${node##*:}" \
      --user "$SHOPFLOOR_TEST_REDIS_ADMIN_USER" --pass "$(cat "$SHOPFLOOR_TEST_REDIS_ADMIN_PASSWORD_FILE")" \
      --no-auth-warning INFO all | awk -F: -v want=" $* " -v primaries=$only_primaries '
        { gsub("\r", "", $2) } $1 == "role" && $2 != "master" && primaries { skip = 1 }
        index(want, " " $1 " ") { sum += $2 } END { printf "%.6f\n", skip ? 0 : sum }')
    sum=$(awk -v a="$sum" -v b="$v" 'BEGIN { printf "%.6f", a + b }')
  done
  echo "$sum"
}
redis_out_bytes() { redis_info total_net_output_bytes | cut -d. -f1; }

# Lookups of the MES caches answered without a database load of their own, and all
# lookups, from /metrics: hits plus lookups that joined another's load ("coalesced"),
# over hits + misses + bypasses + coalesced. Every request makes one lookup.
cache_counts() {
  local p
  for p in "${METRICS_PORTS[@]}"; do curl -fsS "http://127.0.0.1:$p/metrics"; done | awk '
    /^shopfloor_cache_(requests|coalesced)_total\{/ && /cache="(orders_list|order|dashboard)"/ {
      total += $NF
      if ($0 ~ /result="hit"/ || $0 ~ /coalesced/) hit += $NF
      if ($0 ~ /result="(miss|bypass)"/) loads += $NF
      if ($0 ~ /result="bypass"/) bypass += $NF }
    END { printf "%d %d %d %d\n", hit, total, loads, bypass }'
}

# run_wrk <label> <write percent> [url] [script]: prints one result row. With
# BENCH_WRITERS set (a number of connections), a second wrk runs beside the readers
# doing status changes only, each connection pausing so that they send ~50/s in all
# (mes_mix.lua, writes only, MES_MIX_DELAY_MS); its count is reported after the row.
run_wrk() {
  local label=$1 writes=$2 url=${3:-http://127.0.0.1:$PORT} script=${4:-$ROOT/bench/mes_mix.lua}
  local x0 x1 r0 r1 b0 b1 h0 t0 l0 y0 h1 t1 l1 y1 c0 c1 k0 k1 u0 u1 wpid=
  sleep 1.2  # let pg_stat_database catch up (backends report at most once a second)
  x0=$(pg_xacts); r0=$(pg_rows); b0=$(redis_out_bytes || echo 0)
  c0=$(service_cpu); k0=$(redis_info --primaries total_commands_processed || echo 0)
  u0=$(redis_info used_cpu_user used_cpu_sys || echo 0)
  read -r h0 t0 l0 y0 < <(cache_counts 2>/dev/null || echo "0 0 0 0")
  if [ -n "${BENCH_WRITERS:-}" ]; then
    MES_MIX_WRITE_PERCENT=100 MES_MIX_THREADS=1 MES_MIX_DELAY_MS=$((BENCH_WRITERS * 1000 / 50)) \
      timeout $((DURATION + 20)) wrk -t1 -c"$BENCH_WRITERS" -d"${DURATION}s" --timeout 5s \
      -s "$ROOT/bench/mes_mix.lua" "$url" >"$WORK/wrk-writers.out" 2>&1 &
    wpid=$!
  fi
  MES_MIX_WRITE_PERCENT=$writes timeout $((DURATION + 20)) \
    wrk -t2 -c$CONNECTIONS -d"${DURATION}s" --timeout 5s -s "$script" "$url" >"$WORK/wrk.out" 2>&1 || true
  [ -z "$wpid" ] || wait "$wpid" || true
  sleep 1.2
  x1=$(pg_xacts); r1=$(pg_rows); b1=$(redis_out_bytes || echo 0)
  c1=$(service_cpu); k1=$(redis_info --primaries total_commands_processed || echo 0)
  u1=$(redis_info used_cpu_user used_cpu_sys || echo 0)
  read -r h1 t1 l1 y1 < <(cache_counts 2>/dev/null || echo "0 0 0 0")
  local line
  line=$(grep '^RESULT' "$WORK/wrk.out" || true)
  [ -n "$line" ] || { echo "wrk failed:" >&2; cat "$WORK/wrk.out" >&2; exit 1; }
  eval "${line#RESULT }"
  local wn=0
  if [ -n "$wpid" ]; then
    wn=$(sed -n 's/^RESULT requests=\([0-9]*\).*/\1/p' "$WORK/wrk-writers.out")
    wn=${wn:-0}
    grep -q ' non2xx=0 ' "$WORK/wrk-writers.out" || { echo "writers failed:" >&2; cat "$WORK/wrk-writers.out" >&2; }
  fi
  # shellcheck disable=SC2154
  awk -v label="$label" -v n="$requests" -v us="$duration_us" -v p50="$p50_us" -v p99="$p99_us" \
      -v bad="$non2xx" -v sock="$socket_errors" -v dx=$((x1 - x0)) -v dh=$((h1 - h0)) -v dt=$((t1 - t0)) \
      -v dl=$((l1 - l0)) -v dy=$((y1 - y0)) -v dr=$((r1 - r0)) -v db=$((b1 - b0)) -v wn="$wn" \
      -v c0="$c0" -v c1="$c1" -v k0="$k0" -v k1="$k1" -v u0="$u0" -v u1="$u1" '
    BEGIN {
      rps = n / (us / 1e6);
      hit = dt > 0 ? sprintf("%.3f", dh / dt) : "-";
      tpr = n > 0 ? dx / (n + wn) : 0;
      rpr = n > 0 ? sprintf("%.1f", dr / (n + wn)) : "-";
      bpr = n > 0 && db > 0 ? sprintf("%.0f", db / (n + wn)) : "-";
      lpr = dt > 0 && n > 0 ? sprintf("%.3f", dl / n) : "-";
      all = n + wn;
      cpu = all > 0 && c1 > c0 ? sprintf("%.0f", (c1 - c0) * 1e6 / all) : "-";
      cmd = all > 0 && k1 > k0 ? sprintf("%.2f", (k1 - k0) / all) : "-";
      rcpu = all > 0 && u1 > u0 ? sprintf("%.1f", (u1 - u0) * 1e6 / all) : "-";
      printf "| %-37s | %7.0f | %6.2f | %7.2f | %5s | %9.3f | %8s | %8s | %9s | %6d | %6d | %7s | %7s | %8s |\n", label, rps, p50 / 1000, p99 / 1000, hit, tpr, rpr, bpr, lpr, dy, bad + sock, cpu, cmd, rcpu;
    }' | tee -a "$WORK/table"
  [ -z "$wpid" ] || awk -v n="$wn" -v d="$DURATION" 'BEGIN { printf "  (beside it: %d status changes, %.1f/s)\n", n, n / d }'
  echo "$requests $duration_us" >"$WORK/last"
}

rps_of_last() { awk '{ printf "%.0f", $1 / ($2 / 1e6) }' "$WORK/last"; }

echo "MES mix: $ORDERS orders, wrk -t2 -c$CONNECTIONS, ${DURATION} s per phase, server $(basename "$BIN")"
echo "| phase                                 |   req/s | p50 ms |  p99 ms |   hit | pg tx/req | rows/req | Redis B/req | loads/req | bypass | errors | svc CPU µs/req | Redis cmd/req | Redis CPU µs/req |"
echo "|---------------------------------------|---------|--------|---------|-------|-----------|----------|-------------|-----------|--------|--------|---------|---------|----------|"

start_server true
DURATION_SAVED=$DURATION; DURATION=$WARMUP
MES_MIX_WRITE_PERCENT=0 timeout $((WARMUP + 20)) wrk -t2 -c$CONNECTIONS -d"${WARMUP}s" -s "$ROOT/bench/mes_mix.lua" \
  "http://127.0.0.1:$PORT" >/dev/null 2>&1 || true
DURATION=$DURATION_SAVED
for run in $(seq 1 "${BENCH_READ_RUNS:-1}"); do
  label="cache on, reads"
  [ "${BENCH_READ_RUNS:-1}" = 1 ] || label="cache on, reads (run $run)"
  run_wrk "$label" 0
done
ON_RPS=$(rps_of_last)
MES_MIX_GZIP=1 run_wrk "cache on, reads, Accept-Encoding: gzip" 0
ON_GZIP_RPS=$(rps_of_last)
# One cached list answer, for nginx: its JSON, and the bytes a gzip client gets (none
# when the service stores lists plain: nginx then serves the JSON to both).
mkdir -p "$WORK/www"
curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/orders" >"$WORK/www/orders.json"
curl -fsS -H "Authorization: Bearer $TOKEN" -H "Accept-Encoding: gzip" "http://127.0.0.1:$PORT/orders" \
  >"$WORK/www/orders.json.gz"
if [ "$(head -c2 "$WORK/www/orders.json.gz" | od -An -tx1 | tr -d ' ')" != 1f8b ]; then
  rm -f "$WORK/www/orders.json.gz"
fi
run_wrk "cache on, reads + 1% status changes" 1
if [ "${BENCH_QUICK:-0}" = 1 ]; then stop_server; exit 0; fi
MES_MIX_WRITE_IDS=$WORK/write_ids_2 BENCH_WRITERS=20 run_wrk "cache on, reads + 20 writers (~50/s)" 0
MES_MIX_WRITE_IDS=$WORK/write_ids_3 BENCH_WRITERS=20 MES_MIX_DASHBOARD_ONLY=1 \
  run_wrk "cache on, dashboard only + 20 writers" 0
stop_server

start_server false
run_wrk "cache off, reads" 0
OFF_RPS=$(rps_of_last)
stop_server

cat >"$WORK/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp; proxy_temp_path $WORK/tmp; fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp; scgi_temp_path $WORK/tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { root $WORK/www; default_type application/json; gzip_static on; }
  }
}
EOF
mkdir -p "$WORK/tmp"
nginx -c "$WORK/nginx.conf" -p "$WORK" >/dev/null 2>&1 &
NGINX_PID=$!
for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/orders.json" 2>/dev/null && break; sleep 0.1; done
cat >"$WORK/static.lua" <<'EOF'
function done(summary, latency, requests)
  io.write(string.format(
      "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      summary.errors.status,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOF
# gzip_static answers only requests that accept gzip: plain ones get orders.json.
run_wrk "nginx static ($(wc -c <"$WORK/www/orders.json") B list body)" 0 "http://127.0.0.1:$NGINX_PORT/orders.json" "$WORK/static.lua"
NGINX_RPS=$(rps_of_last)
{ echo 'wrk.headers["Accept-Encoding"] = "gzip"'; cat "$WORK/static.lua"; } >"$WORK/static-gzip.lua"
run_wrk "nginx gzip_static ($(wc -c <"$WORK/www/orders.json.gz" 2>/dev/null || echo "no .gz,") B)" 0 "http://127.0.0.1:$NGINX_PORT/orders.json" "$WORK/static-gzip.lua"
NGINX_GZIP_RPS=$(rps_of_last)

awk -v on="$ON_RPS" -v off="$OFF_RPS" -v ngx="$NGINX_RPS" -v zon="$ON_GZIP_RPS" -v zngx="$NGINX_GZIP_RPS" 'BEGIN {
  printf "\ncache on / cache off: %.1fx   cache on / nginx static: %.2f   with gzip: %.2f\n", on / off, on / ngx, zon / zngx }'
