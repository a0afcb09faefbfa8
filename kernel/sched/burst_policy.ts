// Burst policies: run the task whose current CPU burst is predicted to end soonest.
//
// A burst is the CPU a task uses from a wake-up to its next block, sleep or exit (a CPU-bound
// task has one burst: its whole life). After every dispatch the scheduler calls
// burstAfterDispatch(): it accounts the burst, resolves the task's open training example and
// stores the active policy's prediction of the remaining burst in task.predictedUs. Two
// predictors use the same information (the task's completed bursts, the CPU it has used in
// this burst, its decayed I/O-wait and sleep shares):
//   heuristic   exponential average tau of completed bursts (alpha 0.5, the classical SJF
//               estimate): remaining = tau - used while used < tau, else used (a burst that
//               outlived its estimate is expected to last as long again); a task that never
//               completed a burst: FIRST_BURST_US - used while under it, then HORIZON (batch)
//   attention   the attention model (kernel/ai/attention.ts, attention_policy.ts) learns it online
// Predictions and labels are capped at HORIZON_US: "remaining" means min(remaining, 200 ms).
//
// Decision (pick): key = predicted remaining * 1024 / weight(nice); the smallest key runs.
//   - the task that ran last keeps the CPU unless another's key is below SWITCH_MARGIN of
//     its own (hysteresis: fewer context switches, and batch tasks run one after another
//     instead of interleaved, so they finish one after another: lower mean turnaround);
//   - STARVATION BOUND: a task runnable for MAX_WAIT_US (500 ms) or more is overdue and
//     runs before any other (for one fair quantum, <= 8 ms), the longest-waiting first; that
//     slice does not make it the leader (the task that had the CPU gets it back). So a task
//     waits at most MAX_WAIT_US + BATCH_SLICE_US (the slice in progress when it became
//     overdue) + (overdue tasks ahead of it) x 8 ms: 500 + 50 + 8 (n - 1) ms with n runnable
//     tasks. `bench sched` measures the longest wait (max_wait_ms).
// Quantum: short predicted bursts (< SHORT_US) get room to finish in one slice
// (2 x prediction + 1 ms, at least the fair quantum, at most 8 ms); batch work gets
// BATCH_SLICE_US (50 ms). The scheduler ends a slice early at the next known wake-up of a
// task with a smaller key (a sleeper's deadline; a RAM-disk request's expected completion,
// but not before the slice ran IO_PREEMPT_AFTER_US = 3 ms, and together with the other
// completions due within IO_COALESCE_US of it):
// wake-up preemption, so long slices do not delay interactive or I/O tasks. When a task
// waits for I/O whose completion time is unknown (a real device) the batch slice is the
// fair target latency instead.
// Accounting (virtual runtime, placement) is the fair policy's, so switching policies at
// any time is safe.
import { Task } from "./task";
import { FairPolicy, DispatchOutcome, weightOfNice, fairBefore } from "./fair";
import { ticksToUs, usToTicks } from "../platform/time";
import { EXPERTS, recordBurst, expertRemainingUs } from "./burst_predictors";

export const HORIZON_US: f64 = 200000;
export const MAX_WAIT_US: u64 = 500000;
export const BATCH_SLICE_US: u64 = 50000;
export const SHORT_US: f64 = 5001;
export const EMA_ALPHA: f64 = 0.5;
/** The estimate of a task's first burst (none completed yet): past it, a task that has never blocked is batch work. */
export const FIRST_BURST_US: f64 = 5000;
/** A slice is not ended for an I/O completion before it ran this long (completions are served in batches). */
export const IO_PREEMPT_AFTER_US: u64 = 3000;
/** Expected I/O completions this close after the first one due are served with it (one interruption). */
export const IO_COALESCE_US: u64 = 1000;
export const SWITCH_MARGIN: f64 = 0.5;
/**
 * Response bound of short tasks: a task predicted to finish its burst in < SHORT_US is overdue
 * once it waited RESPONSE_SLOWDOWN x its prediction, at least RESPONSE_WAIT_MIN_US. Without it,
 * in QEMU (virtio-blk completes in ~0.1 ms, so two I/O tasks with 0.2 ms bursts are runnable
 * almost all the time) shortest-burst-first ran the I/O tasks back to back and interactive tasks
 * (1-2 ms bursts) waited behind them up to the 500 ms bound: interactive response p99 6-8x fair.
 */
export const RESPONSE_SLOWDOWN: f64 = 4;
export const RESPONSE_WAIT_MIN_US: f64 = 4000;
/** log2(1 + HORIZON_US): the scale of the model's features and target. */
export const LOG_HORIZON: f64 = Math.log2(1 + HORIZON_US);

/** Among equal keys: the task further into its burst (batch tasks run one after another), then the fair order. */
function leaderBefore(a: Task, b: Task): bool {
  if (a.burstCpuTicks != b.burstCpuTicks) return a.burstCpuTicks > b.burstCpuTicks;
  return fairBefore(a, b);
}

/**
 * How long `t` may stay runnable before it is overdue (ticks): MAX_WAIT_US (given as
 * `maxTicks`) for batch work, RESPONSE_SLOWDOWN x its predicted burst (at least
 * RESPONSE_WAIT_MIN_US) for a task predicted short.
 */
// @ts-ignore: decorator
@inline function waitLimitTicks(t: Task, maxTicks: u64): u64 {
  const p = t.predictedUs < 0 ? FIRST_BURST_US : t.predictedUs;
  if (p >= SHORT_US) return maxTicks;
  const us = max(RESPONSE_WAIT_MIN_US, RESPONSE_SLOWDOWN * p);
  const ticks = usToTicks(<u64>us);
  return ticks < maxTicks ? ticks : maxTicks;
}

/** The classical estimate of the remaining burst (us). */
export function heuristicRemainingUs(t: Task): f64 {
  const used = <f64>ticksToUs(t.burstCpuTicks);
  const tau = t.burstEmaUs;
  let r: f64;
  if (tau < 0) r = used < FIRST_BURST_US ? FIRST_BURST_US - used : HORIZON_US;
  else if (used < tau) r = tau - used;
  else r = used;
  return r < 1 ? 1 : r > HORIZON_US ? HORIZON_US : r;
}

/** The model's features of a task (4 numbers, 0..1): see attention_policy.ts. */
export function burstFeatures(t: Task, out: StaticArray<f64>): void {
  const h = heuristicRemainingUs(t);
  const used = <f64>ticksToUs(t.burstCpuTicks);
  out[0] = min(1.0, Math.log2(1 + h) / LOG_HORIZON);
  out[1] = min(1.0, Math.log2(1 + used) / LOG_HORIZON);
  // what the slow average says, in the target's units (0.5 = the heuristic's answer)
  const slow = t.burstSlowEmaUs;
  out[2] = slow < 0 ? 0.5 : burstTarget(used < slow ? slow - used : used, h);
  out[3] = min(1.0, t.burstLogDev / 4);
}

/** Alpha of the slow burst average and of the deviation average (features of the model). */
export const SLOW_ALPHA: f64 = 0.125;
export const DEV_ALPHA: f64 = 0.25;

/** Range of the model's correction: y in [0, 1] stands for a factor 2^(-RANGE..+RANGE) on the heuristic. */
export const CORRECTION_RANGE_LOG2: f64 = 4;

/**
 * Training target of a remaining burst `us` (capped at HORIZON) given the heuristic's
 * prediction `heuristicUs` when the example opened: the correction the heuristic needed,
 * y = 0.5 + log2((1 + us) / (1 + heuristic)) / (2 RANGE), clamped to [0, 1]. y = 0.5 is
 * "the heuristic was right", so a model that learns nothing matches the heuristic.
 */
export function burstTarget(us: f64, heuristicUs: f64): f64 {
  const u = us < 0 ? 0 : us > HORIZON_US ? HORIZON_US : us;
  const y = 0.5 + Math.log2((1 + u) / (1 + heuristicUs)) / (2 * CORRECTION_RANGE_LOG2);
  return y < 0 ? 0 : y > 1 ? 1 : y;
}

/** Inverse of burstTarget: the remaining burst (us) a model output stands for, capped at HORIZON. */
export function burstFromTarget(y: f64, heuristicUs: f64): f64 {
  const yy = y < 0 ? 0 : y > 1 ? 1 : y;
  const r = (1 + heuristicUs) * Math.pow(2, (yy - 0.5) * 2 * CORRECTION_RANGE_LOG2) - 1;
  return r < 1 ? 1 : r > HORIZON_US ? HORIZON_US : r;
}

/** Prediction error over resolved examples: mean |log2(predicted / actual)| and mean absolute error. */
export class PredictionError {
  count: u64 = 0;
  sumLog2: f64 = 0;
  sumAbsUs: f64 = 0;
  add(predUs: f64, actualUs: f64): void {
    this.count++;
    this.sumLog2 += Math.abs(Math.log2((1 + predUs) / (1 + actualUs)));
    this.sumAbsUs += Math.abs(predUs - actualUs);
  }
  get meanLog2(): f64 { return this.count > 0 ? this.sumLog2 / <f64>this.count : NaN; }
  get meanAbsUs(): f64 { return this.count > 0 ? this.sumAbsUs / <f64>this.count : NaN; }
  clear(): void { this.count = 0; this.sumLog2 = 0; this.sumAbsUs = 0; }
}

/** Both predictors' errors on the same resolved examples (those opened while the attention policy decided; all, and the last window). */
export const modelError = new PredictionError();
export const heuristicError = new PredictionError();
export const modelErrorRecent = new PredictionError();
export const heuristicErrorRecent = new PredictionError();
/** The same examples predicted by each classical predictor (burst_predictors.ts; 0 = the heuristic's, 1 = the slow average) and by the learned mixture of them (the model's base, kernel/ai/burst_mixture.ts). */
export const expertErrors: StaticArray<PredictionError> = [new PredictionError(), new PredictionError(), new PredictionError(), new PredictionError(), new PredictionError()];
export const slowAverageError = expertErrors[1];
export const mixtureError = new PredictionError();
/** What the attention policy used (the model's prediction where the gate was open, else the mixture's). */
export const usedError = new PredictionError();
/** Mean |log2 error| of the model per window of ERROR_WINDOW examples (the learning curve). */
export const modelErrorCurve = new Array<f64>(0);
export const heuristicErrorCurve = new Array<f64>(0);
export const ERROR_WINDOW: u64 = 200;

export function clearPredictionErrors(): void {
  modelError.clear();
  heuristicError.clear();
  for (let i = 0; i < EXPERTS; i++) expertErrors[i].clear();
  mixtureError.clear();
  usedError.clear();
  modelErrorRecent.clear();
  heuristicErrorRecent.clear();
  modelErrorCurve.length = 0;
  heuristicErrorCurve.length = 0;
}

export class BurstPolicy extends FairPolicy {
  lastTaskId: i32 = 0;
  decisions: u64 = 0;
  overduePicks: u64 = 0;
  /** Whether the last pick() ran an overdue task (the starvation bound decided). */
  lastPickWasOverdue: bool = false;
  protected features: StaticArray<f64> = new StaticArray<f64>(4);

  get name(): string {
    return "heuristic";
  }

  /** Whether the scheduler ends this policy's slices at known wake-ups of shorter tasks. */
  get preemptsAtWakeups(): bool {
    return true;
  }

  /** The predicted remaining burst of `t` (us); the heuristic's. */
  predictUs(t: Task): f64 {
    return heuristicRemainingUs(t);
  }

  /** Whether this policy's predictor learns (the scheduler hands it resolved examples). */
  learnsBursts(): bool {
    return false;
  }

  /** A resolved example: features when it opened, target (burstTarget: the correction the heuristic needed). */
  learnBurst(features: StaticArray<f64>, y: f64, now: u64): void {}

  /** A resolved example's two predictions (model's raw, its base's) and the actual remaining burst (us). */
  resolvedPredictions(modelUs: f64, baseUs: f64, actualUs: f64): void {}

  /** A resolved example of task t (its predictors' predictions are in t.exampleExperts): the learned base learns from it. */
  resolvedExample(t: Task, actualUs: f64): void {}

  /** The base prediction (us) the model corrects, given the classical predictors' (us): the heuristic's here. */
  baseUs(t: Task, experts: StaticArray<f64>): f64 {
    return experts[0];
  }

  /** The model's features of t whose base prediction is `base` (us). */
  exampleFeaturesOf(t: Task, base: f64, out: StaticArray<f64>): void {
    burstFeatures(t, out);
  }

  /** The model's own prediction (us) before any gating; the heuristic's for a policy without a model. */
  modelUs(t: Task): f64 {
    return heuristicRemainingUs(t);
  }

  /** What the policy uses given the model's and the heuristic's predictions (us): the heuristic's here. */
  gated(modelUs: f64, heuristicUs: f64): f64 {
    return heuristicUs;
  }

  /** The key pick() minimises. */
  // @ts-ignore: decorator
  @inline keyOf(t: Task): f64 {
    const p = t.predictedUs < 0 ? FIRST_BURST_US : t.predictedUs; // never ran: its first burst's estimate
    return p * 1024.0 / <f64>weightOfNice(t.nice);
  }

  pick(runqueue: Array<Task>, now: u64): i32 {
    const count = runqueue.length;
    this.lastPickWasOverdue = false;
    if (count == 1) return 0;
    this.decisions++;
    const overdueAt = usToTicks(MAX_WAIT_US);
    let overdue = -1;
    let best = -1;
    let bestKey: f64 = 0;
    for (let i = 0; i < count; i++) {
      const t = unchecked(runqueue[i]);
      if (now > t.stateSince && now - t.stateSince >= waitLimitTicks(t, overdueAt)) {
        if (overdue < 0 || t.stateSince < runqueue[overdue].stateSince) overdue = i;
        continue;
      }
      let key = this.keyOf(t);
      if (t.id == this.lastTaskId) key *= SWITCH_MARGIN;
      if (best < 0 || key < bestKey || (key == bestKey && leaderBefore(t, runqueue[best]))) {
        best = i;
        bestKey = key;
      }
    }
    if (overdue >= 0) {
      this.overduePicks++;
      this.lastPickWasOverdue = true;
      return overdue;
    }
    return best;
  }

  quantumTicks(task: Task, runqueue: Array<Task>): u64 {
    const fairQuantum = super.quantumTicks(task, runqueue);
    const p = task.predictedUs < 0 ? FIRST_BURST_US : task.predictedUs;
    // an overdue batch task runs to bound its wait, for a fair quantum: shorter tasks that are
    // runnable now do not wait a whole batch slice behind it (an overdue short task gets its
    // usual room to finish the burst)
    if (this.lastPickWasOverdue && p >= SHORT_US) return fairQuantum;
    if (p < SHORT_US) {
      const room = usToTicks(<u64>min(2 * p + 1000, 8000.0));
      return room > fairQuantum ? room : fairQuantum;
    }
    return usToTicks(BATCH_SLICE_US);
  }

  observe(task: Task, outcome: DispatchOutcome, now: u64): void {
    // an overdue task's slice (the starvation bound) does not make it the leader: the task
    // that had the CPU gets it back with its hysteresis, so batch tasks still run one after
    // another instead of taking turns every MAX_WAIT_US
    if (!this.lastPickWasOverdue) this.lastTaskId = task.id;
  }
}

/**
 * After every dispatch (any policy): accounts the burst, resolves and opens training
 * examples, and refreshes task.predictedUs with `active`'s predictor (the heuristic's when
 * the active policy is not a burst policy). `learner` is the learning burst policy.
 */
export function burstAfterDispatch(task: Task, sliceTicks: u64, burstEnded: bool, exited: bool, now: u64,
  active: BurstPolicy | null, learner: BurstPolicy | null): void {
  task.burstCpuTicks += sliceTicks;
  if (task.exampleOpen) {
    const ran = <f64>ticksToUs(task.burstCpuTicks - task.exampleAtCpu);
    if (burstEnded || ran >= HORIZON_US) {
      const actual = ran > HORIZON_US ? HORIZON_US : ran;
      task.exampleOpen = false;
      const modelled = !isNaN(task.examplePredModelUs);
      if (modelled) {
        modelError.add(task.examplePredModelUs, actual);
        heuristicError.add(task.examplePredHeuristicUs, actual);
        for (let i = 0; i < EXPERTS; i++) expertErrors[i].add(task.exampleExperts[i], actual);
        mixtureError.add(task.exampleBaseUs, actual);
        usedError.add(task.examplePredUsedUs, actual);
        modelErrorRecent.add(task.examplePredModelUs, actual);
        heuristicErrorRecent.add(task.examplePredHeuristicUs, actual);
      }
      if (modelled && modelErrorRecent.count >= ERROR_WINDOW) {
        modelErrorCurve.push(modelErrorRecent.meanLog2);
        heuristicErrorCurve.push(heuristicErrorRecent.meanLog2);
        modelErrorRecent.clear();
        heuristicErrorRecent.clear();
      }
      if (learner != null) {
        if (modelled) learner.resolvedPredictions(task.examplePredModelUs, task.exampleBaseUs, actual);
        learner.resolvedExample(task, actual);
        learner.learnBurst(task.exampleFeatures, burstTarget(actual, task.exampleBaseUs), now);
      }
    }
  }
  if (burstEnded) {
    const us = <f64>ticksToUs(task.burstCpuTicks);
    task.lastBurstUs = us;
    task.burstEmaUs = task.burstEmaUs < 0 ? us : EMA_ALPHA * us + (1 - EMA_ALPHA) * task.burstEmaUs;
    task.burstsCompleted++;
    recordBurst(task, us);
    task.burstSumUs += us;
    if (task.burstSlowEmaUs < 0) task.burstSlowEmaUs = us;
    else {
      const dev = Math.abs(Math.log2((1 + us) / (1 + task.burstSlowEmaUs)));
      task.burstLogDev = DEV_ALPHA * dev + (1 - DEV_ALPHA) * task.burstLogDev;
      task.burstSlowEmaUs = SLOW_ALPHA * us + (1 - SLOW_ALPHA) * task.burstSlowEmaUs;
    }
    task.burstCpuTicks = 0;
  }
  if (exited) return;
  const heuristic = heuristicRemainingUs(task);
  if (!task.exampleOpen) {
    // a new example: what each predictor says now, learned from when the outcome is known
    const experts = task.exampleExperts;
    for (let i = 0; i < EXPERTS; i++) experts[i] = expertRemainingUs(task, i, FIRST_BURST_US, HORIZON_US);
    const base = learner != null ? learner!.baseUs(task, experts) : heuristic;
    task.exampleBaseUs = base;
    if (learner != null) learner!.exampleFeaturesOf(task, base, task.exampleFeatures);
    else burstFeatures(task, task.exampleFeatures);
    task.exampleOpen = true;
    task.exampleAtCpu = task.burstCpuTicks;
    task.examplePredHeuristicUs = heuristic;
    // the model's prediction only while it decides (its cost is the attention policy's); the
    // errors of all predictors are compared on those examples
    const decides = learner != null && active === learner;
    task.examplePredModelUs = decides ? learner!.modelUs(task) : NaN;
    task.predictedUs = decides ? learner!.gated(task.examplePredModelUs, base) : heuristic;
    task.examplePredUsedUs = task.predictedUs;
    return;
  }
  task.predictedUs = active != null && active === learner ? active.predictUs(task) : heuristic;
}
