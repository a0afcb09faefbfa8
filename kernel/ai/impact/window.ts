// The measurement window behind `autoctl`: what the scheduler did under each policy and what the
// OOM predictor's compactions freed, since boot or the last `autoctl reset-baseline`.
//
// Scheduler: the task "aimetrics" (every 100 ms) adds the growth of the scheduler's counters
// (dispatches, context switches, CPU time) and the wall time to the bucket of the policy in use
// at that moment (fair = the baseline, attention = the AI scheduler, heuristic = the classical
// burst rule), so a switch is attributed at most 100 ms late. Turnaround (exit - arrival) of each
// exiting non-system task goes to the bucket of its policy only when no policy switch happened
// during its life (scheduler.lastPolicySwitchAt); a task that saw two policies is counted apart
// ("mixed") and belongs to neither. Context switches are compared per CPU-second of dispatched
// work, so an idle stretch does not dilute a busy one.
//
// Compaction: each compaction the OOM predictor started (predictor.compactions grows) is read
// from predictor.lastCompaction, the compactor's own before/after numbers: the growth of the
// largest free block and of free memory, in bytes. When two happened between two ticks only the
// last one's numbers are known; they are counted in `compactionsUnmeasured`.
import { counters, activePolicy, fairPolicy, heuristicPolicy, lastPolicySwitchAt, setExitListener } from "../../sched/scheduler";
import { Task } from "../../sched/task";
import { registerPeriodicTask } from "../../sched/periodic";
import { nowTicks, ticksToUs } from "../../platform/time";
import { PAGE_SIZE } from "../../mm/pages";
import { predictor } from "../oom/predictor";

export const POLICY_FAIR: i32 = 0;
export const POLICY_ATTENTION: i32 = 1;
export const POLICY_HEURISTIC: i32 = 2;
export const BUCKET_NAMES: StaticArray<string> = ["fair", "attention", "heuristic"];
export const TICK_US: u64 = 100_000;
/** Turnarounds kept per bucket (the newest; the mean is over every one since the window began). */
export const TURNAROUNDS_KEPT: i32 = 512;

export class PolicyBucket {
  wallUs: u64 = 0;
  dispatches: u64 = 0;
  contextSwitches: u64 = 0;
  cpuUs: u64 = 0;
  tasksFinished: u64 = 0;
  turnaroundSumUs: f64 = 0;
  turnaroundsUs: Array<f64> = new Array<f64>(0);

  reset(): void {
    this.wallUs = 0;
    this.dispatches = 0;
    this.contextSwitches = 0;
    this.cpuUs = 0;
    this.tasksFinished = 0;
    this.turnaroundSumUs = 0;
    this.turnaroundsUs = new Array<f64>(0);
  }

  /** Context switches per second of dispatched CPU time (NaN without any). */
  switchesPerCpuSecond(): f64 {
    return this.cpuUs > 0 ? <f64>this.contextSwitches * 1e6 / <f64>this.cpuUs : NaN;
  }

  meanTurnaroundUs(): f64 {
    return this.tasksFinished > 0 ? this.turnaroundSumUs / <f64>this.tasksFinished : NaN;
  }
}

export class ImpactWindow {
  buckets: StaticArray<PolicyBucket> = [new PolicyBucket(), new PolicyBucket(), new PolicyBucket()];
  /** Counter time the window began (boot or reset-baseline). */
  startedAt: u64 = 0;
  resets: u32 = 0;
  mixedTasks: u64 = 0;
  compactions: u64 = 0;
  compactionsUnmeasured: u64 = 0;
  largestBlockGainBytes: f64 = 0;
  freeGainBytes: f64 = 0;
  largestBeforeBytes: f64 = 0;
  largestAfterBytes: f64 = 0;
  // the counters as of the last tick
  lastAt: u64 = 0;
  lastDispatches: u64 = 0;
  lastSwitches: u64 = 0;
  lastCpuTicks: u64 = 0;
  lastCompactions: u64 = 0;
  taskId: i32 = -1;
}

export const impact = new ImpactWindow();

export function policyBucketNow(): i32 {
  const p = activePolicy();
  return p === fairPolicy ? POLICY_FAIR : p === heuristicPolicy ? POLICY_HEURISTIC : POLICY_ATTENTION;
}

function snapshotCounters(now: u64): void {
  impact.lastAt = now;
  impact.lastDispatches = counters.dispatches;
  impact.lastSwitches = counters.contextSwitches;
  impact.lastCpuTicks = counters.cpuTicks;
}

/** `autoctl reset-baseline`: forgets everything measured and starts a new window now. */
export function resetBaseline(): void {
  for (let i = 0; i < impact.buckets.length; i++) impact.buckets[i].reset();
  impact.mixedTasks = 0;
  impact.compactions = 0;
  impact.compactionsUnmeasured = 0;
  impact.largestBlockGainBytes = 0;
  impact.freeGainBytes = 0;
  impact.largestBeforeBytes = 0;
  impact.largestAfterBytes = 0;
  impact.lastCompactions = predictor.compactions;
  const now = nowTicks();
  impact.startedAt = now;
  impact.resets++;
  snapshotCounters(now);
}

/** The periodic step: attributes the counters' growth since the last tick to the policy in use. */
export function impactTick(): void {
  const now = nowTicks();
  const b = impact.buckets[policyBucketNow()];
  b.wallUs += ticksToUs(now - impact.lastAt);
  b.dispatches += counters.dispatches - impact.lastDispatches;
  b.contextSwitches += counters.contextSwitches - impact.lastSwitches;
  b.cpuUs += ticksToUs(counters.cpuTicks - impact.lastCpuTicks);
  snapshotCounters(now);
  const done = predictor.compactions;
  if (done != impact.lastCompactions) {
    const fresh = done - impact.lastCompactions;
    impact.lastCompactions = done;
    const c = predictor.lastCompaction;
    if (c != null) {
      impact.compactions++;
      impact.compactionsUnmeasured += fresh - 1;
      const page = <f64>PAGE_SIZE;
      impact.largestBeforeBytes += <f64>c.largestBefore * page;
      impact.largestAfterBytes += <f64>c.largestAfter * page;
      impact.largestBlockGainBytes += (<f64>c.largestAfter - <f64>c.largestBefore) * page;
      impact.freeGainBytes += (<f64>c.freeAfter - <f64>c.freeBefore) * page;
    } else {
      impact.compactionsUnmeasured += fresh;
    }
  }
}

/** Exit listener: one turnaround, to the policy that ran the task's whole life. */
export function noteTaskExit(task: Task, now: u64): void {
  if (task.system || task.killed || task.arrivedAt == 0 || now < task.arrivedAt) return;
  if (task.arrivedAt < impact.startedAt) return; // arrived before this window
  if (lastPolicySwitchAt > task.arrivedAt) {
    impact.mixedTasks++;
    return;
  }
  const b = impact.buckets[policyBucketNow()];
  const us = <f64>ticksToUs(now - task.arrivedAt);
  b.tasksFinished++;
  b.turnaroundSumUs += us;
  if (b.turnaroundsUs.length >= TURNAROUNDS_KEPT) b.turnaroundsUs.shift();
  b.turnaroundsUs.push(us);
}

/** Starts the window and the task "aimetrics" (kernel/init.ts, once). */
export function startImpactWindow(): void {
  if (impact.taskId >= 0) return;
  resetBaseline();
  impact.resets = 0;
  setExitListener(noteTaskExit);
  impact.taskId = registerPeriodicTask("aimetrics", TICK_US, impactTick);
}

/** Seconds since the window began. */
export function windowSeconds(): f64 {
  return <f64>ticksToUs(nowTicks() - impact.startedAt) / 1e6;
}
