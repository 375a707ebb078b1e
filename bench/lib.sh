# Shell helpers of the benchmarks that drive `shopfloor serve` themselves (mes_mix.sh,
# pricing_mix.sh). Source it after .run/env.sh; the caller sets PID to the server's pid
# (or PIDS to its processes').
# shellcheck shell=bash

# One query on the benchmark's database as the service's role; prints the rows unaligned.
psql_q() {
  PGPASSWORD=$(cat "$SHOPFLOOR_DB_PASSWORD_FILE") psql -X -At -h "$SHOPFLOOR_DB_HOST" \
    -p "$SHOPFLOOR_DB_PORT" -U "$SHOPFLOOR_DB_USER" -d "$SHOPFLOOR_DB_NAME" -c "$1"
}

# CPU seconds (user + system) the server processes have used: ${PIDS[@]} when set, else $PID;
# 0 when none runs (e.g. the nginx phase).
service_cpu() {
  local pids=("${PIDS[@]:-$PID}") files=() p
  for p in "${pids[@]}"; do [ -n "$p" ] && [ -r "/proc/$p/stat" ] && files+=("/proc/$p/stat"); done
  [ ${#files[@]} -gt 0 ] || { echo 0; return 0; }
  awk -v hz="$(getconf CLK_TCK)" '{ s += $14 + $15 } END { printf "%.6f\n", s / hz }' "${files[@]}"
}
