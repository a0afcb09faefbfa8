// The host build driver: kernel/*.ts -> asc -> wasm-opt -> wasm2c -> clang -> lld-link
// -> BOOTAA64.EFI -> ESP image, plus the ext4 system disk.
//
// Every step prints one line. A step runs only when the hash of its inputs and its command
// line differs from the one stored beside its outputs (build/stamps/), so a second build
// with no change does no work.
//
// Usage: tsx toolchain/build.ts [--quiet]
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { BUDDY_WINDOW, HEAP_BYTES, TOTAL_PAGES, AS_STACK_BYTES } from "./layout.ts";
import { buildSystemDisk, SYSTEM_DISK_INPUTS, ExtraFile } from "../images/system-disk.ts";
import { userPrograms, userHeaders, userCompileArgs, compileUserProgram, fetchBusybox, glibcPrograms, glibcCompileArgs,
  compileGlibcProgram, jsPrograms, compileJsProgram, fetchPorffor, PORFFOR_VERSION } from "./userspace.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUILD = path.join(ROOT, "build");
const STAMPS = path.join(BUILD, "stamps");
const GEN = path.join(BUILD, "gen");
const OBJ = path.join(BUILD, "obj");

export const ARTIFACTS = {
  wasm: path.join(BUILD, "kernel.wasm"),
  optWasm: path.join(BUILD, "kernel.opt.wasm"),
  kernelC: path.join(GEN, "kernel.c"),
  efi: path.join(BUILD, "BOOTAA64.EFI"),
  map: path.join(BUILD, "BOOTAA64.map"),
  esp: path.join(BUILD, "esp.img"),
  disk: path.join(BUILD, "disk.img"),
};

/** Kernel sources: every .ts under kernel/. Shell commands are found by directory. */
export function kernelSources(): string[] {
  return listFiles(path.join(ROOT, "kernel"), (f) => f.endsWith(".ts"));
}

/** Entry files for asc: main.ts plus every command file, so that adding a command is one file. */
export function kernelEntries(): string[] {
  const commands = listFiles(path.join(ROOT, "kernel/shell/commands"), (f) => f.endsWith(".ts"));
  return [path.join(ROOT, "kernel/main.ts"), ...commands];
}

/** The kernel image's lld-link flags (subsystem, entry, ...): linker/README.md. */
const EFI_LINK_ARGS = path.join(ROOT, "linker/efi.args");

/** Flags from a linker/*.args file: one per line, '#' starts a comment. */
export function linkerFlags(file: string): string[] {
  return fs.readFileSync(file, "utf8").split("\n").map((l) => l.replace(/#.*/, "").trim()).filter((l) => l.length > 0);
}

export function listFiles(dir: string, keep: (f: string) => boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, keep));
    else if (keep(full)) out.push(full);
  }
  return out.sort();
}

let quiet = false;
const log = (s: string) => { if (!quiet) console.log(s); };

function hashOf(inputs: string[], command: string): string {
  const h = createHash("sha256").update(command);
  for (const f of inputs) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    h.update(f).update(!st ? "missing" : st.isDirectory() ? "dir" : fs.readFileSync(f));
  }
  return h.digest("hex");
}

/** Runs `work` unless the outputs exist and were made from the same inputs and command. */
export function step(name: string, inputs: string[], outputs: string[], command: string, work: () => void): boolean {
  fs.mkdirSync(STAMPS, { recursive: true });
  const stampFile = path.join(STAMPS, name.replace(/[^\w.-]/g, "_"));
  const hash = hashOf(inputs, command);
  const fresh = outputs.every((o) => fs.existsSync(o)) && fs.existsSync(stampFile) &&
    fs.readFileSync(stampFile, "utf8") === hash;
  if (fresh) { log(`  [up to date] ${name}`); return false; }
  const started = Date.now();
  try {
    work();
  } catch (e) {
    for (const o of outputs) fs.rmSync(o, { force: true });
    throw e;
  }
  fs.writeFileSync(stampFile, hash);
  log(`  [${((Date.now() - started) / 1000).toFixed(1)}s] ${name}`);
  return true;
}

export function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e: any) {
    const out = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim();
    throw new Error(`${cmd} failed:\n${out || e.message}`);
  }
}

const ASC = path.join(ROOT, "node_modules/.bin/asc");
export const ASC_FLAGS = [
  "--runtime", "incremental",
  "--stackSize", String(AS_STACK_BYTES),
  "-O3",
];
const WABT_RUNTIME_HEADER = "/usr/include/wasm-rt.h";
const WASM_FEATURES = ["--enable-bulk-memory", "--enable-sign-ext", "--enable-nontrapping-float-to-int",
  "--enable-mutable-globals"];

const CLANG_FLAGS = [
  "--target=aarch64-unknown-windows", "-ffreestanding", "-nostdlib", "-nostdlibinc",
  "-fno-stack-protector", "-mno-stack-arg-probe", "-O2", "-fno-math-errno",
  "-Wall", "-Wno-unused-function", "-Wno-unused-variable", "-Wno-unused-but-set-variable",
  "-I", "arch-aarch64/include", "-I", "build/gen", // kernel.h, and wasm-rt.h copied from wabt
  "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0", "-DWASM_RT_MAX_CALL_STACK_DEPTH=4000",
  `-DSIS_BUDDY_WINDOW=${BUDDY_WINDOW}ull`, `-DSIS_HEAP_BYTES=${HEAP_BYTES}ull`,
];
// C files on the exception path must not touch FP/SIMD registers (vectors.S does not save them).
const FP_ALLOWED = new Set(["wasm_runtime.c", "imports.c", "kernel.c", "user_entry.S"]);

function cSources(): string[] {
  return [
    ...listFiles(path.join(ROOT, "boot"), (f) => /\.(c|S)$/.test(f)),
    ...listFiles(path.join(ROOT, "arch-aarch64"), (f) => /\.(c|S)$/.test(f)),
  ];
}
function cHeaders(): string[] {
  return [
    ...listFiles(path.join(ROOT, "boot"), (f) => f.endsWith(".h")),
    ...listFiles(path.join(ROOT, "arch-aarch64"), (f) => f.endsWith(".h")),
  ];
}

export function buildKernel(): void {
  fs.mkdirSync(GEN, { recursive: true });
  fs.mkdirSync(OBJ, { recursive: true });
  const lock = path.join(ROOT, "package-lock.json");
  const ascArgs = [...kernelEntries().map((f) => path.relative(ROOT, f)), "-o", ARTIFACTS.wasm, ...ASC_FLAGS,
    "--memoryBase", String(BUDDY_WINDOW), "--initialMemory", String(TOTAL_PAGES),
    "--maximumMemory", String(TOTAL_PAGES)];
  step("asc: kernel/**/*.ts -> kernel.wasm", [...kernelSources(), lock], [ARTIFACTS.wasm], ascArgs.join(" "),
    () => run(ASC, ascArgs));

  const optArgs = ["-O3", ...WASM_FEATURES, ARTIFACTS.wasm, "-o", ARTIFACTS.optWasm];
  step("wasm-opt -O3 -> kernel.opt.wasm", [ARTIFACTS.wasm], [ARTIFACTS.optWasm], optArgs.join(" "),
    () => run("wasm-opt", optArgs));

  const w2cArgs = [ARTIFACTS.optWasm, "-n", "kernel", "-o", ARTIFACTS.kernelC];
  step("wasm2c -> build/gen/kernel.c", [ARTIFACTS.optWasm], [ARTIFACTS.kernelC], w2cArgs.join(" "),
    () => run("wasm2c", w2cArgs));

  // wabt's runtime header sits in /usr/include beside glibc's headers, which must not be seen.
  fs.copyFileSync(WABT_RUNTIME_HEADER, path.join(GEN, "wasm-rt.h"));
  const objects: string[] = [];
  const headers = [...cHeaders(), path.join(GEN, "kernel.h"), WABT_RUNTIME_HEADER];
  for (const src of [...cSources(), ARTIFACTS.kernelC]) {
    const base = path.basename(src);
    const obj = path.join(OBJ, `${path.basename(path.dirname(src))}_${base}.obj`);
    const args = [...CLANG_FLAGS, ...(FP_ALLOWED.has(base) ? [] : ["-mgeneral-regs-only"]),
      ...(base === "libc.c" ? ["-fno-builtin"] : []), "-c", src, "-o", obj];
    step(`clang ${path.relative(ROOT, src)}`, [src, ...headers], [obj], args.join(" "), () => run("clang", args));
    objects.push(obj);
  }

  const linkArgs = [...linkerFlags(EFI_LINK_ARGS), `-out:${ARTIFACTS.efi}`, `-map:${ARTIFACTS.map}`, ...objects];
  step("lld-link -> BOOTAA64.EFI", [...objects, EFI_LINK_ARGS], [ARTIFACTS.efi], linkArgs.join(" "), () => run("lld-link", linkArgs));
}

export function buildEsp(): void {
  step("mtools -> esp.img (FAT32 with EFI/BOOT/BOOTAA64.EFI)", [ARTIFACTS.efi], [ARTIFACTS.esp], "esp v1", () => {
    const tmp = ARTIFACTS.esp + ".tmp";
    fs.rmSync(tmp, { force: true });
    fs.writeFileSync(tmp, "");
    fs.truncateSync(tmp, 48 << 20);
    run("mformat", ["-i", tmp, "-F", "::"]);
    run("mmd", ["-i", tmp, "::/EFI", "::/EFI/BOOT"]);
    run("mcopy", ["-i", tmp, ARTIFACTS.efi, "::/EFI/BOOT/BOOTAA64.EFI"]);
    fs.renameSync(tmp, ARTIFACTS.esp);
  });
}

/** userspace/*.c, userspace/glibc/*.c, userspace/js/*.js -> build/userspace/*, and busybox: the files /bin gets on the system disk. */
export function buildUserspace(): ExtraFile[] {
  const extras: ExtraFile[] = [];
  for (const p of userPrograms(ROOT, BUILD)) {
    step(`clang ${path.relative(ROOT, p.source)} (user program)`, [p.source, ...userHeaders(ROOT)], [p.output],
      userCompileArgs(p).join(" "), () => compileUserProgram(p));
    extras.push({ source: p.output, diskPath: p.diskPath, mode: 0o755 });
  }
  for (const p of glibcPrograms(ROOT, BUILD)) {
    step(`gcc ${path.relative(ROOT, p.source)} (glibc program)`, [p.source], [p.output],
      glibcCompileArgs(p).join(" "), () => compileGlibcProgram(p));
    extras.push({ source: p.output, diskPath: p.diskPath, mode: 0o755 });
  }
  for (const p of jsPrograms(ROOT, BUILD)) {
    step(`porf ${path.relative(ROOT, p.source)} (JavaScript program)`, [p.source], [p.output],
      `porffor ${PORFFOR_VERSION} c, arena 256 MiB, gcc -static -O2`, () => compileJsProgram(fetchPorffor(BUILD), p));
    extras.push({ source: p.output, diskPath: p.diskPath, mode: 0o755 });
  }
  const busybox = fetchBusybox(ROOT, BUILD);
  if (busybox) {
    extras.push({ source: busybox, diskPath: "bin/busybox", mode: 0o755 });
    // busybox sh runs applets through PATH too: the usual names as symbolic links are not needed,
    // /bin/sh is the one scripts expect
  }
  return extras;
}

export function buildDisk(extras: ExtraFile[] = []): void {
  step("mkfs.ext4 -> disk.img (system disk, vda)", [...SYSTEM_DISK_INPUTS(), ...extras.map((e) => e.source)],
    [ARTIFACTS.disk], "disk v2 " + extras.map((e) => e.diskPath).join(" "),
    () => buildSystemDisk(ARTIFACTS.disk, extras));
}

export function buildAll(): void {
  buildKernel();
  buildEsp();
  buildDisk(buildUserspace());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  quiet = process.argv.includes("--quiet");
  const started = Date.now();
  log("SIS build:");
  try {
    buildAll();
  } catch (e: any) {
    console.error(`\nbuild failed: ${e.message}`);
    process.exit(1);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s: ${path.relative(ROOT, ARTIFACTS.esp)}, ${path.relative(ROOT, ARTIFACTS.disk)}`);
}
