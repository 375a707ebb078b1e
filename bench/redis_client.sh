#!/usr/bin/env bash
# GET throughput of our redis::Client next to redis-benchmark, same server,
# same key, same value size, same depth, in one run.
#
# Starts a private, temporary redis-server on loopback with BOTH a plain TCP
# port and a TLS port (the certificates of .run/tls, an ACL user in the style
# of scripts/devenv.sh, `default` off, no persistence) under a temp dir, and
# kills it on exit. For each value size (1 KB, 20 KB) and transport (TCP, TLS)
# it preloads the key with redis-cli (redis-benchmark --tls hangs on big SETs)
# and then runs, back to back (BENCH_REPEAT times, best of each kept, since
# the machine is shared and single runs are noisy):
#   P16 x 16 conns   redis-benchmark -t get -c 16 -P 16  | ours: 256 coroutines, 16 connections
#   P16 x 1 conn     redis-benchmark -t get -c 1 -P 16   | ours: 16 coroutines, 1 connection
#   P1 x 1 conn      redis-benchmark -t get -c 1 -P 1    | ours: 1 coroutine, 1 connection
#   16 callers       redis-benchmark -t get -c 16 -P 1   | ours: 16 coroutines, 16 connections
#                    (our client coalesces concurrent callers into batches, so
#                    this row shows that effect rather than equal depths)
# and prints ops/s and the ours/theirs ratio. Every step is bounded in time.
#
# Usage: bench/redis_client.sh [build-dir]   (default: build/bench)
#   The build dir must hold bench/redis_client_bench; build it with
#   cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build/bench redis_client_bench
# Environment: SHOPFLOOR_TEST_TLS_DIR (default <checkout>/.run/tls),
#   BENCH_SECONDS (our min time per case, default 1), BENCH_REPEAT (default 2).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build/bench}
BIN=$BUILD/bench/redis_client_bench
TLS_DIR=${SHOPFLOOR_TEST_TLS_DIR:-$ROOT/.run/tls}
SECONDS_PER_CASE=${BENCH_SECONDS:-1}
REPEAT=${BENCH_REPEAT:-2}

die() { echo "redis_client.sh: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no $BIN; build the redis_client_bench target (Release) first"
for f in ca.crt redis.crt redis.key; do
  [ -r "$TLS_DIR/$f" ] || die "cannot read $TLS_DIR/$f (run scripts/devenv.sh start once)"
done
for tool in redis-server redis-cli redis-benchmark openssl timeout awk; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/shopfloor-redis-bench.XXXXXX")
chmod 700 "$TMP"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if [ "$p" != "${1:-}" ] && port_free "$p"; then echo "$p"; return 0; fi
  done
  die "no free loopback port found"
}
PLAIN_PORT=$(pick_port)
TLS_PORT=$(pick_port "$PLAIN_PORT")
USER_NAME=bench
(umask 077; openssl rand -hex 16 | tr -d '\n' >"$TMP/password")
PASSWORD=$(cat "$TMP/password")

# Same ACL style as scripts/devenv.sh; redis-benchmark's GET test reads the
# fixed key `key:__rand_int__` (no -r), so that key is allowed too.
(umask 077; cat >"$TMP/redis.conf" <<CONF
bind 127.0.0.1
protected-mode yes
port $PLAIN_PORT
tls-port $TLS_PORT
tls-cert-file $TLS_DIR/redis.crt
tls-key-file $TLS_DIR/redis.key
tls-ca-cert-file $TLS_DIR/ca.crt
tls-auth-clients optional
daemonize no
dir $TMP
logfile $TMP/redis.log
save ""
appendonly no
user default off
user $USER_NAME on >$PASSWORD resetkeys ~sf:* ~key:__rand_int__ resetchannels &sf:* -@all +ping +auth +hello +select +client|setname +client|id +get +mget +set +del +unlink +incr +exists +pexpire +pttl +evalsha +script|load +script|exists +publish +subscribe +unsubscribe
CONF
)
redis-server "$TMP/redis.conf" &
SERVER_PID=$!

cli() { timeout 10 redis-cli -h 127.0.0.1 -p "$PLAIN_PORT" --user "$USER_NAME" --pass "$PASSWORD" --no-auth-warning "$@"; }
for _ in $(seq 1 50); do
  if cli ping 2>/dev/null | grep -q PONG; then break; fi
  sleep 0.1
done
cli ping 2>/dev/null | grep -q PONG || { tail -n 20 "$TMP/redis.log" >&2; die "temporary redis-server did not start"; }
echo "temporary redis-server pid $SERVER_PID: tcp 127.0.0.1:$PLAIN_PORT, tls 127.0.0.1:$TLS_PORT"

# theirs TRANSPORT SIZE CONNS DEPTH REQUESTS → ops/s
theirs() {
  local port=$PLAIN_PORT tls=()
  if [ "$1" = tls ]; then port=$TLS_PORT; tls=(--tls --cacert "$TLS_DIR/ca.crt"); fi
  timeout 120 redis-benchmark -h 127.0.0.1 -p "$port" "${tls[@]}" --user "$USER_NAME" -a "$PASSWORD" \
    -t get -d "$2" -c "$3" -P "$4" -n "$5" -q 2>/dev/null |
    tr '\r' '\n' | awk '/^GET:/ { v = $2 } END { if (v == "") exit 1; printf "%.0f", v }'
}

# ours TRANSPORT SIZE CONNS INFLIGHT → ops/s
ours() {
  local port=$PLAIN_PORT tls=false
  if [ "$1" = tls ]; then port=$TLS_PORT; tls=true; fi
  SHOPFLOOR_REDIS_HOST=127.0.0.1 SHOPFLOOR_REDIS_PORT=$port SHOPFLOOR_REDIS_TLS=$tls \
    SHOPFLOOR_REDIS_CA_FILE=$TLS_DIR/ca.crt SHOPFLOOR_REDIS_SERVER_NAME=localhost \
    SHOPFLOOR_REDIS_USER=$USER_NAME SHOPFLOOR_REDIS_PASSWORD_FILE=$TMP/password \
    SHOPFLOOR_BENCH_KEY='key:__rand_int__' \
    timeout 120 "$BIN" --benchmark_filter="^BM_RedisGet/bytes:$2/inflight:$4/conns:$3/" \
    --benchmark_min_time="$SECONDS_PER_CASE" --benchmark_format=csv 2>/dev/null |
    awk -F, '
      /^name,/ { for (i = 1; i <= NF; i++) if ($i == "items_per_second") col = i; next }
      col && /^"BM_RedisGet/ { if ($(col) != "") v = $(col); err = err $0 }
      END { if (v == "" || err ~ /true/) exit 1; printf "%.0f", v }'
}

max() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b + 0 > a + 0) a = b; printf "%s", a }'; }

printf '\n%-5s %-6s %-16s %16s %14s %12s\n' link value depth redis-benchmark ours ours/theirs
printf '%s\n' "-------------------------------------------------------------------------"
status=0
for size in 1024 20480; do
  head -c "$size" /dev/zero | tr '\0' 'x' >"$TMP/value"
  cli -x SET 'key:__rand_int__' <"$TMP/value" >/dev/null
  for transport in tcp tls; do
    #            label           conns depth inflight requests(1 KB) requests(20 KB)
    for spec in "P16_x_16_conns  16    16    256      600000         100000" \
                "P16_x_1_conn    1     16    16       400000         80000" \
                "P1_x_1_conn     1     1     1        40000          20000" \
                "16_callers      16    1     16       100000         50000"; do
      read -r label conns depth inflight n_small n_big <<<"$spec"
      n=$n_small; [ "$size" -gt 1024 ] && n=$n_big
      t="" o=""
      for _ in $(seq 1 "$REPEAT"); do
        t=$(max "$t" "$(theirs "$transport" "$size" "$conns" "$depth" "$n" || true)")
        o=$(max "$o" "$(ours "$transport" "$size" "$conns" "$inflight" || true)")
      done
      ratio="n/a"
      if [ -n "$t" ] && [ -n "$o" ] && [ "$t" -gt 0 ]; then
        ratio=$(awk -v o="$o" -v t="$t" 'BEGIN { printf "%.0f%%", 100 * o / t }')
      else
        status=1
      fi
      printf '%-5s %-6s %-16s %16s %14s %12s\n' "$transport" "$size" "${label//_/ }" \
        "${t:-failed}" "${o:-failed}" "$ratio"
    done
  done
done
echo
echo "depth = requests in flight per connection; ours = redis::Client on one io_context thread,"
echo "one coroutine per request in flight; theirs = redis-benchmark (single thread)."
exit $status
