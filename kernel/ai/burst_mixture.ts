// The learned base of the attention policy's burst prediction: an online mixture of the
// classical predictors (kernel/sched/burst_predictors.ts), trained by exponentiated gradient.
//
// Prediction (log space, where the error is measured): P = sum_i w_i L_i, L_i = log2(1 + r_i)
// with r_i predictor i's remaining burst, w on the simplex (w_i >= 0, sum 1); the remaining
// burst is 2^P - 1. Loss of a resolved example with actual remaining burst a, y = log2(1 + a):
// Huber(P - y) with threshold MIX_DELTA (close to |P - y|, the error bench sched reports), so
// dLoss/dw_i = g L_i with g = clamp((P - y) / MIX_DELTA, -1, 1). Exponentiated-gradient step
// w_i <- w_i exp(-eta g L_i), renormalised, then mixed with MIX_SHARE of the uniform weights
// (fixed share: a task whose bursts change regime can move its weight to another predictor
// again). EG's regret bound: after T examples the mixture's mean loss is within
// O(sqrt(log(K) / T)) of the best fixed mixture in hindsight, and each single predictor is one.
//
// Two sets of weights: global (every example of every task, rate GLOBAL_RATE) and per task
// (task.mixWeights, rate TASK_RATE; copied from the global weights at the task's first
// prediction), so a task with structure (a period: the `period` predictor; a regime: `last`)
// weights the predictor that follows its structure while a new task starts from what worked
// for the others. The task's weights predict.
import { Task } from "../sched/task";
import { EXPERTS } from "../sched/burst_predictors";

export const MIX_DELTA: f64 = 0.25;
export const TASK_RATE: f64 = 0.15;
export const GLOBAL_RATE: f64 = 0.02;
export const MIX_SHARE: f64 = 0.01;

export class BurstMixture {
  global: StaticArray<f64> = new StaticArray<f64>(EXPERTS);
  updates: u64 = 0;

  constructor() {
    this.clear();
  }

  clear(): void {
    for (let i = 0; i < EXPERTS; i++) this.global[i] = 1.0 / <f64>EXPERTS;
    this.updates = 0;
  }

  private weightsOf(t: Task): StaticArray<f64> {
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

  /** A resolved example: the predictors' remaining bursts when it opened and the actual one (us). */
  learn(t: Task, experts: StaticArray<f64>, actualUs: f64): void {
    step(this.weightsOf(t), experts, actualUs, TASK_RATE);
    step(this.global, experts, actualUs, GLOBAL_RATE);
    this.updates++;
  }
}

/** 2^(sum_i w_i log2(1 + r_i)) - 1. */
export function combine(w: StaticArray<f64>, experts: StaticArray<f64>): f64 {
  let p: f64 = 0;
  for (let i = 0; i < EXPERTS; i++) p += w[i] * Math.log2(1 + experts[i]);
  return Math.pow(2, p) - 1;
}

/** One exponentiated-gradient step of weights w on one example (see the header). */
export function step(w: StaticArray<f64>, experts: StaticArray<f64>, actualUs: f64, rate: f64): void {
  let p: f64 = 0;
  for (let i = 0; i < EXPERTS; i++) p += w[i] * Math.log2(1 + experts[i]);
  const y = Math.log2(1 + actualUs);
  let g = (p - y) / MIX_DELTA;
  g = g < -1 ? -1 : g > 1 ? 1 : g;
  // the gradient g L_i; subtracting its mean changes nothing after normalisation and keeps exp() in range
  let mean: f64 = 0;
  for (let i = 0; i < EXPERTS; i++) mean += Math.log2(1 + experts[i]);
  mean /= <f64>EXPERTS;
  let sum: f64 = 0;
  for (let i = 0; i < EXPERTS; i++) {
    const v = w[i] * Math.exp(-rate * g * (Math.log2(1 + experts[i]) - mean));
    w[i] = v;
    sum += v;
  }
  for (let i = 0; i < EXPERTS; i++) w[i] = (1 - MIX_SHARE) * w[i] / sum + MIX_SHARE / <f64>EXPERTS;
}
