#!/usr/bin/env bash
# run-qemu.sh - boot the image-boot test (tests/image/boot.c) with each variant of the
# tables idmap-image built (absolute, relocatable), on each board, built with GNU and
# with LLVM; then the example (examples/image-boot/main.c, which links no libidmap) once
# per board and toolchain. Each build and boot is one step of make test (RUN_STEP,
# tools/run_step.sh).
#
#   run-qemu.sh BOARD...        (make test-image calls it; MAKE = the make to use)
#   run-qemu.sh --boot LOG QEMU-ARGUMENTS...           one boot of the test: QEMU's output
#                               to LOG, its summary line (or what failed) to
#                               stdout; passes on exit 0 with that line and no failure
#   run-qemu.sh --boot-example LOG QEMU-ARGUMENTS...   one boot of the example: passes on
#                               exit 0
#
# The boards' QEMU machines come from their board.mk; qemu-virt is also entered at EL2
# (virtualization=on) and EL3 (secure=on), from where the runtime drops to EL1 as well.
# Exit status 0 iff every build and boot passed (under make test, RUN_STEP records them
# instead and always succeeds).
set -u
cd "$(dirname "$0")/../.."
. tests/target/run-lib.sh

timeout_s=${QEMU_TIMEOUT:-20}

if [ "${1-}" = --boot-example ]; then
    log=$2
    shift 2
    tests/target/qemu-run.sh --timeout "$timeout_s" -- "$@" > "$log" 2>&1
    rc=$?
    echo "$(tr -d '\r' < "$log" | tail -n 1) (exit status $rc; log $log)"
    exit "$rc"
fi

if [ "${1-}" = --boot ]; then
    log=$2
    shift 2
    tests/target/qemu-run.sh --timeout "$timeout_s" -- "$@" > "$log" 2>&1
    rc=$?
    summary=$(summary_line "$log")
    echo "${summary:-no summary line} (exit status $rc; log $log)"
    [ "$rc" -eq 0 ] && [ -n "$summary" ] && [ "${summary#0 passed}" = "$summary" ] && exit 0
    grep -E '^not ok|unexpected exception|^x30|TIMEOUT' "$log" | head -n 20 | sed 's/^/    /'
    exit 1
fi

run_step=${RUN_STEP:-tools/run_step.sh}
status=0

for tc in gcc llvm; do
    llvm=
    [ $tc = llvm ] && llvm=1
    for b in "$@"; do
        dir=build/$b$([ $tc = llvm ] && echo -llvm)/tests/image
        build_log=$logs/image-boot-build-$b-$tc.log
        if ! "$run_step" "image-boot: build $b ($tc)" \
            "$make_cmd BOARD=$b LLVM=$llvm image-boot > $build_log 2>&1 || { tail -n 20 $build_log; exit 1; }"; then
            status=1
            continue
        fi
        [ -f "$dir/absolute/image-boot.elf" ] && [ -f "$dir/relocatable/image-boot.elf" ] || { status=1; continue; }
        machine=$(board_machine "$b") || { status=1; continue; }
        m=$(machine_model "$machine")
        configs=("default entry|$machine")
        if [ "$m" = virt ]; then
            configs+=("entered at EL2|${machine/-M $m/-M $m,virtualization=on}")
            configs+=("entered at EL3|${machine/-M $m/-M $m,secure=on}")
        fi
        for c in "${configs[@]}"; do
            IFS='|' read -r how args <<< "$c"
            for variant in absolute relocatable; do
                tag=$(echo "$how" | tr ' ' '-')
                "$run_step" "image-boot: $b, $variant tables, $how ($tc)" \
                    "tests/image/run-qemu.sh --boot $logs/image-boot-$b-$variant-$tag-$tc.log $args -kernel $dir/$variant/image-boot.elf" ||
                    status=1
            done
        done
        "$run_step" "image-boot example: $b, no libidmap linked ($tc)" \
            "tests/image/run-qemu.sh --boot-example $logs/image-boot-example-$b-$tc.log $machine -kernel ${dir%/tests/image}/examples/image-boot/image-boot.elf" ||
            status=1
    done
done
exit $status
