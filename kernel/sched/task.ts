// Kernel tasks: cooperative step functions with states and accounting.
//
// AssemblyScript has no closures or coroutines, so a task is an object whose step() does a
// bounded slice of work and returns what happened (StepResult). Subclass Task per workload
// and keep the task's progress in fields.
//
// THE QUANTUM CONTRACT. A running step cannot be preempted (interrupts never re-enter wasm),
// so the time quantum is honoured by the task itself: before each step the scheduler sets
// `sliceDeadline` (counter ticks). A CPU-bound step works in small chunks (tens of
// microseconds) and returns StepResult.Yield as soon as quantumExpired() is true; a step
// that waits for something returns at once with sleepUntil()/waitFor()/waitForRequest().
// A step must never loop waiting for time or a device. The scheduler measures every slice
// with the counter, so a task that overruns its quantum is charged for all of it.
//
// States:
//   Runnable --dispatch--> (running: scheduler.current) --Yield--> Runnable
//                                   |--Sleep--> Sleeping --time reached--> Runnable
//                                   |--WaitEvent--> Blocked --Event.signal()--> Runnable
//                                   |--WaitIo--> Blocked --completeBlockRequest()--> Runnable
//                                   '--Exit--> Exited (reaped: accounting handed to the observer)
// A task killed while an I/O request is in flight stays Exited-but-unreaped ("zombie") until
// the request completes, so the device never writes into freed memory.
import { nowTicks, usToTicks } from "../platform/time";
import { BlockRequest } from "../block/device";
import { Event } from "./event";

export enum TaskState {
  Runnable = 0,
  Running = 1,
  Sleeping = 2,
  Blocked = 3,
  Exited = 4,
}

export enum StepResult {
  /** More work; put me back on the run queue (quantum used up, or a voluntary yield). */
  Yield = 0,
  /** Sleep until `wakeAt` (counter ticks). */
  Sleep = 1,
  /** Block until `waitEvent` is signalled. */
  WaitEvent = 2,
  /** Block until `waitRequest` completes (returns at once as runnable if it already has). */
  WaitIo = 3,
  /** Done; `exitCode` says how. */
  Exit = 4,
}

export function taskStateName(s: TaskState): string {
  switch (s) {
    case TaskState.Runnable: return "runnable";
    case TaskState.Running: return "running";
    case TaskState.Sleeping: return "sleeping";
    case TaskState.Blocked: return "blocked";
    default: return "exited";
  }
}

/** Receives a task's response times and its exit (a workload's statistics). */
export abstract class TaskObserver {
  /** A burst that followed a wake-up finished: `us` from the wake-up to the burst's end. */
  abstract onResponse(task: Task, us: f64): void;
  /** The task exited (or was killed) and is about to be reaped. */
  abstract onExit(task: Task): void;
}

export abstract class Task {
  id: i32 = 0;
  /** nice -20..19 as on Linux: lower runs more (weight 1024 * 1.25^-nice). */
  nice: i32 = 0;
  state: TaskState = TaskState.Runnable;
  /** A kernel service (periodic task): `kill` refuses it. */
  system: bool = false;
  observer: TaskObserver | null = null;
  /** Workload id (0 = none), shown by ps. */
  workloadId: i32 = 0;
  exitCode: i32 = 0;
  killed: bool = false;

  // ---- what the last step asked for (set by the helpers below) ----
  wakeAt: u64 = 0;
  waitEvent: Event | null = null;
  waitRequest: BlockRequest | null = null;

  // ---- set by the scheduler around each step ----
  stepStartedAt: u64 = 0;
  sliceDeadline: u64 = 0;

  // ---- accounting, in counter ticks ----
  createdAt: u64 = 0;
  /** When the task first became runnable (its arrival); turnaround is measured from here. */
  arrivedAt: u64 = 0;
  exitedAt: u64 = 0;
  cpuTicks: u64 = 0;
  /** Time runnable but not running. */
  waitTicks: u64 = 0;
  dispatches: u64 = 0;
  /** Times the task blocked on an I/O request that had not completed yet. */
  ioWaits: u64 = 0;
  ioWaitTicks: u64 = 0;
  eventWaits: u64 = 0;
  eventWaitTicks: u64 = 0;
  sleepTicks: u64 = 0;
  lastRunAt: u64 = 0;
  /** Since when the task is in its current state (runnable, sleeping, blocked). */
  stateSince: u64 = 0;
  /** Wake-up time of the burst in progress (0 = not in a burst that followed a wake-up). */
  burstWokeAt: u64 = 0;

  // ---- scheduling state ----
  /** Weighted virtual runtime in ns (the fair policy's key). */
  vruntime: f64 = 0;
  /** Decayed CPU / I/O-wait / sleep time (ticks) for the embedding's ratios. */
  recentCpu: f64 = 0;
  recentIo: f64 = 0;
  recentSleep: f64 = 0;
  // ---- CPU bursts (a burst: the CPU used from a wake-up to the next block, sleep or exit) ----
  /** CPU used in the burst in progress. */
  burstCpuTicks: u64 = 0;
  /** Exponential average of completed bursts (us; -1 = none completed yet), and the last one. */
  burstEmaUs: f64 = -1;
  lastBurstUs: f64 = -1;
  burstsCompleted: u64 = 0;
  /** Slow exponential average of completed bursts (us, alpha 1/8; -1 = none) and the decayed mean |log2| deviation of a burst from it (the model's features). */
  burstSlowEmaUs: f64 = -1;
  burstLogDev: f64 = 0;
  /** Sum of the completed bursts (us; workload diagnostics: mean burst per kind). */
  burstSumUs: f64 = 0;
  /** WaitIo results whose request had already completed (the task stayed runnable: its burst went on). */
  ioDoneAtReturn: u64 = 0;
  /** Remaining CPU of the burst in progress as predicted by the active burst policy (us), when it last ran or woke. */
  predictedUs: f64 = -1;
  /** Longest continuous runnable-but-not-running interval (ticks). */
  maxWaitTicks: u64 = 0;
  /** The burst policies' pending training example (burst_policy.ts). */
  exampleOpen: bool = false;
  exampleAtCpu: u64 = 0;
  examplePredModelUs: f64 = 0;
  examplePredHeuristicUs: f64 = 0;
  exampleFeatures: StaticArray<f64> = new StaticArray<f64>(4);
  /** The classical predictors' remaining-burst predictions (us) when the example opened (burst_predictors.ts), and the learned model's base (its mixture of them). */
  exampleExperts: StaticArray<f64> = new StaticArray<f64>(5);
  exampleBaseUs: f64 = 0;
  examplePredUsedUs: f64 = 0;
  /** The last 8 completed bursts (us; a ring), and the decayed |log2| error of "the burst `lag` back" for lags 1..4 (burst_predictors.ts). */
  burstRing: StaticArray<f64> = new StaticArray<f64>(8);
  burstRingCount: i32 = 0;
  burstRingNext: i32 = 0;
  lagError: StaticArray<f64> = new StaticArray<f64>(4);
  /** This task's weights of the learned mixture of the classical predictors (kernel/ai/burst_mixture.ts; empty until first used). */
  mixWeights: StaticArray<f64> = new StaticArray<f64>(0);
  /** Cache of the mixture of the predictors' burst estimates (us; -1 = stale) and their spread (max - min log2): refreshed after a burst or a weight change. */
  mixBurstUs: f64 = -1;
  mixSpreadLog2: f64 = 0;

  /** Last attention score (0..1; -1 = never scored), for `schedctl stats`. */
  lastScore: f64 = -1;

  // ---- work done by CPU chunks (workloads.ts): the result is kept so the work is real ----
  checksum: u64 = 0;
  workChunks: u64 = 0;

  constructor(public name: string, public kind: string) {}

  /** Does a bounded slice of work; see the quantum contract above. */
  abstract step(): StepResult;

  /** Releases what the task holds (buffers); called once, when it is reaped. */
  onExit(): void {}

  /** One line of task-specific progress for `ps -l` ("12/40 ops"). */
  progress(): string {
    return "";
  }

  // ---- helpers for step() ----
  // @ts-ignore: decorator
  @inline quantumExpired(): bool {
    return nowTicks() >= this.sliceDeadline;
  }

  /** CPU time used including the step in progress. */
  cpuTicksNow(): u64 {
    return this.cpuTicks + (nowTicks() - this.stepStartedAt);
  }

  sleepUntil(ticks: u64): StepResult {
    this.wakeAt = ticks;
    return StepResult.Sleep;
  }

  sleepForUs(us: u64): StepResult {
    return this.sleepUntil(nowTicks() + usToTicks(us));
  }

  waitFor(event: Event): StepResult {
    this.waitEvent = event;
    return StepResult.WaitEvent;
  }

  waitForRequest(request: BlockRequest): StepResult {
    request.waiter = this.id;
    this.waitRequest = request;
    return StepResult.WaitIo;
  }

  exit(code: i32): StepResult {
    this.exitCode = code;
    return StepResult.Exit;
  }
}
