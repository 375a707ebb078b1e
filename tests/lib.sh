# Shell helpers of the tests that drive `shopfloor serve` themselves (fresh_run_e2etest.sh,
# metrics_e2etest.sh, cluster_serve_e2etest.sh). Source it after setting ME (the test's
# name, prefixed to its lines).
# shellcheck shell=bash

say() { echo "$ME: $*"; }
fail() { echo "$ME: FAIL: $*" >&2; exit 1; }

# In use: something listens there, or it cannot be bound (a connection's local end).
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  ! /usr/bin/python3 -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.close()' "$1" 2>/dev/null
}

# free_ports COUNT BASE: sets PORTS to the first COUNT free ports in BASE..BASE+199.
free_ports() {
  local count=$1 base=$2 next=$2
  PORTS=()
  while [ ${#PORTS[@]} -lt "$count" ]; do
    [ "$next" -lt $((base + 200)) ] || fail "no $count free ports in $base..$((base + 199))"
    port_in_use "$next" || PORTS+=("$next")
    next=$((next + 1))
  done
}

# shellcheck disable=SC2034  # read by the tests that source this file
CODE='' BODY=''
http() {  # http METHOD PORT PATH [curl args...]: sets CODE and BODY
  local method=$1 port=$2 path=$3 out
  shift 3
  out=$(curl -sS --max-time 5 -X "$method" -w $'\n%{http_code}' "$@" \
    "http://127.0.0.1:$port$path" 2>&1) || { CODE=000 BODY=$out; return 0; }
  CODE=${out##*$'\n'}
  BODY=${out%$'\n'*}
}

# serve_until_up [NAME=VALUE...]: starts `$BIN serve` with those settings on the ports
# $MES, $PRICING, $SHOP (2 I/O threads; SERVE_PID; log in $WORK/serve.log) and waits, 20 s
# at most, until /health says the database and the cache are up.
serve_until_up() {
  env "$@" SHOPFLOOR_MES_PORT="$MES" SHOPFLOOR_PRICING_PORT="$PRICING" SHOPFLOOR_SHOP_PORT="$SHOP" \
    SHOPFLOOR_THREADS=2 "$BIN" serve >"$WORK/serve.log" 2>&1 &
  SERVE_PID=$!
  local deadline=$((SECONDS + 20))
  while :; do
    serve_alive
    http GET "$MES" /health
    if [ "$CODE" = 200 ] && grep -q '"db":"up"' <<<"$BODY" && grep -q '"cache":"up"' <<<"$BODY"; then
      break
    fi
    [ "$SECONDS" -lt "$deadline" ] || fail "/health not db+cache up within 20 s: $CODE $BODY"
    sleep 0.2
  done
}

serve_alive() { kill -0 "$SERVE_PID" 2>/dev/null || fail "shopfloor serve exited (its log below)"; }

# stop_serve [SECONDS=10]: SIGTERM to $SERVE_PID (when it runs), then SIGKILL if it has not
# drained and exited within SECONDS; reaps it.
stop_serve() {
  local limit=$(( ${1:-10} * 10 ))
  [ -n "${SERVE_PID:-}" ] && kill -0 "$SERVE_PID" 2>/dev/null || return 0
  kill -TERM "$SERVE_PID" 2>/dev/null || true
  for _ in $(seq 1 "$limit"); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SERVE_PID" 2>/dev/null; then
    say "serve did not stop within ${1:-10} s of SIGTERM: killing it"
    kill -KILL "$SERVE_PID" 2>/dev/null || true
  fi
  wait "$SERVE_PID" 2>/dev/null || true
}

# The EXIT trap of a test that starts `shopfloor serve` itself (pid in SERVE_PID, log in
# $WORK/serve.log): stops it (stop_serve 10), shows the log's end when
# the test failed, removes WORK and says PASSED or FAILED.
serve_test_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_serve 10
  if [ "$rc" -ne 0 ] && [ -s "$WORK/serve.log" ]; then
    echo "---- last lines of serve.log"; tail -n 30 "$WORK/serve.log"
  fi
  rm -rf "$WORK"
  if [ "$rc" -eq 0 ]; then say "PASSED"; else say "FAILED (exit $rc)"; fi
  exit "$rc"
}

# One statement on the test database as the services' role; rows unaligned.
sql() {
  PGPASSWORD=$(cat "$SHOPFLOOR_DB_PASSWORD_FILE") timeout 20 psql -X -qtA -v ON_ERROR_STOP=1 \
    -h "${SHOPFLOOR_DB_HOST:-127.0.0.1}" -p "$SHOPFLOOR_DB_PORT" -U "${SHOPFLOOR_DB_USER:-shopfloor}" \
    -d "${SHOPFLOOR_DB_NAME:-shopfloor}" -c "$1"
}
