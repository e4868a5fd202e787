#!/usr/bin/env bash
# deps.sh - check the tools the build and the tests need.
#
#   deps.sh             check; if any is missing, say which and print the apt-get line
#   deps.sh --install   check; install what is missing with apt-get when run as root on
#                       Debian/Ubuntu (apt-get update first), else print the line
#   deps.sh --packages  print every Debian package the project uses, one line
#
# Honours CROSS_COMPILE (exported by toolchain.mk) and HOST_CXX.
set -u

# Every package the project uses: .ci/run installs these on a fresh machine.
# libclang-rt-14-dev: compiler-rt for clang (sanitizer runtimes, builtins).
# ipxe-qemu: efi-virtio.rom, which QEMU's -M virt loads for its default NIC (without
# -nic none) and refuses to start without; --no-install-recommends leaves it out.
ALL_PACKAGES="make gcc g++ g++-aarch64-linux-gnu binutils-aarch64-linux-gnu clang lld llvm \
libclang-rt-14-dev qemu-system-arm ipxe-qemu catch2 pkg-config valgrind clang-tidy cppcheck cmake doxygen"

mode=check
case "${1-}" in
    "") ;;
    --install) mode=install ;;
    --packages) echo "$ALL_PACKAGES"; exit 0 ;;
    *) echo "usage: deps.sh [--install | --packages]" >&2; exit 2 ;;
esac

cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
host_cxx=${HOST_CXX:-c++}

missing_tools=()
missing_packages=()

need() { # need PACKAGE DESCRIPTION TEST-COMMAND...
    local package=$1 what=$2
    shift 2
    if ! "$@" >/dev/null 2>&1; then
        missing_tools+=("$what")
        case " ${missing_packages[*]-} " in
            *" $package "*) ;;
            *) missing_packages+=("$package") ;;
        esac
    fi
}
tool() { # tool PACKAGE COMMAND
    need "$1" "$2" command -v "$2"
}

tool make make
tool gcc cc
tool g++ g++
tool g++ "$host_cxx"
if [ "$cross" = aarch64-linux-gnu- ]; then
    tool g++-aarch64-linux-gnu aarch64-linux-gnu-g++
    tool binutils-aarch64-linux-gnu aarch64-linux-gnu-nm
else
    # A toolchain of your choice (CROSS_COMPILE=...): no package to suggest.
    tool "(your ${cross} toolchain)" "${cross}g++"
    tool "(your ${cross} toolchain)" "${cross}nm"
fi
tool clang clang
tool clang clang++
tool lld ld.lld
tool llvm llvm-nm
tool llvm llvm-ar
tool llvm llvm-size
tool qemu-system-arm qemu-system-aarch64
if [ -f /etc/debian_version ]; then
    need ipxe-qemu "QEMU's efi-virtio.rom (for -M virt)" test -e /usr/lib/ipxe/qemu/efi-virtio.rom
fi
tool pkg-config pkg-config
tool valgrind valgrind
tool clang-tidy clang-tidy
tool cppcheck cppcheck
tool cmake cmake
tool doxygen doxygen
need catch2 "catch2 header <catch2/catch.hpp>" \
    bash -c "printf '#include <catch2/catch.hpp>\n' | $host_cxx -std=c++17 -x c++ -E -o /dev/null -"

if [ ${#missing_tools[@]} -eq 0 ]; then
    [ "$mode" = install ] && echo "deps: every tool is installed"
    exit 0
fi

installable=()
for p in "${missing_packages[@]}"; do
    case "$p" in "("*) ;; *) installable+=("$p") ;; esac
done
line="apt-get install -y --no-install-recommends ${installable[*]-}"

echo "deps: these tools are missing:" >&2
for t in "${missing_tools[@]}"; do echo "  - $t" >&2; done
for p in "${missing_packages[@]}"; do
    case "$p" in "("*) echo "  install $p yourself, or drop CROSS_COMPILE" >&2 ;; esac
done

if [ "$mode" = install ] && [ ${#installable[@]} -gt 0 ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing: apt-get update && $line" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update && apt-get install -y --no-install-recommends "${installable[@]}" || exit 1
    exec "$0"   # check again
fi

if [ ${#installable[@]} -gt 0 ]; then
    echo "deps: install them with (as root; 'make deps' does it for you as root on Debian):" >&2
    echo "  apt-get update && $line" >&2
fi
exit 1
