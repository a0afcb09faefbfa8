// Compiles an AssemblyScript entry (kernel modules plus a small test entry that exports
// what the test drives) to wasm with JS bindings, and instantiates it with a HostPlatform.
// Results are cached in build/test-wasm/ by a hash of every source, so a rerun with no
// change starts in milliseconds.
import asc from "assemblyscript/asc";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, kernelSources, listFiles, ASC_FLAGS } from "../../toolchain/build.ts";
import { HostPlatform } from "./platform.ts";

const CACHE = path.join(ROOT, "build/test-wasm");

export interface CompileOptions {
  /** Linear memory offset where AssemblyScript data starts (the buddy window below it). */
  memoryBase?: number;
  /** Total linear memory in 64 KiB pages. */
  pages?: number;
  /** Extra asc flags. */
  flags?: string[];
}

export interface KernelModule<T> {
  exports: T;
  platform: HostPlatform;
  memory: WebAssembly.Memory;
}

const compiled = new Map<string, Promise<string>>();
const modules = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles `entry` (relative to the repo root); returns the path of its bindings module. */
export function compileEntry(entry: string, options: CompileOptions = {}): Promise<string> {
  const memoryBase = options.memoryBase ?? 0;
  const pages = options.pages ?? 0;
  // --exportStart: top-level code runs after the host knows the memory (see loadKernelModule)
  const flags = [...ASC_FLAGS, "--exportStart", "_start", ...(options.flags ?? []),
    ...(memoryBase ? ["--memoryBase", String(memoryBase)] : []),
    ...(pages ? ["--initialMemory", String(pages), "--maximumMemory", String(pages)] : [])];
  const hash = createHash("sha256").update(entry).update(flags.join(" "));
  const testSources = listFiles(path.join(ROOT, "tests"), (f) => f.endsWith(".entry.ts"));
  for (const f of [...kernelSources(), ...testSources]) hash.update(f).update(fs.readFileSync(f));
  const key = `${path.basename(entry, ".ts")}-${hash.digest("hex").slice(0, 16)}`;
  if (!compiled.has(key)) compiled.set(key, build(entry, key, flags));
  return compiled.get(key)!;
}

async function build(entry: string, key: string, flags: string[]): Promise<string> {
  fs.mkdirSync(CACHE, { recursive: true });
  const wasm = path.join(CACHE, `${key}.wasm`);
  const bindings = path.join(CACHE, `${key}.js`);
  if (fs.existsSync(wasm) && fs.existsSync(bindings)) return bindings;
  const { error, stderr } = await asc.main([path.join(ROOT, entry), "-o", wasm, "--bindings", "raw", ...flags], {});
  if (error) throw new Error(`asc failed for ${entry}:\n${stderr.toString()}`);
  return bindings;
}

/** Compiles and instantiates `entry` with a fresh HostPlatform (or the one given). */
export async function loadKernelModule<T = any>(entry: string, options: CompileOptions = {},
  platform: HostPlatform = new HostPlatform()): Promise<KernelModule<T>> {
  const bindings = await compileEntry(entry, options);
  if (options.memoryBase) {
    // As on the target: linear [0, memoryBase) mirrors RAM from 0x40000000, the heap follows.
    const ramBase = 0x40000000n;
    const window = BigInt(options.memoryBase);
    platform.bootInfo.set(4, ramBase);
    platform.bootInfo.set(5, window);
    platform.bootInfo.set(6, ramBase + window);
    if (!platform.customMemmap) platform.memmap = [{ type: 7, start: ramBase, pages: window / 4096n }];
  }
  const wasmPath = bindings.replace(/\.js$/, ".wasm");
  // compiled once per process: the crash enumeration loads a fresh kernel for every state
  if (!modules.has(wasmPath)) modules.set(wasmPath, WebAssembly.compile(fs.readFileSync(wasmPath)));
  const module = await modules.get(wasmPath)!;
  const { instantiate } = await import(pathToFileURL(bindings).href);
  // The bindings run the module's start (top-level code, which may print) before they
  // return; the platform needs the memory first, so it is taken from the new instance.
  const imports = platform.imports();
  const originalInstantiate = WebAssembly.instantiate;
  let exportsObj: any;
  (WebAssembly as any).instantiate = async (m: WebAssembly.Module, imp: WebAssembly.Imports) => {
    const instance = new WebAssembly.Instance(m, imp);
    platform.memory = instance.exports.memory as WebAssembly.Memory;
    return instance;
  };
  try {
    exportsObj = await instantiate(module, imports);
  } finally {
    (WebAssembly as any).instantiate = originalInstantiate;
  }
  platform.memory = exportsObj.memory as WebAssembly.Memory;
  return { exports: exportsObj as T, platform, memory: platform.memory };
}
