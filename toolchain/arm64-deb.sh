#!/bin/sh
# Downloads Debian arm64 packages into a directory with `apt-get download`, without installing
# them: adds the arm64 architecture first (once, as root), and refreshes the package lists once
# when the archive does not know a package yet. A .deb already in the directory is not fetched again.
# Used by toolchain/busybox.sh (make image) and bench/linux/fetch.sh (make bench-linux).
# Usage: toolchain/arm64-deb.sh <dir> <package> [package...]   (package names without :arm64)
set -e
dir=$1
shift
mkdir -p "$dir"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [ "$(id -u)" != 0 ]; then
    echo "arm64 packages: run as root once: dpkg --add-architecture arm64 && apt-get update" >&2
    exit 1
  fi
  dpkg --add-architecture arm64
  apt-get update -qq
fi
cd "$dir"
for pkg in "$@"; do
  ls "${pkg}"_*_arm64.deb >/dev/null 2>&1 && continue
  apt-get download -q "$pkg:arm64" 2>/dev/null ||
    { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get download -q "$pkg:arm64"; } ||
    { echo "arm64 packages: apt could not download $pkg:arm64" >&2; exit 1; }
done
