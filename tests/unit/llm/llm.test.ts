// The in-kernel language model (kernel/llm/, compiled to wasm) judged on Node by an
// independent float64 reference (reference.ts) on random checkpoints from host/llm-models.ts:
// logits at every position and after batched prompts, greedy sequences, the tokenizer's
// encoding and decoding, safetensors (F32/F16/BF16), sampling, memory accounting, and
// hostile files (truncated, absurd, mismatched, NaN, hundreds of mutated headers).
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";
import {
  Shape, SHAPES, randomWeights, checkpointBytes, makeTokenizer, safetensorsBytes, roundedWeights, seededRandom, Weights,
} from "../../../host/llm-models.ts";
import { ReferenceModel, referenceEncode, referenceDecode } from "./reference.ts";

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

function relError(got: Float32Array, want: Float64Array): number {
  let maxDiff = 0, maxRef = 1;
  for (let i = 0; i < want.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    maxRef = Math.max(maxRef, Math.abs(want[i]));
  }
  return maxDiff / maxRef;
}

const CASES: [string, Shape][] = [
  ["GQA, hidden 100 (not a multiple of 8), shared", { dim: 48, hidden: 100, layers: 2, heads: 4, kvHeads: 2, vocab: 300, seqLen: 40, shared: true }],
  ["unshared classifier, MQA (1 kv head), hidden 37", { dim: 32, hidden: 37, layers: 3, heads: 4, kvHeads: 1, vocab: 280, seqLen: 12, shared: false }],
  ["stories260K shape", SHAPES.stories260K],
];

describe("llm: forward pass against the float64 reference", function () {
  this.timeout(120000);
  let k: KernelModule<any>;
  before(async () => { k = await loadLlm(); });

  for (const [label, shape] of CASES) {
    it(`${label}: logits at every position, batched prompts and greedy tokens match`, () => {
      const w = randomWeights(shape, shape.dim * 7 + shape.layers);
      const tok = makeTokenizer(shape.vocab, 3);
      assert.equal(loadBytes(k, checkpointBytes(w), tok.bytes), "");
      const ref = new ReferenceModel(w);
      const rnd = seededRandom(11);
      const steps = Math.min(shape.seqLen, 24);
      const seq = [1, ...Array.from({ length: steps - 1 }, () => 3 + Math.floor(rnd() * (shape.vocab - 3)))];
      let worst = 0;
      for (let p = 0; p < steps; p++) {
        worst = Math.max(worst, relError(kernelLogits(k, [seq[p]], p), ref.step(seq[p], p)));
      }
      if (process.env.LLM_VERBOSE) console.log(`      worst relative error ${worst.toExponential(2)}`);
      assert.ok(worst <= TOLERANCE, `token-by-token relative error ${worst}`);
      // the same sequence as one batched prompt (BATCH tokens, then the rest)
      ref.reset();
      let want = new Float64Array(0);
      seq.forEach((t, p) => { want = ref.step(t, p); });
      const B = k.exports.batchSize();
      let got = new Float32Array(0);
      for (let at = 0; at < seq.length; at += B) got = kernelLogits(k, seq.slice(at, at + B), at);
      const e = relError(got, want);
      assert.ok(e <= TOLERANCE, `batched relative error ${e}`);
      // greedy generation from a 5-token prompt, up to the end of the context for the small seq
      const prompt = seq.slice(0, 5);
      const n = Math.min(shape.seqLen, 40);
      const refTokens = ref.greedy(prompt, n);
      const kTokens = k.exports.generateIds(prompt.join(","), n, 0, 0.9, 1n);
      if (process.env.LLM_VERBOSE) console.log(`      greedy ${refTokens.join(",")}`);
      assert.equal(kTokens, refTokens.join(","));
      assert.ok(refTokens.length > 0);
      if (shape.seqLen <= 12) assert.equal(refTokens.length, shape.seqLen - prompt.length + 1, "ran to the end of the context");
      assert.equal(k.exports.unload(), true);
    });
  }
});
