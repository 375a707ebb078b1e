#!/usr/bin/env bash
# The history checker's long run and the soak (docs/RELIABILITY.md), on this checkout's
# servers (scripts/devenv.sh: started if needed, migrated). The test itself is
# tests/history_e2etest.sh → tests/history/history.py (rules in its header); CI runs its
# 60 s version (ctest -L history).
#
#   scripts/history.sh [--build DIR] [history.py args...]
#     scripts/history.sh --duration 600                  the 10-minute run
#     scripts/history.sh --build build/release --soak --duration 1800   the 30-minute soak
#
# --build: the build folder whose src/app/shopfloor runs (default build/test, the Debug
# ASan build of scripts/test.sh; build/release is scripts/run.sh's). Ports: the servers'
# SHOPFLOOR_PG_PORT / SHOPFLOOR_REDIS_TLS_PORT, HTTP from SHOPFLOOR_TEST_HISTORY_BASE_PORT.
# The JSON report is written to history-report.json in the build folder (--report FILE
# to change it); the serve logs are kept (the folder is printed at the end).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build/test
if [ "${1:-}" = --build ]; then BUILD=$(cd "${2:?--build DIR}" && pwd); shift 2; fi
BIN=$BUILD/src/app/shopfloor
[ -x "$BIN" ] || { echo "history: no $BIN: build it first (ninja -C $BUILD shopfloor)" >&2; exit 1; }
bash "$ROOT/scripts/devenv.sh" start
# shellcheck source=/dev/null
source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/env.sh"
export SHOPFLOOR_SQL_DIR=$ROOT/sql
"$BIN" migrate
# Long runs keep the serve logs (a finding needs them).
SHOPFLOOR_TEST_HISTORY_KEEP=${SHOPFLOOR_TEST_HISTORY_KEEP:-1} \
  exec bash "$ROOT/tests/history_e2etest.sh" "$BIN" --report "$BUILD/history-report.json" "$@"
