#!/usr/bin/env bash
# check_deps.sh - the prerequisites step of make test: tools/deps.sh run on a fake PATH
# with a tool missing, in its dry-run mode (nothing is installed, nothing removed), must
# say what it would install, or why it cannot; and the Makefile's targets must ask only
# for what they use (make -n shows the deps.sh line each would run).
#
#   check_deps.sh      (MAKE defaults to make)
# Prints one line per check; exit status 0 iff all passed.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
make_cmd=${MAKE:-make}
work=$(mktemp -d "${TMPDIR:-/tmp}/idmap-deps.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

# fake_path ROLE TOOL...: a directory for PATH holding links to the real TOOLs and awk
# (deps.sh uses it), an id that answers as ROLE (root or user), and apt-get and sudo as
# stubs that leave a mark if run, which a dry run must never do. Prints the directory.
fake_path() {
    local role=$1 dir t
    shift
    dir=$(mktemp -d "$work/bin.XXXXXX")
    for t in awk "$@"; do
        ln -s "$(command -v "$t")" "$dir/$t"
    done
    printf '#!/bin/sh\necho %s\n' "$([ "$role" = root ] && echo 0 || echo 1000)" > "$dir/id"
    for t in apt-get sudo; do
        printf '#!/bin/sh\ntouch %s/ran\nexit 1\n' "$work" > "$dir/$t"
    done
    chmod +x "$dir/id" "$dir/apt-get" "$dir/sudo"
    echo "$dir"
}

# expect WHAT STATUS LINES DIR ARGS...: deps.sh ARGS with PATH=DIR must exit STATUS and
# print each of LINES (empty: print nothing), and run neither apt-get nor sudo.
expect() {
    local what=$1 want_status=$2 want=$3 dir=$4 out status line ok=1
    shift 4
    rm -f "$work/ran"
    out=$(PATH=$dir "$BASH" "$root/tools/deps.sh" "$@" 2>&1)
    status=$?
    [ "$status" -eq "$want_status" ] || ok=0
    if [ -z "$want" ]; then
        [ -z "$out" ] || ok=0
    else
        while IFS= read -r line; do grep -qxF -- "$line" <<<"$out" || ok=0; done <<<"$want"
    fi
    [ ! -e "$work/ran" ] || ok=0
    if [ $ok = 1 ]; then
        echo "ok   $what"
    else
        echo "FAIL $what: exit status $status (expected $want_status); expected the lines"
        printf '%s\n' "$want" "but it printed" "$out" | sed 's/^/    /'
        [ ! -e "$work/ran" ] || echo "    ... and it ran apt-get or sudo"
        failures=$((failures + 1))
    fi
}

# doxygen and QEMU (qemu-system-aarch64) as the tools; doxygen is left out of the PATH.
all=$(fake_path root doxygen qemu-system-aarch64)
root_bin=$(fake_path root qemu-system-aarch64)
user_bin=$(fake_path user qemu-system-aarch64)
no_sudo=$(fake_path user qemu-system-aarch64)
rm "$no_sudo/sudo"
no_apt=$(fake_path root qemu-system-aarch64)
rm "$no_apt/apt-get"
apt="apt-get -qq"
by_hand="deps: on Debian or Ubuntu, as root: apt-get update && apt-get install -y --no-install-recommends doxygen"

expect "nothing missing: no apt-get, no output" 0 "" \
    "$all" --install --dry-run doxygen qemu-system-aarch64
expect "doxygen missing, as root: apt-get installs doxygen, and only that" 0 \
    "deps: would install doxygen: $apt update && $apt install -y --no-install-recommends doxygen" \
    "$root_bin" --install --dry-run doxygen qemu-system-aarch64
expect "doxygen missing, not root: through sudo" 0 \
    "deps: would install doxygen: sudo $apt update && sudo $apt install -y --no-install-recommends doxygen" \
    "$user_bin" --install --dry-run doxygen qemu-system-aarch64
expect "doxygen missing, not root, no sudo: says what to run as root" 1 \
    "deps: not root, and no sudo to become root
$by_hand" "$no_sudo" --install --dry-run doxygen qemu-system-aarch64
expect "doxygen missing, no apt-get (not Debian): says what to install" 1 \
    "deps: missing: doxygen
deps: no apt-get here: install them with the system's package manager" \
    "$no_apt" --install --dry-run doxygen
expect "a toolchain of one's own missing: install it yourself" 1 \
    "deps: no Debian package is known for aarch64-none-elf-g++ (a toolchain of your choice, through CROSS_COMPILE or HOST_CXX?): install it yourself" \
    "$root_bin" --install --dry-run aarch64-none-elf-g++
expect "without --install: names make deps, installs nothing" 1 \
    "deps: make deps installs them (with apt-get, as root or through sudo)
$by_hand" "$root_bin" doxygen

# asks TARGET TOOL...: `make -n TARGET` runs deps.sh for exactly these tools, over all
# its deps.sh lines (each build directory has its own).
asks() {
    local target=$1 want got
    shift
    want=$(printf '%s\n' "$@" | sort -u | paste -sd ' ')
    # shellcheck disable=SC2086  # make_cmd and target: words
    got=$(cd "$root" && $make_cmd -n $target 2>/dev/null |
        sed -n 's|^tools/deps.sh --install ||p' | tr ' ' '\n' | sort -u | paste -sd ' ')
    if [ "$got" = "$want" ]; then
        echo "ok   make $target asks for: $want"
    else
        echo "FAIL make $target asks for: $got, expected: $want"
        failures=$((failures + 1))
    fi
}
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
asks docs doxygen
asks "BOARD=qemu-virt LLVM= run" qemu-system-aarch64 \
    "$cross"{gcc,g++,ld,ar,nm,size,objcopy}
asks "BOARD=qemu-virt LLVM=1 run" qemu-system-aarch64 \
    clang clang++ ld.lld llvm-ar llvm-nm llvm-size llvm-objcopy

[ "$failures" -eq 0 ]
