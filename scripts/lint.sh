#!/usr/bin/env bash
# Format and lint checks, run by scripts/test.sh (and usable alone).
#
#   scripts/lint.sh format          every tracked *.cpp/*.hpp must be formatted as
#                                   .clang-format says (clang-format 14); lists the
#                                   files that are not, and fails. Fix with
#                                   `clang-format -i FILE...`.
#   scripts/lint.sh tidy BUILD_DIR  clang-tidy 14 with .clang-tidy on the project's
#                                   production sources (src/, not the tests), using
#                                   BUILD_DIR/compile_commands.json; any finding fails.
#
# Why production sources only: the tests are ~40 more translation units, most of
# them the heaviest in the tree (gtest + Asio + Beast), which would about double
# the time, and their bugs show up as failing tests under ASan/UBSan anyway.
# Headers under src/ are checked as they are included (HeaderFilterRegex).
# Settings: SHOPFLOOR_JOBS (default: nproc) parallel clang-tidy processes.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

die() { echo "lint: $*" >&2; exit 2; }

# The tracked C++ files (a fresh clone: git knows them; a copy without .git: find).
cpp_files() {
  if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$ROOT" ls-files -- '*.cpp' '*.hpp'
  else
    find src tests bench -name '*.cpp' -o -name '*.hpp' | sort
  fi
}

need_version_14() {  # clang-format 15 formats differently: insist on the pinned one
  local tool=$1
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs it)"
  "$tool" --version | grep -q 'version 14\.' || die "$tool is not version 14: $("$tool" --version)"
}

check_format() {
  need_version_14 clang-format
  local bad=()
  mapfile -t bad < <(cpp_files | xargs -P "${SHOPFLOOR_JOBS:-$(nproc)}" -n 16 sh -c \
    'for f; do clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done' sh |
    sort)
  if [ ${#bad[@]} -gt 0 ]; then
    echo "lint: ${#bad[@]} file(s) not formatted as .clang-format says:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    echo "lint: fix with: clang-format -i <files>" >&2
    return 1
  fi
  echo "lint: format OK ($(cpp_files | wc -l) files)"
}

check_tidy() {
  local build=${1:-}
  [ -n "$build" ] || die "usage: lint.sh tidy BUILD_DIR"
  [ -f "$build/compile_commands.json" ] || die "no $build/compile_commands.json (configure first)"
  local tidy=clang-tidy-14
  command -v "$tidy" >/dev/null || tidy=clang-tidy
  need_version_14 "$tidy"
  local jobs=${SHOPFLOOR_JOBS:-$(nproc)}
  local log
  log=$(mktemp)
  # The build is configured for g++: clang does not know a few of its warning
  # flags, and -Werror would turn that notice into an error.
  local start=$SECONDS rc=0
  cpp_files | grep '^src/.*\.cpp$' | grep -Ev '_(test|pgtest|redistest|e2etest)\.cpp$' |
    xargs -P "$jobs" -n 1 "$tidy" -p "$build" --quiet \
      --extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-error >"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    grep -E 'warning:|error:' "$log" | sort -u >&2 || cat "$log" >&2
    echo "lint: clang-tidy found problems ($((SECONDS - start)) s)" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  echo "lint: clang-tidy OK ($((SECONDS - start)) s, $jobs jobs)"
}

case "${1:-}" in
  format) check_format ;;
  tidy) check_tidy "${2:-}" ;;
  *) die "usage: lint.sh format | lint.sh tidy BUILD_DIR" ;;
esac
