#!/usr/bin/env bash
# run-stress.sh - the stress suite (tests/target/stress.c, image stress-suite) in QEMU.
#
#   run-stress.sh BOARD...             build it with GNU and with LLVM (MAKE = the make to
#                                      use) and run it on every configuration below; each
#                                      run's last line "N passed, M failed" is parsed (a run
#                                      without it counts as one failure); the last line is
#                                      "N passed, M failed" over all runs, the exit status 0
#                                      iff M is 0 (make test-stress)
#   run-stress.sh --configs BOARD...   print the configurations, one "board|tag|qemu machine
#                                      arguments|stress-suite" a line, as run-matrix.sh lists
#                                      its own (make test-target runs them there)
#
# Configurations: qemu-virt only (the suite needs RAM in a second gigabyte: -m 2G), with
# four cores and a host thread each (-accel tcg,thread=multi), at the EL QEMU enters:
# EL1 (Cortex-A57), EL2 (virtualization=on, -cpu max) and EL3 (secure=on, Cortex-A57).
# Each run takes about 3 s (STRESS_SECONDS); the other boards build the image only.
set -u
cd "$(dirname "$0")/../.."
. tests/target/run-lib.sh

timeout_s=${QEMU_TIMEOUT:-20}

configs() {
    local b machine m max smp
    smp="-smp 4 -m 2G -accel tcg,thread=multi"
    for b in "$@"; do
        machine=$(board_machine "$b") || return 2
        m=$(machine_model "$machine")
        [ "$m" = virt ] || continue
        echo "$b|stress-el1|$machine $smp|stress-suite"
        max=${machine/-cpu cortex-a57/-cpu max}
        echo "$b|stress-el2|${max/-M $m/-M $m,virtualization=on} $smp|stress-suite"
        echo "$b|stress-el3|${machine/-M $m/-M $m,secure=on} $smp|stress-suite"
    done
}

suite_main stress-suite "$@"
