#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing,
# builds (Debug, AddressSanitizer + UndefinedBehaviorSanitizer), starts the private
# PostgreSQL and Redis (TLS, ACL) and, for the cluster tests, a Redis Cluster, applies
# the migrations and runs every CTest test: unit tests in parallel, then the tests that
# need the servers one at a time (some of them stop and restart a server), then the
# tests labelled `sentinel` against the Redis Sentinel topology
# (scripts/redis-sentinel.sh), started for them and stopped after.
#
# Format (clang-format) is checked first and fails the run at once; clang-tidy runs
# after the build (scripts/lint.sh says what and why).
#
# Settings: SHOPFLOOR_BUILD_DIR (default build/test), SHOPFLOOR_KEEP_SERVERS=1 leaves
# the servers running afterwards, SHOPFLOOR_TEST_FILTER (a ctest -R regex), and
# SHOPFLOOR_TIDY=0 skips clang-tidy (a quicker local run; CI always runs it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${SHOPFLOOR_BUILD_DIR:-$ROOT/build/test}
JOBS=${SHOPFLOOR_JOBS:-$(nproc)}

step() { echo "== $* ($(date +%H:%M:%S))"; }

step "install dependencies"
bash scripts/install-deps.sh

step "format check"
bash scripts/lint.sh format

step "build ($BUILD)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSHOPFLOOR_SANITIZE=ON \
  -DSHOPFLOOR_WERROR=ON >/dev/null
ninja -C "$BUILD" -j "$JOBS"

if [ "${SHOPFLOOR_TIDY:-1}" != 0 ] || [ "${CI:-}" = true ]; then
  step "clang-tidy"
  SHOPFLOOR_JOBS=$JOBS bash scripts/lint.sh tidy "$BUILD"
fi

step "start PostgreSQL and Redis"
bash scripts/devenv.sh start
# shellcheck disable=SC1091
source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/env.sh"
export SHOPFLOOR_SQL_DIR=$ROOT/sql
export SHOPFLOOR_BIN=$BUILD/src/app/shopfloor
stop_servers() {
  [ "${SHOPFLOOR_KEEP_SERVERS:-0}" = 1 ] || {
    bash scripts/devenv.sh sentinel-stop; bash scripts/devenv.sh cluster-stop; bash scripts/devenv.sh stop; }
}
trap stop_servers EXIT

step "migrate"
"$SHOPFLOOR_BIN" migrate

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1
FILTER=()
[ -n "${SHOPFLOOR_TEST_FILTER:-}" ] && FILTER=(-R "$SHOPFLOOR_TEST_FILTER")

# The tests labelled cluster run against a 3 + 3 Redis Cluster (scripts/devenv-cluster.sh),
# started only when the filter selects one of them.
if ! ctest --test-dir "$BUILD" -N -L cluster "${FILTER[@]}" | grep -q "Total Tests: 0"; then
  step "start the Redis Cluster"
  bash scripts/devenv.sh cluster-start
  # shellcheck disable=SC1091
  source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/cluster-env.sh"
fi

step "unit tests"
rc=0
ctest --test-dir "$BUILD" -L unit -j "$JOBS" --output-on-failure "${FILTER[@]}" || rc=1
step "integration tests (real PostgreSQL and Redis)"
ctest --test-dir "$BUILD" -LE 'unit|sentinel' -j 1 --output-on-failure "${FILTER[@]}" || rc=1
if ! ctest --test-dir "$BUILD" -N -L sentinel "${FILTER[@]}" | grep -q '^Total Tests: 0$'; then
  step "Redis Sentinel tests (primary, replica, 3 Sentinels)"
  # The cluster's nodes keep ~30 connections to each other's bus ports, each from an
  # ephemeral local port; our servers' ports lie in the kernel's ephemeral range, so one
  # of those could hold a port a Sentinel node must listen on. The cluster is done here.
  bash scripts/devenv.sh cluster-stop
  bash scripts/devenv.sh sentinel-start
  # shellcheck disable=SC1091
  source "${SHOPFLOOR_RUN_DIR:-$ROOT/.run}/sentinel/env.sh"
  ctest --test-dir "$BUILD" -L sentinel -j 1 --output-on-failure "${FILTER[@]}" || rc=1
fi
step "done: $([ $rc = 0 ] && echo PASSED || echo FAILED)"
exit $rc
