#!/usr/bin/env bash
# The set-up before `shopfloor serve`: installs the Debian packages that are missing,
# starts the private PostgreSQL and Redis (scripts/devenv.sh start), applies the
# migrations (`shopfloor migrate`) and loads the demo data (`shopfloor seed`). Every step
# is idempotent: a second run on the same run folder changes nothing.
#
# One script for scripts/run.sh and for the fresh-run test (tests/fresh_run_e2etest.sh),
# so what the test proves is what run.sh does.
#
#   scripts/prepare.sh [BIN]     BIN: the shopfloor binary (default: $SHOPFLOOR_BIN)
#
# Settings (environment): SHOPFLOOR_RUN_DIR, SHOPFLOOR_PG_PORT, SHOPFLOOR_REDIS_TLS_PORT
# (see scripts/devenv.sh) and SHOPFLOOR_SEED_ORDERS (demo orders to create when the
# database has none; default: the binary's, 100000). Afterwards
# `source <run dir>/env.sh` gives the settings `shopfloor serve` needs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:-${SHOPFLOOR_BIN:-}}
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
  echo "prepare: no shopfloor binary at '${BIN}' (pass it, or set SHOPFLOOR_BIN)" >&2
  exit 2
fi

bash "$ROOT/scripts/install-deps.sh"
bash "$ROOT/scripts/devenv.sh" start
# shellcheck disable=SC1091
source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/env.sh"
export SHOPFLOOR_SQL_DIR=$ROOT/sql
"$BIN" migrate
seed=(seed)
if [ -n "${SHOPFLOOR_SEED_ORDERS:-}" ]; then seed+=(--orders "$SHOPFLOOR_SEED_ORDERS"); fi
"$BIN" "${seed[@]}"
