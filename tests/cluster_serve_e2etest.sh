#!/usr/bin/env bash
# End-to-end: `shopfloor serve` with its cache on the Redis Cluster of
# `scripts/devenv.sh cluster-start` (SHOPFLOOR_REDIS_MODE=cluster, the seeds from
# SHOPFLOOR_TEST_REDIS_CLUSTER_NODES, the rest of the Redis settings as for the single
# server). An order is created, read twice (the second read a cache HIT), its status
# changed, and the read right after the write sees the new status; /metrics shows the
# client in cluster mode (topology refreshes). HTTP ports: the first free ones from
# SHOPFLOOR_TEST_CLUSTER_BASE_PORT (default 24680). Bounded waits; serve is stopped on exit.
#
#   tests/cluster_serve_e2etest.sh BIN
set -euo pipefail
BIN=${1:?usage: cluster_serve_e2etest.sh BIN}
BASE_PORT=${SHOPFLOOR_TEST_CLUSTER_BASE_PORT:-24680}
ME=cluster_serve_e2etest

# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -n "${SHOPFLOOR_DB_PORT:-}" ] || fail "server settings missing (run through scripts/test.sh)"
[ -n "${SHOPFLOOR_TEST_REDIS_CLUSTER_NODES:-}" ] ||
  fail "SHOPFLOOR_TEST_REDIS_CLUSTER_NODES missing (scripts/devenv.sh cluster-start; .run/cluster-env.sh)"
[ -x "$BIN" ] || fail "no shopfloor binary at $BIN"

free_ports 3 "$BASE_PORT"
MES=${PORTS[0]} PRICING=${PORTS[1]} SHOP=${PORTS[2]}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/shopfloor-cluster-test.XXXXXX")
SERVE_PID=
trap serve_test_cleanup EXIT
trap 'fail "interrupted"' INT TERM

sql "INSERT INTO products (sku, name, category) VALUES ('SF-CLUSTER-E2E', 'cluster e2e', 'test')
       ON CONFLICT DO NOTHING;
     INSERT INTO work_centers (code, name) VALUES ('WC-CLUSTER-E2E', 'cluster e2e')
       ON CONFLICT DO NOTHING" >/dev/null || fail "test rows not inserted"

serve_until_up SHOPFLOOR_REDIS_MODE=cluster SHOPFLOOR_REDIS_NODES="$SHOPFLOOR_TEST_REDIS_CLUSTER_NODES"
say "serve up on $MES/$PRICING/$SHOP, cache on the cluster $SHOPFLOOR_TEST_REDIS_CLUSTER_NODES"

AUTH=(-H "Authorization: Bearer $(cat "$SHOPFLOOR_ADMIN_TOKEN_FILE")")
JSON=(-H 'Content-Type: application/json')
field() { /usr/bin/python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$BODY" "$1"; }

http POST "$MES" /orders "${AUTH[@]}" "${JSON[@]}" -d '{"customer":"Cluster E2E",
  "product_sku":"SF-CLUSTER-E2E","quantity":3,"work_center":"WC-CLUSTER-E2E","due_date":"2099-01-31"}'
[ "$CODE" = 201 ] || fail "POST /orders: $CODE $BODY"
NUMBER=$(field number)
say "created order $NUMBER"

xcache() {  # xcache PATH: GET with headers; sets CODE, BODY, CACHE
  local out
  out=$(curl -sS --max-time 5 -D "$WORK/headers" "${AUTH[@]}" -w $'\n%{http_code}' \
    "http://127.0.0.1:$MES$1") || fail "GET $1 failed"
  CODE=${out##*$'\n'} BODY=${out%$'\n'*}
  CACHE=$(tr -d '\r' <"$WORK/headers" | awk -F': ' 'tolower($1) == "x-cache" {print $2}')
}
xcache "/orders/$NUMBER"
[ "$CODE" = 200 ] && [ "$(field status)" = new ] || fail "GET /orders/$NUMBER: $CODE $BODY"
xcache "/orders/$NUMBER"
[ "$CODE" = 200 ] && [ "$CACHE" = HIT ] || fail "second GET /orders/$NUMBER not a HIT: $CACHE $CODE"
say "GET /orders/$NUMBER twice: $CACHE on the second"

http POST "$MES" "/orders/$NUMBER/status" "${AUTH[@]}" "${JSON[@]}" -d '{"status":"approved"}'
[ "$CODE" = 200 ] || fail "POST /orders/$NUMBER/status: $CODE $BODY"
xcache "/orders/$NUMBER"
[ "$CODE" = 200 ] && [ "$(field status)" = approved ] ||
  fail "the read right after the write did not see it: $CACHE $CODE $BODY"
say "the read right after the status change sees approved ($CACHE)"

http GET "$MES" /metrics
grep -q '^shopfloor_redis_cluster_topology_refreshes_total{result="ok"} [1-9]' <<<"$BODY" ||
  fail "no cluster topology refresh in /metrics"
say "/metrics: the Redis client runs in cluster mode"
