#!/usr/bin/env bash
# has_rule.sh TARGET MAKE [ARGS...] - succeed if the makefiles that `MAKE ARGS` reads
# define a rule for TARGET (from an included fragment, say). Asks make for its database
# (-p) with a goal that does not exist, under -q, so no recipe runs.
set -u
target=$1
shift
"$@" -pq __idmap_probe_no_such_target__ 2>/dev/null | awk -v t="$target" '
    # A file make knows only as a prerequisite is printed after "# Not a target:".
    /^# Not a target:/ { skip = 1; next }
    index($0, t ":") == 1 && (length($0) == length(t) + 1 || substr($0, length(t) + 2, 1) ~ /[ :\t]/) {
        if (!skip) found = 1
    }
    { skip = 0 }
    END { exit found ? 0 : 1 }'
