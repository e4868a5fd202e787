#!/usr/bin/env bash
# linux-kernel.sh - Debian's arm64 Linux kernel, for make run-linux: fetched once, kept
# outside the source tree, its path printed.
#
#   linux-kernel.sh            prints the path of the kernel Image, fetching it first when
#                              the cache has none
#   linux-kernel.sh --cached   prints it only when the cache has one; fails otherwise
#
# The cache is $XDG_CACHE_HOME/idmap/linux (~/.cache/idmap/linux by default); the Image
# is vmlinuz-<version>-arm64 there, an uncompressed arm64 Image. No version is pinned:
# the first fetch takes the kernel that linux-image-arm64:arm64 depends on that day (the
# security suite drops older ones), later runs reuse it; delete the directory to fetch
# the current one.
#
# A fetch adds the arm64 architecture to dpkg where it is missing (dpkg --add-architecture
# arm64, apt-get update: as root, or through sudo), downloads the metapackage
# linux-image-arm64:arm64 to learn the real package (linux-image-<version>-arm64), downloads
# that and takes /boot/vmlinuz-* out of it with dpkg-deb. Nothing is installed.
set -euo pipefail

cache=${XDG_CACHE_HOME:-$HOME/.cache}/idmap/linux

# The newest Image in the cache, or nothing.
cached() {
    [ -d "$cache" ] || return 0
    find "$cache" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V | tail -n 1
}

case ${1-} in
--cached)
    image=$(cached)
    [ -n "$image" ] || { echo "linux-kernel: no kernel in $cache (make deps fetches it)" >&2; exit 1; }
    echo "$cache/$image"
    exit 0
    ;;
"") ;;
*)
    echo "usage: linux-kernel.sh [--cached]" >&2
    exit 2
    ;;
esac

image=$(cached)
if [ -n "$image" ]; then
    echo "$cache/$image"
    exit 0
fi

sudo=
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
        echo "linux-kernel: not root, and no sudo to add the arm64 architecture to dpkg" >&2
        exit 1
    }
    sudo=sudo
fi
# As root, apt's download sandbox user (_apt) may not write to the cache in root's home.
apt_download=(apt-get -qq download)
[ -n "$sudo" ] || apt_download+=(-o APT::Sandbox::User=root)

# Two makes under -j, or make deps and make test, may both fetch: one at a time, and the
# second finds the first's Image. deps.sh's lock, as the apt-get runs of both must not meet.
lock=$(dirname "$0")/../build/deps.lock
mkdir -p "$(dirname "$lock")" "$cache"
exec 9>"$lock"
flock 9
image=$(cached)
if [ -n "$image" ]; then
    echo "$cache/$image"
    exit 0
fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "linux-kernel: adding the arm64 architecture to dpkg (its package lists: about 9 MB)" >&2
    $sudo dpkg --add-architecture arm64
    $sudo apt-get -qq update >&2
fi

work=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# Lists older than the archive name a version it no longer has: update, then try again.
if ! "${apt_download[@]}" linux-image-arm64:arm64 >&2; then
    $sudo apt-get -qq update >&2
    "${apt_download[@]}" linux-image-arm64:arm64 >&2
fi
# "linux-image-6.1.0-NN-arm64 (= 6.1.xxx-y)": the package of the kernel itself.
package=$(dpkg-deb -f linux-image-arm64_*.deb Depends | sed -n 's/^\(linux-image-[^ ,]*\).*/\1/p')
[ -n "$package" ] || { echo "linux-kernel: linux-image-arm64 names no kernel package" >&2; exit 1; }
echo "linux-kernel: fetching $package:arm64 (about 60 MB) into $cache" >&2
"${apt_download[@]}" "$package:arm64" >&2
dpkg-deb --fsys-tarfile "$package"_*.deb | tar -x --wildcards './boot/vmlinuz-*'
image=$(find boot -name 'vmlinuz-*' -printf '%f\n' | head -n 1)
[ -n "$image" ] || { echo "linux-kernel: $package has no /boot/vmlinuz-*" >&2; exit 1; }
mv "boot/$image" "$cache/$image"
echo "$cache/$image"
