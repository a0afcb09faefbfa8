// The learned base of the attention policy's burst prediction: an online mixture of the
// classical predictors (kernel/sched/burst_predictors.ts), the exponentially weighted average
// forecaster (Hedge), i.e. exponentiated gradient on the mixture's linear surrogate loss.
//
// Prediction (log space, where the error is measured): P = sum_i w_i L_i, L_i = log2(1 + r_i)
// with r_i predictor i's remaining burst, w on the simplex (w_i >= 0, sum 1); the remaining
// burst is 2^P - 1. Loss of predictor i on a resolved example with actual remaining burst a:
// l_i = min(LOSS_CAP, |L_i - log2(1 + a)|) (the error bench sched reports, capped). Learning
// minimises the surrogate S(w) = sum_i w_i l_i by exponentiated gradient: dS/dw_i = l_i, so
// w_i <- w_i exp(-eta l_i), renormalised, then mixed with a small share of the uniform weights
// (fixed share: a task whose bursts change regime can move its weight to another predictor
// again). The absolute error is convex in P, so the mixture's error is at most S(w) (Jensen),
// and Hedge's bound gives, after T examples, total error <= the best single predictor's
// + LOSS_CAP (ln(K) / eta + eta T / 8) (without the fixed share). (Plain EG on the mixture's own
// absolute loss was tried first: on these workloads its expected gradient is close to zero, the
// weights stayed within 0.01 of uniform after 5,000 examples, error 0.695 vs the slow average's 0.658.)
//
// Two sets of weights: global (every example of every task, rate GLOBAL_RATE) and per task
// (task.mixWeights, rate TASK_RATE; a task predicts with the global weights until it has
// completed OWN_AFTER bursts, then with its own, copied from the global ones), so a task with
// structure (a period: the `period` predictor; a regime: `last`) weights the predictor that
// follows its structure while a new task starts from what worked for the others.
import { Task } from "../sched/task";
import { EXPERTS, expertBurstUs } from "../sched/burst_predictors";

export const LOSS_CAP: f64 = 4;
export const TASK_RATE: f64 = 0.1;
export const GLOBAL_RATE: f64 = 0.05;
/** A task predicts with the global weights until it has completed this many bursts, then with its own (copied from the global ones then). */
export const OWN_AFTER: u64 = 8;
/** Fixed share per step (global, per task): small against eta x the predictors' error gaps, or it holds the weights near uniform. */
export const GLOBAL_SHARE: f64 = 0.0001;
export const TASK_SHARE: f64 = 0.001;

export class BurstMixture {
  global: StaticArray<f64> = new StaticArray<f64>(EXPERTS);
  private scratch: StaticArray<f64> = new StaticArray<f64>(EXPERTS);
  updates: u64 = 0;

  constructor() {
    this.clear();
  }

  clear(): void {
    for (let i = 0; i < EXPERTS; i++) this.global[i] = 1.0 / <f64>EXPERTS;
    this.updates = 0;
  }

  private weightsOf(t: Task): StaticArray<f64> {
    if (t.burstsCompleted < OWN_AFTER) return this.global;
    if (t.mixWeights.length != EXPERTS) {
      const w = new StaticArray<f64>(EXPERTS);
      for (let i = 0; i < EXPERTS; i++) w[i] = this.global[i];
      t.mixWeights = w;
    }
    return t.mixWeights;
  }

  /** The mixture's remaining burst (us) for task t given its predictors' remaining bursts (us). */
  predictUs(t: Task, experts: StaticArray<f64>): f64 {
    return combine(this.weightsOf(t), experts);
  }

  /**
   * The mixture of the predictors' estimates of t's burst length (us; cached in t.mixBurstUs with
   * the spread of their log2 in t.mixSpreadLog2 until the next burst or weight change); -1
   * before any completed burst. Between examples the policy applies the remaining-burst rule
   * to it (one cached number per dispatch instead of five predictors: on QEMU's emulated FPU
   * recomputing them after every slice cost ~70 us per dispatch).
   */
  burstUs(t: Task): f64 {
    if (t.burstRingCount == 0 || t.burstEmaUs < 0) return -1;
    if (t.mixBurstUs < 0) {
      for (let i = 0; i < EXPERTS; i++) this.scratch[i] = expertBurstUs(t, i);
      t.mixBurstUs = combine(this.weightsOf(t), this.scratch);
      let lo: f64 = Infinity, hi: f64 = -Infinity;
      for (let i = 0; i < EXPERTS; i++) {
        const l = Math.log2(1 + this.scratch[i]);
        if (l < lo) lo = l;
        if (l > hi) hi = l;
      }
      t.mixSpreadLog2 = hi - lo;
    }
    return t.mixBurstUs;
  }

  /** A resolved example: the predictors' remaining bursts when it opened and the actual one (us). */
  learn(t: Task, experts: StaticArray<f64>, actualUs: f64): void {
    t.mixBurstUs = -1;
    const w = this.weightsOf(t);
    if (w !== this.global) step(w, experts, actualUs, TASK_RATE, TASK_SHARE);
    step(this.global, experts, actualUs, GLOBAL_RATE, GLOBAL_SHARE);
    this.updates++;
  }
}

/**
 * 2^(sum_i w_i log2(1 + r_i)) - 1, computed as an offset from r_0 so that predictors that all
 * agree give exactly their value (sum w_i is 1 only to rounding: equal predictions of tasks that
 * have not completed a burst must stay equal, or the policy's ties among them change).
 */
export function combine(w: StaticArray<f64>, experts: StaticArray<f64>): f64 {
  const r0 = experts[0];
  let d: f64 = 0;
  for (let i = 1; i < EXPERTS; i++) if (experts[i] != r0) d += w[i] * Math.log2((1 + experts[i]) / (1 + r0));
  return d == 0 ? r0 : (1 + r0) * Math.pow(2, d) - 1;
}

/** One exponentiated-gradient (Hedge) step of weights w on one example (see the header). */
export function step(w: StaticArray<f64>, experts: StaticArray<f64>, actualUs: f64, rate: f64, share: f64): void {
  const y = Math.log2(1 + actualUs);
  let sum: f64 = 0;
  for (let i = 0; i < EXPERTS; i++) {
    const l = min(LOSS_CAP, Math.abs(Math.log2(1 + experts[i]) - y));
    const v = w[i] * Math.exp(-rate * l);
    w[i] = v;
    sum += v;
  }
  for (let i = 0; i < EXPERTS; i++) w[i] = (1 - share) * w[i] / sum + share / <f64>EXPERTS;
}
