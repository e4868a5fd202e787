#!/usr/bin/env bash
# check_symbols.sh NM LIB.a [ALLOWED...] - list the symbols the archive needs from
# outside: undefined in some member (weak references included) and defined as a global
# by none. Fails if any of them is not in ALLOWED, or if NM fails.
#
# NM may be a command with arguments ("llvm-nm", "aarch64-linux-gnu-nm"). Uses the
# POSIX output format (-P), which GNU nm and llvm-nm both print as
# "[archive[member]: ]name type [value size]"; -A puts the member on every line.
set -u

if [ $# -lt 2 ]; then
    echo "usage: check_symbols.sh NM LIB.a [ALLOWED_SYMBOL...]" >&2
    exit 2
fi
nm_cmd=$1
lib=$2
shift 2
allowed=" $* "

if [ ! -f "$lib" ]; then
    echo "check_symbols: $lib: no such archive" >&2
    exit 1
fi

# shellcheck disable=SC2086  # nm_cmd may carry arguments
if ! listing=$($nm_cmd -P -A -g "$lib"); then
    echo "check_symbols: '$nm_cmd -P -A -g $lib' failed" >&2
    exit 1
fi

# One line per symbol: "D name" (defined) or "U name member" (undefined).
table=$(printf '%s\n' "$listing" | awk '
    {
        line = $0
        member = ""
        # Strip the "lib.a[member.o]: " (or "lib.a:member.o: ") prefix that -A adds.
        if (match(line, /^[^ ]*\[[^]]*\]: /) || match(line, /^[^ ]*: /)) {
            member = substr(line, 1, RLENGTH - 2)
            line = substr(line, RLENGTH + 1)
        }
        n = split(line, f, " ")
        if (n < 2 || length(f[2]) != 1) next   # member headers, blank lines
        if (f[2] ~ /^[Uwv]$/) print "U", f[1], member
        else print "D", f[1]
    }')

if ! printf '%s\n' "$table" | grep -q '^D '; then
    echo "check_symbols: $lib defines no global symbol (empty archive?)" >&2
    exit 1
fi

demangle() {
    local filt
    for filt in c++filt llvm-cxxfilt; do
        if command -v "$filt" >/dev/null 2>&1; then
            printf '%s\n' "$1" | "$filt"
            return
        fi
    done
    printf '%s\n' "$1"
}

status=0
count=0
# Undefined names not defined by any member, each with the members that use it.
while read -r sym members; do
    [ -n "$sym" ] || continue
    count=$((count + 1))
    pretty=$(demangle "$sym")
    [ "$pretty" = "$sym" ] && pretty="" || pretty=" ($pretty)"
    case "$allowed" in
        *" $sym "*) echo "  allowed    $sym$pretty  <- $members" ;;
        *) echo "  NOT ALLOWED $sym$pretty  <- $members"; status=1 ;;
    esac
done < <(printf '%s\n' "$table" | awk '
    $1 == "D" { isdef[$2] = 1; next }
    $1 == "U" {
        m = $3; sub(/^.*\[/, "", m); sub(/\]$/, "", m)
        if (!($2 in users)) { order[++k] = $2; users[$2] = m }
        else if (index(" " users[$2] " ", " " m " ") == 0) users[$2] = users[$2] " " m
    }
    END { for (i = 1; i <= k; i++) if (!(order[i] in isdef)) print order[i], users[order[i]] }')

if [ "$count" -eq 0 ]; then
    echo "$lib: no undefined symbols"
elif [ "$status" -eq 0 ]; then
    echo "$lib: $count undefined symbol(s), all allowed (allowed: ${*:-none})"
else
    echo "$lib: undefined symbols not allowed (allowed: ${*:-none})"
fi
exit $status
