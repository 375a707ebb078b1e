#!/usr/bin/env bash
# Runs the services with demo data, from a fresh Debian 12 machine: installs what is
# missing, builds (Release), starts the private PostgreSQL and Redis, applies the
# migrations, loads the demo data when the database is empty, and runs
# `shopfloor serve` in the foreground (Ctrl-C stops it gracefully; the servers keep
# running: `scripts/devenv.sh stop` stops them).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${SHOPFLOOR_BUILD_DIR:-$ROOT/build/release}

bash scripts/install-deps.sh
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSHOPFLOOR_BUILD_BENCH=OFF >/dev/null
ninja -C "$BUILD" shopfloor
bash scripts/devenv.sh start
# shellcheck disable=SC1091
source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/env.sh"
export SHOPFLOOR_SQL_DIR=$ROOT/sql
"$BUILD/src/app/shopfloor" migrate
"$BUILD/src/app/shopfloor" seed
echo "admin token: $SHOPFLOOR_ADMIN_TOKEN_FILE"
echo "Operator console: http://127.0.0.1:8080/ (sign in with the admin token above)"
echo "MES http://127.0.0.1:8080  Pricing http://127.0.0.1:8081  Shop http://127.0.0.1:8082"
exec "$BUILD/src/app/shopfloor" serve
