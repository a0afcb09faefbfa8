#!/bin/sh
# Fetches Debian's arm64 Linux 6.1 kernel (the package linux-image-arm64 points at) and
# busybox-static:arm64 from the apt archive with `apt-get download` (after
# `dpkg --add-architecture arm64`), and unpacks them with `dpkg-deb -x` under build/linux/:
# nothing is installed on the host. Run by bench/linux/prepare.ts (make bench-linux).
# Usage: bench/linux/fetch.sh <build/linux dir>
set -e
mkdir -p "$1"
out="$(cd "$1" && pwd)"
[ -f "$out/root/.unpacked" ] && exit 0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [ "$(id -u)" != 0 ]; then
    echo "bench-linux: run as root once: dpkg --add-architecture arm64 && apt-get update" >&2
    exit 1
  fi
  dpkg --add-architecture arm64
  apt-get update -qq
fi
# linux-image-arm64 is a metapackage; its one dependency is the versioned kernel image.
image=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
if [ -z "$image" ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  image=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
fi
[ -n "$image" ] || { echo "bench-linux: apt knows no linux-image-arm64:arm64" >&2; exit 1; }
mkdir -p "$out/deb"
cd "$out/deb"
image=${image%:arm64}
ls "${image}"_*_arm64.deb >/dev/null 2>&1 || apt-get download -q "$image:arm64"
ls busybox-static_*_arm64.deb >/dev/null 2>&1 || apt-get download -q busybox-static:arm64
rm -rf "$out/root"
mkdir -p "$out/root"
for deb in "${image}"_*_arm64.deb busybox-static_*_arm64.deb; do dpkg-deb -x "$deb" "$out/root"; done
echo "$image" > "$out/root/.unpacked"
