#!/usr/bin/env bash
# End-to-end: the README's first command (scripts/run.sh) as a new user meets it, on a
# fresh, EMPTY run folder with its own PostgreSQL, Redis and HTTP ports, so the servers
# of the other tests (55432, 56379) are not disturbed. It runs scripts/prepare.sh, the
# very script run.sh runs (install check, devenv start, migrate, seed), with the binary
# under test, then `shopfloor serve` in the background, and checks:
#   - /health on all three listeners says "db":"up" and "cache":"up";
#   - the demo data is there: GET /orders total == the seeded count (admin token from
#     the run folder's secrets), GET /catalog/products total > 0, POST /calculations
#     for a seeded product (the README's example) answers 200;
#   - a second prepare on the same folder is harmless: exit 0, the order count is
#     unchanged (API and database), the service still serves.
#   - SIGTERM stops serve gracefully (exit 0), as Ctrl-C stops run.sh.
# On exit, pass or fail, it stops its serve process and its servers and deletes its run
# folder. Every wait is bounded; the bounds add up to less than CTest's 300 s, so the
# clean-up always runs.
#
#   tests/fresh_run_e2etest.sh [BIN]       BIN: default $SHOPFLOOR_BIN
#
# Settings: SHOPFLOOR_FRESH_RUN_ORDERS (demo orders to seed, default 2000; run.sh seeds
# the binary's default, 100000) and SHOPFLOOR_FRESH_RUN_BASE_PORT (default 24440): the
# five ports are the first free ones from there. The default lies below Linux's
# ephemeral range (32768-60999): by the time this test runs, the suite has opened
# thousands of connections, and a port held as a connection's local end cannot be
# bound by a server (PostgreSQL failed to start on 55440 that way).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${SHOPFLOOR_BIN:-${1:-}}
ORDERS=${SHOPFLOOR_FRESH_RUN_ORDERS:-2000}
BASE_PORT=${SHOPFLOOR_FRESH_RUN_BASE_PORT:-24440}
ME=fresh_run_e2etest

# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
  fail "no shopfloor binary at '$BIN' (pass it or set SHOPFLOOR_BIN)"
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

# A new user has none of the settings the surrounding test run exported (scripts/test.sh
# points them at the shared servers): start from none.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^SHOPFLOOR_' || true)

# ---------------------------------------------------------------- ports and run folder
free_ports 5 "$BASE_PORT"
export SHOPFLOOR_PG_PORT=${PORTS[0]} SHOPFLOOR_REDIS_TLS_PORT=${PORTS[1]}
MES=${PORTS[2]} PRICING=${PORTS[3]} SHOP=${PORTS[4]}

RUN=$(mktemp -d "${TMPDIR:-/tmp}/shopfloor-fresh-run.XXXXXX")
chmod 755 "$RUN"  # the postgres user must traverse it to reach its data folder
export SHOPFLOOR_RUN_DIR=$RUN
say "run folder $RUN; ports pg $SHOPFLOOR_PG_PORT redis $SHOPFLOOR_REDIS_TLS_PORT" \
  "http $MES $PRICING $SHOP; binary $BIN; $ORDERS orders"

SERVE_PID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_serve 15
  if [ "$rc" -ne 0 ]; then
    for log in "$RUN/serve.log" "$RUN/pg/postgres.log" "$RUN/redis/redis.log"; do
      [ -s "$log" ] && { echo "---- last lines of $log"; tail -n 30 "$log"; }
    done
  fi
  timeout 30 bash "$ROOT/scripts/devenv.sh" stop || say "devenv.sh stop failed (rc $?)"
  rm -rf "$RUN"
  if [ "$rc" -eq 0 ]; then say "PASSED"; else say "FAILED (exit $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

[ -z "$(ls -A "$RUN")" ] || fail "run folder $RUN is not empty"

# ---------------------------------------------------------------- helpers
json_int() { grep -o "\"$1\":[0-9]*" <<<"$BODY" | tail -n 1 | cut -d: -f2; }

prepare() {  # prepare LABEL SECONDS: scripts/prepare.sh with the binary under test
  local rc=0
  say "$1: scripts/prepare.sh"
  SHOPFLOOR_SEED_ORDERS=$ORDERS timeout --kill-after=5 "$2" \
    bash "$ROOT/scripts/prepare.sh" "$BIN" >"$RUN/prepare-$1.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$RUN/prepare-$1.log"
    [ "$rc" -ne 124 ] || fail "$1: prepare did not finish within $2 s"
    fail "$1: prepare exited $rc"
  fi
}

wait_healthy() {  # every listener says db and cache up, within 30 s
  local port deadline=$((SECONDS + 30))
  for port in "$MES" "$PRICING" "$SHOP"; do
    while :; do
      serve_alive
      http GET "$port" /health
      if [ "$CODE" = 200 ] && grep -q '"db":"up"' <<<"$BODY" \
        && grep -q '"cache":"up"' <<<"$BODY"; then
        say "/health on $port: $BODY"
        break
      fi
      [ "$SECONDS" -lt "$deadline" ] \
        || fail "/health on $port not db+cache up within 30 s: $CODE $BODY"
      sleep 0.2
    done
  done
}

TOKEN_FILE=$RUN/secrets/admin_token
order_total() {  # GET /orders as admin; prints the total
  http GET "$MES" '/orders?page_size=1' -H "Authorization: Bearer $(cat "$TOKEN_FILE")"
  [ "$CODE" = 200 ] || fail "GET /orders: $CODE $BODY"
  local total; total=$(json_int total)
  [ -n "$total" ] || fail "GET /orders: no total in $BODY"
  echo "$total"
}
db_order_count() {  # the orders table itself, as the services' role, past any cache
  PGPASSWORD=$(cat "$SHOPFLOOR_DB_PASSWORD_FILE") timeout 30 psql -X -qtA -h 127.0.0.1 \
    -p "$SHOPFLOOR_PG_PORT" -U shopfloor -d shopfloor -c 'SELECT count(*) FROM orders'
}

# ---------------------------------------------------------------- first run
prepare first 100
# shellcheck disable=SC1091
source "$RUN/env.sh"
[ "$SHOPFLOOR_ADMIN_TOKEN_FILE" = "$TOKEN_FILE" ] || fail "env.sh names $SHOPFLOOR_ADMIN_TOKEN_FILE"
[ -s "$TOKEN_FILE" ] || fail "no admin token in $TOKEN_FILE"

# From the checkout, as scripts/run.sh runs it: the default SHOPFLOOR_SQL_DIR ("sql",
# which /health/ready compares the database with) and the console's web/ beside it.
(cd "$ROOT" && SHOPFLOOR_MES_PORT=$MES SHOPFLOOR_PRICING_PORT=$PRICING SHOPFLOOR_SHOP_PORT=$SHOP \
  exec "$BIN" serve) >"$RUN/serve.log" 2>&1 &
SERVE_PID=$!
say "shopfloor serve started (pid $SERVE_PID)"
wait_healthy

total=$(order_total)
[ "$total" = "$ORDERS" ] || fail "GET /orders total $total, seeded $ORDERS"
say "GET /orders total $total"

http GET "$SHOP" '/catalog/products?page_size=5'
[ "$CODE" = 200 ] || fail "GET /catalog/products: $CODE $BODY"
products=$(json_int total)
[ "${products:-0}" -gt 0 ] || fail "GET /catalog/products: total '${products}' in $BODY"
say "GET /catalog/products total $products"

http POST "$PRICING" /calculations -H "Authorization: Bearer $(cat "$TOKEN_FILE")" \
  -H 'Content-Type: application/json' -d '{"product_sku":"BRK-200","quantity":120}'
if [ "$CODE" != 200 ] || ! grep -q '"total_cost"' <<<"$BODY"; then
  fail "POST /calculations: $CODE $BODY"
fi
say "POST /calculations BRK-200 x120: 200"

# ---------------------------------------------------------------- second run, same folder
prepare second 40
serve_alive
wait_healthy
total=$(order_total)
[ "$total" = "$ORDERS" ] || fail "after the second prepare GET /orders total $total, seeded $ORDERS"
count=$(db_order_count) || fail "psql count of orders failed"
[ "$count" = "$ORDERS" ] \
  || fail "after the second prepare the orders table has $count rows, seeded $ORDERS"
say "second prepare harmless: orders $total (API), $count (database); still serving"

# ---------------------------------------------------------------- graceful stop
# run.sh execs serve in the foreground; Ctrl-C or SIGTERM must stop it cleanly.
kill -TERM "$SERVE_PID"
for _ in $(seq 1 150); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVE_PID" 2>/dev/null && fail "serve still running 15 s after SIGTERM"
rc=0
wait "$SERVE_PID" || rc=$?
SERVE_PID=
[ "$rc" -eq 0 ] || fail "serve exited $rc after SIGTERM"
say "SIGTERM: serve stopped, exit 0"
