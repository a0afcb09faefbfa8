// autoctl / kernel/ai/impact on Node: every metric against numbers the test can recompute from
// what it made happen (tasks on a test clock, traced OOM decisions, a real compaction), "no data"
// before anything was recorded, reset-baseline, export-metrics, bad input, and /metrics.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";
import { HostPlatform } from "../../host/platform.ts";
import { parsePrometheus } from "../../host/prometheus.ts";

const ENTRY = "tests/unit/ai/impact.entry.ts";
let k: KernelModule<any>;
let platform: HostPlatform;
const FAIR = 0, ATTENTION = 1, HEURISTIC = 2;

async function fresh(): Promise<void> {
  platform = new HostPlatform();
  platform.fixedCounter = 1_000_000n;
  platform.addImports("testclock", {
    advance: (t: bigint) => { platform.fixedCounter = (platform.fixedCounter ?? 0n) + t; },
  });
  k = await loadKernelModule(ENTRY, { memoryBase: 64 << 20 }, platform);
  platform.takeOutput();
  k.exports.start();
}

function run(line: string): { status: number; out: string } {
  platform.takeOutput();
  const status = k.exports.shellRun(line);
  return { status, out: platform.takeOutput().replace(/\r\n/g, "\n") };
}

const report = () => JSON.parse(k.exports.json());

/** Three CPU tasks of `steps` x 1 ms; runs them to the end, ticking the window as the task would. */
function workload(steps: number): void {
  for (let i = 0; i < 3; i++) k.exports.spawnCpu(1000, steps);
  for (let i = 0; i < 10 * steps; i++) {
    if (k.exports.runPasses(1) === 0) break;
    if (i % 5 === 0) k.exports.tick();
  }
  k.exports.tick();
}

describe("autoctl: AI impact metrics", function () {
  this.timeout(120000);

  it("says 'no data' (JSON null) before anything was recorded", async () => {
    await fresh();
    const r = report();
    assert.equal(r.format, "sis-ai-metrics");
    for (const s of ["attention", "oom", "llm"]) {
      assert.equal(r.latency_us[s].n, 0);
      assert.equal(r.latency_us[s].p50, null);
    }
    assert.equal(r.follow_rate.overall, null);
    assert.equal(r.oom_accuracy.accuracy, null);
    assert.equal(r.scheduler.attention_vs_fair.context_switches_change, null);
    assert.equal(r.compaction.count, 0);
    const t = run("autoctl ai-metrics");
    assert.equal(t.status, 0);
    assert.match(t.out, /attention: no data/);
    assert.match(t.out, /llm: no data/);
    assert.match(t.out, /OOM prediction accuracy .*: no data/);
    assert.match(t.out, /AI-triggered compaction: none in this window/);
    assert.equal(run("autoctl").status, 0, "the bare command runs ai-metrics");
  });

  it("compares nothing against a baseline too short to mean anything", async () => {
    await fresh();
    workload(10); // 30 ms of CPU under fair: below the 200 ms minimum
    k.exports.policy("heuristic");
    workload(100);
    const r = report();
    assert.equal(r.scheduler.heuristic_vs_fair.context_switches_change, null);
    assert.ok(r.scheduler.heuristic_vs_fair.turnaround_change !== null, "3 tasks on each side: turnaround compares");
  });

  it("attributes switches and turnaround to the policy in use; ratios against fair from those numbers", async () => {
    await fresh();
    workload(100);
    assert.equal(k.exports.bucketTasks(FAIR), 3);
    assert.equal(k.exports.policy("heuristic"), true);
    workload(100);
    assert.equal(k.exports.bucketTasks(HEURISTIC), 3);
    assert.equal(k.exports.policy("attention"), true);
    workload(100);
    assert.equal(k.exports.bucketTasks(ATTENTION), 3);
    const r = report();
    const perCpu = (b: number) => k.exports.bucketSwitches(b) / (k.exports.bucketCpuUs(b) / 1e6);
    for (const [name, b] of [["heuristic", HEURISTIC], ["attention", ATTENTION]] as const) {
      const c = r.scheduler[`${name}_vs_fair`];
      assert.ok(Math.abs(c.context_switches_change - (perCpu(b) / perCpu(FAIR) - 1)) < 1e-3, `${name} switches ${JSON.stringify(c)}`);
      const ta = k.exports.bucketTurnaroundUs(b) / k.exports.bucketTurnaroundUs(FAIR) - 1;
      assert.ok(Math.abs(c.turnaround_change - ta) < 1e-3, `${name} turnaround ${c.turnaround_change} vs ${ta}`);
    }
    // fair interleaves three equal tasks, the burst rule keeps running the last one: fewer switches,
    // and the first tasks finish earlier (lower mean turnaround)
    assert.ok(r.scheduler.heuristic_vs_fair.context_switches_change < -0.5, JSON.stringify(r.scheduler));
    assert.ok(r.scheduler.heuristic_vs_fair.turnaround_change < 0, JSON.stringify(r.scheduler));
    assert.ok(r.scheduler.fair.turnaround_mean_ms > 200, "3 x 100 ms tasks interleaved end near 300 ms");
    assert.ok(r.latency_us.attention.n > 0, "the attention model scored picks");
    assert.ok(r.follow_rate.attention.suggestions > 0);
    assert.ok(r.follow_rate.attention.rate > 0.5);
    const t = run("autoctl ai-metrics");
    assert.match(t.out, /heuristic vs fair: context switches -\d+\.\d%, turnaround -\d+\.\d%/);
  });

  it("does not count a task that ran under two policies", async () => {
    await fresh();
    k.exports.spawnCpu(1000, 40);
    k.exports.runPasses(5);
    k.exports.policy("heuristic");
    k.exports.runPasses(100);
    k.exports.tick();
    assert.equal(k.exports.mixed(), 1);
    assert.equal(k.exports.bucketTasks(FAIR) + k.exports.bucketTasks(HEURISTIC), 0);
  });

  it("OOM accuracy from resolved outcomes, follow rate from compactions, latency from the ring", async () => {
    await fresh();
    k.exports.oomDecision(0.98, 2, 1); // alarm (action threshold 0.96), compacted, an OOM followed: TP, followed
    k.exports.oomDecision(0.97, 1, 0); // alarm, held back (cooldown), none followed: FP, not followed
    k.exports.oomDecision(0.30, 0, 0); // TN
    k.exports.oomDecision(0.50, 0, 1); // FN
    k.exports.oomDecision(0.85, 1, -1); // pending: not counted
    for (const us of [10, 20, 30, 40, 1000]) k.exports.oomLatencySample(us);
    const r = report();
    assert.deepEqual([r.oom_accuracy.resolved, r.oom_accuracy.tp, r.oom_accuracy.fp, r.oom_accuracy.tn, r.oom_accuracy.fn], [4, 1, 1, 1, 1]);
    assert.equal(r.oom_accuracy.accuracy, 0.5);
    assert.equal(r.follow_rate.oom.suggestions, 2);
    assert.equal(r.follow_rate.oom.rate, 0.5);
    assert.equal(r.latency_us.oom.n, 5);
    assert.equal(r.latency_us.oom.p50, 30);
    assert.equal(r.latency_us.oom.p99, 1000);
    k.exports.llmDecision(0, -1); // no command suggested: not a suggestion
    k.exports.llmDecision(3, 0); // suggested, ran with status 0
    k.exports.llmDecision(5, -1); // suggested, declined
    k.exports.llmLatencySample(250000);
    const r2 = report();
    assert.deepEqual([r2.follow_rate.llm.suggestions, r2.follow_rate.llm.followed], [2, 1]);
    assert.ok(Math.abs(r2.latency_us.llm.p50 - 250000) < 1, JSON.stringify(r2.latency_us.llm));
    assert.ok(Math.abs(r2.follow_rate.overall - 2 / 4) < 1e-9, "oom 1 of 2 + llm 1 of 2");
    assert.match(run("autoctl ai-metrics").out, /OOM prediction accuracy \(resolved outcomes, warning at 80%\): 50\.0% of 4 \(tp 1, fp 1, tn 1, fn 1\)/);
  });

  it("sums the before/after numbers of predictor compactions; reset-baseline starts over", async () => {
    await fresh();
    k.exports.memInit();
    const after = k.exports.compactAsPredictor();
    k.exports.tick();
    let r = report();
    assert.equal(r.compaction.count, 1);
    assert.equal(r.compaction.largest_block_after_bytes, after);
    assert.ok(after > 0);
    const t = run("autoctl reset-baseline");
    assert.equal(t.status, 0);
    assert.match(t.out, /new measurement window started/);
    r = report();
    assert.equal(r.compaction.count, 0);
    assert.equal(r.scheduler.fair.dispatches, 0);
  });

  it("export-metrics writes the JSON; bad input is one error line", async () => {
    await fresh();
    k.exports.useFileSink();
    let t = run("autoctl export-metrics /metrics.json");
    assert.equal(t.status, 0);
    assert.match(t.out, /^wrote \d+ bytes to \/metrics\.json\n$/);
    assert.equal(JSON.parse(k.exports.lastWritten()).format, "sis-ai-metrics");
    for (const [line, msg] of [["autoctl ai-metrics --bogus", /^error: unknown option --bogus\n$/],
      ["autoctl ai-metrics extra", /^error: unexpected argument 'extra'\n$/],
      ["autoctl export-metrics", /^error: usage: autoctl export-metrics PATH\n$/],
      ["autoctl reset-baseline now", /^error: autoctl reset-baseline takes no arguments\n$/],
      ["autoctl frobnicate", /^error: /]] as const) {
      t = run(line);
      assert.notEqual(t.status, 0, line);
      assert.match(t.out, msg, line);
    }
    t = run("autoctl --help");
    assert.match(t.out, /ai-metrics/);
    assert.match(t.out, /reset-baseline/);
  });

  it("is in /metrics as valid Prometheus text, leaving out what has no data", async () => {
    await fresh();
    let fams = parsePrometheus(k.exports.prometheus());
    assert.equal(fams.get("sis_ai_oom_accuracy")!.samples.length, 0, "no made-up value");
    k.exports.oomDecision(0.98, 2, 1);
    k.exports.oomLatencySample(25);
    fams = parsePrometheus(k.exports.prometheus());
    assert.equal(fams.get("sis_ai_oom_accuracy")!.samples[0].value, 1);
    const lat = fams.get("sis_ai_inference_latency_microseconds")!.samples;
    assert.ok(lat.some((s) => s.labels.subsystem === "oom" && s.labels.quantile === "0.5" && Math.abs(s.value - 25) < 0.1), JSON.stringify(lat));
    assert.equal(fams.get("sis_ai_follow_rate")!.samples.find((s) => s.labels.subsystem === "oom")!.value, 1);
  });
});
