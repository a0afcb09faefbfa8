// The burst policies (kernel/sched/burst_policy.ts, attention_policy.ts) on Node, on the test
// clock (deterministic): ordering (short bursts first, batch tasks one after another), long
// batch slices, the starvation bound, the attention model learning the remaining burst,
// switching policies while tasks run (traced), and schedctl's errors. The model's gradients
// are checked against finite differences in tests/unit/ai/attention.test.ts.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";
import { HostPlatform } from "../../host/platform.ts";

const ENTRY = "tests/unit/sched/sched.entry.ts";
let k: KernelModule<any>;
let platform: HostPlatform;

async function fresh(): Promise<void> {
  platform = new HostPlatform();
  platform.fixedCounter = 1_000_000n;
  platform.addImports("testclock", {
    advance: (t: bigint) => { platform.fixedCounter = (platform.fixedCounter ?? 0n) + t; },
  });
  k = await loadKernelModule(ENTRY, {}, platform);
  platform.takeOutput();
}

function run(line: string): { status: number; out: string } {
  platform.takeOutput();
  const status = k.exports.shellRun(line);
  return { status, out: platform.takeOutput().replace(/\r\n/g, "\n") };
}

for (const name of ["heuristic", "attention"]) {
  describe(`burst policy '${name}' (test clock)`, function () {
    this.timeout(180000);
    beforeEach(fresh);

    it("runs two CPU-bound tasks one after another in 50 ms slices (fair alternates 4 ms slices)", () => {
      assert.equal(k.exports.policy(name), true);
      const a = k.exports.spawnCpu("a", 0, 0);
      const b = k.exports.spawnCpu("b", 0, 0);
      const sw0 = k.exports.contextSwitches();
      k.exports.runPasses(8); // 8 slices
      const ca = k.exports.cpuUs(a), cb = k.exports.cpuUs(b);
      const lead = Math.max(ca, cb), other = Math.min(ca, cb);
      assert.ok(lead >= 300000, `the leader ran ${lead} us`);
      assert.ok(other < 100000, `the other ran ${other} us`);
      assert.ok(k.exports.contextSwitches() - sw0 <= 3, `switches ${k.exports.contextSwitches() - sw0}`);
    });

    it("runs a short burst before a long one, right at its wake-up (the long slice ends there)", () => {
      k.exports.policy(name);
      const c = k.exports.spawnCpu("c", 0, 0);
      const s = k.exports.spawnSleeper("s", 300, 3000, 200);
      k.exports.runPasses(400);
      // the sleeper is served at its deadline: its waits stay tiny although c takes 50 ms slices
      assert.ok(k.exports.dispatches(s) >= 150, `sleeper dispatches ${k.exports.dispatches(s)}`);
      // at most one 8 ms first slice of c at the start (both new: 5 ms first-burst estimates), then at once
      assert.ok(k.exports.maxWaitUs(s) <= 8100, `sleeper waited up to ${k.exports.maxWaitUs(s)} us`);
      const meanWait = k.exports.waitUs(s) / k.exports.dispatches(s);
      assert.ok(meanWait < 100, `sleeper mean wait ${meanWait} us`);
      assert.ok(Math.abs(k.exports.burstEmaUs(s) - 300) < 1, `burst average ${k.exports.burstEmaUs(s)}`);
      assert.ok(k.exports.predictedUs(s) < k.exports.predictedUs(c), "the short task is predicted shorter");
    });

    it("bounds every wait: a CPU task behind saturating short bursts still runs within 500 ms + one slice", () => {
      k.exports.policy(name);
      const c = k.exports.spawnCpu("c", 0, 0);
      const shorts = [0, 1, 2, 3].map((i) => k.exports.spawnSleeper("s" + i, 900, 100, 100000));
      k.exports.runPasses(12000);
      const elapsed = k.exports.sinceArrivalUs(c);
      assert.ok(elapsed > 2_000_000, `simulated ${elapsed} us`);
      assert.ok(k.exports.dispatches(c) >= 3, `cpu task dispatched ${k.exports.dispatches(c)} times`);
      const bound = 500_000 + 50_000;
      const worst = Math.max(k.exports.maxWaitUs(c), ...shorts.map((s: number) => k.exports.maxWaitUs(s)));
      console.log(`      longest wait ${(worst / 1000).toFixed(1)} ms over ${(elapsed / 1e6).toFixed(1)} s (bound ${bound / 1000} ms)`);
      assert.ok(worst <= bound, `waited ${worst} us`);
    });
  });
}

describe("attention policy: the model learns the remaining burst online (test clock)", function () {
  this.timeout(120000);
  beforeEach(fresh);

  // issue 23 item 3: a workload makes the ai-trainer task run (not a direct call): updates > 0,
  // the model version advances with each, the weights change, and the later batches' training
  // loss is below the first batch's. Broken once on purpose (the SGD step in
  // AttentionModel.trainSome() removed): this test then failed on "weights changed".
  it("on a stationary workload the trainer task trains: updates, new versions, changed weights, falling loss", () => {
    k.exports.policy("attention");
    k.exports.resetModel();
    const w0 = Array.from({ length: 53 }, (_, i) => k.exports.weightAt(i));
    const v0 = k.exports.modelVersion();
    const byTask0 = k.exports.trainedByTask();
    k.exports.spawnCpu("c", 0, 0);
    for (let i = 0; i < 3; i++) k.exports.spawnSleeper("short" + i, 200, 2000, 100000);
    for (let i = 0; i < 2; i++) k.exports.spawnSleeper("long" + i, 3000, 6000, 100000);
    k.exports.runPasses(40000);
    const updates = k.exports.modelUpdates();
    assert.ok(updates >= 10, `updates ${updates}`);
    assert.equal(k.exports.trainedByTask() - byTask0, updates, "every update was trained by the ai-trainer task");
    assert.ok(k.exports.modelVersion() >= v0 + updates, `version ${v0} -> ${k.exports.modelVersion()} after ${updates} updates`);
    const w1 = Array.from({ length: 53 }, (_, i) => k.exports.weightAt(i));
    const moved = w1.reduce((m, w, i) => Math.max(m, Math.abs(w - w0[i])), 0);
    assert.ok(moved > 1e-3, `weights changed (largest change ${moved})`);
    const n = k.exports.lossCount();
    const losses = Array.from({ length: n }, (_, i) => k.exports.lossAt(i));
    const first = losses[0];
    const later = losses.slice(1);
    const laterMean = later.reduce((a, b) => a + b, 0) / later.length;
    const last = losses.slice(-3).reduce((a, b) => a + b, 0) / 3;
    const curve = Array.from({ length: k.exports.curveCount() }, (_, i) => k.exports.modelCurveAt(i));
    console.log(`      ${updates} updates, version ${v0} -> ${k.exports.modelVersion()}, largest weight change ${moved.toFixed(3)}; ` +
      `loss first ${first.toFixed(4)}, later mean ${laterMean.toFixed(4)}, last three ${last.toFixed(4)}; ` +
      `|log2 error| first window ${curve[0].toFixed(3)}, last ${curve[curve.length - 1].toFixed(3)} ` +
      `(heuristic overall ${k.exports.heuristicErrorMean().toFixed(3)}, model overall ${k.exports.modelErrorMean().toFixed(3)})`);
    assert.ok(laterMean < first, `later batches' loss ${laterMean} vs first ${first}`);
    assert.ok(last < first / 2, `loss ${first} -> ${last}`);
    assert.ok(curve[curve.length - 1] < curve[0], `error ${curve[0]} -> ${curve[curve.length - 1]}`);
  });
});

describe("schedctl policy (test clock)", function () {
  this.timeout(180000);
  beforeEach(fresh);

  it("switches policies while tasks run: every task keeps running and each switch is traced", () => {
    const ids = [k.exports.spawnCpu("a", 0, 0), k.exports.spawnCpu("b", 0, 0), k.exports.spawnSleeper("s", 500, 4000, 100000)];
    const seq = ["heuristic", "attention", "fair", "attention", "heuristic"];
    for (const p of seq) {
      const before = ids.map((id) => k.exports.cpuUs(id));
      assert.match(run(`schedctl policy ${p}`).out, new RegExp(`^scheduler policy: ${p} \\(was \\w+\\)`));
      k.exports.runPasses(300);
      const after = ids.map((id) => k.exports.cpuUs(id));
      assert.ok(after[2] > before[2], `the sleeper ran under ${p}`);
      assert.ok(after[0] + after[1] > before[0] + before[1], `CPU tasks ran under ${p}`);
    }
    assert.match(run("schedctl policy fair").out, /^scheduler policy: fair \(was heuristic\)/);
    assert.match(run("schedctl policy fair").out, /^scheduler policy: fair \(unchanged\)/);
    assert.match(run("tracectl stats").out, /sched-policy +6 /);
    assert.match(run("schedctl stats").out, /policy switches: 6; starvation bound: a task runnable for 500 ms runs next/);
    assert.match(run("schedctl stats").out, /burst prediction error .*\n {2}model: mean \|log2\(predicted\/actual\)\| \d+\.\d{3}/);
  });

  it("rejects bad input with one clear error and keeps the policy", () => {
    run("schedctl policy heuristic");
    assert.match(run("schedctl policy bogus").out, /^error: unknown policy 'bogus' \(fair, attention or heuristic\)\n$/);
    assert.match(run("schedctl policy").out, /^error: usage: schedctl policy fair\|attention\|heuristic/);
    assert.match(run("schedctl policy fair attention").out, /^error: usage: schedctl policy/);
    assert.match(run("schedctl policy FAIR").out, /^error: unknown policy 'FAIR'/);
    assert.match(run("schedctl").out, /^policy: heuristic/);
    assert.match(run("schedctl --help").out, /policy P +fair: weighted fair queueing; attention: shortest predicted burst first/);
    assert.match(run("bench sched --mix 1,2").out, /^error: --mix must be CPU,IO,INTERACTIVE task counts/);
    assert.match(run("bench sched --mix 0,0,0").out, /^error: --mix must be/);
    assert.match(run("bench sched --first-seed x").out, /^error: /);
  });
});
