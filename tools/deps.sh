#!/usr/bin/env bash
# deps.sh - the tools a build or a test needs: check them, install what is missing.
#
#   deps.sh [--install] [--dry-run] [TOOL...]
#       TOOL: a command (aarch64-linux-gnu-g++, clang, qemu-system-aarch64, doxygen, ...),
#       catch2 (its header, for the unit tests) or libfuzzer (clang's fuzzer runtime); no
#       TOOL: every tool of the table below. Says nothing when all are there. Else names
#       what is missing and, with --install, installs its Debian packages (apt-get update,
#       then apt-get install) as root, or through sudo; where it cannot (no apt-get, not
#       root and no sudo, a tool no package has), says what to install and fails.
#       --dry-run: says what it would run instead of running it (tools/check_deps.sh).
#   deps.sh --packages
#       every Debian package of the table, one line (.ci/run installs them)
#
# The Makefile runs it before each step with that step's tools ($(call needs,...)), so
# `make run` and `make test` set themselves up, and `make docs` asks for doxygen only.
# HOST_CXX (exported by toolchain.mk) is the compiler that looks for catch2.
set -u

# tool, then the Debian packages that provide it.
TABLE="
make                        make
cc                          gcc
gcc                         gcc
c++                         g++
g++                         g++
ar                          binutils
nm                          binutils
aarch64-linux-gnu-gcc       g++-aarch64-linux-gnu
aarch64-linux-gnu-g++       g++-aarch64-linux-gnu
aarch64-linux-gnu-ld        binutils-aarch64-linux-gnu
aarch64-linux-gnu-ar        binutils-aarch64-linux-gnu
aarch64-linux-gnu-nm        binutils-aarch64-linux-gnu
aarch64-linux-gnu-size      binutils-aarch64-linux-gnu
aarch64-linux-gnu-objcopy   binutils-aarch64-linux-gnu
clang                       clang
clang++                     clang
ld.lld                      lld
llvm-ar                     llvm
llvm-nm                     llvm
llvm-size                   llvm
llvm-objcopy                llvm
libfuzzer                   libclang-rt-14-dev
qemu-system-aarch64         qemu-system-arm ipxe-qemu
catch2                      catch2
pkg-config                  pkg-config
valgrind                    valgrind
clang-tidy                  clang-tidy
cppcheck                    cppcheck
cmake                       cmake
doxygen                     doxygen
"
# libclang-rt-14-dev: compiler-rt for clang (the fuzzer's and the sanitizers' runtimes).
# ipxe-qemu: efi-virtio.rom, which QEMU's -M virt loads for its default NIC (without
# -nic none) and refuses to start without; --no-install-recommends leaves it out.

usage() {
    echo "usage: deps.sh [--install] [--dry-run] [TOOL...] | --packages" >&2
    exit 2
}

install=0
dry_run=0
while [ $# -gt 0 ]; do
    case $1 in
    --install) install=1 ;;
    --dry-run) dry_run=1 ;;
    --packages)
        [ $# -eq 1 ] || usage
        echo "$TABLE" | awk 'NF { for (i = 2; i <= NF; i++) if (!seen[$i]++) printf "%s%s", n++ ? " " : "", $i }
            END { print "" }'
        exit 0
        ;;
    -*) usage ;;
    *) break ;;
    esac
    shift
done
tools=("$@")
if [ ${#tools[@]} -eq 0 ]; then
    # shellcheck disable=SC2207  # one word a tool
    tools=($(echo "$TABLE" | awk 'NF { print $1 }'))
fi

# packages_of TOOL: its Debian packages, or nothing for a tool the table lacks.
packages_of() {
    echo "$TABLE" | awk -v t="$1" '$1 == t { $1 = ""; print substr($0, 2) }'
}

# present TOOL: whether the tool is there.
present() {
    case $1 in
    catch2)
        printf '#include <catch2/catch.hpp>\n' |
            "${HOST_CXX:-c++}" -std=c++17 -x c++ -E -o /dev/null - >/dev/null 2>&1
        ;;
    libfuzzer)
        # clang prints the bare name when its runtime directory lacks the file
        [ -e "$(clang++ -print-file-name="libclang_rt.fuzzer-$(uname -m).a" 2>/dev/null)" ]
        ;;
    qemu-system-aarch64)
        command -v "$1" >/dev/null 2>&1 &&
            { [ ! -f /etc/debian_version ] || [ -e /usr/lib/ipxe/qemu/efi-virtio.rom ]; }
        ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}

# Fills missing (the tools not there), packages (theirs, each once) and unknown (the
# missing tools no package provides).
find_missing() {
    local t p
    missing=()
    packages=()
    unknown=()
    for t in "${tools[@]}"; do
        present "$t" && continue
        missing+=("$t")
        p=$(packages_of "$t")
        [ -n "$p" ] || unknown+=("$t")
        for p in $p; do
            case " ${packages[*]-} " in *" $p "*) ;; *) packages+=("$p") ;; esac
        done
    done
}

find_missing
[ ${#missing[@]} -eq 0 ] && exit 0

apt_line="apt-get update && apt-get install -y --no-install-recommends ${packages[*]-}"

# cannot WHY: say what is missing and how to install it by hand, and fail.
cannot() {
    echo "deps: missing: ${missing[*]}" >&2
    echo "deps: $1" >&2
    if [ ${#unknown[@]} -gt 0 ]; then
        echo "deps: no Debian package is known for ${unknown[*]} (a toolchain of your choice," \
            "through CROSS_COMPILE or HOST_CXX?): install it yourself" >&2
    fi
    if [ ${#packages[@]} -gt 0 ]; then
        echo "deps: on Debian or Ubuntu, as root: $apt_line" >&2
    fi
    exit 1
}

[ "$install" = 1 ] || cannot "make deps installs them (with apt-get, as root or through sudo)"
[ ${#unknown[@]} -eq 0 ] || cannot "not every one can be installed here"
command -v apt-get >/dev/null 2>&1 || cannot "no apt-get here: install them with the system's package manager"
sudo=
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || cannot "not root, and no sudo to become root"
    sudo="sudo "
fi
apt="${sudo}apt-get -qq"
run="$apt update && $apt install -y --no-install-recommends ${packages[*]}"

echo "deps: missing: ${missing[*]}"
if [ "$dry_run" = 1 ]; then
    echo "deps: would install ${packages[*]}: $run"
    exit 0
fi
echo "deps: installing ${packages[*]}: $run"

# Two makes under -j may both find a tool missing: the second waits for the first's
# apt-get (dpkg runs one at a time), then finds what it installed.
lock=$(dirname "$0")/../build/deps.lock
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
flock 9
find_missing
[ ${#missing[@]} -eq 0 ] && exit 0

export DEBIAN_FRONTEND=noninteractive
if ! $apt update || ! $apt install -y --no-install-recommends "${packages[@]}"; then
    cannot "apt-get failed (see above)"
fi
find_missing
[ ${#missing[@]} -eq 0 ] || cannot "still missing after apt-get install"
echo "deps: installed ${packages[*]}"
