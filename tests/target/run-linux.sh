#!/usr/bin/env bash
# run-linux.sh - boot Linux in QEMU from the loader of make run-linux (or the hypervisor
# of make run-hypervisor: run-hypervisor.sh), and say whether it reached its init.
#
#   run-linux.sh [--timeout SECONDS] [--log FILE] [--name NAME] [--expect LINE]...
#                [--expect-re REGEX]... LOADER IMAGE IMAGE_ADDR INITRAMFS INITRD_ADDR --
#                QEMU-MACHINE-ARGUMENTS...
#
# tests/target/qemu-run.sh boots the ELF LOADER with the kernel IMAGE at IMAGE_ADDR and
# INITRAMFS at INITRD_ADDR (-device loader, raw), and -append "console=ttyAMA0
# initrd=INITRD_ADDR,SIZE", which QEMU writes into the devicetree's /chosen/bootargs for
# an ELF. The run passes (status 0) when QEMU exits 0 - the guest powered off through
# PSCI SYSTEM_OFF - and the console showed Linux's "Run /init as init process" and the
# line of examples/c-bootloader/init.c, each LINE of --expect, and a line matching each
# extended REGEX of --expect-re (grep -E). A kernel that panics or hangs is killed after
# SECONDS (default 60; status 124); QEMU's failing status is the run's, and a QEMU that
# exits 0 without every line fails with status 1. NAME (default run-linux) starts the
# verdict's line.
set -u

timeout_s=60
log=
name=run-linux
expected=("Run /init as init process" "idmap: Linux is running on tables built by the library")
expected_re=()
while [ $# -gt 0 ]; do
    case $1 in
    --timeout) timeout_s=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --expect) expected+=("$2"); shift 2 ;;
    --expect-re) expected_re+=("$2"); shift 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 6 ] || [ "$6" != -- ]; then
    echo "usage: run-linux.sh [--timeout SECONDS] [--log FILE] [--name NAME] [--expect LINE]..." \
        "[--expect-re REGEX]... LOADER IMAGE IMAGE_ADDR INITRAMFS INITRD_ADDR -- QEMU-MACHINE-ARGUMENTS..." >&2
    exit 2
fi
loader=$1 image=$2 image_addr=$3 initramfs=$4 initrd_addr=$5
shift 6
where=" (log $log)"
if [ -z "$log" ]; then
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    where=
fi

initrd_size=$(printf '0x%x' "$(wc -c < "$initramfs")")
echo "== booting Linux ($image) from $loader: $* (timeout $timeout_s s)"
start=$(date +%s%N)
"$(dirname "$0")/qemu-run.sh" --timeout "$timeout_s" --log "$log" -- "$@" -kernel "$loader" \
    -device "loader,file=$image,addr=$image_addr,force-raw=on" \
    -device "loader,file=$initramfs,addr=$initrd_addr,force-raw=on" \
    -append "console=ttyAMA0 initrd=$initrd_addr,$initrd_size"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
seconds=$(printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)))

missing=()
for line in "${expected[@]}"; do
    tr -d '\r' < "$log" | grep -qF "$line" || missing+=("\"$line\"")
done
for re in ${expected_re[@]+"${expected_re[@]}"}; do
    tr -d '\r' < "$log" | grep -qE "$re" || missing+=("a line matching /$re/")
done
if [ "$rc" -ne 0 ]; then
    echo "$name: FAIL: QEMU exited with status $rc after $seconds s$where" >&2
    exit "$rc"
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "$name: FAIL: QEMU exited 0 after $seconds s without ${missing[*]}$where" >&2
    exit 1
fi
echo "$name: Linux ran our /init and powered off in $seconds s"
