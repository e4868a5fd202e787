#!/usr/bin/env bash
# run-cxx.sh - the C++ target suite (tests/target/cxx_suite.cpp, image cxx-suite) in QEMU.
#
#   run-cxx.sh BOARD...             build it with GNU and with LLVM (MAKE = the make to use)
#                                   and run it on every configuration below; each run's last
#                                   line "N passed, M failed, K skipped" is parsed (a run
#                                   without it counts as one failure); the last line is the
#                                   same over all runs, the exit status 0 iff M is 0
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
. tests/target/run-lib.sh

timeout_s=${QEMU_TIMEOUT:-20}

configs() {
    local b machine m max
    for b in "$@"; do
        machine=$(board_machine "$b") || return 2
        m=$(machine_model "$machine")
        echo "$b|cxx|$machine|cxx-suite"
        if [ "$m" = virt ]; then
            max=${machine/-cpu cortex-a57/-cpu max}
            echo "$b|cxx-max|$max|cxx-suite"
            echo "$b|cxx-max-el2|${max/-M $m/-M $m,virtualization=on}|cxx-suite"
            echo "$b|cxx-max-el3|${max/-M $m/-M $m,secure=on}|cxx-suite"
        fi
    done
}

suite_main cxx-suite "$@"
