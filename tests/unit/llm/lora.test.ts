// LoRA training in the kernel (kernel/llm/lora/, compiled to wasm) judged on random small
// models: the loss and every gradient against an independent float64 reference
// (lora_reference.ts), the reference's gradient against central finite differences, the
// kernel's gradient against finite differences of its own loss, and Adam lowering the loss.
import assert from "node:assert/strict";
import type { KernelModule } from "../../host/compile.ts";
import { loadKernelModule } from "../../host/compile.ts";
import { Shape, randomWeights, checkpointBytes, seededRandom } from "../../../host/llm-models.ts";
import { LoraReference, PROJ, RefLora, Proj } from "./lora_reference.ts";

const ENTRY = "tests/unit/llm/lora.entry.ts";

async function loadLora(): Promise<KernelModule<any>> {
  const k = await loadKernelModule(ENTRY, { memoryBase: 160 << 20 });
  k.exports.memInit();
  return k;
}
function put(k: KernelModule<any>, bytes: Uint8Array): number {
  const p = k.exports.hostAlloc(Math.max(1, bytes.length));
  new Uint8Array(k.memory.buffer, p, bytes.length).set(bytes);
  return p;
}
const f32 = (k: KernelModule<any>, ptr: number, n: number) => new Float32Array(k.memory.buffer, ptr, n);

function dims(s: Shape, p: Proj): [number, number] {
  const kv = (s.dim * s.kvHeads) / s.heads;
  if (p === "wk" || p === "wv") return [s.dim, kv];
  if (p === "w1" || p === "w3") return [s.dim, s.hidden];
  if (p === "w2") return [s.hidden, s.dim];
  return [s.dim, s.dim];
}

/** The kernel's adapter as float64 arrays for the reference (A and B as they are now). */
function refLora(k: KernelModule<any>, s: Shape, targets: Proj[], rank: number, alpha: number): RefLora {
  const params = f32(k, k.exports.loraParams(), k.exports.loraCount());
  const out: RefLora = { rank, scale: alpha / rank, a: {}, b: {} };
  for (const p of targets) {
    const t = PROJ.indexOf(p), [n, m] = dims(s, p);
    out.a[p] = []; out.b[p] = [];
    for (let l = 0; l < s.layers; l++) {
      const oa = k.exports.loraOffA(l, t), ob = k.exports.loraOffB(l, t);
      out.a[p]!.push(Float64Array.from(params.subarray(oa, oa + rank * n)));
      out.b[p]!.push(Float64Array.from(params.subarray(ob, ob + m * rank)));
    }
  }
  return out;
}

/** Reference gradients laid out like the kernel's parameter array. */
function flatGrads(k: KernelModule<any>, s: Shape, targets: Proj[], rank: number, g: { gA: RefLora["a"]; gB: RefLora["b"] }): Float64Array {
  const flat = new Float64Array(k.exports.loraCount());
  for (const p of targets) {
    const t = PROJ.indexOf(p);
    for (let l = 0; l < s.layers; l++) {
      flat.set(g.gA[p]![l], k.exports.loraOffA(l, t));
      flat.set(g.gB[p]![l], k.exports.loraOffB(l, t));
    }
  }
  void rank;
  return flat;
}

function kernelLoss(k: KernelModule<any>, tokens: number[], first: number, backward: boolean): number {
  const p = put(k, new Uint8Array(new Int32Array(tokens).buffer));
  const loss = k.exports.loraLoss(p, tokens.length, first, backward);
  k.exports.hostFree(p);
  return loss;
}

const ALL: Proj[] = [...PROJ];
const CASES: [string, Shape, Proj[], number][] = [
  ["GQA 4/2, hidden 44, every projection", { dim: 32, hidden: 44, layers: 2, heads: 4, kvHeads: 2, vocab: 64, seqLen: 16, shared: true }, ALL, 4],
  ["MQA, unshared classifier, wq+wv (the default)", { dim: 24, hidden: 30, layers: 3, heads: 3, kvHeads: 1, vocab: 50, seqLen: 12, shared: false }, ["wq", "wv"], 2],
];

describe("llm lora: backward pass against a float64 reference and finite differences", function () {
  this.timeout(120000);
  let k: KernelModule<any>;
  before(async () => { k = await loadLora(); });

  for (const [label, shape, targets, rank] of CASES) {
    it(`${label}: loss and all ${targets.length} x ${shape.layers} A/B gradients match`, () => {
      const w = randomWeights(shape, shape.dim + shape.layers);
      const ck = put(k, checkpointBytes(w));
      assert.equal(k.exports.loadModelBytes(ck, checkpointBytes(w).length), "");
      const alpha = 2 * rank;
      assert.equal(k.exports.loraNew(rank, alpha, targets.join(","), 7n, shape.seqLen), "");
      const n = k.exports.loraCount();
      // B starts at zero (so W' = W): give it random values so every gradient path is exercised
      const params = f32(k, k.exports.loraParams(), n);
      const rnd = seededRandom(3);
      for (const p of targets) {
        const t = PROJ.indexOf(p), [, m] = dims(shape, p);
        for (let l = 0; l < shape.layers; l++) {
          const ob = k.exports.loraOffB(l, t);
          for (let i = 0; i < m * rank; i++) params[ob + i] = (rnd() * 2 - 1) * 0.2;
        }
      }
      const tokens = Array.from({ length: shape.seqLen - 1 }, (_, i) => (i === 0 ? 1 : 3 + Math.floor(rnd() * (shape.vocab - 3))));
      const first = 4;
      const ref = new LoraReference(w, refLora(k, shape, targets, rank, alpha));
      const want = ref.run(tokens, first, true);
      const got = kernelLoss(k, tokens, first, true);
      assert.ok(Math.abs(got - want.loss) <= 1e-4 * Math.max(1, want.loss), `loss ${got} vs reference ${want.loss}`);
      const g = Float64Array.from(f32(k, k.exports.loraGrads(), n));
      const gr = flatGrads(k, shape, targets, rank, want);
      let maxRef = 0, maxDiff = 0;
      for (let i = 0; i < n; i++) { maxRef = Math.max(maxRef, Math.abs(gr[i])); maxDiff = Math.max(maxDiff, Math.abs(g[i] - gr[i])); }
      if (process.env.LLM_VERBOSE) console.log(`      ${n} params, max |grad| ${maxRef.toExponential(2)}, max diff ${maxDiff.toExponential(2)}`);
      assert.ok(maxRef > 1e-3, "gradients are not trivially zero");
      assert.ok(maxDiff <= 1e-3 * maxRef, `gradient max diff ${maxDiff} vs max ${maxRef}`);

      // the reference against central differences of its own loss (float64: tight)
      const refLoraObj = refLora(k, shape, targets, rank, alpha);
      const pick = Array.from({ length: 12 }, () => Math.floor(rnd() * n));
      for (const i of pick) {
        const where = locate(k, shape, targets, rank, i);
        const arr = (where.isA ? refLoraObj.a : refLoraObj.b)[where.p]![where.l];
        const h = 1e-5, keep = arr[where.j];
        arr[where.j] = keep + h; const up = new LoraReference(w, refLoraObj).run(tokens, first, false).loss;
        arr[where.j] = keep - h; const down = new LoraReference(w, refLoraObj).run(tokens, first, false).loss;
        arr[where.j] = keep;
        const fd = (up - down) / (2 * h);
        assert.ok(Math.abs(fd - gr[i]) <= 1e-6 + 1e-4 * maxRef, `reference param ${i}: fd ${fd} vs ${gr[i]}`);
      }
      // the kernel against central differences of its own f32 loss, on the largest gradients
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 8);
      for (const i of order) {
        const keep = params[i], h = 1e-2;
        params[i] = keep + h; const up = kernelLoss(k, tokens, first, false);
        params[i] = keep - h; const down = kernelLoss(k, tokens, first, false);
        params[i] = keep;
        const fd = (up - down) / (2 * h);
        assert.ok(Math.abs(fd - g[i]) <= 0.03 * Math.abs(g[i]) + 1e-4, `kernel param ${i}: fd ${fd} vs ${g[i]}`);
      }
      k.exports.loraFree();
      k.exports.hostFree(ck);
      assert.equal(k.exports.unload(), true);
    });
  }

  it("B = 0 at the start: the adapter changes nothing, only B gets a gradient; Adam lowers the loss", () => {
    const shape: Shape = { dim: 32, hidden: 40, layers: 2, heads: 4, kvHeads: 4, vocab: 40, seqLen: 24, shared: true };
    const w = randomWeights(shape, 99);
    const bytes = checkpointBytes(w), ck = put(k, bytes);
    assert.equal(k.exports.loadModelBytes(ck, bytes.length), "");
    const free0 = k.exports.memFreePages();
    assert.equal(k.exports.loraNew(4, 8, "wq,wv", 1n, shape.seqLen), "");
    const tokens = [1, 5, 9, 7, 12, 30, 31, 32, 33, 34, 35];
    const base = new LoraReference(w, { rank: 4, scale: 2, a: {}, b: {} }).run(tokens, 5, false).loss;
    const l0 = kernelLoss(k, tokens, 5, true);
    assert.ok(Math.abs(l0 - base) <= 1e-4 * base, `loss with B = 0 (${l0}) equals the base model's (${base})`);
    const n = k.exports.loraCount();
    const g = f32(k, k.exports.loraGrads(), n);
    let gA = 0, gB = 0;
    for (const p of ["wq", "wv"] as Proj[]) {
      const t = PROJ.indexOf(p);
      for (let l = 0; l < shape.layers; l++) {
        const oa = k.exports.loraOffA(l, t), ob = k.exports.loraOffB(l, t);
        for (let i = oa; i < ob; i++) gA = Math.max(gA, Math.abs(g[i]));
        const [, m] = dims(shape, p);
        for (let i = ob; i < ob + m * 4; i++) gB = Math.max(gB, Math.abs(g[i]));
      }
    }
    assert.equal(gA, 0);
    assert.ok(gB > 0);
    let loss = l0;
    for (let step = 0; step < 40; step++) { k.exports.loraAdam(0.05); loss = kernelLoss(k, tokens, 5, true); }
    assert.ok(loss < 0.85 * l0, `40 Adam steps: loss ${l0} -> ${loss}`);
    k.exports.loraFree();
    assert.equal(k.exports.memFreePages(), free0, "the training workspace's pages are returned");
    k.exports.hostFree(ck);
    assert.equal(k.exports.unload(), true);
  });
});

/** Which (projection, layer, A or B, index) the flat parameter i is. */
function locate(k: KernelModule<any>, s: Shape, targets: Proj[], rank: number, i: number) {
  for (const p of targets) {
    const t = PROJ.indexOf(p), [n, m] = dims(s, p);
    for (let l = 0; l < s.layers; l++) {
      const oa = k.exports.loraOffA(l, t), ob = k.exports.loraOffB(l, t);
      if (i >= oa && i < oa + rank * n) return { p, l, isA: true, j: i - oa };
      if (i >= ob && i < ob + m * rank) return { p, l, isA: false, j: i - ob };
    }
  }
  throw new Error(`parameter ${i} not found`);
}
