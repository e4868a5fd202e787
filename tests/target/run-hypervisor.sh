#!/usr/bin/env bash
# run-hypervisor.sh - boot Linux in QEMU under the hypervisor of make run-hypervisor, and
# say whether it reached its init with both cores.
#
#   run-hypervisor.sh [--timeout SECONDS] [--log FILE] HYPERVISOR IMAGE IMAGE_ADDR
#                     INITRAMFS INITRD_ADDR -- QEMU-MACHINE-ARGUMENTS...
#
# run-linux.sh's run and verdict (QEMU exits 0, Linux's "Run /init as init process" and
# our init's line on the console), with one line more: Linux 6.1's
# arch/arm64/kernel/smp.c "SMP: Total of 2 processors activated.", the second core
# started through the hypervisor's PSCI CPU_ON. A trap the hypervisor does not handle
# ends the run with status 2, after its registers on the console.
exec "$(dirname "$0")/run-linux.sh" --name run-hypervisor \
    --expect "SMP: Total of 2 processors activated." "$@"
