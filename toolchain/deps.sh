#!/bin/sh
# Installs what the build needs, if it is missing: Debian packages (as root) and npm packages.
# Not root and something missing: prints the exact command to run, and fails.
set -e
cd "$(dirname "$0")/.."

PACKAGES="qemu-system-arm qemu-efi-aarch64 clang lld wabt binaryen mtools e2fsprogs dosfstools curl libclang-rt-14-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
missing=""
need() { # need <package> <file or command>
  case "$2" in
    /*) [ -e "$2" ] || missing="$missing $1" ;;
    *) command -v "$2" >/dev/null 2>&1 || missing="$missing $1" ;;
  esac
}
need qemu-system-arm qemu-system-aarch64
need qemu-efi-aarch64 /usr/share/AAVMF/AAVMF_CODE.fd
need clang clang
need lld lld-link
need wabt wasm2c
need binaryen wasm-opt
need mtools mformat
need e2fsprogs debugfs
need dosfstools mkfs.vfat
need curl curl # tests/target/net.test.ts: a real HTTP client
need gcc-aarch64-linux-gnu aarch64-linux-gnu-gcc # userspace/glibc, userspace/js: static glibc programs
need libc6-dev-arm64-cross /usr/aarch64-linux-gnu/lib/libc.a
need libclang-rt-14-dev /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a # make fuzz
missing=$(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/^ *//;s/ *$//')

if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "missing packages: $missing" >&2
    echo "run:  sudo apt-get install -y $missing" >&2
    exit 1
  fi
fi

if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# npm ci when node_modules was not installed from this exact lock file (content, not mtime:
# a fresh checkout has new mtimes but needs no reinstall).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/asc ] || [ "$(cat node_modules/.sis-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  echo "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.sis-lock-hash
fi
