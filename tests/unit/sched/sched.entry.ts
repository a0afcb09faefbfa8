// Test entry for the scheduler: scripted tasks on a test-controlled clock (testclock.advance
// moves the host's fixed counter, standing in for CPU time spent), the real workloads on the
// host clock, and the shell commands (ps, kill, schedctl, stresstest).
import { Task, StepResult, TaskState } from "../../../kernel/sched/task";
import { Event } from "../../../kernel/sched/event";
import { spawnTask, runScheduler, findTask, killTask, liveTasks, useAttention, installLearnedPolicy, setPolicy, counters } from "../../../kernel/sched/scheduler";
import { attentionPolicy } from "../../../kernel/ai/attention_policy";
import { trainerBatches } from "../../../kernel/ai/trainer";
import { BurstGate, gateBucketOf } from "../../../kernel/ai/burst_gate";
import { modelError, modelErrorCurve, heuristicErrorCurve, heuristicError, clearPredictionErrors, expertErrors, mixtureError } from "../../../kernel/sched/burst_policy";
import { Random } from "../../../kernel/lib/random";
import { registerPeriodicTask } from "../../../kernel/sched/periodic";
import { pendingAnnouncements } from "../../../kernel/sched/announce";
import { flushAnnouncements } from "../../../kernel/shell/announce";
import { RamDisk } from "../../../kernel/block/ramdisk";
import { BlockRequest, BlockOp } from "../../../kernel/block/device";
import { runPollers } from "../../../kernel/kernel_loop";
import { nowTicks, usToTicks, ticksToUs } from "../../../kernel/platform/time";
import { consoleShell } from "../../../kernel/shell/shell";
import "../../../kernel/shell/commands/ps";
import "../../../kernel/shell/commands/kill";
import "../../../kernel/shell/commands/schedctl";
import "../../../kernel/shell/commands/tracectl";
import "../../../kernel/shell/commands/stresstest";
import "../../../kernel/shell/commands/bench";
import "../../../kernel/shell/commands/sched_stresstest";
import "../../../kernel/shell/commands/sched_bench";

installLearnedPolicy(attentionPolicy); // as kernel/init.ts does at boot

@external("testclock", "advance") declare function advance(ticks: u64): void;

/** Uses CPU by moving the fake clock: `stepUs` per step (or up to the quantum when 0). */
class ScriptedTask extends Task {
  steps: i32 = 0;
  cyclesDone: i32 = 0;
  /** 0 cpu-bound, 1 burst then sleep, 2 burst then wait on the event, 3 I/O round trips. */
  constructor(name: string, public mode: i32, public stepUs: u64, public sleepUs: u64, public cycles: i32) {
    super(name, "test");
  }

  step(): StepResult {
    this.steps++;
    const now = nowTicks();
    if (this.stepUs == 0) advance(this.sliceDeadline > now ? this.sliceDeadline - now : 0);
    else advance(usToTicks(this.stepUs));
    if (this.mode == 0) {
      if (this.cycles > 0 && this.steps >= this.cycles) return this.exit(0);
      return StepResult.Yield;
    }
    this.cyclesDone++;
    if (this.cyclesDone > this.cycles) return this.exit(0);
    if (this.mode == 1) return this.sleepForUs(this.sleepUs);
    return this.waitFor(testEvent);
  }
}

/** Writes a pattern to the RAM disk, reads it back into another buffer, checks it; `rounds` times. */
class DiskTask extends Task {
  round: i32 = 0;
  phase: i32 = 0; // 0 write next, 1 writing, 2 reading
  mismatches: i32 = 0;
  out: usize = heap.alloc(4096);
  inp: usize = heap.alloc(4096);
  request: BlockRequest;
  freed: bool = false;

  constructor(name: string, public disk: RamDisk, public rounds: i32) {
    super(name, "io");
    this.request = new BlockRequest(BlockOp.Write, 0, 8, 0);
  }

  step(): StepResult {
    advance(usToTicks(10));
    const r = this.request;
    if (this.phase == 1) {
      // write done: read it back
      this.phase = 2;
      r.op = BlockOp.Read;
      r.buffer = this.inp;
      r.done = false;
      memory.fill(this.inp, 0, 4096);
      this.disk.submit(r);
      return this.waitForRequest(r);
    }
    if (this.phase == 2) {
      for (let i: usize = 0; i < 4096; i++) if (load<u8>(this.inp + i) != load<u8>(this.out + i)) { this.mismatches++; break; }
      this.round++;
      if (this.round >= this.rounds) return this.exit(this.mismatches);
    }
    this.phase = 1;
    memory.fill(this.out, <u8>(this.round * 37 + 11), 4096);
    store<u8>(this.out, <u8>this.round);
    r.op = BlockOp.Write;
    r.lba = <u64>(this.round * 8 + 64);
    r.buffer = this.out;
    r.done = false;
    this.disk.submit(r);
    return this.waitForRequest(r);
  }

  onExit(): void {
    heap.free(this.out);
    heap.free(this.inp);
    this.freed = true;
    diskTasksFreed++;
  }
}

const testEvent = new Event("test");
let diskTasksFreed: i32 = 0;
let ramdisk: RamDisk | null = null;

export function setupDisk(serviceUs: i32): void {
  ramdisk = new RamDisk("t0", 2048, <u64>serviceUs);
}

export function spawnCpu(name: string, nice: i32, steps: i32): i32 {
  const t = new ScriptedTask(name, 0, 0, 0, steps);
  t.nice = nice;
  return spawnTask(t);
}
export function spawnSleeper(name: string, burstUs: i32, sleepUs: i32, cycles: i32): i32 {
  return spawnTask(new ScriptedTask(name, 1, <u64>burstUs, <u64>sleepUs, cycles));
}
/** Bursts drawn uniformly from loUs..hiUs (seeded; the test clock advances by each), then a sleep of sleepUs; `cycles` times. */
class VaryingSleeper extends Task {
  cyclesDone: i32 = 0;
  rng: Random;
  constructor(name: string, public loUs: u64, public hiUs: u64, public sleepUs: u64, public cycles: i32, seed: u64) {
    super(name, "test");
    this.rng = new Random(seed);
  }
  step(): StepResult {
    advance(usToTicks(this.loUs + this.rng.below(this.hiUs - this.loUs + 1)));
    this.cyclesDone++;
    if (this.cyclesDone > this.cycles) return this.exit(0);
    return this.sleepForUs(this.sleepUs);
  }
}
export function spawnVaryingSleeper(name: string, loUs: i32, hiUs: i32, sleepUs: i32, cycles: i32, seed: i32): i32 {
  return spawnTask(new VaryingSleeper(name, <u64>loUs, <u64>hiUs, <u64>sleepUs, cycles, <u64>seed));
}
export function spawnWaiter(name: string, burstUs: i32, cycles: i32): i32 {
  return spawnTask(new ScriptedTask(name, 2, <u64>burstUs, 0, cycles));
}
export function spawnDisk(name: string, rounds: i32): i32 {
  return spawnTask(new DiskTask(name, ramdisk!, rounds));
}
export function signalEvent(): i32 { return testEvent.signal(); }
export function diskFreed(): i32 { return diskTasksFreed; }
export function diskInFlight(): i32 { return ramdisk!.inFlight; }

/** Runs `n` loop passes: pollers, one dispatch; when idle the fake clock moves 50 us. Returns dispatches. */
export function runPasses(n: i32): i32 {
  let ran = 0;
  for (let i = 0; i < n; i++) {
    runPollers();
    if (runScheduler()) ran++;
    else advance(usToTicks(50));
  }
  return ran;
}

/** Runs the real event loop on the host clock until no announcement is pending / `ms` passed. */
export function runRealUntilAnnounced(ms: f64): bool {
  const end = nowTicks() + usToTicks(<u64>(ms * 1000));
  while (nowTicks() < end) {
    runPollers();
    runScheduler();
    if (pendingAnnouncements() > 0) {
      flushAnnouncements();
      return true;
    }
  }
  return false;
}

function task(id: i32): Task { return findTask(id)!; }
export function exists(id: i32): bool { return findTask(id) != null; }
export function state(id: i32): i32 { return findTask(id) != null ? <i32>task(id).state : -1; }
export function cpuUs(id: i32): f64 { return <f64>ticksToUs(task(id).cpuTicks); }
export function waitUs(id: i32): f64 { return <f64>ticksToUs(task(id).waitTicks); }
/** Wait not yet charged (runnable since stateSince). */
export function pendingWaitUs(id: i32): f64 {
  const t = task(id);
  return t.state == TaskState.Runnable ? <f64>ticksToUs(nowTicks() - t.stateSince) : 0;
}
export function sinceArrivalUs(id: i32): f64 { return <f64>ticksToUs(nowTicks() - task(id).arrivedAt); }
export function sleepUs(id: i32): f64 { return <f64>ticksToUs(task(id).sleepTicks); }
export function ioWaitUs(id: i32): f64 { return <f64>ticksToUs(task(id).ioWaitTicks); }
export function dispatches(id: i32): i32 { return <i32>task(id).dispatches; }
export function ioWaits(id: i32): i32 { return <i32>task(id).ioWaits; }
export function eventWaits(id: i32): i32 { return <i32>task(id).eventWaits; }
export function lastRunUs(id: i32): f64 { return <f64>ticksToUs(task(id).lastRunAt); }
export function nowUsExact(): f64 { return <f64>ticksToUs(nowTicks()); }
export function kill(id: i32): i32 { return killTask(id); }
export function taskCount(): i32 { return liveTasks().length; }
export function killAll(): void {
  const list = liveTasks().slice(0);
  for (let i = 0; i < list.length; i++) if (!list[i].system) killTask(list[i].id);
}

let periodicRuns: i32 = 0;
function countRun(): void { periodicRuns++; }
export function startPeriodic(periodUs: i32): i32 { return registerPeriodicTask("tick", <u64>periodUs, countRun); }
export function periodicCount(): i32 { return periodicRuns; }

export function attention(on: bool): void { useAttention(on); }

export function shellRun(line: string): i32 { return consoleShell.execute(line); }
export function shellType(bytes: string): void {
  for (let i = 0; i < bytes.length; i++) consoleShell.feed(<u8>bytes.charCodeAt(i));
}

// ---- the attention policy's integer scoring path vs the f64 one ----
const probeTask = new ScriptedTask("probe", 0, 0, 0, 0);
const probeEmbedding = new StaticArray<f64>(4);
let embedWorstQ16: i32 = 0;
let scoreWorst: f64 = 0;

/**
 * `cases` random task states (nice, decayed times of 0..1e9 ticks, ages 0..100 ms, some
 * never run or just run): the largest |embedFixed - round(embed * 65536)| (Q16 units) goes
 * to embedWorst(), the largest |scoreQ16(embedFixed) - scoreExact(embed)| to scoreWorst().
 */
export function compareFixedPath(seed: i32, cases: i32): void {
  const rng = new Random(<u64>seed);
  const p = attentionPolicy;
  embedWorstQ16 = 0;
  scoreWorst = 0;
  const now = nowTicks();
  for (let i = 0; i < cases; i++) {
    const t = probeTask;
    t.nice = <i32>rng.below(40) - 20;
    t.recentCpu = rng.nextFloat() * Math.pow(10, rng.uniform(0, 9));
    t.recentIo = rng.below(3) == 0 ? 0 : rng.nextFloat() * Math.pow(10, rng.uniform(0, 9));
    t.recentSleep = rng.below(3) == 0 ? 0 : rng.nextFloat() * Math.pow(10, rng.uniform(0, 9));
    t.dispatches = rng.below(10) == 0 ? 0 : 1;
    t.lastRunAt = now - usToTicks(<u64>rng.below(100000));
    p.embed(t, now, probeEmbedding);
    p.embedFixed(t, now);
    const f = [p.fixed0, p.fixed1, p.fixed2, p.fixed3];
    for (let c = 0; c < 4; c++) {
      const d = abs(f[c] - <i32>Math.round(probeEmbedding[c] * 65536));
      if (d > embedWorstQ16) embedWorstQ16 = d;
    }
    const diff = Math.abs(p.model.scoreQ16(p.fixed0, p.fixed1, p.fixed2, p.fixed3) - p.model.scoreExact(probeEmbedding));
    if (diff > scoreWorst) scoreWorst = diff;
  }
}
export function embedWorst(): i32 { return embedWorstQ16; }
export function scoreWorstDiff(): f64 { return scoreWorst; }

// ---- the burst policies (tests/unit/sched/burst.test.ts) ----
export function policy(name: string): bool { return setPolicy(name); }
export function contextSwitches(): f64 { return <f64>counters.contextSwitches; }
export function maxWaitUs(id: i32): f64 { return <f64>ticksToUs(task(id).maxWaitTicks); }
export function predictedUs(id: i32): f64 { return task(id).predictedUs; }
export function burstEmaUs(id: i32): f64 { return task(id).burstEmaUs; }
export function modelUpdates(): i32 { return <i32>attentionPolicy.model.updates; }
export function modelVersion(): i32 { return <i32>attentionPolicy.model.version; }
export function trainedByTask(): i32 { return <i32>trainerBatches(); }
/** One weight of the model (index 0..52). */
export function weightAt(i: i32): f64 { return attentionPolicy.model.params[i]; }
export function lossCount(): i32 { return attentionPolicy.model.lossHistory.length; }
export function lossAt(i: i32): f64 { return attentionPolicy.model.lossHistory[i]; }
export function curveCount(): i32 { return modelErrorCurve.length; }
export function modelCurveAt(i: i32): f64 { return modelErrorCurve[i]; }
export function heuristicCurveAt(i: i32): f64 { return heuristicErrorCurve[i]; }
export function modelErrorMean(): f64 { return modelError.meanLog2; }
export function heuristicErrorMean(): f64 { return heuristicError.meanLog2; }
/** Sum of |w| over the model's parameters (to see that learning changes them). */
export function weightSum(): f64 {
  const p = attentionPolicy.model.params;
  let s: f64 = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i]);
  return s;
}
export function resetModel(): void { attentionPolicy.model.resetWeights(); attentionPolicy.gate.clear(); attentionPolicy.mixture.clear(); clearPredictionErrors(); }
export function mixtureWeightAt(i: i32): f64 { return attentionPolicy.mixture.global[i]; }
export function mixtureUpdates(): f64 { return <f64>attentionPolicy.mixture.updates; }
export function mixtureErrorMean(): f64 { return mixtureError.meanLog2; }
export function expertErrorMean(i: i32): f64 { return expertErrors[i].meanLog2; }


// ---- the model gate (kernel/ai/burst_gate.ts) on its own ----
const testGate = new BurstGate();
export function gateClear(): void { testGate.clear(); }
export function gateAdd(modelUs: f64, heuristicUs: f64, actualUs: f64): void { testGate.add(modelUs, heuristicUs, actualUs); }
export function gateChoose(modelUs: f64, heuristicUs: f64): f64 { return testGate.choose(modelUs, heuristicUs); }
export function gateOpenFor(heuristicUs: f64): bool { return testGate.open(gateBucketOf(heuristicUs)); }
