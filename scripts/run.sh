#!/usr/bin/env bash
# Runs the services with demo data, from a fresh Debian 12 machine: installs what is
# missing, builds (Release), then scripts/prepare.sh (the private PostgreSQL and
# Redis, the migrations, the demo data when the database is empty; the same script
# the fresh-run test runs), and runs `shopfloor serve` in the foreground (Ctrl-C stops
# it gracefully; the servers keep running: `scripts/devenv.sh stop` stops them).
#
# Settings (environment): SHOPFLOOR_BUILD_DIR (default build/release), those of
# scripts/prepare.sh (SHOPFLOOR_RUN_DIR, SHOPFLOOR_PG_PORT, SHOPFLOOR_REDIS_TLS_PORT,
# SHOPFLOOR_SEED_ORDERS) and the service's own (SHOPFLOOR_MES_PORT...: `shopfloor config`).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${SHOPFLOOR_BUILD_DIR:-$ROOT/build/release}

bash scripts/install-deps.sh  # the compiler and libraries, before the build
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSHOPFLOOR_BUILD_BENCH=OFF >/dev/null
ninja -C "$BUILD" shopfloor
bash scripts/prepare.sh "$BUILD/src/app/shopfloor"
# shellcheck disable=SC1091
source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/env.sh"
echo "admin token: $SHOPFLOOR_ADMIN_TOKEN_FILE"
echo "Operator console: http://127.0.0.1:${SHOPFLOOR_MES_PORT:-8080}/ (sign in with the admin token above)"
echo "MES http://127.0.0.1:${SHOPFLOOR_MES_PORT:-8080}" \
  " Pricing http://127.0.0.1:${SHOPFLOOR_PRICING_PORT:-8081}" \
  " Shop http://127.0.0.1:${SHOPFLOOR_SHOP_PORT:-8082}"
exec "$BUILD/src/app/shopfloor" serve
