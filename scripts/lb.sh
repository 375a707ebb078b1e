#!/usr/bin/env bash
# Several `shopfloor serve` instances behind Debian's nginx as an HTTP load balancer, on
# loopback, on the servers of scripts/devenv.sh (one PostgreSQL, one Redis: the instances
# are stateless and share them, as production instances on several hosts would).
#
#   scripts/lb.sh start [N=3]   start N instances and nginx in front of them
#   scripts/lb.sh stop          stop nginx and the instances
#   scripts/lb.sh status        list what runs; exit 1 when something is down
#   scripts/lb.sh ports         print "front <mes> <pricing> <shop>" and one
#                               "instance <i> <mes> <pricing> <shop>" line per instance
#
# nginx: one upstream per API (MES, Pricing, Shop), round robin over the instances, with
# keep-alive connections to them (HTTP/1.1, `keepalive 32`), `proxy_next_upstream` only
# for connection errors of idempotent requests (never a POST/PUT/DELETE twice), and no
# buffering for the MES change stream (GET /events, server-sent events).
# Front ports: SHOPFLOOR_LB_PORT (MES, default 58080), +1 Pricing, +2 Shop. Instance i
# (1..N) listens on SHOPFLOOR_LB_PORT + 10*i (+1, +2). Each instance runs
# SHOPFLOOR_THREADS (default 1 here: N instances on a small machine) and logs to
# $RUN/lb/instance-<i>.log. Binary: SHOPFLOOR_BIN, else build/release, else build/test.
# Waits for every instance's /health/ready and nginx, at most 30 s in all.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN=${SHOPFLOOR_RUN_DIR:-$ROOT/.run}
LB=$RUN/lb
FRONT=${SHOPFLOOR_LB_PORT:-58080}

log() { echo "lb: $*" >&2; }

binary() {
  if [ -n "${SHOPFLOOR_BIN:-}" ]; then echo "$SHOPFLOOR_BIN"; return; fi
  local b
  for b in "$ROOT/build/release/src/app/shopfloor" "$ROOT/build/test/src/app/shopfloor"; do
    if [ -x "$b" ]; then echo "$b"; return; fi
  done
  log "no shopfloor binary (build first, or set SHOPFLOOR_BIN)"; exit 1
}

instances() { cat "$LB/instances" 2>/dev/null || echo 0; }

ports() {
  echo "front $FRONT $((FRONT + 1)) $((FRONT + 2))"
  local i n; n=$(instances)
  for ((i = 1; i <= n; i++)); do
    echo "instance $i $((FRONT + 10 * i)) $((FRONT + 10 * i + 1)) $((FRONT + 10 * i + 2))"
  done
}

upstream() {  # upstream NAME OFFSET N
  local name=$1 offset=$2 n=$3 i
  echo "  upstream shopfloor_$name {"
  for ((i = 1; i <= n; i++)); do
    echo "    server 127.0.0.1:$((FRONT + 10 * i + offset)) max_fails=0;"
  done
  echo "    keepalive 32;"
  echo "  }"
}

front() {  # front NAME OFFSET
  cat <<EOF
  server {
    listen 127.0.0.1:$((FRONT + $2));
    location / {
      proxy_pass http://shopfloor_$1;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_connect_timeout 1s;
      proxy_read_timeout 30s;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
    }
    location = /events {
      proxy_pass http://shopfloor_$1;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 1h;
    }
  }
EOF
}

write_nginx_conf() {  # write_nginx_conf N
  local n=$1
  mkdir -p "$LB/nginx/logs" "$LB/nginx/tmp"
  {
    # As root, workers would run as nobody and could not write the temp folders.
    if [ "$(id -u)" -eq 0 ]; then echo "user root;"; fi
    echo "worker_processes 1;"
    echo "pid $LB/nginx/nginx.pid;"
    echo "error_log $LB/nginx/logs/error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log off;"
    echo "  client_body_temp_path $LB/nginx/tmp/body;"
    echo "  proxy_temp_path $LB/nginx/tmp/proxy;"
    echo "  fastcgi_temp_path $LB/nginx/tmp/fastcgi;"
    echo "  uwsgi_temp_path $LB/nginx/tmp/uwsgi;"
    echo "  scgi_temp_path $LB/nginx/tmp/scgi;"
    echo "  keepalive_requests 100000;"
    upstream mes 0 "$n"
    upstream pricing 1 "$n"
    upstream shop 2 "$n"
    front mes 0
    front pricing 1
    front shop 2
    echo "}"
  } >"$LB/nginx/nginx.conf"
}

ready() {  # ready PORT PATH: 200 within the request's 2 s
  curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$1$2" 2>/dev/null
}

start() {
  local n=${1:-3} bin i
  [[ $n =~ ^[1-9][0-9]?$ ]] || { log "N must be 1..99"; exit 2; }
  if [ -s "$LB/instances" ]; then stop; fi
  bin=$(binary)
  # shellcheck disable=SC1091
  source "$RUN/env.sh"
  mkdir -p "$LB"
  echo "$n" >"$LB/instances"
  for ((i = 1; i <= n; i++)); do
    (
      export SHOPFLOOR_MES_PORT=$((FRONT + 10 * i)) SHOPFLOOR_PRICING_PORT=$((FRONT + 10 * i + 1))
      export SHOPFLOOR_SHOP_PORT=$((FRONT + 10 * i + 2))
      export SHOPFLOOR_THREADS=${SHOPFLOOR_THREADS:-1}
      export SHOPFLOOR_SQL_DIR=${SHOPFLOOR_SQL_DIR:-$ROOT/sql}
      exec "$bin" serve >"$LB/instance-$i.log" 2>&1
    ) &
    echo $! >"$LB/instance-$i.pid"
  done
  write_nginx_conf "$n"
  nginx -p "$LB/nginx" -c "$LB/nginx/nginx.conf" -e "$LB/nginx/logs/error.log"
  local deadline=$((SECONDS + 30))
  for ((i = 1; i <= n; i++)); do
    until ready $((FRONT + 10 * i)) /health/ready; do
      kill -0 "$(cat "$LB/instance-$i.pid")" 2>/dev/null ||
        { log "instance $i exited; its log:"; tail -20 "$LB/instance-$i.log" >&2; stop; exit 1; }
      [ $SECONDS -lt $deadline ] || { log "instance $i not ready within 30 s"; stop; exit 1; }
      sleep 0.1
    done
  done
  until ready "$FRONT" /health/ready; do
    [ $SECONDS -lt $deadline ] || { log "nginx not answering within 30 s"; stop; exit 1; }
    sleep 0.1
  done
  log "$n instance(s) behind nginx: MES http://127.0.0.1:$FRONT, Pricing :$((FRONT + 1)), Shop :$((FRONT + 2))"
}

stop() {
  local i n pid
  if [ -s "$LB/nginx/nginx.pid" ]; then
    pid=$(cat "$LB/nginx/nginx.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  n=$(instances)
  for ((i = 1; i <= n; i++)); do
    pid=$(cat "$LB/instance-$i.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  done
  for ((i = 1; i <= n; i++)); do  # graceful drain: SIGTERM, then at most 10 s
    pid=$(cat "$LB/instance-$i.pid" 2>/dev/null || true)
    [ -n "$pid" ] || continue
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$LB/instance-$i.pid"
  done
  rm -f "$LB/instances"
}

status() {
  local i n ok=0
  n=$(instances)
  for ((i = 1; i <= n; i++)); do
    if ready $((FRONT + 10 * i)) /health/live; then echo "instance $i up"; else echo "instance $i DOWN"; ok=1; fi
  done
  if ready "$FRONT" /health/live; then echo "nginx up"; else echo "nginx DOWN"; ok=1; fi
  return $ok
}

case "${1:-}" in
  start) start "${2:-3}" ;;
  stop) stop ;;
  status) status ;;
  ports) ports ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
