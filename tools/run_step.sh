#!/usr/bin/env bash
# run_step.sh - one step of `make test`: run it, record PASS or FAIL, never stop the run.
#
#   run_step.sh NAME 'shell command'          run the command (bash -c); exit 0 (under make test)
#   run_step.sh --group NAME 'shell command'  the command records its own steps (a
#                                              nested make test-target, say); NAME is
#                                              recorded only if it records none, or fails
#                                              without recording a failure
#   run_step.sh --summary                      list the failures, print "N passed, M failed"
#                                              as the last line; exit 1 if any failed
#                                              (or nothing ran)
#
# Results go to $IDMAP_TEST_RESULTS (make test sets it), one "PASS name" or
# "FAIL name" line per step. Without it (a fragment's target run on its own), a step
# only runs the command, says PASS or FAIL, and exits with the command's status.
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

if [ "${1-}" = --summary ]; then
    passed=$(count PASS)
    failed=$(count FAIL)
    echo
    echo "==== test summary"
    if [ "$failed" -gt 0 ]; then
        echo "failed steps:"
        sed -n 's/^FAIL /  /p' "$results"
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
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
before_pass=$(count PASS)
before_fail=$(count FAIL)
start=$SECONDS
bash -c "$command"
rc=$?
elapsed=$((SECONDS - start))

if [ "$group" = 1 ]; then
    added_pass=$(( $(count PASS) - before_pass ))
    added_fail=$(( $(count FAIL) - before_fail ))
    if [ "$rc" -ne 0 ] && [ "$added_fail" -eq 0 ]; then
        record "FAIL $name (exit status $rc)"
        echo "---- FAIL: $name (exit status $rc, ${elapsed}s)"
    elif [ $((added_pass + added_fail)) -eq 0 ]; then
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
