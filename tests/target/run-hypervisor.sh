#!/usr/bin/env bash
# run-hypervisor.sh - boot Linux in QEMU under the hypervisor of make run-hypervisor, and
# say whether it reached its init with both cores and its writes were dirty-logged.
#
#   run-hypervisor.sh [--timeout SECONDS] [--log FILE] HYPERVISOR IMAGE IMAGE_ADDR
#                     INITRAMFS INITRD_ADDR -- QEMU-MACHINE-ARGUMENTS...
#
# run-linux.sh's run and verdict (QEMU exits 0, Linux's "Run /init as init process" and
# our init's line on the console), with two lines more: Linux 6.1's
# arch/arm64/kernel/smp.c "SMP: Total of 2 processors activated.", the second core
# started through the hypervisor's PSCI CPU_ON; and the hypervisor's dirty-logging report
# at SYSTEM_OFF with a count above 0 (examples/hypervisor/dirty_log.c). A trap the
# hypervisor does not handle ends the run with status 2, after its registers on the
# console.
exec "$(dirname "$0")/run-linux.sh" --name run-hypervisor \
    --expect "SMP: Total of 2 processors activated." \
    --expect-re "hypervisor: dirty logging: [1-9][0-9]* pages written since " "$@"
