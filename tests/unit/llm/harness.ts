// Drives the kernel's language model compiled to wasm (llm.entry.ts): shared by the unit
// tests and bench/llm.bench.ts.
import { loadKernelModule, KernelModule } from "../../host/compile.ts";

export const ENTRY = "tests/unit/llm/llm.entry.ts";
export const MEMORY_BASE = 160 << 20;
/** Logits agree when max |kernel - reference| <= TOLERANCE * max(1, max |reference|). */
export const TOLERANCE = 1e-4;

export async function loadLlm(): Promise<KernelModule<any>> {
  const k = await loadKernelModule(ENTRY, { memoryBase: MEMORY_BASE });
  k.exports.memInit();
  return k;
}

export function put(k: KernelModule<any>, bytes: Uint8Array): number {
  const p = k.exports.hostAlloc(Math.max(1, bytes.length));
  new Uint8Array(k.memory.buffer, p, bytes.length).set(bytes);
  return p;
}

/** Loads checkpoint (+ tokenizer) bytes; returns "" or the kernel's error line. */
export function loadBytes(k: KernelModule<any>, ckpt: Uint8Array, tok?: Uint8Array): string {
  const a = put(k, ckpt);
  const b = tok ? put(k, tok) : 0;
  const r = k.exports.load(a, ckpt.length, b, tok ? tok.length : 0);
  k.exports.hostFree(a);
  if (b) k.exports.hostFree(b);
  return r;
}

export function kernelLogits(k: KernelModule<any>, tokens: number[], pos: number): Float32Array {
  const p = put(k, new Uint8Array(new Int32Array(tokens).buffer));
  const at = k.exports.forward(p, tokens.length, pos);
  k.exports.hostFree(p);
  return new Float32Array(k.memory.buffer.slice(at, at + 4 * k.exports.vocab()));
}

