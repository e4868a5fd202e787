#!/usr/bin/env bash
# initramfs.sh - an initramfs whose /init is one program, for make run-linux: a cpio
# archive in the "newc" format Linux unpacks (Linux's
# Documentation/driver-api/early-userspace/buffer-format.rst), written without the cpio
# tool and without root (the /dev/console node is a header here, not a mknod).
#
#   initramfs.sh INIT OUT
#
# Entries: dev/ (a directory), dev/console (the character device 5:1, which the kernel
# opens as init's fds 0, 1 and 2), init (INIT, mode 0755), then the trailer; owner root,
# mtime 0, so that the same INIT gives the same archive. Uncompressed: Linux takes it so.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: initramfs.sh INIT OUT" >&2
    exit 2
fi
init=$1
out=$2

# pad N: the zeros that take N bytes to a multiple of 4.
pad() { head -c $(((4 - $1 % 4) % 4)) /dev/zero; }

ino=0
# entry NAME MODE RDEV_MAJOR RDEV_MINOR [FILE]: a header of 13 fields of 8 hex digits after
# the magic 070701 (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
# rdevmajor, rdevminor, namesize, check), the NUL-terminated name and FILE's bytes, each
# padded to a multiple of 4 (the header and name together).
entry() {
    local name=$1 mode=$2 major=$3 minor=$4 file=${5-} size=0 namesize
    [ -z "$file" ] || size=$(wc -c < "$file")
    namesize=$((${#name} + 1))
    ino=$((ino + 1))
    printf '070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x' \
        "$ino" "$mode" 0 0 1 0 "$size" 0 0 "$major" "$minor" "$namesize" 0
    printf '%s\0' "$name"
    pad $((110 + namesize))
    if [ -n "$file" ]; then
        cat "$file"
        pad "$size"
    fi
}

{
    entry dev $((040755)) 0 0
    entry dev/console $((020600)) 5 1
    entry init $((0100755)) 0 0 "$init"
    entry 'TRAILER!!!' 0 0 0
} > "$out"
