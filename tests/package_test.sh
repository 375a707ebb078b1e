#!/usr/bin/env bash
# The Debian package, end to end (CTest package_test, label `package`; needs the
# PostgreSQL of scripts/devenv.sh for its last step):
#   1. cpack builds the .deb from this build tree (cmake/packaging.cmake);
#   2. lintian finds no error and no warning (overrides, each with its reason, in
#      deploy/debian/lintian-overrides);
#   3. the package holds what the unit and the env file name, its version is the
#      binary's and the changelog's, and its maintainer scripts pass sh -n and the
#      ShellCheck linter;
#   4. dpkg installs it into a scratch root (dpkg --root --force-script-chrootless:
#      the maintainer scripts run for real, with DPKG_ROOT; the libraries it depends
#      on are the host's, not the root's, hence --force-depends): postinst creates
#      the system user (systemd-sysusers --root) and the credentials folder, the env
#      file is a registered conffile, a reinstall (an upgrade's path) keeps a local
#      edit of it and the user, and a purge removes the package's files;
#   5. systemd-analyze verify accepts the installed unit (with the scratch root, so
#      its ExecStart= binary is the packaged one) and prints nothing; systemd-analyze
#      security rates it at most 1.5 ("OK");
#   6. the installed binary runs: `version`, `config` (every setting in it is in the
#      env file, every secret is a credential of the unit), and `migrate` with the
#      packaged env file and SQL against the test database, and again with every
#      default the env file shows uncommented (each is a value the binary accepts).
#
#   tests/package_test.sh BUILD_DIR
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:?usage: package_test.sh BUILD_DIR}" && pwd)
ME=package_test
WORK=$BUILD/package-test
say() { echo "$ME: $*"; }
fail() { echo "$ME: FAIL: $*" >&2; exit 1; }
step() { echo "== $ME: $* ($(date +%H:%M:%S))"; }

rm -rf "$WORK"
mkdir -p "$WORK"

step "cpack"
cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/out" >"$WORK/cpack.log" 2>&1 ||
  { cat "$WORK/cpack.log"; fail "cpack failed"; }
debs=("$WORK"/out/shopfloor_*.deb)
{ [ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ]; } || fail "expected one .deb in $WORK/out"
DEB=${debs[0]}
say "built $(basename "$DEB") ($(du -h "$DEB" | cut -f1))"

step "lintian"
# As root lintian says so on stderr; every tag, informational ones too, goes to the log.
lintian --fail-on error,warning --display-info "$DEB" 2> >(grep -v 'root privileges' >&2) ||
  fail "lintian reported errors or warnings (above)"

step "contents and metadata"
version=$(dpkg-deb -f "$DEB" Version)
upstream=${version%-*}
changelog_version=$(dpkg-parsechangelog -l "$ROOT/deploy/debian/changelog" -S Version)
[ "$changelog_version" = "$version" ] ||
  fail "deploy/debian/changelog is at $changelog_version, the package at $version (add an entry)"
[ "$(dpkg-deb -f "$DEB" Package)" = shopfloor ] || fail "package name"
contents=$(dpkg-deb -c "$DEB" | awk '{print $6}')
for path in ./usr/bin/shopfloor ./etc/shopfloor/shopfloor.env \
  ./lib/systemd/system/shopfloor.service ./usr/lib/sysusers.d/shopfloor.conf \
  ./usr/share/shopfloor/sql/0001_foundation.sql ./usr/share/shopfloor/sql/seed/mes.sql \
  ./usr/share/shopfloor/web/index.html ./usr/share/doc/shopfloor/copyright \
  ./usr/share/doc/shopfloor/changelog.Debian.gz ./usr/share/man/man1/shopfloor.1.gz; do
  grep -qxF "$path" <<<"$contents" || fail "the package lacks $path"
done
# Every migration and seed script of the tree, and nothing else there.
want=$(cd "$ROOT" && find sql -name '*.sql' | sed 's|^|./usr/share/shopfloor/|' | sort)
have=$(grep '^./usr/share/shopfloor/sql/.*\.sql$' <<<"$contents" | sort)
[ "$want" = "$have" ] || fail "packaged SQL differs from sql/: $(diff <(echo "$want") <(echo "$have") || true)"

mkdir -p "$WORK/control" "$WORK/root"
dpkg-deb -e "$DEB" "$WORK/control"
[ "$(cat "$WORK/control/conffiles")" = /etc/shopfloor/shopfloor.env ] ||
  fail "conffiles: $(cat "$WORK/control/conffiles")"
for script in postinst prerm postrm; do
  f=$WORK/control/$script
  [ -x "$f" ] || fail "$script is missing or not executable"
  sh -n "$f" || fail "$script: sh -n"
  shellcheck -s sh "$f" || fail "$script: shellcheck"
done

step "install into a scratch root"
R=$WORK/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
touch "$R/var/lib/dpkg/status"
in_root() {
  dpkg --root="$R" --force-script-chrootless --force-depends --log=/dev/null "$@" \
    >>"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg $*"; }
}
in_root -i "$DEB"
[ "$(dpkg-query --root="$R" -W -f='${Status}' shopfloor)" = "install ok installed" ] ||
  fail "not installed in the scratch root: $(dpkg-query --root="$R" -W -f='${Status}' shopfloor)"
dpkg-query --root="$R" -W -f='${Conffiles}\n' shopfloor | grep -q '^ /etc/shopfloor/shopfloor.env ' ||
  fail "shopfloor.env is not a registered conffile"
user=$(grep '^shopfloor:' "$R/etc/passwd" || true)
[ -n "$user" ] || fail "postinst created no shopfloor user in the scratch root's /etc/passwd"
IFS=: read -r _ _ uid gid _ home shell <<<"$user"
[ "$uid" -lt 1000 ] || fail "shopfloor is not a system user (uid $uid)"
grep -q "^shopfloor:x:$gid:" "$R/etc/group" || fail "no shopfloor group with gid $gid"
{ [ "$shell" = /usr/sbin/nologin ] && [ "$home" = /nonexistent ]; } || fail "shopfloor: $user"
[ "$(stat -c '%a %U' "$R/etc/shopfloor/credentials")" = "700 root" ] ||
  fail "credentials folder: $(stat -c '%a %U' "$R/etc/shopfloor/credentials")"
say "user: $user; credentials folder 0700 root"

step "systemd-analyze"
# verify resolves the unit's dependencies in the root it is given: the host's targets
# stand in for the rest of a system there (in /etc/systemd/system, removed after, so
# the purge below finds only the package's files). The man page it checks is the
# packaged one.
mkdir -p "$R/etc/systemd/system"
cp /lib/systemd/system/*.target "$R/etc/systemd/system/"
out=$(MANPATH=$R/usr/share/man systemd-analyze verify --root="$R" shopfloor.service 2>&1) ||
  fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify complained: $out"
systemd-analyze security --offline=yes --threshold=15 --root="$R" shopfloor.service >"$WORK/security.log" 2>&1 ||
  { cat "$WORK/security.log"; fail "systemd-analyze security: the unit's exposure rose above 1.5"; }
rm -r "$R/etc/systemd"
say "verify: clean; $(grep 'Overall exposure' "$WORK/security.log")"

step "the installed binary"
BIN=$R/usr/bin/shopfloor
got=$("$BIN" version)
[ "$got" = "shopfloor $upstream" ] || fail "version: '$got', the package is $version"
"$BIN" config >"$WORK/config.md" || fail "shopfloor config"
ENV=$R/etc/shopfloor/shopfloor.env
UNIT=$R/lib/systemd/system/shopfloor.service
# shellcheck disable=SC2016 # backquotes of the Markdown table, not a command
settings=$(sed -n 's/^| `\(SHOPFLOOR_[A-Z0-9_]*\)`.*/\1/p' "$WORK/config.md")
[ "$(wc -l <<<"$settings")" -gt 40 ] || fail "config listed only: $settings"
for name in $settings; do
  [ "$name" = SHOPFLOOR_CONFIG_FILE ] && continue
  if grep -q "^| \`$name\` (or \`${name}_FILE\`)" "$WORK/config.md"; then
    id=$(tr '[:upper:]' '[:lower:]' <<<"${name#SHOPFLOOR_}")
    grep -qxF "LoadCredential=$id:/etc/shopfloor/credentials/$id" "$UNIT" ||
      fail "secret $name: no LoadCredential=$id in the unit"
    grep -qxF "Environment=${name}_FILE=%d/$id" "$UNIT" ||
      fail "secret $name: the unit does not set ${name}_FILE"
    grep -q "^$name" "$ENV" && fail "the env file sets the secret $name"
  else
    grep -Eq "^#?$name=" "$ENV" || fail "the env file does not list $name"
  fi
done
grep -qxF "SHOPFLOOR_SQL_DIR=/usr/share/shopfloor/sql" "$ENV" || fail "env file: SHOPFLOOR_SQL_DIR"

# The packaged env file as the configuration, the packaged SQL (the environment wins
# over the file: its path inside the scratch root), the test database's settings.
[ -n "${SHOPFLOOR_DB_PORT:-}" ] || fail "SHOPFLOOR_DB_PORT is not set (run through scripts/test.sh)"
out=$(SHOPFLOOR_CONFIG_FILE=$ENV SHOPFLOOR_SQL_DIR=$R/usr/share/shopfloor/sql "$BIN" migrate 2>&1) ||
  fail "installed shopfloor migrate: $out"
grep -q "migration(s) applied" <<<"$out" || fail "migrate said: $out"
# The defaults the env file shows are values the binary accepts: all of them at once.
sed -n 's/^#\(SHOPFLOOR_[A-Z0-9_]*=..*\)$/\1/p' "$ENV" >"$WORK/defaults.env"
[ "$(wc -l <"$WORK/defaults.env")" -gt 40 ] || fail "few defaults in the env file: $(cat "$WORK/defaults.env")"
out=$(SHOPFLOOR_CONFIG_FILE=$WORK/defaults.env SHOPFLOOR_SQL_DIR=$R/usr/share/shopfloor/sql "$BIN" migrate 2>&1) ||
  fail "the env file's defaults, uncommented, are not accepted: $out"
say "version, config, migrate: OK ($(tail -1 <<<"$out" | sed 's/.*migrate: //'))"

step "reinstall (the upgrade path) and purge"
echo "SHOPFLOOR_LOG_LEVEL=debug" >>"$ENV"  # a local edit
in_root -i "$DEB"
grep -qx 'SHOPFLOOR_LOG_LEVEL=debug' "$ENV" || fail "a reinstall lost the local edit"
[ "$(grep -c '^shopfloor:' "$R/etc/passwd")" = 1 ] || fail "two shopfloor users after a reinstall"
in_root --purge shopfloor
left=$(cd "$R" && find . -path ./var -prune -o ! -type d -print |
  { grep -v '^./etc/\(passwd\|group\|shadow\|gshadow\|.pwd.lock\)$' || true; })
[ -z "$left" ] || fail "purge left: $left"
[ ! -e "$R/etc/shopfloor" ] || fail "purge left /etc/shopfloor"
say "reinstall kept the edited conffile; purge removed everything but the user"

rm -rf "$WORK"
say "PASSED"
