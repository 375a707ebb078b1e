#!/bin/sh
# Writes /etc/shopfloor/shopfloor.env (the package's conffile) from the binary's own
# settings table (`shopfloor config`), so the file lists every setting, with its
# meaning and default, exactly as the binary it ships with knows them. Run at build
# time by cmake/packaging.cmake.
#
#   deploy/make-env-file.sh BIN HEAD OUTPUT [NAME=value...]
#
# HEAD: the file's opening comment (deploy/shopfloor.env.head). NAME=value: the values
# the package sets (uncommented); every other setting is a commented-out line with its
# default. Secrets get no line: shopfloor.service hands them over as credentials.
set -eu
BIN=$1 HEAD=$2 OUTPUT=$3
shift 3

table=$("$BIN" config)
trap 'rm -f "$OUTPUT.tmp"' EXIT
{
  cat "$HEAD"
  printf '%s\n' "$table" | awk -v packaged="$*" '
    BEGIN {
      n = split(packaged, pairs, " ")
      for (i = 1; i <= n; i++) {
        eq = index(pairs[i], "=")
        value[substr(pairs[i], 1, eq - 1)] = substr(pairs[i], eq + 1)
      }
    }
    # | `NAME` [(or `NAME_FILE`)] | default | meaning |
    /^\| `SHOPFLOOR_/ {
      line = substr($0, 3, length($0) - 4)   # without the outer "| " and " |"
      split(line, cell, / \| /)
      name = cell[1]; sub(/^`/, "", name); sub(/`.*/, "", name)
      secret = cell[1] ~ /_FILE`\)$/
      dflt = cell[2]; meaning = cell[3]
      if (name == "SHOPFLOOR_CONFIG_FILE") next   # this file is the configuration
      print ""
      print "# " meaning
      if (secret) {
        id = tolower(substr(name, 11))
        print "# Secret: shopfloor.service sets " name "_FILE to its credential " id
        print "# (LoadCredential=, from /etc/shopfloor/credentials/" id "). Never put the value here."
        next
      }
      # A default shown as words ("number of CPU cores", "(none)") is not a value.
      literal = dflt !~ /[ ()]/
      if (name in value) {
        print "# Default: " dflt "; the package sets:"
        print name "=" value[name]
        seen[name] = 1
      } else if (literal) {
        print "#" name "=" dflt
      } else {
        print "# Default: " dflt "."
        print "#" name "="
      }
    }
    END {
      for (name in value) if (!(name in seen)) {
        print "make-env-file: " name " is not a setting of shopfloor" > "/dev/stderr"
        exit 1
      }
    }'
} > "$OUTPUT.tmp"
mv "$OUTPUT.tmp" "$OUTPUT"
