// The OOM predictor (kernel/ai/oom) and the OOM definition (kernel/mm/reclaim.ts) on Node:
// features and the heuristic on hand-made windows, every MLP gradient against finite
// differences and the loss falling, labels and metrics on hand-made confidence sequences,
// the action rule, the model file, direct reclaim and the OOM log, seeded episodes, training
// and the evaluation pipeline on a few episodes, the live predictor and crashctl.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";
import { COUNTER_HZ } from "../../host/platform.ts";

const ENTRY = "tests/unit/ai/oom.entry.ts";
const MEMORY_BASE = 64 << 20;

async function load(): Promise<KernelModule<any>> {
  const k = await loadKernelModule(ENTRY, { memoryBase: MEMORY_BASE });
  k.exports.memInit();
  return k;
}

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

describe("OOM predictor: features and the heuristic", function () {
  this.timeout(60000);
  let e: any;
  before(async () => { e = (await load()).exports; });

  it("computes every feature of a hand-made window", () => {
    e.windowReset();
    // 51 samples: free falls 10000 -> 5000 linearly, fragmentation rises 0.5 -> 1.0,
    // failures since boot 100 -> 150 (one per slot), largest 255, rate 999, slab 1000
    for (let i = 0; i <= 50; i++) e.windowPush(10000 - 100 * i, 255, 0.5 + i / 100, 100 + i, 999, 1000);
    close(e.feature(0), Math.log2(5001));
    close(e.feature(1), (5000 - 6000) / 6000); // 1 s back: 10 slots, per second
    close(e.feature(2), (5000 - 10000) / 10000 / 5); // 5 s back, per second
    close(e.feature(3), 8); // log2(1 + 255)
    close(e.feature(4), 1.0);
    close(e.feature(5), 0.1, 1e-9); // +0.01 per slot = 0.1 per second (least squares on a line)
    close(e.feature(6), 3); // log10(1 + 999)
    close(e.feature(7), 50); // failures in the last 5 s
    close(e.feature(8), 1000 / 6000);
    // 4 MiB blocks = round(free * (1 - fragmentation) / 1024): falls monotonically to 0, so
    // the samples without one are the newest run, and the drops add up to the first count
    const blocks = (i: number) => Math.round((10000 - 100 * i) * (0.5 - i / 100) / 1024);
    assert.equal(blocks(0), 5);
    const without = [...Array(51).keys()].filter((i) => blocks(i) === 0).length;
    close(e.feature(9), 0);
    close(e.feature(10), without / 51);
    close(e.feature(11), without / 10); // the run without a block reaches back to the first one
    close(e.feature(12), 5 * 10 / 50); // 5 blocks lost over the 50-slot span, per second
    close(e.feature(13), 8);
  });

  it("computes the large-request features from free pages and fragmentation", () => {
    e.windowReset();
    // 4 MiB blocks = round(free * (1 - fragmentation) / 1024): 3 for 20 slots, 2 for 10,
    // then 0 for 10 (largest 512) and back to 1 for the last 3 (largest 1024)
    for (let i = 0; i < 20; i++) e.windowPush(4096, 1024, 0.25, 0, 0, 0);
    for (let i = 0; i < 10; i++) e.windowPush(4096, 1024, 0.5, 0, 0, 0);
    for (let i = 0; i < 10; i++) e.windowPush(4096, 512, 1.0, 0, 0, 0);
    for (let i = 0; i < 3; i++) e.windowPush(2048, 1024, 0.5, 0, 0, 0);
    close(e.feature(9), 1);
    close(e.feature(10), 10 / 43); // 43 samples in the window (< 51), 10 without a block
    close(e.feature(11), 0, 0); // a block is free now
    close(e.feature(12), (1 + 2) * 10 / 42); // drops 3 -> 2 -> 0 over a 42-slot span, per second
    close(e.feature(13), Math.log2(513));
    e.windowPush(4096, 256, 1.0, 0, 0, 0);
    e.windowPush(4096, 256, 1.0, 0, 0, 0);
    close(e.feature(11), 0.2); // two samples without a block
    close(e.feature(12), (1 + 2 + 1) * 10 / 44);
  });

  it("uses what a short window has, and is all zeros when empty", () => {
    e.windowReset();
    assert.equal(e.featureCount(), 21);
    for (let i = 0; i < 21; i++) assert.equal(e.feature(i), 0);
    e.windowPush(1000, 1, 0.2, 7, 0, 0);
    assert.equal(e.feature(1), 0, "no trend from one sample");
    e.windowPush(800, 1, 0.3, 9, 0, 0);
    close(e.feature(1), -0.2 * 10, 1e-12); // -20% in one slot = -200%/s
    close(e.feature(7), 2);
    close(e.feature(5), 1.0, 1e-12); // +0.1 per slot
  });

  it("keeps only the last 64 samples", () => {
    e.windowReset();
    for (let i = 0; i < 200; i++) e.windowPush(i, 0, 0, i, 0, 0);
    close(e.feature(7), 50); // the failure count 50 slots back is still in the ring
    close(e.feature(0), Math.log2(200));
  });

  it("maps the plan's three patterns to a confidence: mean of scores ramping to each threshold", () => {
    // decline 20%/s (free_trend_1s = -0.2), fragmentation 0.7, 4 failures: 100%
    close(e.heuristicOf(0, -0.2, 0, 0, 0.7, 0, 0, 4, 0), 1);
    close(e.heuristicOf(0, -0.5, 0, 0, 0.95, 0, 0, 10, 0), 1, 1e-12); // capped at 1 each
    close(e.heuristicOf(0, 0.3, 0, 0, 0, 0, 0, 0, 0), 0); // free rising, nothing else
    close(e.heuristicOf(0, -0.1, 0, 0, 0.35, 0, 0, 2, 0), 0.5, 1e-12); // every pattern at half
    close(e.heuristicOf(0, 0, 0, 0, 0.7, 0, 0, 4, 0), 2 / 3, 1e-12); // two of three
  });
});

describe("OOM predictor: the learned model", function () {
  this.timeout(60000);
  let e: any;
  before(async () => { e = (await load()).exports; });

  // central differences, h = 1e-6: a relative error below 1e-6, or an absolute one below 1e-8
  // for tiny gradients (with losses up to ~10, the finite difference itself is only accurate to
  // ~1e-9: f64 rounding of the loss / 2h)
  function check(seed: number, scale: number, label: number, weight: number): number {
    e.setupExample(seed, scale, label, weight);
    e.computeGradient();
    let worst = 0;
    let nonzero = 0;
    for (let i = 0; i < e.paramCount(); i++) {
      const a = e.gradientAt(i);
      const p = e.param(i);
      e.setParam(i, p + 1e-6);
      const up = e.loss();
      e.setParam(i, p - 1e-6);
      const down = e.loss();
      e.setParam(i, p);
      const n = (up - down) / 2e-6;
      const rel = Math.abs(a - n) / Math.max(Math.abs(a) + Math.abs(n), 1e-3);
      assert.ok(rel < 1e-6 || Math.abs(a - n) < 1e-8, `seed ${seed} parameter ${i}: analytic ${a}, numeric ${n}`);
      worst = Math.max(worst, rel);
      if (Math.abs(a) > 1e-8) nonzero++;
    }
    assert.ok(nonzero > e.paramCount() / 2, `only ${nonzero} non-zero gradients`);
    return worst;
  }

  it("has exact gradients for all 185 parameters (finite differences, both labels, weights, large weights)", () => {
    assert.equal(e.paramCount(), 21 * 8 + 8 + 8 + 1);
    let worst = 0;
    for (let seed = 1; seed <= 8; seed++) worst = Math.max(worst, check(seed, 1.0, seed % 2, 1 + seed));
    worst = Math.max(worst, check(20, 3.0, 1, 7.5));
    console.log(`      worst relative gradient error ${worst.toExponential(2)}`);
  });

  it("training lowers the loss and learns a nonlinear rule (OR of two features)", () => {
    const positives = e.makeSynthetic(3000, 11);
    assert.ok(positives > 500 && positives < 2500, `${positives} positives`);
    e.fitSynthetic(15);
    const first = e.syntheticEpochLoss(0);
    const last = e.syntheticEpochLoss(14);
    const untrained = e.syntheticUntrainedLoss();
    console.log(`      loss: untrained ${untrained.toFixed(4)}, epoch 1 ${first.toFixed(4)}, epoch 15 ${last.toFixed(4)}; accuracy ${e.syntheticAccuracy().toFixed(3)}`);
    assert.ok(last < first, "the loss falls over the epochs");
    assert.ok(last < untrained * 0.5, "training at least halves the loss");
    close(e.syntheticLoss(), last, 0.05);
    assert.ok(e.syntheticAccuracy() > 0.95);
  });
});

describe("OOM predictor: labels, metrics and actions", function () {
  this.timeout(60000);
  let e: any;
  before(async () => { e = (await load()).exports; });

  it("labels a slot 1 when the OOM comes 1..100 slots later", () => {
    assert.equal(e.handLabel(300, 199), false);
    assert.equal(e.handLabel(300, 200), true);
    assert.equal(e.handLabel(300, 299), true);
    assert.equal(e.handLabel(300, 300), false);
    assert.equal(e.handLabel(-1, 10), false);
  });

  it("scores hand-made sequences: recall >= 5 s, false positives, precision, lead", () => {
    e.handReset();
    // OOM at 300, alarm on [220, 260): predicted 80 slots ahead, true alarm
    e.handEpisode(300, 300, 220, 260, 0.9);
    // OOM at 300, alarm only on [270, 300): too late (30 slots)
    e.handEpisode(300, 300, 270, 300, 0.9);
    // OOM at 400, alarm on [10, 20): >= 50 slots before (counts for the recall), not in 5-10 s
    e.handEpisode(400, 400, 10, 20, 0.9);
    // no OOM, alarm on [100, 110): a false positive episode
    e.handEpisode(600, -1, 100, 110, 0.9);
    // no OOM, no alarm
    e.handEpisode(600, -1, 0, 0, 0.9);
    const f = (n: string) => e.handScoreField(n);
    assert.equal(f("oomEpisodes"), 3);
    assert.equal(f("safeEpisodes"), 2);
    assert.equal(f("predicted5s"), 2);
    assert.equal(f("predictedWindow"), 1);
    close(f("recall5s"), 2 / 3);
    assert.equal(f("safeAlarmed"), 1);
    close(f("fpEpisodes"), 0.5);
    assert.equal(f("alarms"), 4);
    assert.equal(f("trueAlarms"), 2); // [220..) and [270..) are within 100 slots of their OOM
    close(f("precisionAlarms"), 0.5);
    // samples: positives are the 100 slots before each OOM: 3 * 100
    assert.equal(f("samplesPositive"), 300);
    assert.equal(f("samplesPositiveAlarm"), 40 + 30);
    assert.equal(f("samplesNegativeAlarm"), 10 + 10);
    assert.equal(f("samplesNegative"), 300 + 300 + 400 + 600 + 600 - 300);
    close(f("fpSamples"), 20 / 1900);
    close(f("precisionSamples"), 70 / 90);
    // leads: 80 (first alarm in the horizon at 220), 30 (at 270): the median of [30, 80] is 30
    // (kernel/lib/stats.ts: nearest rank, the lower middle value for an even count)
    assert.equal(f("medianLead"), 30);
  });

  it("warns at the warning threshold and compacts at the action threshold, with a cooldown", () => {
    e.policySet(0.9, 0.8, 50);
    assert.equal(e.policyDecide(0.5, 0n, 512), 0);
    assert.equal(e.policyDecide(0.85, 1n, 512), 1);
    assert.equal(e.policyDecide(0.95, 2n, 512), 2);
    assert.equal(e.policyDecide(0.99, 3n, 512), 1, "in the cooldown: only a warning");
    assert.equal(e.policyDecide(0.99, 51n, 512), 1);
    assert.equal(e.policyDecide(0.99, 52n, 512), 2, "50 slots later: compacts again");
  });

  it("compacts only while no 4 MiB block is free (nothing to gain otherwise)", () => {
    e.policySet(0.9, 0.8, 10);
    assert.equal(e.policyDecide(0.99, 0n, 1024), 1, "a 4 MiB block is free: a warning only");
    assert.equal(e.policyDecide(0.99, 1n, 256), 2, "no block: compacts, not held back by the warning");
    assert.equal(e.policyDecide(0.99, 5n, 256), 1, "cooldown");
    assert.equal(e.policyDecide(0.99, 11n, 256), 2, "still at risk 10 slots later: compacts again");
  });
});

describe("OOM definition: direct reclaim and the OOM log (kernel/mm/reclaim.ts)", function () {
  this.timeout(60000);
  let e: any;
  before(async () => { e = (await load()).exports; });

  it("an allocation that fails after direct reclaim is logged as an OOM event and returns 0; nothing breaks", () => {
    const before = e.oomCount();
    const held: number[] = [];
    for (;;) {
      const a = e.plainAlloc(0);
      if (a === 0) break;
      held.push(a);
    }
    assert.equal(e.freeNow(), 0);
    assert.equal(e.reclaimAlloc(0), 0);
    assert.equal(e.oomCount(), before + 1n);
    const [seq, order, kind, requester, free, , cause] = e.lastOom().split(",");
    assert.equal(Number(seq), Number(before) + 1);
    assert.equal(order, "0");
    assert.equal(kind, "pages");
    assert.equal(requester, "unit test");
    assert.equal(free, "0");
    assert.equal(cause, "exhaustion");
    assert.equal(e.reclaimKmalloc(100), 0, "kmalloc too");
    assert.equal(e.lastOom().split(",")[2], "kmalloc");
    for (const a of held) assert.equal(e.plainFree(a, 0), 0);
    assert.notEqual(e.reclaimAlloc(3), 0, "memory is usable again");
  });

  it("direct reclaim rescues a request by freeing empty slabs first", () => {
    // fill memory with slabs of 2048-byte objects, free the objects (empty slabs stay), fill the rest with pages
    const objs: number[] = [];
    for (let i = 0; i < 2000; i++) objs.push(e.kmallocPlain(2048));
    for (const p of objs) assert.equal(e.kfreePlain(p), 0);
    const held: number[] = [];
    for (;;) {
      const a = e.plainAlloc(0);
      if (a === 0) break;
      held.push(a);
    }
    const rescuedBefore = Number(e.reclaimCounters().split(",")[1]);
    const oomBefore = e.oomCount();
    // the kept empty slabs (2 per class) are only returned by reclaim
    const a = e.reclaimAlloc(0);
    assert.notEqual(a, 0);
    assert.equal(Number(e.reclaimCounters().split(",")[1]), rescuedBefore + 1);
    assert.equal(e.oomCount(), oomBefore);
    e.plainFree(a, 0);
    for (const p of held) e.plainFree(p, 0);
  });

  it("fragmentation: a high-order request with enough free pages but no block is an OOM of cause fragmentation", () => {
    // pin memory with order-0 plain pages, free every other one: lots free, nothing contiguous
    const held: number[] = [];
    for (;;) {
      const a = e.plainAlloc(0);
      if (a === 0) break;
      held.push(a);
    }
    held.sort((a, b) => a - b);
    for (let i = 0; i < held.length; i += 2) e.plainFree(held[i], 0);
    assert.ok(e.freeNow() > 1000);
    assert.equal(e.largest(), 1);
    assert.equal(e.reclaimAlloc(4), 0, "no unmovable page can be migrated: light compaction cannot help");
    const f = e.lastOom().split(",");
    assert.equal(f[1], "4");
    assert.equal(f[6], "fragmentation");
    for (let i = 1; i < held.length; i += 2) e.plainFree(held[i], 0);
  });

  it("light direct compaction empties at most one region and respects its page budget", () => {
    // movable order-0 pages everywhere, every other one freed: compaction can make blocks
    const owners: number[] = [];
    for (let i = 0; ; i++) {
      const a = e.movableAlloc(0, i);
      if (a === 0) break;
      owners.push(i);
    }
    const addrs = owners.map((o) => e.movableAddr(o));
    const freed = new Set<number>();
    for (let i = 0; i < owners.length; i += 2) { e.plainFree(addrs[i], 0); freed.add(i); }
    assert.equal(e.largest(), 1);
    // order 4 (16 pages, 8 of them movable): over budget with 4 pages, done with 64
    let [, after, migrated, emptied, stop] = e.directCompact(4, 4).split(",");
    assert.equal(stop, "budget");
    assert.equal(Number(migrated), 0);
    [, after, migrated, emptied, stop] = e.directCompact(4, 64).split(",");
    assert.equal(stop, "done");
    assert.equal(Number(emptied), 1);
    assert.equal(Number(migrated), 8);
    assert.equal(Number(after), 16);
    for (let i = 1; i < owners.length; i += 2) assert.equal(e.plainFree(e.movableAddr(owners[i]), 0), 0);
  });
});

describe("OOM predictor: the model file", function () {
  this.timeout(120000);
  let k: KernelModule<any>;
  let e: any;
  before(async () => { k = await load(); e = k.exports; });
  const run = (line: string) => ({ status: e.shellRun(line), out: k.platform.takeOutput() });

  it("save and load refuse clearly while no file system is connected", () => {
    e.connectFileHooks(false);
    e.trainLearned(1n, 3, 2);
    let r = run("crashctl save");
    assert.equal(r.status, 1);
    assert.match(r.out, /^error: cannot save the model to \/models\/oom-model\.txt: no writable file system/);
    r = run("crashctl load /m.txt");
    assert.equal(r.status, 1);
    assert.match(r.out, /^error: cannot load \/m\.txt: no file system/);
  });

  it("round-trips through the file hooks: same weights, same predictions", () => {
    e.connectFileHooks(true);
    const text = e.serializeLearned();
    let r = run("crashctl save /models/oom.txt");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /saved learned model v\d+ to \/models\/oom\.txt \(\d+ bytes\)/);
    assert.equal(e.savedFile(), text);
    assert.match(text, /^sis-oom-model 3\ninputs 21\nhidden 8\nversion \d+\ntrained-seeds 1 3\n/);
    e.untrainLearned();
    assert.equal(e.learnedTrained(), false);
    r = run("crashctl load /models/oom.txt");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /loaded learned model: v\d+, trained on seeds 1\.\.3/);
    assert.equal(e.serializeLearned(), text, "every number parses back to the same f64");
    r = run("crashctl load /nope.txt");
    assert.match(r.out, /^error: cannot load \/nope\.txt: no such file/);
  });

  it("rejects broken files with the reason and leaves the model unchanged", () => {
    const good = e.serializeLearned();
    const cases: [string, RegExp][] = [
      ["hello", /not an OOM model file/],
      [good.replace("sis-oom-model 3", "sis-oom-model 2"), /not an OOM model file/], // the 14-feature format
      [good.replace("hidden 8", "hidden 9"), /another network shape/],
      [good.replace(/^mean .*$/m, "mean 1 2 3"), /bad 'mean' line/],
      [good.replace(/^scale (\S+)/m, "scale 0"), /every scale must be > 0/],
      [good.replace(/^params (\S+)/m, "params nan"), /bad 'params' line/],
      [good.replace(/^params (\S+)/m, "params 1e999"), /bad 'params' line/],
      [good.replace(/^version \d+/m, "version -1"), /bad header/],
    ];
    for (const [text, why] of cases) {
      assert.match(e.parseInto(text), why);
      e.setSavedFile(text);
      const r = run("crashctl load /models/oom.txt");
      assert.equal(r.status, 1);
      assert.equal(r.out.split("\r\n").filter(Boolean).length, 1);
      assert.match(r.out, /^error: cannot load/);
    }
    assert.equal(e.serializeLearned(), good, "the model is unchanged");
    assert.equal(e.parseInto(good), "");
    e.connectFileHooks(false);
  });
});

describe("OOM episodes, training and evaluation", function () {
  this.timeout(300000);
  let e: any;
  before(async () => { e = (await load()).exports; });

  it("episodes are seeded, return every page, and about half end in OOM (training seeds 1..40)", () => {
    const free = e.freeNow();
    // from the same starting state (the free lists' order depends on earlier episodes)
    e.runOff(7n);
    const a = e.runOff(7n).split(",");
    const b = e.runOff(7n).split(",");
    assert.deepEqual(a.slice(0, 5), b.slice(0, 5), "same seed, same episode");
    assert.notEqual(e.profileOf(7n), e.profileOf(8n));
    let ooms = 0, fragmentation = 0;
    for (let s = 1; s <= 40; s++) {
      const [oomSlot, slots, frag, returned, corrupt] = e.runOff(BigInt(s)).split(",").map(Number);
      assert.equal(returned, 1, `seed ${s}: pages returned`);
      assert.equal(corrupt, 0);
      assert.equal(e.freeNow(), free);
      if (oomSlot >= 0) {
        ooms++;
        if (frag) fragmentation++;
        assert.equal(slots, oomSlot, "every slot before the OOM was sampled");
      } else {
        assert.equal(slots, 600);
      }
    }
    console.log(`      ${ooms}/40 episodes end in OOM (${fragmentation} by fragmentation)`);
    assert.ok(ooms >= 12 && ooms <= 28, `${ooms} OOM episodes`);
  });

  it("trains on training seeds only and the loss falls", () => {
    assert.match(e.trainLearned(1_000_000n, 2, 1), /^-22,/, "an evaluation seed is refused");
    assert.match(e.trainLearned(999_999n, 2, 1), /^-22,/, "a range running into evaluation seeds is refused");
    const [err, episodes, ooms, rows, positives, first, last] = e.trainLearned(1n, 12, 6).split(",").map(Number);
    assert.equal(err, 0);
    assert.equal(episodes, 12);
    assert.ok(ooms > 0 && positives > 0 && rows > positives);
    assert.ok(positives <= ooms * 100, "at most 100 positive slots per OOM episode");
    assert.ok(last < first, `loss ${first} -> ${last}`);
    assert.ok(e.learnedTrained());
  });

  it("evaluates on a few episodes: consistent counts, clean episodes, never on the training seeds", () => {
    const out = e.evalDev(500n, 6, true);
    assert.doesNotMatch(out, /^error/);
    const [head, h, l, p] = out.split("|");
    const [episodes, ooms, frag, compactable, dirty, slots] = head.split(",").map(Number);
    assert.equal(episodes, 6);
    assert.equal(dirty, 0, "every page back, no data corruption, in every pass");
    assert.ok(frag <= ooms && compactable <= ooms && slots > 0);
    for (const s of [h, l]) {
      const [oomEp, safe, predicted, safeAlarmed, onOoms, prevented, newOoms, , alarms, trueAlarms, prevPred, pushed] = s.split(",").map(Number);
      assert.equal(oomEp, ooms);
      assert.equal(oomEp + safe, 6);
      assert.ok(predicted <= oomEp && safeAlarmed <= safe && trueAlarms <= alarms && prevPred <= prevented);
      assert.equal(onOoms + pushed, ooms - prevented + newOoms, "an OOM pushed past the end is neither prevented nor in the episode");
    }
    const [, , , , pOn, pPrevented, pNew, pCompactions, , , , pPushed] = p.split(",").map(Number);
    assert.equal(pOn + pPushed, ooms - pPrevented + pNew);
    assert.ok(pCompactions > 0);
    assert.match(e.evalDev(1n, 3, false), /^error -22/, "seeds the model was trained on are refused");
    assert.equal(e.evalReal(500n, 3), -22, "the real evaluation takes evaluation seeds only");
    assert.equal(e.evalReal(1_000_000n, 2), 0);
  });
});

describe("OOM predictor: live prediction and crashctl", function () {
  this.timeout(300000);
  let k: KernelModule<any>;
  let e: any;
  before(async () => { k = await load(); e = k.exports; });
  const run = (line: string) => ({ status: e.shellRun(line), out: k.platform.takeOutput() });
  const oneError = (line: string) => {
    const { status, out } = run(line);
    assert.equal(status, 1, line);
    assert.equal(out.split("\r\n").filter(Boolean).length, 1, `'${line}' printed: ${out}`);
    assert.match(out, /^error: /, line);
  };

  it("predicts from the memory ring, traces crossings and resolves outcomes from the OOM log", () => {
    const plat = k.platform;
    plat.fixedCounter = 1_000_000n;
    const advanceMs = (ms: number) => { plat.fixedCounter = plat.fixedCounter! + BigInt(ms) * BigInt(COUNTER_HZ) / 1000n; };
    assert.match(run("crashctl tune --announce on").out, /console announcements on/);
    e.setThresholds(0.9, 0.8, 50, false);
    e.tick();
    assert.equal(e.predictorPredictions(), 0n, "nothing new in the ring: no prediction");
    e.sampleNow();
    e.tick();
    assert.equal(e.predictorPredictions(), 1n);
    assert.ok(e.predictorConfidence() < 0.5, "an idle machine is not at risk");
    close(e.predictorFeature(0), Math.log2(1 + e.freeNow()));
    // fragment memory (every other page held), then keep allocating a tenth of what is free per
    // 100 ms with one order-3 request failing per step: decline, fragmentation, failures
    const held: number[] = [];
    for (;;) {
      const a = e.plainAlloc(0);
      if (a === 0) break;
      held.push(a);
    }
    held.sort((a, b) => a - b);
    const kept: number[] = [];
    for (let i = 0; i < held.length; i++) {
      if (i % 2 === 0) e.plainFree(held[i], 0);
      else kept.push(held[i]);
    }
    for (let step = 0; step < 8; step++) {
      const n = Math.floor(e.freeNow() / 4);
      for (let i = 0; i < n; i++) kept.push(e.plainAlloc(0));
      assert.equal(e.plainAlloc(3), 0);
      advanceMs(100);
      e.sampleNow();
      e.tick();
    }
    assert.ok(e.predictorConfidence() >= 0.8, `confidence ${e.predictorConfidence()}`);
    assert.equal(e.predictorWarnings(), 1n, "one warning for the crossing");
    assert.equal(e.predictorCompactions(), 0n, "auto-compaction is off");
    assert.ok(e.announcementsPending() > 0, "the warning is announced");
    e.announce();
    assert.match(k.platform.takeOutput(), /oom predictor: warning: an OOM is predicted within 10 s \(confidence \d+%, heuristic\)/);
    const n = e.historyLength();
    assert.ok(n >= 1, "the crossing is traced");
    const [traceId, outcome, action] = e.historyEntry(n - 1).split(",").map(Number);
    assert.equal(outcome, -1, "pending");
    assert.equal(action, 1);
    assert.equal(e.traceState(BigInt(traceId)), "pending,8", "traced with 8 features");
    // an OOM event 1 s later resolves it to 1
    advanceMs(1000);
    assert.equal(e.reclaimAlloc(10), 0);
    e.tick();
    assert.equal(e.historyEntry(n - 1).split(",")[1], "1");
    assert.equal(e.traceState(BigInt(traceId)), "1.0,8");
    for (const a of kept) e.plainFree(a, 0);
    // later decisions with no OOM within 10 s resolve to 0
    e.setThresholds(0.9, 0.8, 50, true);
    for (let i = 0; i < 60; i++) { advanceMs(100); e.sampleNow(); e.tick(); }
    advanceMs(11000);
    e.tick();
    const last = e.historyEntry(e.historyLength() - 1).split(",");
    assert.equal(last[1], "0");
    assert.equal(e.traceState(BigInt(last[0])), "0.0,8");
    // a sample read long after it was taken (the backlog of a long synchronous command) is not acted on
    const before = e.predictorPredictions();
    e.sampleNow();
    advanceMs(1000);
    e.tick();
    assert.equal(e.predictorPredictions(), before, "stale: no prediction");
    e.sampleNow();
    e.tick();
    assert.equal(e.predictorPredictions(), before + 1n, "the next fresh sample is used");
    // the clock stays under the test's control (going back to host time would run it backwards)
  });

  it("crashctl status, tune, model, history and their errors", () => {
    let r = run("crashctl status");
    assert.equal(r.status, 0);
    assert.match(r.out, /confidence now: +\d+\.\d% that an OOM follows within 10 s \(heuristic/);
    assert.match(r.out, /last warning: +[\d.]+ s, confidence \d+\.\d%/);
    assert.match(r.out, /model in use: +heuristic; learned model: untrained/);
    assert.match(r.out, /last features: +free_log2 [\d.]+, free_trend_1s/);
    assert.match(r.out, /OOM events: +\d+ since boot/);
    assert.match(r.out, /#1 at [\d.]+ s: order 10 pages for unit test: \d+ pages free, largest block 1 \((exhaustion|fragmentation)\)/);
    r = run("crashctl tune 0.95 --warning 0.85 --cooldown 20");
    assert.equal(r.status, 0);
    assert.match(r.out, /warning at 85\.0%, full compaction at 95\.0% \(on, cooldown 20 samples\)/);
    assert.match(run("crashctl status").out, /warning 85%, action 95%/);
    r = run("crashctl tune --auto off");
    assert.match(r.out, /full compaction at 95\.0% \(off/);
    run("crashctl tune 0.9 --warning 0.8 --cooldown 30 --auto on");
    r = run("crashctl history 3");
    assert.equal(r.status, 0);
    assert.match(r.out, /^TIME s +MODEL +CONFIDENCE +ACTION +TRACE +OUTCOME/);
    assert.match(r.out, /\d+ of \d+ kept; 'tracectl show ID' has the features/);
    for (const line of ["crashctl", "crashctl frob", "crashctl status now", "crashctl tune", "crashctl tune 1.5",
      "crashctl tune abc", "crashctl tune 0.5 --warning 0.7", "crashctl tune 0.9 --auto maybe", "crashctl tune 0.9 --cooldown -1",
      "crashctl tune 0.9 0.8", "crashctl tune --announce loud", "crashctl model", "crashctl model smart", "crashctl model learned", "crashctl history 0",
      "crashctl history 65", "crashctl history x", "crashctl history 1 2", "crashctl train --episodes 0",
      "crashctl train --seed 1000000", "crashctl train --seed 999990 --episodes 20", "crashctl train extra",
      "crashctl eval --seed 5", "crashctl eval --episodes 0", "crashctl eval --bogus", "crashctl save relative/path",
      "crashctl save", "crashctl load a b", "crashctl run --period-ms 0", "crashctl run --seed x"]) {
      oneError(line);
    }
  });

  it("crashctl eval trains first when needed, prints the per-class tables, and crashctl model learned then works", () => {
    let r = run("crashctl eval --episodes 1 --seed 1000000");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /the learned model is untrained: training it first on training seeds 1\.\.1000/);
    assert.match(r.out, /time is measured in 100 ms sample slots/);
    for (const c of ["leak", "ramp", "burst", "frag", "mixed"]) assert.match(r.out, new RegExp(`^${c} +\\d+/1 +`, "m"), c);
    assert.match(r.out, /^all \(class mean\) +\d+\/5 /m);
    assert.match(r.out, /recall 5-10 s: learned +heuristic +psi +FP episodes/);
    assert.match(r.out, /prevented of predicted: learned/);
    assert.match(r.out, /episodes with a data or page-count error: 0; remedies aimed at a protected task: 0/);
    r = run("crashctl eval --episodes 2 --seed 1000002 --class burst --json --periodic");
    assert.equal(r.status, 0, r.out);
    const lines = r.out.split("\r\n").filter(Boolean).map((l: string) => JSON.parse(l));
    assert.deepEqual(lines.map((l: any) => l.name), ["oom_eval_learned", "oom_eval_heuristic", "oom_eval_psi", "oom_eval_periodic", "oom_eval_episode_time"]);
    assert.equal(lines[0].episodes, 2);
    assert.equal(lines[0].class, "burst");
    assert.equal(lines[0].seed_stride, 5);
    assert.equal(lines[0].first_seed % 5, 2, "burst seeds are 2 mod 5");
    for (const k of ["recall_5_10s", "recall_5s_unbounded", "fp_rate_episodes", "recall_at_learned_fp", "prevented_of_predicted", "prevented_share"]) {
      assert.ok(k in lines[0], k);
    }
    oneError("crashctl eval --class swap");
    r = run("crashctl model learned");
    assert.equal(r.status, 0);
    assert.match(r.out, /model in use: learned v1/);
    assert.match(run("crashctl status").out, /model in use: +learned; learned model: v1, trained on seeds 1\.\.1000/);
    r = run("crashctl train --episodes 3 --seed 100 --epochs 2");
    assert.equal(r.status, 0);
    assert.match(r.out, /training the learned model on seeds 100\.\.102/);
    assert.match(r.out, /loss per epoch \(weighted cross-entropy\): [\d.]+ [\d.]+/);
    assert.match(r.out, /learned model: v2, trained on seeds 100\.\.102 .* \(in use\)/);
    run("crashctl model heuristic");
  });

  it("crashctl run: a live episode ends in an OOM event, fails cleanly, and the kernel keeps going", () => {
    run("crashctl tune --auto off");
    const free = e.freeNow();
    const before = e.oomCount();
    let r = run("crashctl run --seed 1 --period-ms 1");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /oom episode 1 running as task \d+: one workload step every 1 ms/);
    oneError("crashctl eval --episodes 1"); // busy
    oneError("crashctl run --seed 2");
    const plat = k.platform;
    const tick = BigInt(COUNTER_HZ) / 1000n; // 1 ms
    for (let i = 0; i < 5000 && e.oomCount() === before; i++) {
      plat.fixedCounter = plat.fixedCounter! + tick;
      e.loop();
    }
    for (let i = 0; i < 50; i++) e.loop();
    e.announce();
    const summary = k.platform.takeOutput();
    assert.equal(e.oomCount(), before + 1n, summary);
    assert.match(summary, /oom episode 1 \(ramp\): OOM at step \d+ \(an order-\d+ request failed after direct reclaim/);
    assert.equal(e.freeNow(), free, "the episode's memory and the pinned pool are back");
    assert.match(run("memctl check").out, /consistent/);
    assert.match(run("crashctl status").out, /for oom-episode 1:/);
    run("crashctl tune --auto on");
  });

  it("crashctl run: the predictor throttles or ends the live episode's growing task, never a protected one, and says so", () => {
    run("crashctl tune 0 --warning 0 --auto on"); // act at every cooldown
    const free = e.freeNow();
    let r = run("crashctl run --seed 1 --period-ms 100"); // one step per 100 ms sample, as in evaluation
    assert.equal(r.status, 0, r.out);
    const plat = k.platform;
    if (typeof plat.fixedCounter !== "bigint") plat.fixedCounter = 1_000_000n;
    const tick = BigInt(COUNTER_HZ) / 10n; // 100 ms
    let summary = "";
    for (let i = 0; i < 800 && !/oom episode 1 \(ramp\): /.test(summary); i++) {
      plat.fixedCounter = plat.fixedCounter! + tick;
      e.loop();
      e.tick(); // the predictor's step (its periodic task is not started in this entry)
      if (i % 20 === 0) {
        e.announce();
        summary += k.platform.takeOutput();
      }
    }
    for (let i = 0; i < 50; i++) e.loop();
    e.announce();
    summary += k.platform.takeOutput();
    assert.match(summary, /oom episode 1 \(ramp\): .*; the OOM predictor (throttled|ended) task '(service|leaker|batch-\d)' at step \d+/, summary);
    assert.doesNotMatch(summary, /task '(file-cache|kworker)'/);
    assert.match(run("crashctl status").out, /remedies: +\d+ compactions, \d+ reclaims \(\d+ pages freed\), [1-9]\d* tasks throttled/);
    assert.equal(e.freeNow(), free, "every page back");
    run("crashctl tune 0.9 --warning 0.8");
  });
});
