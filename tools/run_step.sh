#!/usr/bin/env bash
# run_step.sh - one step of `make test`: run it, record PASS or FAIL, never stop the run.
#
#   run_step.sh NAME 'shell command'          run the command (bash -c); exit 0 (under make test)
#   run_step.sh --group NAME 'shell command'  the command records its own steps (a
#                                              nested make test-target, say); NAME is
#                                              recorded only if it records none, or fails
#                                              without recording a failure
#   run_step.sh --summary                      list the steps that failed, were skipped or
#                                              passed under an emulator workaround; print
#                                              "N passed, M failed, K skipped" (and ", W
#                                              under an emulator workaround" where W is not
#                                              0) as the last line; exit 1 if any failed
#                                              (or nothing ran)
#
# Results go to $IDMAP_TEST_RESULTS (make test sets it), one line per step: "PASS name"
# or "FAIL name", and from the QEMU runners (tests/target/run-lib.sh) also "SKIP name"
# (every case of the run skipped) and "WORKAROUND name" (a case passed only under an
# emulator workaround); a passing run with some cases skipped ends its name with
# "[K skipped]". Without it (a fragment's target run on its own), a step only runs the
# command, says PASS or FAIL, and exits with the command's status.
set -u

results=${IDMAP_TEST_RESULTS:-}
if [ -z "$results" ] && [ "${1-}" = --summary ]; then
    echo "run_step.sh --summary: IDMAP_TEST_RESULTS is not set (run through make test)" >&2
    exit 2
fi
[ -z "$results" ] || mkdir -p "$(dirname "$results")"

count() {
    local n=
    [ -z "$results" ] || n=$(grep -c "^$1 " "$results" 2>/dev/null)
    echo "${n:-0}"
}
record() {
    [ -z "$results" ] || echo "$1" >> "$results"
}

# list KIND TITLE: the steps recorded as KIND, under TITLE, if there are any.
list() {
    if [ "$(count "$1")" -gt 0 ]; then
        echo "$2:"
        sed -n "s/^$1 /  /p" "$results"
    fi
}

if [ "${1-}" = --summary ]; then
    passed=$(count PASS)
    failed=$(count FAIL)
    skipped=$(count SKIP)
    workarounds=$(count WORKAROUND)
    cases_skipped=$(sed -n 's/^[A-Z]* .* \[\([0-9]*\) skipped\]$/\1/p' "$results" |
        awk '{ n += $1 } END { print n + 0 }')
    echo
    echo "==== test summary"
    list WORKAROUND "passed only under an emulator workaround (their # WORKAROUND lines say which)"
    list SKIP "skipped (their # SKIP lines say why)"
    list FAIL "failed steps"
    if [ "$cases_skipped" -gt 0 ]; then
        echo "cases skipped within steps that passed: $cases_skipped (their # SKIP lines say why)"
    fi
    echo "$passed passed, $failed failed, $skipped skipped$([ "$workarounds" -eq 0 ] ||
        echo ", $workarounds under an emulator workaround")"
    [ "$failed" -eq 0 ] && [ $((passed + skipped + workarounds)) -gt 0 ]
    exit
fi

group=0
if [ "${1-}" = --group ]; then
    group=1
    shift
fi
if [ $# -ne 2 ]; then
    echo "usage: run_step.sh [--group] NAME 'command' | --summary" >&2
    exit 2
fi
name=$1
command=$2

echo
echo "==== $name"
before_all=$(count '[A-Z]*')
before_fail=$(count FAIL)
start=$SECONDS
bash -c "$command"
rc=$?
elapsed=$((SECONDS - start))

if [ "$group" = 1 ]; then
    added_fail=$(( $(count FAIL) - before_fail ))
    added=$(( $(count '[A-Z]*') - before_all ))
    if [ "$rc" -ne 0 ] && [ "$added_fail" -eq 0 ]; then
        record "FAIL $name (exit status $rc)"
        echo "---- FAIL: $name (exit status $rc, ${elapsed}s)"
    elif [ "$added" -eq 0 ]; then
        record "PASS $name"
        echo "---- PASS: $name (${elapsed}s)"
    fi
    [ -n "$results" ] || exit "$rc"
    exit 0
fi

if [ "$rc" -eq 0 ]; then
    record "PASS $name"
    echo "---- PASS: $name (${elapsed}s)"
else
    record "FAIL $name (exit status $rc)"
    echo "---- FAIL: $name (exit status $rc, ${elapsed}s)"
fi
[ -n "$results" ] || exit "$rc"
exit 0
