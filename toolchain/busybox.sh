#!/bin/sh
# Fetches Debian's static busybox for arm64 without installing it (toolchain/arm64-deb.sh) and
# unpacks it with `dpkg-deb -x` under build/busybox/. Run by toolchain/userspace.ts (make image).
# Usage: toolchain/busybox.sh <build dir>
set -e
mkdir -p "$1"
out="$(cd "$1" && pwd)/busybox"
[ -x "$out/bin/busybox" ] && exit 0
"$(dirname "$0")/arm64-deb.sh" "$out/deb" busybox-static
dpkg-deb -x "$out"/deb/busybox-static_*_arm64.deb "$out/root"
mkdir -p "$out/bin"
cp "$out/root/bin/busybox" "$out/bin/busybox"
chmod +x "$out/bin/busybox"
