#!/bin/sh
# Fetches Debian's static busybox for arm64 without installing it: adds the arm64
# architecture (once, as root), downloads busybox-static:arm64 with `apt-get download` and
# unpacks it with `dpkg-deb -x` under build/busybox/. Run by toolchain/userspace.ts (make image).
# Usage: toolchain/busybox.sh <build dir>
set -e
mkdir -p "$1"
out="$(cd "$1" && pwd)/busybox"
[ -x "$out/bin/busybox" ] && exit 0
mkdir -p "$out/deb"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [ "$(id -u)" != 0 ]; then
    echo "busybox: run as root once: dpkg --add-architecture arm64 && apt-get update" >&2
    exit 1
  fi
  dpkg --add-architecture arm64
  apt-get update -qq
fi
cd "$out/deb"
if ! ls busybox-static_*_arm64.deb >/dev/null 2>&1; then
  apt-get download -q busybox-static:arm64 2>/dev/null ||
    { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get download -q busybox-static:arm64; }
fi
dpkg-deb -x busybox-static_*_arm64.deb "$out/root"
mkdir -p "$out/bin"
cp "$out/root/bin/busybox" "$out/bin/busybox"
chmod +x "$out/bin/busybox"
