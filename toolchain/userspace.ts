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

// Programs linked with Debian's static glibc (gcc-aarch64-linux-gnu + libc6-dev-arm64-cross, installed
// by make deps): a distribution's programs start through glibc's start-up (TLS from PT_TLS, IRELATIVE
// relocations, stdio), which our raw-syscall programs never exercise.
export const GLIBC_CC = "aarch64-linux-gnu-gcc";
const GLIBC_FLAGS = ["-static", "-O2", "-Wall"];

/** userspace/glibc/NAME.c -> /bin/glibc-NAME */
export function glibcPrograms(root: string, build: string): UserProgram[] {
  const dir = path.join(root, "userspace/glibc");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(".c")).sort().map((f) => ({
    source: path.join(dir, f),
    output: path.join(build, "userspace/glibc", path.basename(f, ".c")),
    diskPath: "bin/glibc-" + path.basename(f, ".c"),
  }));
}

export function glibcCompileArgs(p: UserProgram): string[] {
  return [...GLIBC_FLAGS, "-o", p.output, p.source];
}

function crossCompile(args: string[]): void {
  try {
    execFileSync(GLIBC_CC, args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e: any) {
    if (e.code === "ENOENT") throw new Error(`${GLIBC_CC} is missing: run make deps (it installs gcc-aarch64-linux-gnu)`);
    throw new Error(`${GLIBC_CC} failed:\n${`${e.stdout ?? ""}${e.stderr ?? ""}`.trim() || e.message}`);
  }
}

export function compileGlibcProgram(p: UserProgram): void {
  fs.mkdirSync(path.dirname(p.output), { recursive: true });
  crossCompile(glibcCompileArgs(p));
}

// JavaScript programs: Porffor compiles JS ahead of time to C, which the cross compiler links against
// static glibc (Porffor's C needs a hosted libc: stdio, signal.h, mmap). Porffor is fetched from the npm
// registry into build/porffor/ rather than listed in package.json: its optional per-platform packages
// are not all on the registry this project installs from, which makes `npm ci` refuse the lock file.
// 0.0.0-alpha.7 is pinned because it computes ToInt32 right for binary operators (0.61.13 does not).
export const PORFFOR_VERSION = "0.0.0-alpha.7";

/** build/porffor/node_modules/.bin/porf, installed with npm when missing. */
export function fetchPorffor(build: string): string {
  const prefix = path.join(build, "porffor");
  const porf = path.join(prefix, "node_modules/.bin/porf");
  const stamp = path.join(prefix, "version");
  if (fs.existsSync(porf) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === PORFFOR_VERSION) return porf;
  fs.mkdirSync(prefix, { recursive: true });
  if (!fs.existsSync(path.join(prefix, "package.json"))) fs.writeFileSync(path.join(prefix, "package.json"), '{"private":true}\n');
  try {
    execFileSync("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error",
      `porffor@${PORFFOR_VERSION}`], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e: any) {
    throw new Error(`npm install porffor@${PORFFOR_VERSION} failed:\n${`${e.stdout ?? ""}${e.stderr ?? ""}`.trim() || e.message}`);
  }
  fs.writeFileSync(stamp, PORFFOR_VERSION);
  return porf;
}

/** userspace/js/NAME.js -> /bin/NAME */
export function jsPrograms(root: string, build: string): UserProgram[] {
  const dir = path.join(root, "userspace/js");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(".js")).sort().map((f) => ({
    source: path.join(dir, f),
    output: path.join(build, "userspace/js", path.basename(f, ".js")),
    diskPath: "bin/" + path.basename(f, ".js"),
  }));
}

export function compileJsProgram(porf: string, p: UserProgram): void {
  fs.mkdirSync(path.dirname(p.output), { recursive: true });
  const c = p.output + ".c";
  try {
    execFileSync(porf, ["c", p.source, "-o", c], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e: any) {
    throw new Error(`porf c ${p.source} failed:\n${`${e.stdout ?? ""}${e.stderr ?? ""}`.trim() || e.message}`);
  }
  // Porffor reserves a 4 GiB arena for the JS heap; a SIS process has 1 GiB of address space
  // (kernel/proc/layout.ts), so the generated C gets a 256 MiB arena instead (its side tables scale).
  const source = fs.readFileSync(c, "utf8");
  const arena = "#define PORF_ARENA_RESERVE (1ull << 32)";
  if (!source.includes(arena)) throw new Error(`porf output changed: "${arena}" not found in ${c}`);
  fs.writeFileSync(c, source.replace(arena, "#define PORF_ARENA_RESERVE (1ull << 28)"));
  crossCompile(["-static", "-O2", "-w", "-o", p.output, c, "-lm"]); // -w: the C is generated, its warnings are Porffor's
}
