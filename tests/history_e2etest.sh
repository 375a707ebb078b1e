#!/usr/bin/env bash
# The multi-process history checker (tests/history/history.py: what it runs and the rules
# it checks are in its header): 3 `shopfloor serve` processes (BIN) on the servers of
# scripts/devenv.sh (the environment scripts/test.sh exports, or `source .run/env.sh`),
# 32 client threads, faults injected through $SHOPFLOOR_DEVENV, then the check of the
# recorded history. This script only picks the 9 HTTP ports: the first free ones from
# SHOPFLOOR_TEST_HISTORY_BASE_PORT (default 24860, below the ephemeral range). Extra
# arguments go to history.py (--duration, --soak, --report, ...); CTest runs the 60 s
# version, scripts/history.sh the long run and the soak. SHOPFLOOR_TEST_HISTORY_KEEP=1 keeps
# the serve logs (the folder is printed) even when the run passes.
#
#   tests/history_e2etest.sh BIN [history.py args...]
set -euo pipefail
BIN=${1:?usage: history_e2etest.sh BIN [history.py args...]}
shift
ME=history_e2etest

# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ -n "${SHOPFLOOR_DB_PORT:-}" ] || fail "server settings missing (run through scripts/test.sh)"
[ -x "$BIN" ] || fail "no shopfloor binary at $BIN"

free_ports 9 "${SHOPFLOOR_TEST_HISTORY_BASE_PORT:-24860}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/shopfloor-history.XXXXXX")
rc=0
/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/history/history.py" --bin "$BIN" \
  --ports "$(IFS=,; echo "${PORTS[*]}")" --workdir "$WORK" "$@" || rc=$?
if [ "$rc" -ne 0 ]; then
  for f in "$WORK"/serve*.log; do
    [ -s "$f" ] && { echo "---- last lines of $f"; tail -n 15 "$f"; }
  done
fi
if [ "${SHOPFLOOR_TEST_HISTORY_KEEP:-0}" = 1 ]; then say "serve logs kept in $WORK"; else rm -rf "$WORK"; fi
exit "$rc"
