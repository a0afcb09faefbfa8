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
      k.exports.runPasses(9); // 9 slices (under attention one is the ai-trainer task's first, spawned by the switch)
      const ca = k.exports.cpuUs(a), cb = k.exports.cpuUs(b);
      const lead = Math.max(ca, cb), other = Math.min(ca, cb);
      assert.ok(lead >= 300000, `the leader ran ${lead} us`);
      assert.ok(other < 100000, `the other ran ${other} us`);
      const allowed = name === "attention" ? 4 : 3; // + the trainer's first slice
      assert.ok(k.exports.contextSwitches() - sw0 <= allowed, `switches ${k.exports.contextSwitches() - sw0}`);
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

    it("keeps batch tasks one after another past the starvation bound (an overdue slice does not hand over the lead)", () => {
      k.exports.policy(name);
      const ids = [0, 1, 2].map((i) => k.exports.spawnCpu("c" + i, 0, 0));
      let passes = 0;
      while (k.exports.sinceArrivalUs(ids[0]) < 2_000_000 && passes++ < 1000) k.exports.runPasses(1);
      const cpu = ids.map((id: number) => k.exports.cpuUs(id));
      const total = cpu.reduce((a: number, b: number) => a + b, 0);
      const lead = Math.max(...cpu);
      const worst = Math.max(...ids.map((id: number) => k.exports.maxWaitUs(id)));
      console.log(`      CPU shares over ${(total / 1e6).toFixed(2)} s: ${cpu.map((c: number) => (c / 1000).toFixed(0)).join(", ")} ms; longest wait ${(worst / 1000).toFixed(1)} ms`);
      // the others get one fair quantum per 500 ms each (the bound); the leader all the rest
      assert.ok(lead > 0.9 * total, `leader ${lead} of ${total} us`);
      assert.ok(worst <= 500_000 + 50_000 + 2 * 8000, `longest wait ${worst} us`);
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

    // the response bound (burst_policy.ts RESPONSE_SLOWDOWN): what QEMU showed with virtio-blk,
    // I/O tasks with 0.2 ms bursts runnable again almost at once, here as three tasks that sleep
    // 50 us after each 200 us burst; a task with 1.5 ms bursts must not wait behind them until
    // the 500 ms starvation bound. Without the bound (waitLimitTicks returning MAX_WAIT_US for
    // every task) its longest wait was 500 ms.
    it("bounds the response of a short task behind saturating shorter ones: max(4 ms, 4 x its predicted burst)", () => {
      k.exports.policy(name);
      const shorts = [0, 1, 2].map((i) => k.exports.spawnSleeper("io" + i, 200, 50, 100000));
      const int = k.exports.spawnSleeper("int", 1500, 5000, 100000);
      k.exports.runPasses(20000);
      assert.ok(k.exports.dispatches(int) >= 20, `interactive task dispatched ${k.exports.dispatches(int)} times`);
      const worst = k.exports.maxWaitUs(int);
      // the first burst has no history: predicted 5 ms, so 20 ms; the short tasks' slices are <= 1.4 ms
      console.log(`      longest wait of the 1.5 ms task: ${(worst / 1000).toFixed(2)} ms (bound 4 x 5 ms before its first burst, + one short slice)`);
      assert.ok(worst <= 21_500, `waited ${worst} us`);
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
    // bursts that vary (0.2..2 ms, seeded): the heuristic's estimate is off by a factor, so the
    // model (whose untrained output is exactly the heuristic's prediction) has something to learn
    for (let i = 0; i < 3; i++) k.exports.spawnVaryingSleeper("vary" + i, 200, 2000, 3000, 100000, 7 + i);
    for (let i = 0; i < 2; i++) k.exports.spawnSleeper("short" + i, 200, 2000, 100000);
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
    // the untrained model outputs exactly its base's prediction (output layer 0), so the first
    // batch's loss is the base's, not a random model's: measured 0.050 -> 0.037 when the base was
    // the heuristic; 0.047 -> 0.039 over the learned mixture (burst_mixture.ts), which learns
    // at the same time and takes part of what the heuristic missed
    assert.ok(last < first * 0.9, `loss ${first} -> ${last}`);
    // the error per 200-example window is noisy (0.27..0.60 here): the first quarter's mean vs the last quarter's
    const q = Math.max(1, Math.floor(curve.length / 4));
    const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const early = avg(curve.slice(0, q)), late = avg(curve.slice(-q));
    console.log(`      |log2 error| first quarter of the windows ${early.toFixed(3)}, last quarter ${late.toFixed(3)}`);
    assert.ok(late < early, `error ${early} -> ${late}`);
  });

  // The mixture of the classical predictors (kernel/ai/burst_mixture.ts) learns from the same
  // examples: its global weights leave uniform for the most accurate predictor, and its error is
  // within 0.02 of the best single one. Broken once on purpose (the Hedge step's sign flipped:
  // exp(+eta l)): failed on "weight of the best predictor" and on the error.
  it("the mixture of the classical predictors learns: weights go to the most accurate, error near the best one's", () => {
    k.exports.policy("attention");
    k.exports.resetModel();
    for (let i = 0; i < 3; i++) k.exports.spawnVaryingSleeper("vary" + i, 200, 2000, 3000, 100000, 7 + i);
    for (let i = 0; i < 2; i++) k.exports.spawnSleeper("short" + i, 200, 2000, 100000);
    k.exports.runPasses(40000);
    const names = ["ema", "slow_average", "last", "median8", "period"];
    const errors = names.map((_, i) => k.exports.expertErrorMean(i));
    const weights = names.map((_, i) => k.exports.mixtureWeightAt(i));
    const best = errors.indexOf(Math.min(...errors));
    const mix = k.exports.mixtureErrorMean();
    console.log(`      ${k.exports.mixtureUpdates()} updates; errors ${names.map((n, i) => `${n} ${errors[i].toFixed(3)}`).join(", ")}; ` +
      `mixture ${mix.toFixed(3)}; global weights ${names.map((n, i) => `${n} ${weights[i].toFixed(3)}`).join(", ")}`);
    assert.ok(k.exports.mixtureUpdates() > 1000, "the mixture learned from the resolved examples");
    assert.ok(weights[best] > 0.5, `weight of the best predictor (${names[best]}) ${weights[best]}`);
    assert.ok(mix <= errors[best] + 0.02, `mixture ${mix} vs best ${names[best]} ${errors[best]}`);
  });
});

describe("the model gate: the model's prediction only where it has been more accurate", function () {
  this.timeout(60000);
  before(fresh);

  it("stays with the heuristic until 50 examples, uses the model while it is more accurate, per bucket, and goes back", () => {
    k.exports.gateClear();
    // bucket < 1 ms: the model is right (actual 300 us), the heuristic says 600 us
    for (let i = 0; i < 49; i++) k.exports.gateAdd(300, 600, 300);
    assert.equal(k.exports.gateOpenFor(600), false, "49 examples: not yet");
    assert.equal(k.exports.gateChoose(300, 600), 600);
    k.exports.gateAdd(300, 600, 300);
    assert.equal(k.exports.gateOpenFor(600), true, "50 examples, model better");
    assert.equal(k.exports.gateChoose(300, 600), 300);
    assert.equal(k.exports.gateOpenFor(100000), false, "another bucket (>= 50 ms) has no examples");
    // batch bucket: the model is wrong there
    for (let i = 0; i < 100; i++) k.exports.gateAdd(20000, 200000, 200000);
    assert.equal(k.exports.gateOpenFor(200000), false, "model worse for batch work");
    assert.equal(k.exports.gateChoose(20000, 200000), 200000);
    // the model gets worse in the short bucket: the gate closes again
    for (let i = 0; i < 400; i++) k.exports.gateAdd(2000, 600, 600);
    assert.equal(k.exports.gateOpenFor(600), false, "model now worse: heuristic again");
  });

  it("schedctl stats shows each bucket's errors and who decides", () => {
    assert.equal(k.exports.policy("attention"), true);
    k.exports.resetModel();
    for (let i = 0; i < 3; i++) k.exports.spawnSleeper("short" + i, 200, 2000, 100000);
    k.exports.spawnCpu("c", 0, 0);
    k.exports.runPasses(20000);
    const out = run("schedctl stats").out;
    assert.match(out, /model gate \(the attention policy uses the model where its recent error is below its base's, the mixture's\): the model decided \d+ of \d+ predictions/);
    assert.match(out, /base estimate < 1 ms: model \d+\.\d{3} vs mixture \d+\.\d{3} \(decayed mean \|log2 error\|, n=\d+\) -> (model|mixture)/);
    assert.match(out, /mixture \(the model's base\): mean \|log2\(predicted\/actual\)\| \d+\.\d{3}/);
    assert.match(out, /classical period: mean \|log2/);
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
    assert.match(run("bench sched --mix 1,2").out, /^error: --mix must be CPU,IO,INTERACTIVE\[,PERIODIC\] task counts/);
    assert.match(run("bench sched --mix 0,0,0").out, /^error: --mix must be/);
    assert.match(run("bench sched --first-seed x").out, /^error: /);
    assert.match(run("schedctl gate sometimes").out, /^error: unknown gate mode 'sometimes' \(auto, closed or open\)\n$/);
    assert.match(run("schedctl gate").out, /^error: usage: schedctl gate auto\|closed\|open\n$/);
    assert.match(run("schedctl gate closed").out, /^model gate: closed\n$/);
    assert.match(run("schedctl stats").out, /model gate/);
    assert.match(run("schedctl gate auto").out, /^model gate: auto\n$/);
    assert.match(run("schedctl --help").out, /gate M +where the attention policy uses the model's burst prediction/);
  });
});
