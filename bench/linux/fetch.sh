#!/bin/sh
# Fetches Debian's arm64 Linux 6.1 kernel (the package linux-image-arm64 points at) and
# busybox-static:arm64 from the apt archive (toolchain/arm64-deb.sh: apt-get download), and
# unpacks them with `dpkg-deb -x` under build/linux/: nothing is installed on the host. Run by
# bench/linux/prepare.ts (make bench-linux).
# Usage: bench/linux/fetch.sh <build/linux dir>
set -e
mkdir -p "$1"
out="$(cd "$1" && pwd)"
[ -f "$out/root/.unpacked" ] && exit 0
debs="$(dirname "$0")/../../toolchain/arm64-deb.sh"
"$debs" "$out/deb" # the arm64 architecture, before apt-cache can answer for it
# linux-image-arm64 is a metapackage; its one dependency is the versioned kernel image.
depends() { apt-cache depends linux-image-arm64:arm64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1; }
image=$(depends)
if [ -z "$image" ] && [ "$(id -u)" = 0 ]; then apt-get update -qq; image=$(depends); fi
[ -n "$image" ] || { echo "bench-linux: apt knows no linux-image-arm64:arm64" >&2; exit 1; }
image=${image%:arm64}
"$debs" "$out/deb" "$image" busybox-static
rm -rf "$out/root"
mkdir -p "$out/root"
for deb in "$out/deb/${image}"_*_arm64.deb "$out"/deb/busybox-static_*_arm64.deb; do dpkg-deb -x "$deb" "$out/root"; done
echo "$image" > "$out/root/.unpacked"
