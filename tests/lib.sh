# Shell helpers of the tests that drive `shopfloor serve` themselves (fresh_run_e2etest.sh,
# metrics_e2etest.sh). Source it after setting ME (the test's name, prefixed to its lines).
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

serve_alive() { kill -0 "$SERVE_PID" 2>/dev/null || fail "shopfloor serve exited (its log below)"; }
