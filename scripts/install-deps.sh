#!/usr/bin/env bash
# Installs every Debian 12 package Shopfloor needs to build, test and run locally.
# Idempotent: runs `apt-get update` once (only when something is missing) and then
# installs only what is missing. Nothing else is downloaded.
set -euo pipefail

PACKAGES=(
  # build
  g++ cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libhiredis-dev libpq-dev libssl-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  # servers and tools used by the local environment, tests and benchmarks
  postgresql postgresql-client redis-server redis-tools openssl wrk nginx-light
  curl ca-certificates procps
  # format and lint (scripts/lint.sh)
  clang-format clang-tidy
  # promtool: checks /metrics, the alert rules and their unit tests (deploy/prometheus/)
  prometheus
  # fuzzing (scripts/fuzz.sh): clang 14 with libFuzzer and the sanitizer runtimes
  clang-14 libclang-rt-14-dev
  # operator console: gzip of static assets; browser tests (headless Chromium + Selenium)
  zlib1g-dev chromium chromium-driver python3-selenium
  # the Debian package (cmake/packaging.cmake, tests/package_test.sh): cpack's
  # dpkg-shlibdeps and dpkg-parsechangelog, lintian, shellcheck for the maintainer
  # scripts, systemd-analyze (in systemd) for the unit
  dpkg-dev lintian shellcheck systemd
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
