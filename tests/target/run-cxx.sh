#!/usr/bin/env bash
# run-cxx.sh - the C++ target suite (tests/target/cxx_suite.cpp, image cxx-suite) in QEMU.
#
#   run-cxx.sh BOARD...             build it with GNU and with LLVM (MAKE = the make to use)
#                                   and run it on every configuration below; each run's last
#                                   line "N passed, M failed" is parsed (a run without it
#                                   counts as one failure); the last line is "N passed, M
#                                   failed" over all runs, the exit status 0 iff M is 0
#                                   (make test-target-cxx)
#   run-cxx.sh --configs BOARD...   print the configurations, one "board|tag|qemu machine
#                                   arguments|cxx-suite" a line, as run-matrix.sh lists its
#                                   own (make test-target runs them there)
#
# Configurations: every board as QEMU enters it (its board.mk QEMU_MACHINE: qemu-virt's
# Cortex-A57 and the boards' Cortex-A53 have no 16 KiB granule, so that part reports SKIP
# after checking that enable_mmu refuses it); qemu-virt also with -cpu max (both larger
# granules), entered at EL1, at EL2 (virtualization=on) and at EL3 (secure=on): the
# runtime drops to EL1 from either.
set -u
cd "$(dirname "$0")/../.."

configs() {
    local b machine m max
    for b in "$@"; do
        if [ ! -f "boards/$b/board.mk" ]; then
            echo "run-cxx.sh: no board $b (boards/$b/board.mk)" >&2
            return 2
        fi
        machine=$(sed -n 's/^QEMU_MACHINE *:\{0,1\}= *//p' "boards/$b/board.mk")
        m=$(echo "$machine" | sed -n 's/.*-M \([^ ,]*\).*/\1/p')
        echo "$b|cxx|$machine|cxx-suite"
        if [ "$m" = virt ]; then
            max=${machine/-cpu cortex-a57/-cpu max}
            echo "$b|cxx-max|$max|cxx-suite"
            echo "$b|cxx-max-el2|${max/-M $m/-M $m,virtualization=on}|cxx-suite"
            echo "$b|cxx-max-el3|${max/-M $m/-M $m,secure=on}|cxx-suite"
        fi
    done
}

if [ "${1-}" = --configs ]; then
    shift
    configs "$@"
    exit
fi
if [ $# -eq 0 ]; then
    echo "usage: run-cxx.sh [--configs] BOARD..." >&2
    exit 2
fi

list=$(configs "$@") || exit 2
make_cmd=${MAKE:-make}
timeout_s=${QEMU_TIMEOUT:-20}
logs=build/target-logs
results=${IDMAP_TEST_RESULTS:-}
mkdir -p "$logs"

record() { # PASS|FAIL name
    if [ -n "$results" ]; then echo "$1 $2" >> "$results"; fi
}

total_pass=0
total_fail=0
failed_runs=()
for tc in gcc llvm; do
    llvm=
    [ $tc = llvm ] && llvm=1
    for b in "$@"; do
        build_log=$logs/cxx-build-$b-$tc.log
        if ! $make_cmd BOARD="$b" LLVM=$llvm cxx-suite > "$build_log" 2>&1; then
            grep -E -A3 'error|Error|undefined' "$build_log" | head -n 30 | sed 's/^/    /'
            echo "FAIL build cxx-suite $b ($tc): see $build_log"
            total_fail=$((total_fail + 1))
            failed_runs+=("build $b ($tc)")
            record FAIL "target: build cxx-suite $b ($tc)"
            continue
        fi
        while IFS='|' read -r cb tag machine image; do
            [ "$cb" = "$b" ] || continue
            elf=build/$b$([ $tc = llvm ] && echo -llvm)/tests/target-cxx/cxx-suite.elf
            log=$logs/$b-$tag-$tc.log
            tests/target/qemu-run.sh --timeout "$timeout_s" -- $machine -kernel "$elf" > "$log" 2>&1
            rc=$?
            el=$(grep -o -m1 'entered at EL[0-3]' "$log" | sed 's/entered at //')
            name="$b ${el:-EL?} cxx-suite$(echo " $machine" | grep -o ' -cpu [^ ]*') ($tc)"
            summary=$(tr -d '\r' < "$log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
            if [ -n "$summary" ]; then
                p=${summary%% passed*}
                f=${summary#*passed, }
                f=${f%% failed}
            else
                p=0
                f=1
            fi
            total_pass=$((total_pass + p))
            total_fail=$((total_fail + f))
            if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ -n "$summary" ]; then
                printf 'PASS %-46s %s\n' "$name:" "$summary"
                tr -d '\r' < "$log" | grep -o '# SKIP .*' | sort -u | sed 's/^/    /'
                record PASS "target: $name"
            else
                why="exit status $rc"
                [ "$rc" -eq 124 ] && why="TIMEOUT after ${timeout_s}s"
                [ -z "$summary" ] && why="$why, no summary line"
                [ -n "$summary" ] && [ "$f" -eq 0 ] && total_fail=$((total_fail + 1))
                printf 'FAIL %-46s %s (%s; log %s)\n' "$name:" "${summary:-?}" "$why" "$log"
                grep -E '^not ok|^#   |unexpected exception|^x30|TIMEOUT' "$log" | head -n 40 | sed 's/^/    /'
                [ -z "$summary" ] && tail -n 5 "$log" | sed 's/^/    ... /'
                failed_runs+=("$name")
                record FAIL "target: $name"
            fi
        done <<< "$list"
    done
done

echo
if [ ${#failed_runs[@]} -gt 0 ]; then
    echo "failed runs: ${failed_runs[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
