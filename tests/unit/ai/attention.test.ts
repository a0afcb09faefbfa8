// The attention model: every gradient against central finite differences, the cached
// scoring path against the plain forward pass, and the loss falling on a synthetic workload.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";

const ENTRY = "tests/unit/ai/ai.entry.ts";
let k: KernelModule<any>;

before(async () => {
  k = await loadKernelModule(ENTRY);
});

// Central differences with h = 1e-6 on f64; the analytic gradient a must agree with the
// numeric one n for all 53 parameters: |a - n| / max(|a| + |n|, 1e-4) < 1e-6, i.e. a relative
// error below 1e-6, or an absolute one below 1e-10 for gradients under 1e-4 (where the
// finite difference itself is only that accurate).
const H = 1e-6;
const TOLERANCE = 1e-6;

function checkGradients(seed: number, count: number, scale: number): number {
  k.exports.setupExample(seed, count, scale);
  k.exports.computeGradient();
  let worst = 0;
  for (let i = 0; i < k.exports.paramCount(); i++) {
    const analytic = k.exports.gradientAt(i);
    const p = k.exports.param(i);
    k.exports.setParam(i, p + H);
    const up = k.exports.loss();
    k.exports.setParam(i, p - H);
    const down = k.exports.loss();
    k.exports.setParam(i, p);
    const numeric = (up - down) / (2 * H);
    const rel = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic) + Math.abs(numeric), 1e-4);
    assert.ok(rel < TOLERANCE, `seed ${seed} n ${count}: parameter ${i}: analytic ${analytic}, numeric ${numeric}, rel ${rel}`);
    worst = Math.max(worst, rel);
  }
  return worst;
}

describe("attention model: gradients", () => {
  it("matches central finite differences for every parameter (full history, 10 random cases)", () => {
    let worst = 0;
    for (let seed = 1; seed <= 10; seed++) worst = Math.max(worst, checkGradients(seed, 20, 1.0));
    console.log(`      worst relative error: ${worst.toExponential(2)} (tolerance ${TOLERANCE})`);
  });
  it("matches with a short history (1 and 5 entries), an empty one, and large weights", () => {
    checkGradients(11, 1, 1.0);
    checkGradients(12, 5, 1.0);
    checkGradients(13, 0, 1.0);
    checkGradients(14, 20, 3.0);
  });
  it("the gradient is not trivially zero: Q, K, V and output weights all get gradient", () => {
    k.exports.setupExample(3, 20, 1.0);
    k.exports.computeGradient();
    for (const [name, from, to] of [["Wq", 0, 16], ["Wk", 16, 32], ["Wv", 32, 48], ["wo", 48, 52]] as const) {
      let sum = 0;
      for (let i = from; i < to; i++) sum += Math.abs(k.exports.gradientAt(i));
      assert.ok(sum > 1e-6, `${name} gradient ${sum}`);
    }
  });
  it("expFast agrees with Math.exp to 1e-12 relative over [-50, 50]", () => {
    for (let x = -50; x <= 50; x += 0.0137) {
      const rel = Math.abs(k.exports.exp(x) - Math.exp(x)) / Math.exp(x);
      assert.ok(rel < 1e-12, `x=${x}: ${rel}`);
    }
    assert.equal(k.exports.exp(-800), 0);
  });
});

describe("attention model: online learning", () => {
  it("the cached f64 scoring path equals the forward pass; the fixed-point one is within 1e-3", () => {
    k.exports.newModel(0.1);
    k.exports.synthSteps(57, true);
    let worst = 0;
    for (let round = 0; round < 3; round++) {
      for (const [a, b, c, d] of [[0.5, 0.9, 0, 0.3], [0.1, 0.2, 0.7, 1], [1, 0, 0, 0], [0.49, 0.5, 0.5, 0.01]]) {
        const exact = k.exports.scoreExact(a, b, c, d);
        const direct = k.exports.scoreDirect(a, b, c, d);
        const fixed = k.exports.scoreCached(a, b, c, d);
        assert.ok(Math.abs(exact - direct) < 1e-12, `${exact} vs ${direct}`);
        assert.ok(Math.abs(fixed - direct) < 1e-3, `fixed ${fixed} vs ${direct}`);
        worst = Math.max(worst, Math.abs(fixed - direct));
      }
      k.exports.synthSteps(400, true); // trained weights, new history
    }
    console.log(`      fixed-point score: worst difference ${worst.toExponential(2)}`);
  });

  it("score()'s one-pass bound and its two-pass fallback both stay within 1e-3 of the forward pass", () => {
    k.exports.newModel(0.1);
    k.exports.synthSteps(57, false);
    const rng = (() => { let x = 12345; return () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648); })();
    const check = (cases: number): number => {
      let worst = 0;
      for (let i = 0; i < cases; i++) {
        const [a, b, c, d] = [rng(), rng(), rng(), rng()];
        const diff = Math.abs(k.exports.scoreCached(a, b, c, d) - k.exports.scoreDirect(a, b, c, d));
        assert.ok(diff < 1e-3, `${[a, b, c, d]}: ${diff}`);
        worst = Math.max(worst, diff);
      }
      return worst;
    };
    const before = Number(k.exports.boundFallbacks());
    check(200);
    assert.equal(Number(k.exports.boundFallbacks()), before, "initial weights: the bound is tight enough, one pass");
    k.exports.scaleModelWeights(12); // logits spread over tens of units: the bound is loose
    const worst = check(200);
    const fallbacks = Number(k.exports.boundFallbacks()) - before;
    assert.ok(fallbacks > 0, "large weights take the two-pass path");
    console.log(`      large weights: ${fallbacks} of 200 scores took the two-pass path, worst difference ${worst.toExponential(2)}`);
  });

  // The loss of the first batch (untrained weights) vs the mean of the last five batches
  // after 3000 synthetic decisions: it must fall by at least a factor of 5.
  it("the loss falls by at least 5x on a synthetic workload (3000 decisions, 30 updates)", () => {
    k.exports.newModel(0.1);
    const v0 = k.exports.modelVersion();
    const w0 = Array.from({ length: 53 }, (_, i) => k.exports.modelParam(i));
    k.exports.synthSteps(3000, true);
    const n = k.exports.lossCount();
    assert.equal(n, 30);
    assert.equal(k.exports.modelUpdates(), 30);
    assert.equal(k.exports.modelVersion(), v0 + 30, "every update is a new model version");
    const losses = Array.from({ length: n }, (_, i) => k.exports.lossAt(i));
    const first = losses[0];
    const lastFive = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    console.log(`      loss: first batch ${first.toFixed(4)}, last five ${lastFive.toFixed(4)} (x${(first / lastFive).toFixed(1)} lower)`);
    assert.ok(lastFive * 5 < first, `losses ${losses.map((l) => l.toFixed(4)).join(" ")}`);
    // the model ranks the kinds as the targets do: I/O-bound > interactive > CPU-bound
    const io = k.exports.scoreCached(0.49, 0.2, 0.75, 0.5);
    const inter = k.exports.scoreCached(0.49, 0.12, 0, 0.5);
    const cpu = k.exports.scoreCached(0.49, 0.95, 0, 0.5);
    assert.ok(io > inter && inter > cpu, `io ${io} interactive ${inter} cpu ${cpu}`);
    assert.ok(Math.abs(cpu - 0.25) < 0.1 && Math.abs(io - 0.9) < 0.1, `cpu ${cpu} io ${io}`);
    const changed = w0.filter((w, i) => Math.abs(w - k.exports.modelParam(i)) > 1e-6).length;
    assert.ok(changed > 40, `${changed} of 53 weights changed`);
  });

  it("trains in slices on a shadow copy; decisions arriving during training past a full buffer are dropped, not lost silently", () => {
    k.exports.newModel(0.1);
    k.exports.synthSteps(k.exports.batchSize(), false);
    assert.equal(k.exports.trainingInProgress(), true);
    const before = k.exports.modelParam(48);
    assert.equal(k.exports.trainSlice(), false, "one example per slice with a past deadline");
    assert.equal(k.exports.modelParam(48), before, "live weights unchanged until the batch is done");
    k.exports.synthSteps(k.exports.batchSize() + 5, false); // fills the second buffer, then 5 dropped
    assert.equal(k.exports.dropped(), 5);
    while (!k.exports.trainSlice()) { /* train to the end */ }
    assert.notEqual(k.exports.modelParam(48), before);
    assert.equal(k.exports.modelUpdates(), 1);
  });

  it("reset-weights restores the seeded initial weights", () => {
    k.exports.newModel(0.1);
    const w0 = Array.from({ length: 53 }, (_, i) => k.exports.modelParam(i));
    k.exports.synthSteps(500, true);
    assert.notDeepEqual(Array.from({ length: 53 }, (_, i) => k.exports.modelParam(i)), w0);
    k.exports.resetModel();
    assert.deepEqual(Array.from({ length: 53 }, (_, i) => k.exports.modelParam(i)), w0);
    assert.equal(k.exports.lossCount(), 0);
  });
});
