// The scheduler: the task table, the run queue, sleeping and blocked tasks, accounting, and
// one dispatch per event-loop pass (runScheduler()).
//
// Invariants:
//   - every live task is in `taskList` and `tasks` (by id) until reaped;
//   - a Runnable task is in `runqueue`, a Sleeping one in `sleepers`, one Blocked on an
//     event in that event's waiters, one Blocked on I/O is found by the completion hook
//     through request.waiter; exactly one of these holds at a time;
//   - at most one task is Running (`current`), only inside runScheduler();
//   - accounting is measured with the counter: wait = runnable-but-not-running time,
//     cpu = measured step durations, I/O wait and sleep = time blocked/sleeping.
//
// A dispatch: wake sleepers whose time has come -> policy.pick() (timed: the decision
// latency) -> step() with sliceDeadline = now + quantum (task.ts states the contract) ->
// charge the measured slice -> act on the step's result -> policy.observe() (learning).
import { Task, TaskState, StepResult, TaskObserver } from "./task";
import { FairPolicy, DispatchOutcome } from "./fair";
import { BurstPolicy, burstAfterDispatch, SWITCH_MARGIN, IO_PREEMPT_AFTER_US, IO_COALESCE_US } from "./burst_policy";
import { registerTraceSubsystem, recordDecision, resolveOutcome } from "../ai/trace";
import { irq_count } from "../platform/imports";
import { LatencyRing } from "./latency";
import { BlockRequest, setBlockCompletionHook } from "../block/device";
import { nowTicks, ticksToUs, ticksToNs, usToTicks } from "../platform/time";
import { wakeNoLaterThan } from "../kernel_loop";
import { ENOENT, EPERM } from "../lib/errors";

const tasks = new Map<i32, Task>();
const taskList = new Array<Task>(0);
const runqueue = new Array<Task>(0);
const sleepers = new Array<Task>(0);
let nextTaskId: i32 = 1;
let lastDispatchedId: i32 = 0;
/** The task whose step is running (null between dispatches). */
export let currentTask: Task | null = null;

export const fairPolicy = new FairPolicy();
/** The learned policy `schedctl transformer on` switches to (installed by kernel/init.ts); null = none. */
let learnedPolicy: FairPolicy | null = null;
/** The learned policy as a burst policy (it learns from every resolved burst example), if it is one. */
let learnedBurst: BurstPolicy | null = null;
export const heuristicPolicy = new BurstPolicy();
let policy: FairPolicy = fairPolicy;
/** Policy switches, traced (subsystem "sched-policy": from, to, runnable and live tasks then). */
export const POLICY_TRACE = registerTraceSubsystem("sched-policy", ["from", "to", "runnable", "tasks"], "switched", "policy");
export let policySwitches: u64 = 0;
/** Counter time of the last policy switch (0: none since boot); kernel/ai/impact attributes task lifetimes by it. */
export let lastPolicySwitchAt: u64 = 0;
/** Called with every task that exits (kernel/ai/impact measures turnaround through it); one listener. */
export type ExitListener = (task: Task, now: u64) => void;
let exitListener: ExitListener | null = null;
export function setExitListener(l: ExitListener | null): void {
  exitListener = l;
}
export const POLICY_NAMES: StaticArray<string> = ["fair", "attention", "heuristic"];

/** Counters since boot. */
export class SchedulerCounters {
  dispatches: u64 = 0;
  /** Dispatches of a different task than the previous dispatch. */
  contextSwitches: u64 = 0;
  spawned: u64 = 0;
  exited: u64 = 0;
  killed: u64 = 0;
  cpuTicks: u64 = 0;
}
export const counters = new SchedulerCounters();

/**
 * Decision latency of each policy: policy.pick() with two or more candidates, counter-timed;
 * the last 4096 picks, each with its candidate count and interrupt flag (latency.ts).
 */
export const fairDecisionLatency = new LatencyRing(4096);
export const heuristicDecisionLatency = new LatencyRing(4096);
export const attentionDecisionLatency = new LatencyRing(4096);
/** The subset of attentionDecisionLatency where the model scored candidates (the others were decided by the fair rule). */
export const attentionScoredLatency = new LatencyRing(4096);
/**
 * The subset of attentionScoredLatency with no interrupt between the two irq_count() reads
 * around the timed pick (so none inside it), and how many scored picks had one since the last
 * clearDecisionLatency() (totals, not the window: the rings' own counts are the window's).
 */
export const attentionScoredNoIrqLatency = new LatencyRing(4096);
export let attentionScoredInterrupted: u64 = 0;
export let attentionScoredPicks: u64 = 0;

/** Empties every decision-latency ring and counter (`bench sched` starts with this). */
export function clearDecisionLatency(): void {
  fairDecisionLatency.clear();
  heuristicDecisionLatency.clear();
  attentionDecisionLatency.clear();
  attentionScoredLatency.clear();
  attentionScoredNoIrqLatency.clear();
  attentionScoredInterrupted = 0;
  attentionScoredPicks = 0;
  for (let i = 0; i < 3; i++) { afterSliceTicks[i] = 0; afterSliceCount[i] = 0; }
}

const outcome = new DispatchOutcome();
/** Per policy (0 fair, 1 attention, 2 heuristic): counter ticks spent after the slices (accounting, observe) and dispatches. */
export const afterSliceTicks = new StaticArray<u64>(3);
export const afterSliceCount = new StaticArray<u64>(3);
/** Mean cost (us) per dispatch of policy `i`'s work after the slice since the last clearDecisionLatency(). */
export function afterSliceMeanUs(i: i32): f64 {
  return afterSliceCount[i] > 0 ? <f64>ticksToNs(afterSliceTicks[i]) / 1000 / <f64>afterSliceCount[i] : NaN;
}
const DECAY: f64 = 0.75;

// ---------------------------------------------------------------- policy selection

export function activePolicy(): FairPolicy {
  return policy;
}

/** Makes `p` the policy useAttention(true) and `schedctl policy attention` switch to (kernel/init.ts: the attention policy). */
export function installLearnedPolicy(p: FairPolicy): void {
  learnedPolicy = p;
  learnedBurst = p instanceof BurstPolicy ? changetype<BurstPolicy>(p) : null;
}

export function learnedPolicyInstalled(): bool {
  return learnedPolicy != null;
}

function policyIndex(p: FairPolicy): i32 {
  return p === fairPolicy ? 0 : p === heuristicPolicy ? 2 : 1;
}

/**
 * `schedctl policy NAME`: fair, attention (the installed learned policy) or heuristic; false
 * for another name or when no learned policy is installed. Safe at any time, also while a
 * workload runs: every policy keeps the fair accounting (virtual runtimes, one shared
 * virtual-time base) and the scheduler keeps every task's burst record whatever the policy,
 * so the new policy decides from the next dispatch on. Each switch is traced.
 */
export function setPolicy(name: string): bool {
  let next: FairPolicy | null = null;
  if (name == "fair") next = fairPolicy;
  else if (name == "heuristic") next = heuristicPolicy;
  else if (name == "attention") next = learnedPolicy;
  if (next == null) return false;
  const to = next!;
  to.activate();
  const from = policy;
  let base = max(fairPolicy.minVruntime, heuristicPolicy.minVruntime);
  if (learnedPolicy != null) base = max(base, learnedPolicy!.minVruntime);
  to.minVruntime = base;
  policy = to;
  if (from !== to) {
    policySwitches++;
    lastPolicySwitchAt = nowTicks();
    const f = new StaticArray<f64>(4);
    f[0] = <f64>policyIndex(from);
    f[1] = <f64>policyIndex(to);
    f[2] = <f64>runqueue.length;
    f[3] = <f64>taskList.length;
    resolveOutcome(recordDecision(POLICY_TRACE, 0, f, 4, 1, 1, <i64>policyIndex(to), nowTicks()), 1);
  }
  return true;
}

/**
 * `schedctl transformer on|off`: the learned policy, or back to fair. Returns false (and
 * stays where it is) when asked for the learned policy but none is installed.
 */
export function useAttention(on: bool): bool {
  return setPolicy(on ? "attention" : "fair");
}

/** The burst policy that is active, or null under fair. */
function activeBurstPolicy(): BurstPolicy | null {
  if (policy === heuristicPolicy) return heuristicPolicy;
  if (learnedBurst != null && policy === learnedBurst) return learnedBurst;
  return null;
}

export function attentionEnabled(): bool {
  return learnedPolicy != null && policy === learnedPolicy;
}

// ---------------------------------------------------------------- task table

/**
 * Adds a task. It becomes runnable at once, or at counter value `startAt` when later (its
 * arrival: turnaround is measured from then). Returns its id.
 */
export function spawnTask(task: Task, startAt: u64 = 0): i32 {
  const now = nowTicks();
  task.id = nextTaskId++;
  task.createdAt = now;
  task.stateSince = now;
  tasks.set(task.id, task);
  taskList.push(task);
  counters.spawned++;
  if (startAt > now) {
    task.state = TaskState.Sleeping;
    task.wakeAt = startAt;
    sleepers.push(task);
  } else {
    arrive(task, now);
  }
  return task.id;
}

function arrive(task: Task, at: u64): void {
  task.arrivedAt = at;
  task.state = TaskState.Runnable;
  task.stateSince = at;
  policy.place(task, true);
  runqueue.push(task);
}

export function findTask(id: i32): Task | null {
  return tasks.has(id) ? tasks.get(id) : null;
}

/** Live tasks (including exited ones not yet reaped) in creation order. */
export function liveTasks(): Array<Task> {
  return taskList;
}

export function runnableCount(): i32 {
  return runqueue.length;
}

// ---------------------------------------------------------------- waking

function removeFrom(list: Array<Task>, task: Task): void {
  const i = list.indexOf(task);
  if (i >= 0) list.splice(i, 1);
}

/** Makes a sleeping or blocked task runnable as of counter value `at`. */
function wake(task: Task, at: u64): void {
  if (task.state != TaskState.Sleeping && task.state != TaskState.Blocked) return;
  const off = at > task.stateSince ? <f64>(at - task.stateSince) : 0.0;
  if (task.state == TaskState.Sleeping) {
    removeFrom(sleepers, task);
    if (task.arrivedAt == 0) {
      arrive(task, at);
      return;
    }
    task.sleepTicks += <u64>off;
    task.recentSleep += off;
  } else if (task.waitRequest != null) {
    task.ioWaitTicks += <u64>off;
    task.recentIo += off;
    task.waitRequest = null;
  } else {
    task.eventWaitTicks += <u64>off;
    task.recentSleep += off;
    task.waitEvent = null;
  }
  task.burstWokeAt = at;
  task.state = TaskState.Runnable;
  task.stateSince = at;
  policy.place(task, false);
  runqueue.push(task);
}

/** Wakes a task blocked on an event (Event.signal) now. */
export function wakeTask(task: Task): void {
  wake(task, nowTicks());
}

function wakeSleepers(now: u64): void {
  for (let i = 0; i < sleepers.length; ) {
    const t = sleepers[i];
    if (t.wakeAt <= now) wake(t, t.wakeAt); // wake() removes it from sleepers
    else i++;
  }
}

/** The block-device completion hook: wakes the task waiting for `request`. */
function onBlockRequestComplete(request: BlockRequest): void {
  if (request.waiter == 0 || !tasks.has(request.waiter)) return;
  const task = tasks.get(request.waiter);
  if (task.waitRequest !== request) return;
  const at = request.completedAt != 0 ? request.completedAt : nowTicks();
  if (task.state == TaskState.Exited) {
    task.waitRequest = null; // killed while the request was in flight: now it can go
    reap(task);
  } else if (task.state == TaskState.Blocked) {
    wake(task, at);
  } // Running: the request completed inside the step; the scheduler sees request.done
}

setBlockCompletionHook(onBlockRequestComplete);

// ---------------------------------------------------------------- exit, kill, reap

function finish(task: Task, now: u64): void {
  task.state = TaskState.Exited;
  task.exitedAt = now;
  removeFrom(runqueue, task);
  removeFrom(sleepers, task);
  if (task.waitEvent != null) {
    task.waitEvent!.forget(task);
    task.waitEvent = null;
  }
  counters.exited++;
  if (task.observer != null) task.observer!.onExit(task);
  const l = exitListener;
  if (l != null) l(task, now);
  const req = task.waitRequest;
  if (req != null && !req.done) return; // a zombie until the device is done with its buffer
  task.waitRequest = null;
  reap(task);
}

function reap(task: Task): void {
  task.onExit();
  tasks.delete(task.id);
  removeFrom(taskList, task);
}

/**
 * Ends task `id`: 0, -ENOENT (no such live task) or -EPERM (a system task). A task with
 * I/O in flight is reaped when the request completes.
 */
export function killTask(id: i32): i32 {
  if (!tasks.has(id)) return -ENOENT;
  const task = tasks.get(id);
  if (task.state == TaskState.Exited) return -ENOENT;
  if (task.system) return -EPERM;
  task.killed = true;
  counters.killed++;
  if (task.state == TaskState.Running) return 0; // finished when its step returns
  finish(task, nowTicks());
  return 0;
}

// ---------------------------------------------------------------- dispatch

/**
 * One dispatch: returns true when a task ran. When nothing is runnable, tells the event
 * loop when the next sleeper is due (wakeNoLaterThan) and returns false.
 */
export function runScheduler(): bool {
  const now = nowTicks();
  wakeSleepers(now);
  if (runqueue.length == 0) {
    let earliest = u64.MAX_VALUE;
    for (let i = 0; i < sleepers.length; i++) if (sleepers[i].wakeAt < earliest) earliest = sleepers[i].wakeAt;
    if (earliest != u64.MAX_VALUE) wakeNoLaterThan(earliest);
    return false;
  }
  const p = policy;
  const irq0 = irq_count();
  const t0 = nowTicks();
  const index = p.pick(runqueue, t0);
  const t1 = nowTicks();
  const irq1 = irq_count();
  // only real choices (two or more runnable tasks) count as decisions
  // (each sample carries its candidate count and whether an interrupt landed inside, so the
  // figures derived from a ring all describe its window)
  if (runqueue.length >= 2) {
    const interrupted = irq1 != irq0;
    (p.learned ? attentionDecisionLatency : p === heuristicPolicy ? heuristicDecisionLatency : fairDecisionLatency)
      .record(t1 - t0, runqueue.length, interrupted);
    if (p.learned && p.lastPickScored) {
      attentionScoredLatency.record(t1 - t0, runqueue.length, interrupted);
      attentionScoredPicks++;
      if (interrupted) attentionScoredInterrupted++;
      else attentionScoredNoIrqLatency.record(t1 - t0, runqueue.length, false);
    }
  }

  const task = runqueue[index];
  let quantum = p.quantumTicks(task, runqueue);
  if (p.preemptsAtWakeups) quantum = capAtWakeups(task, quantum, t1, p);
  const others = runqueue.length - 1;
  runqueue.splice(index, 1);
  const waited = t1 > task.stateSince ? t1 - task.stateSince : 0;
  task.waitTicks += waited;
  if (waited > task.maxWaitTicks) task.maxWaitTicks = waited;
  task.state = TaskState.Running;
  if (task.id != lastDispatchedId) counters.contextSwitches++;
  lastDispatchedId = task.id;
  task.stepStartedAt = t1;
  task.sliceDeadline = t1 + quantum;
  currentTask = task;
  const result = task.step();
  const t2 = nowTicks();
  currentTask = null;

  const slice = t2 - t1;
  task.cpuTicks += slice;
  task.dispatches++;
  task.lastRunAt = t2;
  task.recentCpu = task.recentCpu * DECAY + <f64>slice;
  task.recentIo *= DECAY;
  task.recentSleep *= DECAY;
  counters.dispatches++;
  counters.cpuTicks += slice;
  p.charge(task, slice, runqueue);

  outcome.sliceTicks = slice;
  outcome.quantumTicks = quantum;
  outcome.result = result;
  outcome.othersWaiting = others;
  outcome.blockedOnIo = false;

  let burstEnded = false;
  if (task.killed) {
    finish(task, t2);
  } else if (result == StepResult.Yield) {
    task.state = TaskState.Runnable;
    task.stateSince = t2;
    runqueue.push(task);
  } else if (result == StepResult.Sleep) {
    task.state = TaskState.Sleeping;
    task.stateSince = t2;
    sleepers.push(task);
    burstEnded = true;
  } else if (result == StepResult.WaitEvent && task.waitEvent != null) {
    task.state = TaskState.Blocked;
    task.stateSince = t2;
    task.eventWaits++;
    task.waitEvent!.waiters.push(task);
    burstEnded = true;
  } else if (result == StepResult.WaitIo && task.waitRequest != null && !task.waitRequest!.done) {
    task.state = TaskState.Blocked;
    task.stateSince = t2;
    task.ioWaits++;
    outcome.blockedOnIo = true;
    burstEnded = true;
  } else if (result == StepResult.Exit) {
    burstEnded = true;
    endBurst(task, t2);
    finish(task, t2);
  } else {
    // WaitIo on a request that already completed (a synchronous device) or a wait with
    // nothing to wait for: the task simply stays runnable.
    if (result == StepResult.WaitIo && task.waitRequest != null) task.ioDoneAtReturn++;
    task.waitRequest = null;
    task.waitEvent = null;
    task.state = TaskState.Runnable;
    task.stateSince = t2;
    runqueue.push(task);
  }
  if (burstEnded && result != StepResult.Exit) endBurst(task, t2);
  burstAfterDispatch(task, slice, burstEnded || task.killed, task.state == TaskState.Exited, t2, activeBurstPolicy(), learnedBurst);
  p.observe(task, outcome, t2);
  // what the policy costs after each slice (burst accounting, the model's prediction, its
  // history and trace): outside pick(), but every waiting task waits for it too
  const pi = policyIndex(p);
  afterSliceTicks[pi] += nowTicks() - t2;
  afterSliceCount[pi]++;
  return true;
}

/**
 * Wake-up preemption of the burst policies: the slice of `task` ends no later than the next
 * known wake-up of a task that pick() would run before it (a smaller key, by the switch
 * margin): a sleeper's deadline, or the expected completion of the I/O a blocked task waits
 * for. Such a task waiting for I/O of unknown completion time limits the slice to the fair
 * quantum. Never below 100 us, and for I/O never below IO_PREEMPT_AFTER_US (completions are
 * then served together: fewer context switches).
 */
function capAtWakeups(task: Task, quantum: u64, now: u64, p: FairPolicy): u64 {
  const bp = changetype<BurstPolicy>(p);
  const limit = bp.keyOf(task) * SWITCH_MARGIN;
  let end = now + quantum;
  const ioFloor = now + usToTicks(IO_PREEMPT_AFTER_US);
  for (let i = 0; i < sleepers.length; i++) {
    const s = unchecked(sleepers[i]);
    if (s.wakeAt < end && s.arrivedAt != 0 && bp.keyOf(s) < limit) end = s.wakeAt;
  }
  // I/O completions: the slice ends when the first expected one is due, extended to the
  // others due within IO_COALESCE_US of it (they are served together: one interruption of
  // the running task for several completions, fewer context switches)
  let first = u64.MAX_VALUE;
  for (let i = 0; i < taskList.length; i++) {
    const b = unchecked(taskList[i]);
    if (b.state != TaskState.Blocked || b.waitRequest == null || bp.keyOf(b) >= limit) continue;
    const at = b.waitRequest!.expectedAt;
    if (at == 0) {
      const fq = now + fairPolicy.quantumTicks(task, runqueue);
      if (fq < end) end = fq;
    } else if (at < first) first = at;
  }
  if (first != u64.MAX_VALUE) {
    let last = first;
    const window = first + usToTicks(IO_COALESCE_US);
    for (let i = 0; i < taskList.length; i++) {
      const b = unchecked(taskList[i]);
      if (b.state != TaskState.Blocked || b.waitRequest == null || bp.keyOf(b) >= limit) continue;
      const at = b.waitRequest!.expectedAt;
      if (at > last && at <= window) last = at;
    }
    if (last < ioFloor) last = ioFloor;
    if (last < end) end = last;
  }
  const floor = now + usToTicks(100);
  if (end < floor) end = floor;
  return end - now;
}

/** A burst that began with a wake-up ended: report its response time. */
function endBurst(task: Task, now: u64): void {
  if (task.burstWokeAt == 0) return;
  const us = <f64>ticksToUs(now - task.burstWokeAt);
  task.burstWokeAt = 0;
  if (task.observer != null) task.observer!.onResponse(task, us);
}
