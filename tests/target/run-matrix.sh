#!/usr/bin/env bash
# run-matrix.sh - build the target suite and run it in QEMU on every configuration.
#
#   run-matrix.sh BOARD...        (make test-target calls it; MAKE = the make to use)
#
# For each board: its QEMU_MACHINE (board.mk), entered at the EL QEMU gives (raspi3b: EL3,
# the others EL1); for qemu-virt and xlnx-zcu102 also virtualization=on (entered at EL2)
# and secure=on (EL3); for qemu-virt also -cpu max (FEAT_TTST: root level 3). Each with
# the GNU and the LLVM toolchain. Each run's own last line "N passed, M failed, K skipped"
# (tests/target/check.h) is parsed; a run that ends without it (crash, timeout) counts as
# one failure. The last line is the same over all runs; the exit status is 0 iff M is 0.
#
# Then the regime suite (tests/target/regime.c, image regime-suite: it stays at the
# entry EL and tests that EL's translation regime, the upper VA range and a second
# core; at EL2 also stage 2, tests/target/regime_stage2.c): qemu-virt at EL1, EL2 (EL2, then EL2&0 with FEAT_VHE) and EL3 with -cpu max, and
# at EL2 with the Cortex-A57 (no FEAT_VHE), each with -smp 2; raspi3b at EL3 (four cores
# at the entry); xlnx-zcu102 at EL1 and EL2. QEMU runs them with one TCG thread
# (-accel tcg,thread=single): the two cores hand commands back and forth, which on a
# busy host costs milliseconds per exchange with a thread per core; TLBs stay per core
# either way, so a TLBI that is not broadcast still leaves the other core's entries.
#
# Then the C++ suite (tests/target/cxx_suite.cpp, image cxx-suite: tables built at compile
# time, the 16 KiB and 64 KiB granules, the contiguous hint) on the configurations
# tests/target/run-cxx.sh --configs lists.
#
# Then the guard-rails suite (tests/target/guard.c, image guard-suite: pre-flight, seal,
# export against AT, the linter, errata, guarded code; at the entry EL) on the
# configurations tests/target/run-guard.sh --configs lists.
#
# Then the stress suite (tests/target/stress.c, image stress-suite: one core changes the
# live map while three others load, store and execute in it, for about 3 s a run) on the
# configurations tests/target/run-stress.sh --configs lists: qemu-virt at EL1, EL2 and
# EL3 with -smp 4 -m 2G and a host thread per core (-accel tcg,thread=multi).
#
# Then the demos on each board (examples/: c-bootloader, cpp-kernel, upper-kernel), and
# on qemu-virt an unmodified Linux kernel started by the C loader (make run-linux) and
# run at EL1 on two cores under the C hypervisor (make run-hypervisor).
set -u
cd "$(dirname "$0")/../.."
. tests/target/run-lib.sh

timeout_s=${QEMU_TIMEOUT:-60}

if [ $# -eq 0 ]; then
    echo "usage: run-matrix.sh BOARD..." >&2
    exit 2
fi

# Configurations: "board|tag|qemu machine arguments|image" (run-lib.sh)
configs=()
regime_qemu="-accel tcg,thread=single"
for b in "$@"; do
    machine=$(board_machine "$b") || exit 2
    m=$(machine_model "$machine")
    configs+=("$b|default|$machine|target-suite")
    case $m in
    virt | xlnx-zcu102)
        configs+=("$b|virtualization|${machine/-M $m/-M $m,virtualization=on}|target-suite")
        configs+=("$b|secure|${machine/-M $m/-M $m,secure=on}|target-suite")
        ;;
    esac
    if [ "$m" = virt ]; then
        configs+=("$b|cpu-max|${machine/-cpu cortex-a57/-cpu max}|target-suite")
    fi
done
for b in "$@"; do
    machine=$(board_machine "$b")
    m=$(machine_model "$machine")
    case $m in
    virt)
        max=${machine/-cpu cortex-a57/-cpu max}
        configs+=("$b|regime-el1|$max -smp 2 $regime_qemu|regime-suite")
        configs+=("$b|regime-el2|${max/-M $m/-M $m,virtualization=on} -smp 2 $regime_qemu|regime-suite")
        configs+=("$b|regime-el3|${max/-M $m/-M $m,secure=on} -smp 2 $regime_qemu|regime-suite")
        configs+=("$b|regime-el2-a57|${machine/-M $m/-M $m,virtualization=on} -smp 2 $regime_qemu|regime-suite")
        ;;
    raspi3b)
        configs+=("$b|regime-el3|$machine $regime_qemu|regime-suite")
        ;;
    xlnx-zcu102)
        configs+=("$b|regime-el1|$machine $regime_qemu|regime-suite")
        configs+=("$b|regime-el2|${machine/-M $m/-M $m,virtualization=on} $regime_qemu|regime-suite")
        ;;
    esac
done
while IFS= read -r c; do configs+=("$c"); done < <(tests/target/run-cxx.sh --configs "$@")
while IFS= read -r c; do configs+=("$c"); done < <(tests/target/run-guard.sh --configs "$@")
while IFS= read -r c; do configs+=("$c"); done < <(tests/target/run-stress.sh --configs "$@")

start=$SECONDS
broken_builds=" "

for tc in gcc llvm; do
    for b in "$@"; do
        build "$b" "$tc" "$logs/build-$b-$tc.log" "" \
            target-suite regime-suite cxx-suite guard-suite stress-suite c-bootloader cpp-kernel upper-kernel ||
            broken_builds+="$b-$tc "
    done
done

for tc in gcc llvm; do
    for c in "${configs[@]}"; do
        IFS='|' read -r b tag machine image <<< "$c"
        # not an image left from an earlier build
        [[ $broken_builds == *" $b-$tc "* ]] && continue
        run_config "$b" "$tag" "$machine" "$image" "$tc"
    done
done

# run_demo NAME LOG COMMAND...: one demo run, its output in LOG; it passes when COMMAND
# exits 0 ("PASS name: its last line"), and fails with the lines that say why.
demos=0
run_demo() {
    local name=$1 log=$2
    shift 2
    demos=$((demos + 1))
    if "$@" > "$log" 2>&1; then
        printf 'PASS %-30s %s\n' "$name:" "$(tail -n 1 "$log" | tr -d '\r')"
        total_pass=$((total_pass + 1))
        record PASS "demo: $name"
    else
        printf 'FAIL %-30s (log %s)\n' "$name:" "$log"
        grep -E 'FAIL|error|unexpected|TIMEOUT|Kernel panic' "$log" | head -n 20 | sed 's/^/    /'
        total_fail=$((total_fail + 1))
        failed_runs+=("$name")
        record FAIL "demo: $name"
    fi
}

# The demos (examples/c-bootloader, cpp-kernel, upper-kernel) on each board as QEMU enters it:
# each exits 0 only when all its checks passed. Then, on qemu-virt, Linux started at EL2
# by the C loader (make run-linux: the kernel fetched once, by make test's prerequisites
# or here), and at EL1 under the hypervisor (make run-hypervisor), each with three times
# the suites' timeout, as a kernel takes seconds to boot.
for tc in gcc llvm; do
    for b in "$@"; do
        [[ $broken_builds == *" $b-$tc "* ]] && continue
        machine=$(board_machine "$b")
        for demo in c-bootloader cpp-kernel upper-kernel; do
            elf=build/$b$([ $tc = llvm ] && echo -llvm)/examples/$demo/$demo.elf
            run_demo "$demo $b ($tc)" "$logs/$demo-$b-$tc.log" \
                tests/target/qemu-run.sh --timeout "$timeout_s" -- $machine -kernel "$elf"
        done
        if [ "$b" = qemu-virt ]; then
            run_demo "Linux boot $b ($tc)" "$logs/run-linux-$b-$tc.log" \
                $make_cmd BOARD="$b" LLVM=$([ $tc = llvm ] && echo 1) \
                QEMU_TIMEOUT=$((timeout_s * 3)) run-linux
            run_demo "Linux under the hypervisor $b ($tc)" "$logs/run-hypervisor-$b-$tc.log" \
                $make_cmd BOARD="$b" LLVM=$([ $tc = llvm ] && echo 1) \
                QEMU_TIMEOUT=$((timeout_s * 3)) run-hypervisor
        fi
    done
done

echo
echo "== target suite: ${#configs[@]} configurations x 2 toolchains, and $demos demo runs, in $((SECONDS - start))s"
finish
