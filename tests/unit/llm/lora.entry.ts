// Test entry for kernel/llm/lora on Node: the engine's loader, the LoRA adapter and the
// training pass (loss and gradients), driven with bytes in linear memory.
import { initMemory, freePagesNow } from "../../../kernel/mm/pages";
import { MemoryFileReader } from "../../../kernel/fs/file_reader";
import { loadModel, unloadModel, loadedModel } from "../../../kernel/llm/engine";
import { Adapter, parseTargets } from "../../../kernel/llm/lora/adapter";
import { LoraTrainer } from "../../../kernel/llm/lora/train";
import { mountRootAtBoot } from "../../../kernel/fs/mounting";
import * as vfs from "../../../kernel/fs/vfs";
import { mount } from "../../../kernel/fs/namespace";
import { TmpFs } from "../../../kernel/fs/tmpfs";
import { consoleShell } from "../../../kernel/shell/shell";
import "../../../kernel/shell/commands/help";
import "../../../kernel/shell/commands/llmctl";
import "../../../kernel/shell/commands/llmctl_lora";

export function memInit(): void { initMemory(); }
export function memFreePages(): u32 { return freePagesNow(); }
export function hostAlloc(n: u32): u32 { return <u32>heap.alloc(n); }
export function hostFree(p: u32): void { heap.free(p); }

/** A tmpfs root with /models (the shell tests). */
export function fsInit(): void { mountRootAtBoot(); vfs.makeDirectory("/models", 0o755); vfs.makeDirectory("/data", 0o755); }
export function writeFile(path: string, p: u32, n: u32): i32 {
  const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC, 0o644);
  if (fd < 0) return <i32>fd;
  const w = n > 0 ? vfs.write(fd, p, n) : 0;
  vfs.close(fd);
  return <i32>w;
}
let lastRead: Uint8Array = new Uint8Array(0);
/** Reads a whole file; returns its length (-errno) and keeps the bytes for readPtr(). */
export function readFile(path: string): i32 {
  const fd = vfs.open(path, vfs.O_RDONLY);
  if (fd < 0) return <i32>fd;
  const out = new Array<u8>();
  const buf = heap.alloc(65536);
  while (true) {
    const n = vfs.read(fd, buf, 65536);
    if (n <= 0) break;
    for (let i: i64 = 0; i < n; i++) out.push(memory_load_u8(buf + <usize>i));
  }
  heap.free(buf);
  vfs.close(fd);
  lastRead = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i++) lastRead[i] = out[i];
  return out.length;
}
export function readPtr(): u32 { return <u32>lastRead.dataStart; }
/** Mounts a tmpfs of `bytes` at path (a full disk for the save). */
export function mountTmpfs(path: string, bytes: u32): i32 { return mount(new TmpFs(<u64>bytes), path); }
export function removeFile(path: string): i32 { return vfs.removeFile(path); }
export function shellRun(line: string): i32 { return consoleShell.execute(line); }

export function loadModelBytes(ckpt: u32, ckptLen: u32): string {
  return loadModel(new MemoryFileReader(ckpt, ckptLen), "model", null, "");
}
export function unload(): bool { return unloadModel(); }

let adapter: Adapter | null = null;
let trainer: LoraTrainer | null = null;

/** A fresh adapter (A seeded, B zero) and trainer for up to maxT tokens; "" or an error. */
export function loraNew(rank: i32, alpha: f32, targets: string, seed: u64, maxT: i32): string {
  loraFree();
  const mask = parseTargets(targets);
  if (mask < 0) return "bad targets";
  const a = new Adapter(loadedModel()!.model.config, rank, alpha, mask);
  a.initRandom(seed);
  const t = new LoraTrainer(loadedModel()!.model, a, maxT);
  if (t.error.length > 0) { a.free(); return t.error; }
  adapter = a; trainer = t;
  return "";
}
export function loraFree(): void {
  if (trainer != null) trainer!.free();
  if (adapter != null) adapter!.free();
  trainer = null; adapter = null;
}
export function loraCount(): i32 { return adapter!.count; }
export function loraParams(): u32 { return <u32>adapter!.params; }
export function loraGrads(): u32 { return <u32>adapter!.grads; }
export function loraOffA(l: i32, t: i32): i32 { return adapter!.offA[l * 7 + t]; }
export function loraOffB(l: i32, t: i32): i32 { return adapter!.offB[l * 7 + t]; }
/** Loss of tokens (first = index of the first scored token); with backward, grads replaced. */
export function loraLoss(tokens: u32, T: i32, first: i32, backward: bool): f64 {
  if (backward) adapter!.zeroGrads();
  return trainer!.lossAndGrad(tokens, T, first, backward);
}
export function loraAdam(lr: f32): void { adapter!.adamStep(lr, 1.0); }
function memory_load_u8(p: usize): u8 { return load<u8>(p); }
