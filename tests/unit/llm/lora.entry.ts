// Test entry for kernel/llm/lora on Node: the engine's loader, the LoRA adapter and the
// training pass (loss and gradients), driven with bytes in linear memory.
import { initMemory, freePagesNow } from "../../../kernel/mm/pages";
import { MemoryFileReader } from "../../../kernel/fs/file_reader";
import { loadModel, unloadModel, loadedModel } from "../../../kernel/llm/engine";
import { Adapter, parseTargets } from "../../../kernel/llm/lora/adapter";
import { LoraTrainer } from "../../../kernel/llm/lora/train";

export function memInit(): void { initMemory(); }
export function memFreePages(): u32 { return freePagesNow(); }
export function hostAlloc(n: u32): u32 { return <u32>heap.alloc(n); }
export function hostFree(p: u32): void { heap.free(p); }

export function load(ckpt: u32, ckptLen: u32): string {
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
