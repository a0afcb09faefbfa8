// Builds the user programs of userspace/ (static aarch64 Linux executables, raw system calls,
// clang --target=aarch64-linux-gnu -nostdlib -static) and fetches Debian's static busybox
// (toolchain/busybox.sh). Their outputs go onto the system disk under /bin (images/system-disk.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";

export interface UserProgram { source: string; output: string; diskPath: string }

const CLANG_USER_FLAGS = ["--target=aarch64-linux-gnu", "-ffreestanding", "-nostdlib", "-static", "-fuse-ld=lld",
  "-O2", "-fno-stack-protector", "-Wall"];

export function userPrograms(root: string, build: string): UserProgram[] {
  const dir = path.join(root, "userspace");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(".c")).sort().map((f) => ({
    source: path.join(dir, f),
    output: path.join(build, "userspace", path.basename(f, ".c")),
    diskPath: "bin/" + path.basename(f, ".c"),
  }));
}

export function userHeaders(root: string): string[] {
  const dir = path.join(root, "userspace");
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".h")).map((f) => path.join(dir, f)) : [];
}

export function userCompileArgs(p: UserProgram): string[] {
  return [...CLANG_USER_FLAGS, "-o", p.output, p.source];
}

export function compileUserProgram(p: UserProgram): void {
  fs.mkdirSync(path.dirname(p.output), { recursive: true });
  execFileSync("clang", userCompileArgs(p), { stdio: ["ignore", "pipe", "pipe"] });
}

/** build/busybox/bin/busybox, fetched when missing; null (with a message) when it cannot be. */
export function fetchBusybox(root: string, build: string): string | null {
  const out = path.join(build, "busybox/bin/busybox");
  if (fs.existsSync(out)) return out;
  try {
    execFileSync(path.join(root, "toolchain/busybox.sh"), [build], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e: any) {
    console.error(`  busybox not available: ${`${e.stderr ?? ""}`.trim() || e.message}`);
    return null;
  }
  return fs.existsSync(out) ? out : null;
}
