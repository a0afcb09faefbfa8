// The baseline policy: weighted fair queueing on virtual runtime (the idea of Linux CFS).
//
// Each task has a weight from its nice value (1024 at nice 0, x1.25 per step, Linux's
// table). Running for t ns advances its virtual runtime by t * 1024 / weight; the next task
// is the runnable one with the smallest virtual runtime (ties: the one that waited longest,
// then the lowest id). Over any busy interval each task's share of the CPU is proportional
// to its weight.
//
// Time quantum: TARGET_LATENCY is split among the runnable tasks by weight
// (quantum = target * w / sum w), at least MIN_GRANULARITY, so every runnable task runs
// once per target latency when possible. Placement: a new task starts at the current
// minimum virtual runtime; a task that wakes up gets max(own, min - target/2), a bounded
// credit for having slept (interactive and I/O tasks respond fast; none can bank sleep).
//
// minVruntime only grows: max(previous, smallest virtual runtime among runnable tasks).
import { Task, StepResult } from "./task";
import { counterHz, ticksToNs } from "../platform/time";

export const NICE_MIN: i32 = -20;
export const NICE_MAX: i32 = 19;
const WEIGHTS: StaticArray<i32> = [
  88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
  9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
  1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
  110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
];

export function weightOfNice(nice: i32): i32 {
  const n = nice < NICE_MIN ? NICE_MIN : nice > NICE_MAX ? NICE_MAX : nice;
  return WEIGHTS[n - NICE_MIN];
}

/** What the scheduler observed about one slice; policies learn from it. */
export class DispatchOutcome {
  sliceTicks: u64 = 0;
  quantumTicks: u64 = 0;
  result: StepResult = StepResult.Yield;
  /** Other runnable tasks that waited while this slice ran. */
  othersWaiting: i32 = 0;
  /** True when the step blocked on I/O that had not completed. */
  blockedOnIo: bool = false;
}

/**
 * The policy interface the scheduler dispatches through, and the baseline policy. A learned
 * policy (kernel/ai/attention_policy.ts) extends it and is installed by kernel/init.ts with
 * installLearnedPolicy(): the scheduler never names the model.
 */
export class FairPolicy {
  targetLatencyUs: u64 = 8000;
  minGranularityUs: u64 = 1000;
  minVruntime: f64 = 0;
  /** Whether the last pick() ran a model over two or more candidates (its latency is measured apart). */
  lastPickScored: bool = false;

  /** Called when the scheduler switches to this policy (a learned policy starts its trainer). */
  activate(): void {}

  get name(): string {
    return "fair";
  }

  /** Quantum for `task` given the run queue (which contains it). */
  quantumTicks(task: Task, runqueue: Array<Task>): u64 {
    let total: i64 = 0;
    for (let i = 0; i < runqueue.length; i++) total += weightOfNice(runqueue[i].nice);
    const w = <i64>weightOfNice(task.nice);
    let us = total > 0 ? (<i64>this.targetLatencyUs * w) / total : <i64>this.targetLatencyUs;
    if (us < <i64>this.minGranularityUs) us = <i64>this.minGranularityUs;
    return (<u64>us * counterHz()) / 1_000_000;
  }

  /** A task joins the run queue: fresh (spawned or arrived) or woken from sleep/block. */
  place(task: Task, fresh: bool): void {
    if (fresh) {
      if (task.vruntime < this.minVruntime) task.vruntime = this.minVruntime;
      return;
    }
    const floor = this.minVruntime - <f64>this.targetLatencyUs * 1000 / 2;
    if (task.vruntime < floor) task.vruntime = floor;
  }

  /** Index in `runqueue` (non-empty) of the task to run next. */
  pick(runqueue: Array<Task>, now: u64): i32 {
    let best = 0;
    for (let i = 1; i < runqueue.length; i++) {
      if (fairBefore(runqueue[i], runqueue[best])) best = i;
    }
    return best;
  }

  /** Charges a finished slice to the task's virtual runtime. */
  charge(task: Task, sliceTicks: u64, runqueue: Array<Task>): void {
    task.vruntime += <f64>ticksToNs(sliceTicks) * 1024.0 / <f64>weightOfNice(task.nice);
    let smallest = task.vruntime;
    for (let i = 0; i < runqueue.length; i++) if (runqueue[i].vruntime < smallest) smallest = runqueue[i].vruntime;
    if (smallest > this.minVruntime) this.minVruntime = smallest;
  }

  /** Called after every slice with what happened (the fair policy needs nothing more). */
  observe(task: Task, outcome: DispatchOutcome, now: u64): void {}

  /** Whether the scheduler ends this policy's slices at known wake-ups of shorter tasks (burst policies). */
  get preemptsAtWakeups(): bool {
    return false;
  }

  /** Whether this policy's picks are AI decisions (traced, measured separately). */
  get learned(): bool {
    return false;
  }
}

/** The fair order: smaller virtual runtime, then longer-waiting (earlier stateSince), then lower id. */
export function fairBefore(a: Task, b: Task): bool {
  if (a.vruntime != b.vruntime) return a.vruntime < b.vruntime;
  if (a.stateSince != b.stateSince) return a.stateSince < b.stateSince;
  return a.id < b.id;
}
