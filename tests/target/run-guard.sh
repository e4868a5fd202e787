#!/usr/bin/env bash
# run-guard.sh - the guard-rails suite (tests/target/guard.c, image guard-suite) in QEMU.
#
#   run-guard.sh BOARD...             build it with GNU and with LLVM (MAKE = the make to
#                                     use) and run it on every configuration below; each
#                                     run's last line "N passed, M failed" is parsed (a run
#                                     without it counts as one failure); the last line is
#                                     "N passed, M failed" over all runs, the exit status 0
#                                     iff M is 0 (make test-guard)
#   run-guard.sh --configs BOARD...   print the configurations, one "board|tag|qemu machine
#                                     arguments|guard-suite" a line, as run-matrix.sh lists
#                                     its own (make test-target runs them there)
#
# Configurations: the suite runs at the EL QEMU enters and tests that EL's regime.
# qemu-virt (Cortex-A57) at EL1, EL2 (virtualization=on) and EL3 (secure=on), and with
# -cpu max at EL1; raspi3b at EL3 (as QEMU enters it; the other three cores park);
# xlnx-zcu102 at EL1, EL2 and EL3. Each run takes well under a second.
set -u
cd "$(dirname "$0")/../.."

configs() {
    local b machine m
    for b in "$@"; do
        if [ ! -f "boards/$b/board.mk" ]; then
            echo "run-guard.sh: no board $b (boards/$b/board.mk)" >&2
            return 2
        fi
        machine=$(sed -n 's/^QEMU_MACHINE *:\{0,1\}= *//p' "boards/$b/board.mk")
        m=$(echo "$machine" | sed -n 's/.*-M \([^ ,]*\).*/\1/p')
        echo "$b|guard|$machine|guard-suite"
        case $m in
        virt | xlnx-zcu102)
            echo "$b|guard-el2|${machine/-M $m/-M $m,virtualization=on}|guard-suite"
            echo "$b|guard-el3|${machine/-M $m/-M $m,secure=on}|guard-suite"
            ;;
        esac
        if [ "$m" = virt ]; then
            echo "$b|guard-max|${machine/-cpu cortex-a57/-cpu max}|guard-suite"
        fi
    done
}

if [ "${1-}" = --configs ]; then
    shift
    configs "$@"
    exit
fi
if [ $# -eq 0 ]; then
    echo "usage: run-guard.sh [--configs] BOARD..." >&2
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
        build_log=$logs/guard-build-$b-$tc.log
        if ! $make_cmd BOARD="$b" LLVM=$llvm guard-suite > "$build_log" 2>&1; then
            grep -E -A3 'error|Error|undefined' "$build_log" | head -n 30 | sed 's/^/    /'
            echo "FAIL build guard-suite $b ($tc): see $build_log"
            total_fail=$((total_fail + 1))
            failed_runs+=("build $b ($tc)")
            record FAIL "target: build guard-suite $b ($tc)"
            continue
        fi
        while IFS='|' read -r cb tag machine image; do
            [ "$cb" = "$b" ] || continue
            elf=build/$b$([ $tc = llvm ] && echo -llvm)/tests/target-guard/$image.elf
            log=$logs/$b-$tag-$tc.log
            tests/target/qemu-run.sh --timeout "$timeout_s" -- $machine -kernel "$elf" > "$log" 2>&1
            rc=$?
            el=$(grep -o -m1 'entered at EL[0-3]' "$log" | sed 's/entered at //')
            name="$b ${el:-EL?} guard rails$(echo " $machine" | grep -o ' -cpu max') ($tc)"
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
