#!/usr/bin/env bash
# qemu-run.sh - boot a bare-metal image in QEMU with a time limit.
#
#   qemu-run.sh [--timeout SECONDS] [--log FILE] -- QEMU-ARGUMENTS...
#
# Runs qemu-system-aarch64 -display none -monitor none -serial stdio -semihosting -nic none
# QEMU-ARGUMENTS (give the machine and -kernel image.elf). The guest's UART goes to
# stdout (and to FILE with --log); the exit status is QEMU's, which is the guest's
# semihosting exit code. A guest still running after SECONDS (default 60) is killed:
# the script says so on stderr and exits 124.
set -u

timeout_s=60
log=
while [ $# -gt 0 ]; do
    case $1 in
    --timeout) timeout_s=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "qemu-run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ $# -eq 0 ]; then
    echo "usage: qemu-run.sh [--timeout SECONDS] [--log FILE] -- QEMU-ARGUMENTS..." >&2
    exit 2
fi
qemu=${QEMU:-qemu-system-aarch64}
if ! command -v "$qemu" >/dev/null 2>&1; then
    echo "qemu-run.sh: $qemu not found (Debian: apt-get install qemu-system-arm)" >&2
    exit 127
fi

# xlnx-zcu102 wants an audio backend unless told otherwise; -nic none: no default network
# card, whose option ROM (ipxe-qemu) -M virt would otherwise load.
export QEMU_AUDIO_DRV=none
cmd=("$qemu" -display none -monitor none -serial stdio -semihosting -nic none "$@")

# --foreground keeps QEMU in the terminal's process group, so that with a terminal on
# stdin it can set it up without being stopped; without a terminal, no stdin at all.
if [ -t 0 ]; then
    if [ -n "$log" ]; then
        timeout --foreground -k 5 "$timeout_s" "${cmd[@]}" | tee "$log"
        rc=${PIPESTATUS[0]}
    else
        timeout --foreground -k 5 "$timeout_s" "${cmd[@]}"
        rc=$?
    fi
else
    if [ -n "$log" ]; then
        timeout -k 5 "$timeout_s" "${cmd[@]}" </dev/null | tee "$log"
        rc=${PIPESTATUS[0]}
    else
        timeout -k 5 "$timeout_s" "${cmd[@]}" </dev/null
        rc=$?
    fi
fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo >&2
    echo "qemu-run.sh: TIMEOUT: the guest did not exit within ${timeout_s} s and was killed" \
        "($*)" >&2
    exit 124
fi
exit "$rc"
