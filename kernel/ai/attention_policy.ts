// The attention scheduler (`schedctl policy attention`, `schedctl transformer on`): the burst
// policy (burst_policy.ts: shortest predicted remaining burst first, long slices for batch
// work, wake-up preemption, a 500 ms starvation bound) with the remaining burst predicted
// by two learned stages, both trained online:
//   1. the mixture (burst_mixture.ts): the five classical predictors of burst_predictors.ts
//      (ema = the heuristic's, slow average, last, median of 8, per-task period) combined in
//      log space with weights learned by exponentiated gradient (Hedge), global and per task;
//   2. the attention model (kernel/ai/attention.ts) learns a correction on top of the mixture
//      by backpropagation (a residual: its untrained output is exactly the mixture's).
//
// Features of a task (4 numbers, 0..1; mixtureFeatures()):
//   [0] base             log2(1 + the mixture's remaining burst) / log2(1 + 200 ms)
//   [1] burst_used       log2(1 + CPU used in the burst in progress) / the same scale
//   [2] predictor_spread (max - min) of the classical predictors' log2 burst estimates / 8
//                        (how much they disagree; 0 before any burst)
//   [3] burst_deviation  decayed mean |log2| deviation of its bursts from their slow average, / 4
// The model scores them against the last 20 dispatches (their features as keys, their
// outcome vectors as values) and outputs y in (0, 1).
//
// Target: the correction the mixture needed, y = 0.5 + log2((1 + r) / (1 + m)) / 8 in
// [0, 1], where m is the mixture's prediction and r the CPU the task actually used from the
// prediction until its burst ended (block, sleep or exit), capped at 200 ms (an example stays
// open until then: burstAfterDispatch()). Predicted remaining burst = (1 + m) 2^(8 (y - 0.5)) - 1.
// Loss: Huber on y (attention.ts lossOf: the error measure is absolute). One resolved example in EXAMPLE_EVERY goes to the model (the trainer task's
// CPU is part of what the policy costs; it runs at nice 10, mostly in idle time); the mixture
// learns from every example.
// Prediction error (predicted vs actual remaining burst) of the model, the mixture and each
// classical predictor on the same examples: `schedctl stats`, `bench sched`. The policy uses the
// model's prediction only where the model gate (burst_gate.ts) has measured it more accurate
// than the mixture recently; elsewhere the mixture's.
//
// Outcome vector pushed into the history after each dispatch: [log2(1 + slice) / log2(1 + 200 ms), slice/quantum (<= 1), ended blocked on I/O, ended sleeping or waiting].
//
// Trace (subsystem "sched"): recorded after the slice of a dispatch chosen among two or more
// runnable tasks (so the trace costs nothing inside the timed decision): features = the
// chosen task's features after the slice + runnable tasks at the pick, output = the model's y
// for it when it was picked (0.5 = the heuristic's prediction), action = its task id,
// confidence = 1 when it was chosen by prediction, 0 when overdue (starvation bound);
// outcome = the slice it ran (ms).
import { Task, StepResult } from "../sched/task";
import { DispatchOutcome } from "../sched/fair";
import { BurstPolicy, burstFromTarget, heuristicRemainingUs, HORIZON_US, LOG_HORIZON } from "../sched/burst_policy";
import { BurstMixture } from "./burst_mixture";
import { AttentionModel } from "./attention";
import { BurstGate, gateBucketOf } from "./burst_gate";
import { registerTraceSubsystem, recordDecision, resolveOutcome } from "./trace";
import { counterHz, ticksToUs } from "../platform/time";
import { trainingReady, ensureTrainer } from "./trainer";

/** One resolved example in EXAMPLE_EVERY goes to the model (by count, so the sample is not biased to any kind of task). */
export const EXAMPLE_EVERY: u64 = 4;

export const SCHED_TRACE = registerTraceSubsystem("sched",
  ["base", "burst_used", "predictor_spread", "burst_deviation", "runnable"], "correction", "task");

/**
 * The model's features of task t whose base prediction (the mixture's) is `base` us: 4 numbers
 * in 0..1 (see the header; the predictors' spread is the mixture's cache, burst_mixture.ts).
 */
export function mixtureFeatures(t: Task, base: f64, out: StaticArray<f64>): void {
  const used = <f64>ticksToUs(t.burstCpuTicks);
  out[0] = min(1.0, Math.log2(1 + base) / LOG_HORIZON);
  out[1] = min(1.0, Math.log2(1 + used) / LOG_HORIZON);
  out[2] = t.burstRingCount == 0 || t.mixBurstUs < 0 ? 0 : min(1.0, t.mixSpreadLog2 / 8);
  out[3] = min(1.0, t.burstLogDev / 4);
}

export class AttentionPolicy extends BurstPolicy {
  model: AttentionModel = new AttentionModel();
  /** The learned base the model corrects: the mixture of the classical predictors (burst_mixture.ts). */
  mixture: BurstMixture = new BurstMixture();
  /** The base (us) of the last embed()/embedFixed(). */
  private lastBase: f64 = 0;
  /** Where the model's prediction is used instead of the heuristic's (burst_gate.ts). */
  gate: BurstGate = new BurstGate();
  /** Decisions traced, examples offered to the model and skipped by the rate cap. */
  candidatesScored: u64 = 0;
  examplesSkipped: u64 = 0;
  private examplesSeen: u64 = 0;
  /** embedFixed()'s result. */
  fixed0: i32 = 0;
  fixed1: i32 = 0;
  fixed2: i32 = 0;
  fixed3: i32 = 0;
  private traceFeatures: StaticArray<f64> = new StaticArray<f64>(5);
  private outcomeVector: StaticArray<f64> = new StaticArray<f64>(4);
  private pendingTask: Task | null = null;
  private pendingRunnable: i32 = 0;
  private pendingScore: f64 = 0.5;
  private pendingOverdue: bool = false;

  get name(): string {
    return "attention";
  }

  /** Switched on (`schedctl transformer on`): the ai-trainer task is spawned the first time. */
  activate(): void {
    ensureTrainer();
  }

  get learned(): bool {
    return true;
  }

  learnsBursts(): bool {
    return true;
  }

  /**
   * The mixture's prediction of t's remaining burst now (us): the remaining-burst rule
   * (burst_policy.ts) on the mixture's cached burst estimate (burst_mixture.ts burstUs());
   * before any completed burst the heuristic's first-burst answer (every predictor's).
   */
  baseNow(t: Task): f64 {
    const b = this.mixture.burstUs(t);
    if (b < 0) return heuristicRemainingUs(t);
    const used = <f64>ticksToUs(t.burstCpuTicks);
    const r = used < b ? b - used : used;
    return r < 1 ? 1 : r > HORIZON_US ? HORIZON_US : r;
  }

  baseUs(t: Task, experts: StaticArray<f64>): f64 {
    return this.mixture.predictUs(t, experts);
  }

  exampleFeaturesOf(t: Task, base: f64, out: StaticArray<f64>): void {
    this.mixture.burstUs(t); // refresh the cached spread
    mixtureFeatures(t, base, out);
  }

  resolvedExample(t: Task, actualUs: f64): void {
    this.mixture.learn(t, t.exampleExperts, actualUs);
  }

  /** The model's features of a task now (mixtureFeatures). */
  embed(task: Task, now: u64, out: StaticArray<f64>): void {
    const base = this.baseNow(task);
    this.lastBase = base;
    mixtureFeatures(task, base, out);
  }

  /** embed() rounded to Q16 into fixed0..fixed3 (what the model's integer path scores). */
  embedFixed(task: Task, now: u64): void {
    this.embed(task, now, this.features);
    this.fixed0 = <i32>Math.round(this.features[0] * 65536);
    this.fixed1 = <i32>Math.round(this.features[1] * 65536);
    this.fixed2 = <i32>Math.round(this.features[2] * 65536);
    this.fixed3 = <i32>Math.round(this.features[3] * 65536);
  }

  /** The model's current output for a task (for `schedctl stats`); also stored in task.lastScore. */
  scoreOf(task: Task, now: u64): f64 {
    this.embedFixed(task, now);
    const s = this.model.scoreQ16(this.fixed0, this.fixed1, this.fixed2, this.fixed3);
    task.lastScore = s;
    return s;
  }

  /** The model's own prediction of the remaining burst (us): its correction of the mixture's. */
  modelUs(task: Task): f64 {
    const s = this.scoreOf(task, 0);
    return burstFromTarget(s, this.lastBase);
  }

  /** The prediction the policy uses: the model's where the gate is open (burst_gate.ts), else the mixture's. */
  predictUs(task: Task): f64 {
    const base = this.baseNow(task);
    // a closed bucket: the mixture decides, so the model's inference is skipped (its cost
    // was a large part of what the attention policy added per dispatch in QEMU); the model is
    // still asked at every example's opening, where its error is measured (burstAfterDispatch)
    if (!this.gate.open(gateBucketOf(base))) {
      this.gate.usedHeuristic++;
      return base;
    }
    return this.gated(this.modelUs(task), base);
  }

  gated(modelUs: f64, heuristicUs: f64): f64 {
    return this.gate.choose(modelUs, heuristicUs);
  }

  resolvedPredictions(modelUs: f64, heuristicUs: f64, actualUs: f64): void {
    this.gate.add(modelUs, heuristicUs, actualUs);
  }

  learnBurst(features: StaticArray<f64>, y: f64, now: u64): void {
    if (this.examplesSeen++ % EXAMPLE_EVERY != 0) {
      this.examplesSkipped++;
      return;
    }
    if (this.model.addExample(features, y)) trainingReady.signal();
  }

  pick(runqueue: Array<Task>, now: u64): i32 {
    const i = super.pick(runqueue, now);
    const t = runqueue[i];
    this.lastPickScored = runqueue.length >= 2;
    this.pendingTask = this.lastPickScored ? t : null;
    this.pendingRunnable = runqueue.length;
    this.pendingScore = t.lastScore < 0 ? 0.5 : t.lastScore;
    this.pendingOverdue = this.lastPickWasOverdue;
    return i;
  }

  observe(task: Task, outcome: DispatchOutcome, now: u64): void {
    super.observe(task, outcome, now);
    // only dispatches decided among two or more tasks enter the history and the trace: the
    // others (one runnable task) decided nothing, and under QEMU's TCG this work (f64
    // features, the history's key cache) cost ~70 us per dispatch on top of the heuristic's
    // (bench sched: sched.after_slice_cost), which every waiting task waited for
    if (this.pendingTask !== task) return;
    const sliceUs = <f64>ticksToUs(outcome.sliceTicks);
    this.embed(task, now, this.features);
    {
      // a decision among two or more tasks: trace it with its outcome
      this.pendingTask = null;
      this.candidatesScored += <u64>this.pendingRunnable;
      memory.copy(changetype<usize>(this.traceFeatures), changetype<usize>(this.features), 4 << 3);
      this.traceFeatures[4] = <f64>this.pendingRunnable;
      const id = recordDecision(SCHED_TRACE, this.model.version, this.traceFeatures, 5, this.pendingScore,
        this.pendingOverdue ? 0 : 1, <i64>task.id, now);
      resolveOutcome(id, sliceUs / 1000);
    }
    const o = this.outcomeVector;
    o[0] = Math.log2(1 + (sliceUs > HORIZON_US ? HORIZON_US : sliceUs)) / Math.log2(1 + HORIZON_US);
    const frac = outcome.quantumTicks > 0 ? <f64>outcome.sliceTicks / <f64>outcome.quantumTicks : 1;
    o[1] = frac > 1 ? 1 : frac;
    o[2] = outcome.blockedOnIo ? 1 : 0;
    o[3] = outcome.result == StepResult.Sleep || outcome.result == StepResult.WaitEvent ? 1 : 0;
    this.model.pushHistory(this.features, o);
  }
}

/** The attention policy; kernel/init.ts installs it as the scheduler's learned policy. */
export const attentionPolicy = new AttentionPolicy();

/** Counter ticks per microsecond (for callers that convert latencies). */
export function ticksPerUs(): f64 {
  return <f64>counterHz() / 1e6;
}
