#!/usr/bin/env bash
# run-guard.sh - the guard-rails suite (tests/target/guard.c, image guard-suite) in QEMU.
#
#   run-guard.sh BOARD...             build it with GNU and with LLVM (MAKE = the make to
#                                     use) and run it on every configuration below; each
#                                     run's last line "N passed, M failed, K skipped" is
#                                     parsed (a run without it counts as one failure); the
#                                     last line is the same over all runs, the exit status
#                                     0 iff M is 0 (make test-guard)
#   run-guard.sh --configs BOARD...   print the configurations, one "board|tag|qemu machine
#                                     arguments|guard-suite" a line, as run-matrix.sh lists
#                                     its own (make test-target runs them there)
#
# Configurations: the suite runs at the EL QEMU enters and tests that EL's regime.
# qemu-virt (Cortex-A57) at EL1, EL2 (virtualization=on) and EL3 (secure=on), and so with
# -cpu max (FEAT_BTI: the guarded-code cases, skipped on the others); raspi3b at EL3 (as
# QEMU enters it; the other three cores park); xlnx-zcu102 at EL1, EL2 and EL3. Each run
# takes well under a second.
set -u
cd "$(dirname "$0")/../.."
. tests/target/run-lib.sh

timeout_s=${QEMU_TIMEOUT:-20}

configs() {
    local b machine m max
    for b in "$@"; do
        machine=$(board_machine "$b") || return 2
        m=$(machine_model "$machine")
        echo "$b|guard|$machine|guard-suite"
        case $m in
        virt | xlnx-zcu102)
            echo "$b|guard-el2|${machine/-M $m/-M $m,virtualization=on}|guard-suite"
            echo "$b|guard-el3|${machine/-M $m/-M $m,secure=on}|guard-suite"
            ;;
        esac
        if [ "$m" = virt ]; then
            max=${machine/-cpu cortex-a57/-cpu max}
            echo "$b|guard-max|$max|guard-suite"
            echo "$b|guard-max-el2|${max/-M $m/-M $m,virtualization=on}|guard-suite"
            echo "$b|guard-max-el3|${max/-M $m/-M $m,secure=on}|guard-suite"
        fi
    done
}

suite_main guard-suite "$@"
