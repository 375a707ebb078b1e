#!/usr/bin/env bash
# End-to-end: what Prometheus and Grafana will see. Starts `shopfloor serve` (BIN)
# against the servers of scripts/devenv.sh (the environment scripts/test.sh exports),
# makes a little traffic (reads through the cache, a cost calculation, a change in the
# database that the change feed retires), then:
#   - pipes GET /metrics to `promtool check metrics` (Prometheus's own linter);
#   - checks the new families are there with sane values, that the Grafana dashboard is
#     valid JSON whose every metric exists in that scrape, and the same for the alert
#     rules (tests/metrics_check.py).
# The HTTP ports are the first free ones from SHOPFLOOR_METRICS_TEST_BASE_PORT (default
# 24640, below the ephemeral range like fresh_run_e2etest). Every wait is bounded; the
# serve process is stopped on exit, pass or fail.
#
#   tests/metrics_e2etest.sh BIN ROOT
set -euo pipefail
BIN=${1:?usage: metrics_e2etest.sh BIN ROOT}
ROOT=${2:?usage: metrics_e2etest.sh BIN ROOT}
BASE_PORT=${SHOPFLOOR_METRICS_TEST_BASE_PORT:-24640}
ME=metrics_e2etest

# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v promtool >/dev/null || fail "promtool missing (Debian package prometheus; scripts/install-deps.sh)"
[ -n "${SHOPFLOOR_DB_PORT:-}" ] || fail "server settings missing (run through scripts/test.sh)"
[ -x "$BIN" ] || fail "no shopfloor binary at $BIN"

free_ports 3 "$BASE_PORT"
MES=${PORTS[0]} PRICING=${PORTS[1]} SHOP=${PORTS[2]}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shopfloor-metrics-test.XXXXXX")
SERVE_PID=
trap serve_test_cleanup EXIT
trap 'fail "interrupted"' INT TERM

scrape() {  # scrape FILE
  http GET "$MES" /metrics
  [ "$CODE" = 200 ] || fail "GET /metrics: $CODE $BODY"
  printf '%s\n' "$BODY" >"$1"
}

serve_until_up
say "serve up on $MES/$PRICING/$SHOP"

# ---------------------------------------------------------------- traffic
TOKEN=$(cat "$SHOPFLOOR_ADMIN_TOKEN_FILE")
for _ in 1 2 3; do
  http GET "$SHOP" '/catalog/products?page_size=5'
  [ "$CODE" = 200 ] || fail "GET /catalog/products: $CODE $BODY"
  http GET "$MES" '/orders?page_size=5' -H "Authorization: Bearer $TOKEN"
  [ "$CODE" = 200 ] || fail "GET /orders: $CODE $BODY"
done
# Registers shopfloor_pricing_calculations_total whatever the database holds.
http POST "$PRICING" /calculations -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"product_sku":"NO-SUCH-SKU-METRICS","quantity":1}'
case "$CODE" in 200 | 404 | 422) ;; *) fail "POST /calculations: $CODE $BODY" ;; esac

# A change another system makes: the statement trigger NOTIFYs sf_pricing_changed even
# when no row matches, and the pricing feed retires its caches.
sql "UPDATE materials SET name = name WHERE false" >/dev/null || fail "UPDATE materials failed"
deadline=$((SECONDS + 10))
while :; do
  scrape "$WORK/metrics.txt"
  grep -q '^shopfloor_listener_handling_duration_seconds_count{channel="sf_pricing_changed"} [1-9]' \
    "$WORK/metrics.txt" && break
  [ "$SECONDS" -lt "$deadline" ] || fail "the change notification was not handled within 10 s"
  sleep 0.2
done

# ---------------------------------------------------------------- checks
if ! promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.txt" 2>&1; then
  cat "$WORK/promtool.txt"
  fail "promtool check metrics rejected /metrics"
fi
say "promtool check metrics: OK ($(grep -vc '^#' "$WORK/metrics.txt") samples)"

version=$("$BIN" version | awk '{print $2}')
/usr/bin/python3 "$ROOT/tests/metrics_check.py" "$WORK/metrics.txt" \
  "$ROOT/deploy/grafana/shopfloor.json" "$ROOT/deploy/prometheus/alerts.yml" "$version" \
  || fail "metrics_check.py found problems (above)"
