// Issue 21 on Node: the episode classes (leak, ramp, burst, frag, mixed) and their tasks, the
// PSI-like pressure measure (kernel/mm/psi.ts) and its /metrics lines, the remedy rule
// (kernel/ai/oom/actions.ts: compaction, reclaim, throttle, end; protected tasks never chosen),
// each remedy preventing the OOM it fits, and the development tool's seed discipline (issue 23
// item 5).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { loadKernelModule } from "../../host/compile.ts";
import { seedProblem } from "./oom-seeds.ts";

const close = (a: number, b: number, eps: number) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);
const CLASSES = ["leak", "ramp", "burst", "frag", "mixed"];
// actions.ts codes
const NONE = 0, WARN = 1, COMPACT = 2, RECLAIM = 3, THROTTLE = 4, END = 5;

describe("OOM episode classes, pressure and remedies (issue 21)", function () {
  this.timeout(300000);
  let e: any;
  let k: any;
  const run = (line: string) => {
    k.platform.takeOutput();
    const status = e.shellRun(line);
    return { status, out: k.platform.takeOutput() as string };
  };
  before(async () => {
    k = await loadKernelModule("tests/unit/ai/oom.entry.ts", { memoryBase: 64 << 20 });
    k.exports.memInit();
    e = k.exports;
  });

  it("a seed's class is seed % 5; every class has OOM and safe episodes, every page comes back", () => {
    const free = e.freeNow();
    const per: Record<string, { ooms: number; n: number; exhaustion: number }> = {};
    for (let s = 1; s <= 50; s++) {
      const [oomSlot, , frag, returned, corrupt, , , cls] = e.runOff(BigInt(s)).split(",").map(Number);
      assert.equal(cls, s % 5);
      assert.equal(returned, 1, `seed ${s}`);
      assert.equal(corrupt, 0);
      assert.equal(e.freeNow(), free);
      const c = (per[CLASSES[cls]] ??= { ooms: 0, n: 0, exhaustion: 0 });
      c.n++;
      if (oomSlot >= 0) {
        c.ooms++;
        if (!frag) c.exhaustion++;
      }
    }
    console.log("      " + CLASSES.map((c) => `${c} ${per[c].ooms}/${per[c].n}`).join(", "));
    for (const c of CLASSES) assert.ok(per[c].ooms >= 2 && per[c].ooms <= 9, `${c}: ${per[c].ooms}/10 OOM episodes`);
    const [, leakRate] = e.planOf(5n).split(",").map(Number);
    assert.ok(leakRate > 0, "a leak episode has a leaking task");
    const [, , burstPeriod] = e.planOf(7n).split(",").map(Number);
    assert.ok(burstPeriod >= 60, "a burst episode bursts every 6..12 s");
  });

  it("protected tasks (file cache, kworker) are never ended or throttled", () => {
    const names = [0, 1, 2, 3, 4, 5, 6, 7].map((t) => e.taskName(t));
    assert.deepEqual(names, ["service", "leaker", "batch-1", "batch-2", "batch-3", "batch-4", "file-cache", "kworker"]);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((t) => e.isProtectedTask(t)), [false, false, false, false, false, false, true, true]);
    assert.equal(e.isProtectedTask(-1), true);
    assert.equal(e.isProtectedTask(8), true);
  });

  it("chooses the remedy that fits the cause", () => {
    e.policySet(0.9, 0.8, 10);
    // free, largest, reclaimable, avail trend 5 s, burst headroom, top task, its throttle slot
    assert.equal(e.policyDecideIn(0.5, 0n, 4096, 256, 0, 0, 0, -1, -1n), NONE);
    assert.equal(e.policyDecideIn(0.85, 1n, 4096, 256, 0, 0, 0, -1, -1n), WARN);
    assert.equal(e.policyDecideIn(0.95, 20n, 4096, 256, 0, 0, 0, 1, -1n), COMPACT, "enough free memory, no 4 MiB block: compaction");
    assert.equal(e.policyDecideIn(0.95, 40n, 4096, 1024, 0, 0, 0, 1, -1n), WARN, "a 4 MiB block is free and memory is not falling: nothing to do");
    assert.equal(e.policyDecideIn(0.95, 60n, 2000, 256, 800, -0.05, 0, -1, -1n), RECLAIM, "falling with a cache, no task known: reclaim");
    assert.equal(e.policyDecideIn(0.95, 61n, 2000, 256, 800, -0.05, 0, -1, -1n), RECLAIM, "a reclaim does not start the cooldown");
    assert.equal(e.policyDecideIn(0.95, 80n, 2000, 256, 100, -0.05, 0, 1, -1n), THROTTLE, "falling, no cache: throttle the top task");
    assert.equal(e.policyDecideIn(0.95, 100n, 2000, 256, 100, -0.05, 0, 1, 80n), WARN, "throttled 2 s ago: wait");
    assert.equal(e.policyDecideIn(0.95, 120n, 2000, 256, 100, -0.05, 0, 1, 80n), END, "throttled >= 3 s ago and still at risk: end it");
    assert.equal(e.policyDecideIn(0.95, 140n, 900, 256, 0, 0, 0, -1, -1n), COMPACT, "no task known: compaction is all that is left");
    assert.equal(e.policyDecideIn(0.95, 160n, 5000, 256, 100, 0, 1.5, 2, -1n), THROTTLE, "a recent burst larger than what is free: throttle");
    assert.equal(e.policyDecideIn(0.95, 165n, 5000, 256, 100, 0, 1.5, 2, -1n), WARN, "cooldown");
  });

  it("each remedy prevents the OOM it fits, with the others off; none is aimed at a protected task", () => {
    // a leak OOM (exhaustion): compaction alone does not prevent it, ending or throttling the leaker does
    const leak = [5, 10, 20, 25, 30, 35, 40, 45].find((s) => Number(e.runOff(BigInt(s)).split(",")[0]) >= 0 &&
      e.runOff(BigInt(s)).split(",")[2] === "0")!;
    assert.ok(leak !== undefined, "a leak seed with an exhaustion OOM");
    const [offSlot] = e.runOff(BigInt(leak)).split(",").map(Number);
    const compactOnly = e.runActing(BigInt(leak), 0, true, false, false).split(",").map(Number);
    assert.ok(compactOnly[0] >= 0 && compactOnly[1] > 0, `compaction only: OOM at ${compactOnly[0]}, ${compactOnly[1]} compactions`);
    const tasks = e.runActing(BigInt(leak), 0, false, false, true).split(",").map(Number);
    const [oomSlot, , , throttles, ends, protectedChosen, returned, corrupt] = tasks;
    console.log(`      leak seed ${leak}: OOM at slot ${offSlot} off; compaction only: at ${compactOnly[0]}; throttle/end: ${oomSlot < 0 ? "none" : oomSlot} (${throttles} throttled, ${ends} ended)`);
    assert.equal(oomSlot, -1, "throttling / ending the leaker prevents its OOM (through the 10 s grace)");
    assert.ok(throttles + ends > 0);
    assert.equal(protectedChosen, 0);
    assert.equal(returned, 1);
    assert.equal(corrupt, 0);
    // reclaim frees the file cache: it runs and returns pages
    const r = e.runActing(BigInt(leak), 0, false, true, false).split(",").map(Number);
    assert.ok(r[2] > 0, "reclaims ran");
  });

  it("PSI: stalls raise the 10 s average faster than the 60 s one; /metrics shows both", () => {
    e.psiStall(0n, 100_000n); // the averages' starting point (0: no live stall in this kernel yet)
    assert.equal(e.psiShare(0), 0);
    for (let i = 0; i < 50; i++) e.psiStall(50_000n, 100_000n); // 50% stalled for 5 s
    const [some10, some60, full10] = [0, 1, 2].map((w) => e.psiShare(w));
    close(some10, 0.5 * (1 - Math.exp(-0.5)), 1e-6); // 50% for 5 s into a 10 s average
    close(some60, 0.5 * (1 - Math.exp(-5 / 60)), 1e-6);
    assert.ok(full10 <= some10 + 1e-12);
    for (let i = 0; i < 100; i++) e.psiStall(0n, 100_000n); // 10 s without a stall
    assert.ok(e.psiShare(0) < some10 / 2, "avg10 decays");
    const text: string = e.kernelMetricsText();
    for (const [kind, win] of [["some", "10s"], ["some", "60s"], ["full", "10s"], ["full", "60s"]]) {
      assert.match(text, new RegExp(`^sis_memory_pressure_ratio\\{kind="${kind}",window="${win}"\\} [0-9.e-]+$`, "m"));
    }
    assert.match(text, /^sis_memory_stall_microseconds_total \d+/m);
    assert.match(run("crashctl status").out, /memory pressure: some \d+\.\d% \/ \d+\.\d%, full \d+\.\d% \/ \d+\.\d% \(avg10 \/ avg60/);
  });

  it("crashctl eval: bad options get one error line", () => {
    for (const line of ["crashctl eval --class swap", "crashctl eval --class", "crashctl eval --episodes 1001", "crashctl eval --seed 999999"]) {
      const r = run(line);
      assert.equal(r.status, 1, line);
      assert.match(r.out, /^error: /, line);
      assert.equal(r.out.split("\r\n").filter(Boolean).length, 1, `${line}: ${r.out}`);
    }
  });
});

describe("the OOM development tool refuses evaluation seeds (issue 23 item 5)", function () {
  this.timeout(120000);
  it("seedProblem accepts development ranges and refuses evaluation or training ones", () => {
    assert.equal(seedProblem(500000n, 20, 1n, 200), "");
    assert.equal(seedProblem(999000n, 190, 1n, 200), "", "ends at 999955");
    assert.match(seedProblem(1000000n, 20, 1n, 200), /development seeds are 500000\.\.999999/);
    assert.match(seedProblem(999990n, 20, 1n, 200), /reaches 1000095/);
    assert.match(seedProblem(400000n, 20, 1n, 200), /development seeds are 500000/);
    assert.match(seedProblem(500000n, 20, 499900n, 200), /overlaps the development seeds/);
    assert.match(seedProblem(500000n, 0, 1n, 200), /N and TN/);
  });
  it("the tool exits with the error before loading the kernel", () => {
    const r = spawnSync("node_modules/.bin/tsx", ["tests/unit/ai/oom-dev.ts"], { env: { ...process.env, DEV: "1000000" }, encoding: "utf8" });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /^error: development seeds are 500000\.\.999999; DEV=1000000/m);
    assert.doesNotMatch(r.stdout, /training on seeds/);
  });
});
