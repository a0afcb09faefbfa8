// The scheduler on Node: fair shares by weight, exact accounting on a test clock, sleeping,
// events, I/O blocking on a RAM disk with a modeled service time, kill (also with I/O in
// flight), periodic tasks, and the shell commands with real seeded workloads.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";
import { HostPlatform } from "../../host/platform.ts";

const ENTRY = "tests/unit/sched/sched.entry.ts";
let k: KernelModule<any>;
let platform: HostPlatform;
const TICKS_PER_US = 62.5;

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

describe("scheduler: fair policy and accounting (test clock)", function () {
  this.timeout(60000);
  beforeEach(fresh);

  it("gives equal-weight CPU-bound tasks equal CPU time", () => {
    const ids = [k.exports.spawnCpu("a", 0, 0), k.exports.spawnCpu("b", 0, 0), k.exports.spawnCpu("c", 0, 0)];
    k.exports.runPasses(300);
    const cpu = ids.map((id) => k.exports.cpuUs(id));
    const total = cpu.reduce((a, b) => a + b, 0);
    for (const c of cpu) assert.ok(Math.abs(c / total - 1 / 3) < 0.01, `shares ${cpu}`);
  });

  it("shares CPU in proportion to weight (nice 0 vs nice 5: 1024/335)", () => {
    const a = k.exports.spawnCpu("a", 0, 0);
    const b = k.exports.spawnCpu("b", 5, 0);
    k.exports.runPasses(400);
    const ratio = k.exports.cpuUs(a) / k.exports.cpuUs(b);
    assert.ok(Math.abs(ratio - 1024 / 335) / (1024 / 335) < 0.1, `ratio ${ratio}`);
  });

  it("accounts CPU, wait, dispatches and last-run time exactly", () => {
    const a = k.exports.spawnCpu("a", 0, 0);
    const b = k.exports.spawnCpu("b", 0, 0);
    k.exports.runPasses(51);
    for (const id of [a, b]) {
      const total = k.exports.cpuUs(id) + k.exports.waitUs(id) + k.exports.pendingWaitUs(id);
      assert.ok(Math.abs(total - k.exports.sinceArrivalUs(id)) <= 1, `cpu+wait ${total} vs ${k.exports.sinceArrivalUs(id)}`);
    }
    assert.equal(k.exports.dispatches(a) + k.exports.dispatches(b), 51);
    assert.ok(Math.abs(k.exports.dispatches(a) - k.exports.dispatches(b)) <= 1);
    // the one that ran last ran at "now"
    const last = Math.max(k.exports.lastRunUs(a), k.exports.lastRunUs(b));
    assert.ok(Math.abs(last - k.exports.nowUsExact()) < 1);
    // quantum: two equal tasks split the 8 ms target latency: 4 ms each
    assert.ok(Math.abs(k.exports.cpuUs(a) / k.exports.dispatches(a) - 4000) < 1);
  });

  it("does not run a sleeping task before its time, and accounts the sleep", () => {
    const s = k.exports.spawnSleeper("s", 100, 5000, 3);
    const c = k.exports.spawnCpu("c", 0, 0);
    k.exports.runPasses(1);
    assert.equal(k.exports.dispatches(s), 1);
    assert.equal(k.exports.state(s), 2, "sleeping");
    const before = k.exports.dispatches(s);
    k.exports.runPasses(1); // c runs alone: a full 8 ms quantum, longer than the 5 ms sleep
    assert.equal(k.exports.dispatches(s), before, "not run while asleep");
    assert.equal(k.exports.dispatches(c), 1);
    k.exports.runPasses(1);
    assert.equal(k.exports.dispatches(s), before + 1, "woken and picked first (sleeper credit)");
    assert.ok(k.exports.sleepUs(s) >= 5000 && k.exports.sleepUs(s) < 5000 + 8001);
    k.exports.runPasses(50);
    assert.equal(k.exports.exists(s), false, "exited and reaped after its cycles");
    assert.ok(k.exports.exists(c));
  });

  it("blocks a task on an event until it is signalled", () => {
    const w = k.exports.spawnWaiter("w", 50, 2);
    const c = k.exports.spawnCpu("c", 0, 0);
    k.exports.runPasses(5);
    assert.equal(k.exports.state(w), 3, "blocked");
    assert.equal(k.exports.dispatches(w), 1);
    assert.equal(k.exports.eventWaits(w), 1);
    assert.equal(k.exports.signalEvent(), 1);
    assert.equal(k.exports.state(w), 0, "runnable after the signal");
    k.exports.runPasses(2);
    assert.equal(k.exports.dispatches(w), 2);
    assert.equal(k.exports.signalEvent(), 1);
    k.exports.runPasses(3);
    assert.equal(k.exports.exists(w), false);
    assert.equal(k.exports.signalEvent(), 0, "nobody waits any more");
    assert.ok(k.exports.exists(c));
  });

  it("blocks on RAM-disk I/O with a modeled service time; data round-trips; I/O waits are counted", () => {
    k.exports.setupDisk(300);
    const d = k.exports.spawnDisk("d", 4);
    const c = k.exports.spawnCpu("c", 0, 0);
    let sawBlocked = false;
    for (let i = 0; i < 200 && k.exports.exists(d); i++) {
      k.exports.runPasses(1);
      if (k.exports.exists(d) && k.exports.state(d) === 3) sawBlocked = true;
      if (k.exports.exists(d)) assert.ok(k.exports.ioWaits(d) <= 8);
    }
    assert.ok(sawBlocked, "the task was seen blocked on I/O");
    assert.equal(k.exports.exists(d), false, "finished");
    assert.equal(k.exports.diskFreed(), 1, "buffers released at reap");
    assert.ok(k.exports.exists(c));
  });

  it("kill: unknown ids fail, a runnable task goes at once, one with I/O in flight waits for it", () => {
    assert.equal(k.exports.kill(999), -2);
    const a = k.exports.spawnCpu("a", 0, 0);
    assert.equal(k.exports.kill(a), 0);
    assert.equal(k.exports.exists(a), false);
    assert.equal(k.exports.kill(a), -2, "second kill: no such task");
    k.exports.setupDisk(1000);
    const d = k.exports.spawnDisk("d", 100);
    k.exports.runPasses(1);
    assert.equal(k.exports.state(d), 3);
    assert.equal(k.exports.diskInFlight(), 1);
    assert.equal(k.exports.kill(d), 0);
    assert.equal(k.exports.exists(d), true, "a zombie while the device owns its buffer");
    assert.equal(k.exports.diskFreed(), 0);
    k.exports.runPasses(40); // 40 idle passes = 2 ms of test clock
    assert.equal(k.exports.diskInFlight(), 0);
    assert.equal(k.exports.exists(d), false, "reaped on completion");
    assert.equal(k.exports.diskFreed(), 1);
  });

  it("runs a periodic task every period; kill refuses it (system task)", () => {
    const p = k.exports.startPeriodic(1000);
    k.exports.runPasses(200); // idle passes: 50 us each = 10 ms
    const runs = k.exports.periodicCount();
    assert.ok(runs >= 9 && runs <= 10, `runs ${runs}`);
    assert.equal(k.exports.kill(p), -1);
    assert.match(run(`kill ${p}`).out, /^error: task \d+ \(tick\) is a system task\n$/);
  });
});

describe("scheduler: shell commands and real workloads (host clock)", function () {
  this.timeout(60000);
  before(async () => {
    await fresh();
    platform.fixedCounter = null;
  });

  it("ps lists tasks with state and accounting; kill validates its argument", () => {
    const id = k.exports.spawnCpu("spinner", 0, 0);
    let r = run("ps");
    assert.equal(r.status, 0);
    assert.match(r.out, /^ID +NAME +KIND +STATE +NICE +CPU +WAIT +DISP +IOW +LAST +WL/);
    assert.match(r.out, new RegExp(`^${id} +spinner +test +runnable +0 +0\\.0 +0\\.0 +0 +0 +- +-`, "m"));
    assert.match(run("ps -l").out, /PROGRESS/);
    assert.match(run("ps --bogus").out, /^error: unknown option --bogus/);
    assert.match(run("kill").out, /^error: usage: kill ID/);
    assert.match(run("kill abc").out, /^error: bad task id 'abc'/);
    assert.match(run("kill 4242").out, /^error: no task with id 4242/);
    r = run(`kill ${id}`);
    assert.equal(r.status, 0);
    assert.match(r.out, new RegExp(`^killed task ${id} \\(spinner\\)`));
    assert.doesNotMatch(run("ps").out, /spinner/);
  });

  it("stresstest validates options with one clear error each", () => {
    assert.match(run("stresstest cpu --tasks 0").out, /^error: --tasks must be an integer from 1 to 64\n$/);
    assert.match(run("stresstest cpu --tasks 65").out, /^error: --tasks must be an integer from 1 to 64\n$/);
    assert.match(run("stresstest cpu --seconds abc").out, /^error: --seconds must be a number from 0\.1 to 600\n$/);
    assert.match(run("stresstest cpu --seed -1").out, /^error: /);
    assert.match(run("stresstest mixed --cpu-tasks 0 --io-tasks 0 --interactive-tasks 0").out, /^error: no tasks/);
    assert.match(run("stresstest io --device nosuch").out, /^error: no block device named 'nosuch'/);
    assert.match(run("stresstest cpu --device ram0").out, /^error: --device applies to stresstest io/);
    assert.match(run("stresstest cpu extra").out, /^error: unexpected argument 'extra'/);
    assert.match(run("stresstest cpu --help").out, /^stresstest cpu \[--tasks N\]/);
  });

  it("the same seed gives the same tasks, another seed different ones", () => {
    const plan = (seed: number) => {
      assert.equal(run(`stresstest mixed --seconds 5 --seed ${seed}`).status, 0);
      const rows = run("ps -l").out.split("\n").filter((l) => / (cpu|io|interactive) /.test(l));
      k.exports.killAll();
      k.exports.runRealUntilAnnounced(500);
      return rows.map((l) => l.replace(/^\d+ +/, "").replace(/ +\d+ +(sleeping|runnable).*?(\d+% of|0\/)/, " $2")).map((l) => l.split(/ {2,}/).pop());
    };
    const a = plan(7), b = plan(7), c = plan(8);
    assert.equal(a.length, 6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it("stresstest --wait runs the workload to its summary", () => {
    const r = run("stresstest cpu --tasks 3 --seconds 0.3 --seed 5 --wait");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^running workload \d+: cpu \(3 cpu, 0\.3 s, seed 5\) \(3 tasks\) under the fair policy\.\.\.\n/);
    assert.match(r.out, /policy fair: 3\/3 tasks done, makespan \d+\.\d{3} s/);
    assert.match(r.out, /context switches: \d+ \(\d+ dispatches\)/);
    assert.match(r.out, /turnaround: mean \d+\.\d\d ms, max \d+\.\d\d ms \(n=\d+\)/);
    assert.match(r.out, /wait \(runnable, not running\): mean \d+\.\d\d ms per task/);
    assert.match(r.out, /interactive response p99 n\/a \(n=0\)/);
    assert.match(r.out, /throughput: \d+\.\d\d tasks\/s, CPU busy \d+\.\d%/);
    const mk = Number(r.out.match(/makespan (\d+\.\d+) s/)![1]);
    assert.ok(mk > 0.2 && mk < 1.5, `makespan ${mk}`);
  });

  it("without --wait returns at once and prints the summary and a fresh prompt when done", () => {
    const r = run("stresstest mixed --cpu-tasks 1 --io-tasks 1 --interactive-tasks 1 --seconds 0.3 --seed 2");
    assert.equal(r.status, 0);
    assert.match(r.out, /^started workload \d+: mixed \(1 cpu, 1 io, 1 interactive, 0\.3 s, seed 2\) \(3 tasks\) under the fair policy; results at the end\n$/);
    assert.match(run("stresstest cpu").out, /^error: workload \d+ \(mixed\) is still running/);
    k.exports.shellType("ec"); // a half-typed line is kept
    platform.takeOutput();
    assert.equal(k.exports.runRealUntilAnnounced(5000), true);
    const raw = platform.takeOutput();
    assert.match(raw, /\r\nsis> ec$/, "prompt and the half-typed line redrawn");
    const out = raw.replace(/\r\n/g, "\n");
    assert.match(out, /stresstest mixed .* policy fair: 3\/3 tasks done/);
    assert.match(out, /I\/O ops .*\n {2}device: ram0 \(RAM disk, modeled service time 250 us per request\)/);
    assert.match(out, /interactive response (p99|max) \d+\.\d\d ms \(n=\d+\)/);
    k.exports.shellType("ho ok\r");
    assert.match(platform.takeOutput(), /ok\r\n/);
  });

  it("runs a workload under the attention policy, which learns and traces its decisions", () => {
    assert.match(run("schedctl transformer on").out, /^scheduler policy: attention/);
    const r = run("stresstest mixed --seconds 0.6 --seed 3 --wait");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /policy attention: 6\/6 tasks done/);
    const stats = run("schedctl stats").out;
    assert.match(stats, /^attention scheduler: on; model version \d+, \d+ updates, \d+ decisions learned from/);
    assert.match(stats, /decision latency \(policy pick with 2\+ runnable tasks, counter-timed\):\n {2}attention: p50 \d+\.\d\d us, (p99|max) \d+\.\d\d us over the last \d+ picks \(\d+ since boot\): \d+\.\d candidates on average, \d+ interrupted/);
    const decisions = Number(stats.match(/, (\d+) decisions learned from/)![1]);
    assert.ok(decisions > 0, stats);
    assert.match(run("tracectl stats").out, /sched +\d+ +\d+/);
    assert.match(run("ps").out, /ai-trainer +ai/);
    assert.match(run("schedctl transformer off").out, /^scheduler policy: fair/);
  });

  it("the attention policy's integer scoring path (embedFixed + scoreQ16) agrees with the f64 one", () => {
    // after a workload the model has a full history and trained weights
    run("schedctl transformer on");
    assert.equal(run("stresstest mixed --seconds 0.3 --seed 5 --wait").status, 0);
    k.exports.compareFixedPath(7, 2000);
    const embed = k.exports.embedWorst();
    const score = k.exports.scoreWorstDiff();
    console.log(`      2000 random task states: embedding within ${embed} Q16 units, score within ${score.toExponential(2)}`);
    assert.ok(embed <= 2, `embedding differs by ${embed} / 65536`);
    assert.ok(score < 1e-3, `score differs by ${score}`);
    run("schedctl transformer off");
  });

  it("schedctl validates its arguments", () => {
    assert.match(run("schedctl").out, /^policy: fair \(transformer off\)\ntasks: /);
    assert.match(run("schedctl transformer maybe").out, /^error: usage: schedctl transformer on\|off/);
    assert.match(run("schedctl set-lr 0").out, /^error: learning rate must be a number with 0 < X <= 1, not '0'/);
    assert.match(run("schedctl set-lr 2").out, /^error: learning rate must be/);
    assert.match(run("schedctl set-lr x").out, /^error: learning rate must be/);
    assert.match(run("schedctl set-lr 0.05").out, /^learning rate set to 0\.050000/);
    assert.match(run("schedctl stats").out, /learning rate 0\.0500/);
    assert.match(run("schedctl reset-weights").out, /^attention weights reset/);
    assert.match(run("schedctl stats --verbose").out, /Wq:\n( +-?\d\.\d{4}){4}\n/);
    assert.match(run("schedctl frobnicate").out, /^error: unknown schedctl subcommand 'frobnicate'/);
    assert.match(run("bench sched --seeds 0").out, /^error: --seeds must be an integer from 1 to 20/);
  });
});
