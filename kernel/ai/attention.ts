// The attention scoring model of the AI scheduler, with its online training.
//
// Inputs: a candidate's embedding e (4 numbers; kernel/ai/attention_policy.ts says what
// they are) and a history of the last HISTORY dispatches: for each, the embedding x_j the
// dispatched task had and the outcome vector o_j observed after its slice (4 numbers).
//
// Forward pass (single head, d = 4; all weights are one flat parameter vector P):
//   q   = Wq e                      query of the candidate            (Wq: 4x4)
//   k_j = Wk x_j                    keys of the history               (Wk: 4x4)
//   v_j = Wv o_j                    values: projected outcomes        (Wv: 4x4)
//   s_j = q . k_j / sqrt(d)         attention logits
//   a   = softmax(s)                attention weights over the history
//   c   = sum_j a_j v_j             context
//   h   = e + c                     residual connection
//   z   = wo . h + bo               output layer                       (wo: 4, bo: 1)
//   p   = sigmoid(z)                score in 0..1 (x100 = priority 0..100)
// With an empty history c = 0.
//
// Training: each decision the model made is stored with the history it saw and, once the
// slice is over, the observed target y in [0, 1]. Loss: Huber (lossOf, HUBER_DELTA). Gradients are
// exact (backpropagation below, through the output layer, the residual, the softmax and the
// Q/K/V projections; tests/unit/ai/attention.test.ts checks each one against central finite
// differences). Every BATCH decisions, one pass of per-example SGD runs over the buffered
// decisions (P -= lr * dL/dP, gradient norm clipped at GRADIENT_CLIP); the batch's loss is
// the mean of each example's loss just before its own SGD step (progressive validation:
// every example is scored by weights that have not yet learned from it), which is what
// `schedctl stats` shows as the loss over time.
//
// Parameter layout: [Wq 0..15 | Wk 16..31 | Wv 32..47 | wo 48..51 | bo 52], row-major
// (q[r] = sum_c Wq[4r + c] e[c]).
import { Random } from "../lib/random";
import { nowTicks } from "../platform/time";
import { expFast, exp2NegQ30, toQ16, sigmoid, sigmoidQ16, LOG2E, Q16 } from "./attention_math";
export { expFast, exp2NegQ30 } from "./attention_math";

export const DIM: i32 = 4;
export const HISTORY: i32 = 20;
export const BATCH: i32 = 100;
export const PARAM_COUNT: i32 = 53;
export const WQ: i32 = 0;
export const WK: i32 = 16;
export const WV: i32 = 32;
export const WO: i32 = 48;
export const BO: i32 = 52;
const INV_SQRT_D: f64 = 0.5;
const GRADIENT_CLIP: f64 = 5.0;
/**
 * Huber loss threshold on the score (0.05 = 0.4 of a log2 step of the burst): the prediction
 * error the scheduler is measured by is mean |log2(predicted/actual)|, an absolute error,
 * whose best predictor is the conditional median; MSE's is the mean, pulled by the rare bursts
 * 16x longer than expected (a preempted burst, a stall), and MSE made the model less accurate
 * than the heuristic it corrects (virtual clock, 13,109 examples: 0.75 vs 0.71).
 */
export const HUBER_DELTA: f64 = 0.05;
export const DEFAULT_LEARNING_RATE: f64 = 0.1;
export const DEFAULT_WEIGHT_SEED: u64 = 20240801;
const LOSS_HISTORY: i32 = 256;

// Scratch space of the forward/backward pass (one pass at a time: the kernel is single-threaded).
const q = new StaticArray<f64>(4);
const ks = new StaticArray<f64>(HISTORY * 4);
const vs = new StaticArray<f64>(HISTORY * 4);
const att = new StaticArray<f64>(HISTORY);
const ctx = new StaticArray<f64>(4);
const h = new StaticArray<f64>(4);
const dq = new StaticArray<f64>(4);
const datt = new StaticArray<f64>(HISTORY);

/** project(out, outOff, P, W, x, xOff): out = W x for a 4x4 block of P. */
// @ts-ignore: decorator
@inline function project(out: StaticArray<f64>, outOff: i32, p: StaticArray<f64>, w: i32,
  x: StaticArray<f64>, xOff: i32): void {
  for (let r = 0; r < 4; r++) {
    const row = w + 4 * r;
    unchecked(out[outOff + r] = p[row] * x[xOff] + p[row + 1] * x[xOff + 1] + p[row + 2] * x[xOff + 2] + p[row + 3] * x[xOff + 3]);
  }
}

/**
 * Attention + output given precomputed keys/values (n of them, in ks/vs or the given
 * arrays). Fills q, att, ctx, h; returns p.
 */
function forwardWith(p: StaticArray<f64>, e: StaticArray<f64>, eOff: i32, keys: StaticArray<f64>,
  values: StaticArray<f64>, n: i32): f64 {
  project(q, 0, p, WQ, e, eOff);
  for (let r = 0; r < 4; r++) unchecked(ctx[r] = 0);
  if (n > 0) {
    let maxLogit = -Infinity;
    for (let j = 0; j < n; j++) {
      const o = 4 * j;
      const s = (unchecked(q[0]) * unchecked(keys[o]) + unchecked(q[1]) * unchecked(keys[o + 1]) +
        unchecked(q[2]) * unchecked(keys[o + 2]) + unchecked(q[3]) * unchecked(keys[o + 3])) * INV_SQRT_D;
      unchecked(att[j] = s);
      if (s > maxLogit) maxLogit = s;
    }
    let sum: f64 = 0;
    for (let j = 0; j < n; j++) {
      const w = expFast(unchecked(att[j]) - maxLogit);
      unchecked(att[j] = w);
      sum += w;
    }
    for (let j = 0; j < n; j++) {
      const a = unchecked(att[j]) / sum;
      unchecked(att[j] = a);
      const o = 4 * j;
      for (let r = 0; r < 4; r++) unchecked(ctx[r] += a * values[o + r]);
    }
  }
  let z = p[BO];
  for (let r = 0; r < 4; r++) {
    const hr = e[eOff + r] + unchecked(ctx[r]);
    unchecked(h[r] = hr);
    z += p[WO + r] * hr;
  }
  return sigmoid(z);
}

/** Keys and values of a history (n entries of hx/ho from offset hOff) into ks/vs. */
function projectHistory(p: StaticArray<f64>, hx: StaticArray<f64>, ho: StaticArray<f64>, hOff: i32, n: i32): void {
  for (let j = 0; j < n; j++) {
    project(ks, 4 * j, p, WK, hx, hOff + 4 * j);
    project(vs, 4 * j, p, WV, ho, hOff + 4 * j);
  }
}

/** The score p for one example (history hx/ho of n entries at hOff). */
export function forward(p: StaticArray<f64>, e: StaticArray<f64>, eOff: i32, hx: StaticArray<f64>,
  ho: StaticArray<f64>, hOff: i32, n: i32): f64 {
  projectHistory(p, hx, ho, hOff, n);
  return forwardWith(p, e, eOff, ks, vs, n);
}

/** Huber loss of a score p against the target y (delta HUBER_DELTA): quadratic near the target, absolute beyond. */
export function lossOf(p: f64, y: f64): f64 {
  const d = p - y;
  const ad = Math.abs(d);
  return ad <= HUBER_DELTA ? d * d / (2 * HUBER_DELTA) : ad - HUBER_DELTA / 2;
}

/**
 * Loss lossOf(p, y) of one example; ADDS dL/dP to `grad` (PARAM_COUNT entries).
 * Backward pass, in the order of the forward pass reversed:
 *   dp = (p - y) / delta within delta of y, else sign(p - y);  dz = dp p (1 - p)
 *   dwo = dz h;  dbo = dz;  dh = dz wo;  dc = dh          (e is an input: no gradient)
 *   dv_j = a_j dc;  da_j = dc . v_j
 *   ds_j = a_j (da_j - sum_k a_k da_k)                       (softmax Jacobian)
 *   dq = sum_j ds_j k_j / sqrt(d);  dk_j = ds_j q / sqrt(d)
 *   dWq += dq e^T;  dWk += sum_j dk_j x_j^T;  dWv += sum_j dv_j o_j^T
 */
export function lossAndGradient(p: StaticArray<f64>, e: StaticArray<f64>, eOff: i32, hx: StaticArray<f64>,
  ho: StaticArray<f64>, hOff: i32, n: i32, y: f64, grad: StaticArray<f64>): f64 {
  const pred = forward(p, e, eOff, hx, ho, hOff, n);
  const diff = pred - y;
  const ad = Math.abs(diff);
  const loss = lossOf(pred, y);
  const dp = ad <= HUBER_DELTA ? diff / HUBER_DELTA : (diff > 0 ? 1.0 : -1.0); // dL/dp
  const dz = dp * pred * (1 - pred);
  for (let r = 0; r < 4; r++) grad[WO + r] += dz * unchecked(h[r]);
  grad[BO] += dz;
  if (n == 0) return loss;
  // dc = dz * wo
  const dc0 = dz * p[WO], dc1 = dz * p[WO + 1], dc2 = dz * p[WO + 2], dc3 = dz * p[WO + 3];
  let weighted: f64 = 0; // sum_k a_k da_k
  for (let j = 0; j < n; j++) {
    const o = 4 * j;
    const a = unchecked(att[j]);
    const da = dc0 * unchecked(vs[o]) + dc1 * unchecked(vs[o + 1]) + dc2 * unchecked(vs[o + 2]) + dc3 * unchecked(vs[o + 3]);
    unchecked(datt[j] = da);
    weighted += a * da;
    // dWv += (a_j dc) o_j^T
    const ob = hOff + o;
    for (let c = 0; c < 4; c++) {
      const oc = ho[ob + c];
      grad[WV + c] += a * dc0 * oc;
      grad[WV + 4 + c] += a * dc1 * oc;
      grad[WV + 8 + c] += a * dc2 * oc;
      grad[WV + 12 + c] += a * dc3 * oc;
    }
  }
  for (let r = 0; r < 4; r++) unchecked(dq[r] = 0);
  for (let j = 0; j < n; j++) {
    const o = 4 * j;
    const ds = unchecked(att[j]) * (unchecked(datt[j]) - weighted) * INV_SQRT_D;
    for (let r = 0; r < 4; r++) unchecked(dq[r] += ds * ks[o + r]);
    // dWk += (ds q) x_j^T
    const xb = hOff + o;
    for (let r = 0; r < 4; r++) {
      const dk = ds * unchecked(q[r]);
      for (let c = 0; c < 4; c++) grad[WK + 4 * r + c] += dk * hx[xb + c];
    }
  }
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) grad[WQ + 4 * r + c] += unchecked(dq[r]) * e[eOff + c];
  }
  return loss;
}

/** Decisions waiting to be learned from: embedding, the history seen, target. */
class ExampleBuffer {
  e: StaticArray<f64> = new StaticArray<f64>(BATCH * 4);
  hx: StaticArray<f64> = new StaticArray<f64>(BATCH * HISTORY * 4);
  ho: StaticArray<f64> = new StaticArray<f64>(BATCH * HISTORY * 4);
  n: StaticArray<i32> = new StaticArray<i32>(BATCH);
  y: StaticArray<f64> = new StaticArray<f64>(BATCH);
  count: i32 = 0;
}

/**
 * The online model: weights, the dispatch history, the decisions to learn from.
 *
 * Scoring uses caches that depend only on the weights and the history, so a candidate costs
 * 20 dot products of 4, 20 exponentials and 20 multiply-adds:
 *   u_j = (Wq^T Wk / sqrt(d)) x_j   so  s_j = e . u_j  (= q . k_j / sqrt(d))
 *   r_j = wo . v_j                  so  z = wo . e + sum_j a_j r_j + bo  (= wo . (e + c) + bo)
 * (tests/unit/ai check that score() equals forward()).
 *
 * Training is double-buffered so it can run in slices (the scheduler's "ai-trainer" task)
 * while new decisions are taken: decisions fill one buffer; when it holds BATCH of them and
 * no batch is being trained, the buffers swap and trainSome() works through the full one
 * with per-example SGD on a SHADOW copy of the weights, which is published (copied into
 * the live weights, version + 1) when the batch is done. So every decision is taken by one
 * exact, versioned set of weights. Decisions that arrive while the fill buffer is full and
 * training has not finished are not learned from (counted in droppedExamples).
 */
export class AttentionModel {
  params: StaticArray<f64> = new StaticArray<f64>(PARAM_COUNT);
  learningRate: f64 = DEFAULT_LEARNING_RATE;
  /** Incremented whenever the weights change (traces record which weights decided). */
  version: u32 = 0;
  updates: u64 = 0;
  /** Decisions stored for learning since the last reset. */
  decisions: u64 = 0;
  droppedExamples: u64 = 0;
  /** Mean loss of each trained batch (each example's loss just before its SGD step), oldest first. */
  lossHistory: Array<f64> = new Array<f64>(0);
  /** CPU time of the last complete batch (over all its slices). */
  lastTrainTicks: u64 = 0;

  // history ring (order is irrelevant to attention: it has no positional encoding)
  histX: StaticArray<f64> = new StaticArray<f64>(HISTORY * 4);
  histO: StaticArray<f64> = new StaticArray<f64>(HISTORY * 4);
  histCount: i32 = 0;
  private histNext: i32 = 0;
  private uCache: StaticArray<f64> = new StaticArray<f64>(HISTORY * 4);
  private rCache: StaticArray<f64> = new StaticArray<f64>(HISTORY);
  /** Q16(u_j log2 e): base-2 logits of score(). */
  private uLog2Fixed: StaticArray<i32> = new StaticArray<i32>(HISTORY * 4);
  private rFixed: StaticArray<i32> = new StaticArray<i32>(HISTORY);
  private logitsFixed: StaticArray<i64> = new StaticArray<i64>(HISTORY);
  /** Q16 of wo[0..3] and bo (scoreQ16's output layer). */
  private outFixed: StaticArray<i32> = new StaticArray<i32>(5);
  /** Per column c, the largest and smallest uLog2Fixed[4j + c] over the history (score()'s bound). */
  private keyColumnMax: StaticArray<i32> = new StaticArray<i32>(4);
  private keyColumnMin: StaticArray<i32> = new StaticArray<i32>(4);
  /** score() calls whose one-pass bound was too loose (decided by the two-pass form). */
  boundFallbacks: u64 = 0;
  private m: StaticArray<f64> = new StaticArray<f64>(16); // Wq^T Wk / sqrt(d)
  private vTmp: StaticArray<f64> = new StaticArray<f64>(4);
  private logits: StaticArray<f64> = new StaticArray<f64>(HISTORY);

  private filling: ExampleBuffer = new ExampleBuffer();
  private trainingBuffer: ExampleBuffer = new ExampleBuffer();
  /** A batch is being trained (trainIndex of trainingBuffer.count done). */
  training: bool = false;
  private trainIndex: i32 = 0;
  private trainLossSum: f64 = 0;
  private trainTicks: u64 = 0;
  private shadow: StaticArray<f64> = new StaticArray<f64>(PARAM_COUNT);
  private grad: StaticArray<f64> = new StaticArray<f64>(PARAM_COUNT);

  constructor(public seed: u64 = DEFAULT_WEIGHT_SEED) {
    this.resetWeights();
  }

  /**
   * Initial weights: Wq, Wk, Wv uniform in [-0.5, 0.5) from the seed; the output layer wo, bo = 0,
   * so the score starts at exactly 0.5 for every input: the burst policies read 0.5 as "the
   * heuristic's prediction", so an untrained model starts as the heuristic instead of with a
   * random correction it first has to unlearn. Clears history and buffers.
   */
  resetWeights(): void {
    const rng = new Random(this.seed);
    for (let i = 0; i < BO; i++) this.params[i] = rng.uniform(-0.5, 0.5);
    for (let i = WO; i <= BO; i++) this.params[i] = 0;
    this.version++;
    this.updates = 0;
    this.boundFallbacks = 0;
    this.decisions = 0;
    this.droppedExamples = 0;
    this.lossHistory = new Array<f64>(0);
    this.histCount = 0;
    this.histNext = 0;
    this.filling.count = 0;
    this.trainingBuffer.count = 0;
    this.training = false;
    this.refreshCache();
  }

  /** Replaces the weights (PARAM_COUNT values; tests), as a new model version. */
  loadWeights(values: StaticArray<f64>): void {
    for (let i = 0; i < PARAM_COUNT; i++) this.params[i] = values[i];
    this.version++;
    this.refreshCache();
  }

  get bufferedExamples(): i32 {
    return this.filling.count;
  }

  /**
   * Score of a candidate against the current history, as the scheduler computes it:
   * scoreQ16() of the embedding rounded to Q16. Differs from forward() by less than 1e-3
   * (tests/unit/ai/attention.test.ts); training uses the exact f64 function.
   */
  score(e: StaticArray<f64>): f64 {
    return this.scoreQ16(toQ16(e[0]), toQ16(e[1]), toQ16(e[2]), toQ16(e[3]));
  }

  /**
   * score() of an embedding given in Q16 (e_c * 65536), all in integers: on QEMU's emulated
   * FPU every floating-point operation costs tens of nanoseconds, integer ones about one.
   *   z = bo + wo . e + sum_j a_j r_j       Q16; wo, bo and r_j cached in Q16
   *   a = softmax(l), l_j = e . u_j log2 e  base-2 logits (log2 e folded into the cached
   *                                         keys uLog2Fixed), so e^(s_j - m) = 2^-t_j with
   *                                         t_j = m - l_j in Q16: a 257-entry 2^-x table
   *                                         (Q30) with linear interpolation, 64-bit sums
   *   p = sigmoid(z)                        the same table, one 64-bit division; Q30
   * Softmax is shift-invariant, so the shift m need not be the largest logit, only at
   * least it: one pass uses m = an upper bound of every logit for this e, from the
   * per-column extremes of the keys (cached with them). When that bound is so loose that
   * the weights lose precision (their sum < 2^24, i.e. the largest logit is more than ~6
   * below it), the two-pass form with the exact maximum decides (counted in boundFallbacks).
   *
   * The loops walk raw addresses of the (non-moving) cache arrays: indexing a StaticArray
   * in a loop makes the incremental runtime spill the reference to its shadow stack on
   * every access (a store and a bounds check per element under wasm2c), which cost more
   * than the arithmetic. This runs on every scheduling decision, once per candidate.
   */
  scoreQ16(q0: i32, q1: i32, q2: i32, q3: i32): f64 {
    const e0 = <i64>q0, e1 = <i64>q1, e2 = <i64>q2, e3 = <i64>q3;
    const wo = changetype<usize>(this.outFixed); // wo[0..3], bo in Q16
    let z = <i64>load<i32>(wo, 16) + ((e0 * <i64>load<i32>(wo) + e1 * <i64>load<i32>(wo, 4) +
      e2 * <i64>load<i32>(wo, 8) + e3 * <i64>load<i32>(wo, 12)) >> 16);
    const n = this.histCount;
    if (n <= 0) return sigmoidQ16(z);
    const keys = changetype<usize>(this.uLog2Fixed);
    const count = <usize>min(n, HISTORY);
    // upper bound of every l_j: per column, e_c times the key column's max (e_c >= 0) or min
    const hi = changetype<usize>(this.keyColumnMax);
    const lo = changetype<usize>(this.keyColumnMin);
    const bound = ((e0 >= 0 ? e0 * <i64>load<i32>(hi) : e0 * <i64>load<i32>(lo)) +
      (e1 >= 0 ? e1 * <i64>load<i32>(hi, 4) : e1 * <i64>load<i32>(lo, 4)) +
      (e2 >= 0 ? e2 * <i64>load<i32>(hi, 8) : e2 * <i64>load<i32>(lo, 8)) +
      (e3 >= 0 ? e3 * <i64>load<i32>(hi, 12) : e3 * <i64>load<i32>(lo, 12))) >> 16;
    const values = changetype<usize>(this.rFixed);
    let sum: i64 = 0;
    let weighted: i64 = 0;
    for (let j: usize = 0; j < count; j++) {
      const k = keys + (j << 4);
      const l = (e0 * <i64>load<i32>(k) + e1 * <i64>load<i32>(k, 4) + e2 * <i64>load<i32>(k, 8) +
        e3 * <i64>load<i32>(k, 12)) >> 16;
      const w = exp2NegQ30(bound - l); // 2^30 * 2^-t, t = bound - l_j >= 0 (Q16, base 2)
      sum += w;
      weighted += w * <i64>load<i32>(values + (j << 2));
    }
    if (sum < (<i64>1 << 24)) {
      this.boundFallbacks++;
      return sigmoidQ16(z + this.attentionTwoPass(e0, e1, e2, e3, count));
    }
    return sigmoidQ16(z + weighted / sum);
  }

  /** sum_j a_j r_j (Q16) of scoreQ16() with the exact largest logit as the shift (two passes). */
  private attentionTwoPass(e0: i64, e1: i64, e2: i64, e3: i64, count: usize): i64 {
    const keys = changetype<usize>(this.uLog2Fixed);
    const logits = changetype<usize>(this.logitsFixed);
    let maxLogit: i64 = i64.MIN_VALUE;
    for (let j: usize = 0; j < count; j++) {
      const k = keys + (j << 4);
      const l = (e0 * <i64>load<i32>(k) + e1 * <i64>load<i32>(k, 4) + e2 * <i64>load<i32>(k, 8) +
        e3 * <i64>load<i32>(k, 12)) >> 16;
      store<i64>(logits + (j << 3), l);
      if (l > maxLogit) maxLogit = l;
    }
    const values = changetype<usize>(this.rFixed);
    let sum: i64 = 0;
    let weighted: i64 = 0;
    for (let j: usize = 0; j < count; j++) {
      const w = exp2NegQ30(maxLogit - load<i64>(logits + (j << 3)));
      sum += w;
      weighted += w * <i64>load<i32>(values + (j << 2));
    }
    return weighted / sum;
  }

  /** score() in exact f64 (the same value as forward(), to rounding). */
  scoreExact(e: StaticArray<f64>): f64 {
    const p = this.params;
    const e0 = e[0], e1 = e[1], e2 = e[2], e3 = e[3];
    let z = p[BO] + p[WO] * e0 + p[WO + 1] * e1 + p[WO + 2] * e2 + p[WO + 3] * e3;
    const n = this.histCount;
    if (n > 0) {
      const u = this.uCache;
      const logits = this.logits;
      let maxLogit = -Infinity;
      for (let j = 0; j < n; j++) {
        const o = 4 * j;
        const s = e0 * unchecked(u[o]) + e1 * unchecked(u[o + 1]) + e2 * unchecked(u[o + 2]) + e3 * unchecked(u[o + 3]);
        unchecked(logits[j] = s);
        if (s > maxLogit) maxLogit = s;
      }
      let sum: f64 = 0;
      let weighted: f64 = 0;
      for (let j = 0; j < n; j++) {
        const w = expFast(unchecked(logits[j]) - maxLogit);
        sum += w;
        weighted += w * unchecked(this.rCache[j]);
      }
      z += weighted / sum;
    }
    return sigmoid(z);
  }

  private cacheEntry(j: i32): void {
    const o = 4 * j;
    const m = this.m;
    const x = this.histX;
    for (let r = 0; r < 4; r++) {
      this.uCache[o + r] = m[4 * r] * x[o] + m[4 * r + 1] * x[o + 1] + m[4 * r + 2] * x[o + 2] + m[4 * r + 3] * x[o + 3];
    }
    project(this.vTmp, 0, this.params, WV, this.histO, o);
    const p = this.params;
    this.rCache[j] = p[WO] * this.vTmp[0] + p[WO + 1] * this.vTmp[1] + p[WO + 2] * this.vTmp[2] + p[WO + 3] * this.vTmp[3];
    for (let r = 0; r < 4; r++) this.uLog2Fixed[o + r] = toQ16(this.uCache[o + r] * LOG2E);
    this.rFixed[j] = toQ16(this.rCache[j]);
  }

  /** Recomputes M = Wq^T Wk / sqrt(d) and every cached u_j, r_j (after the weights change). */
  private refreshCache(): void {
    const p = this.params;
    for (let a = 0; a < 4; a++) {
      for (let b = 0; b < 4; b++) {
        let sum: f64 = 0;
        for (let r = 0; r < 4; r++) sum += p[WQ + 4 * r + a] * p[WK + 4 * r + b];
        this.m[4 * a + b] = sum * INV_SQRT_D;
      }
    }
    for (let j = 0; j < this.histCount; j++) this.cacheEntry(j);
    this.refreshKeyBounds();
    for (let c = 0; c < 4; c++) this.outFixed[c] = toQ16(p[WO + c]);
    this.outFixed[4] = toQ16(p[BO]);
  }

  /** Recomputes keyColumnMax/Min over the history's cached keys. */
  private refreshKeyBounds(): void {
    for (let c = 0; c < 4; c++) {
      let hi = i32.MIN_VALUE;
      let lo = i32.MAX_VALUE;
      for (let j = 0; j < this.histCount; j++) {
        const v = this.uLog2Fixed[4 * j + c];
        if (v > hi) hi = v;
        if (v < lo) lo = v;
      }
      this.keyColumnMax[c] = hi;
      this.keyColumnMin[c] = lo;
    }
  }

  /** Appends a dispatch (embedding x, outcome o) to the history, replacing the oldest. */
  pushHistory(x: StaticArray<f64>, o: StaticArray<f64>): void {
    const j = this.histNext;
    for (let c = 0; c < 4; c++) {
      this.histX[4 * j + c] = x[c];
      this.histO[4 * j + c] = o[c];
    }
    this.cacheEntry(j);
    this.histNext = (j + 1) % HISTORY;
    if (this.histCount < HISTORY) this.histCount++;
    this.refreshKeyBounds();
  }

  /**
   * Stores a decision (the chosen task's embedding, the history the model saw, the observed
   * target y). Returns true when this completed a batch and training of it should start
   * (startTraining() has been done; call trainSome() until it returns true).
   */
  addExample(e: StaticArray<f64>, y: f64): bool {
    if (this.filling.count >= BATCH) {
      // full and waiting for the previous batch's training to finish
      if (this.training) {
        this.droppedExamples++;
        return false;
      }
      this.startTraining();
      this.addExampleTo(this.filling, e, y);
      return true;
    }
    this.addExampleTo(this.filling, e, y);
    if (this.filling.count == BATCH && !this.training) {
      this.startTraining();
      return true;
    }
    return false;
  }

  private addExampleTo(b: ExampleBuffer, e: StaticArray<f64>, y: f64): bool {
    const i = b.count;
    for (let c = 0; c < 4; c++) b.e[4 * i + c] = e[c];
    const base = i * HISTORY * 4;
    const n = this.histCount;
    for (let k = 0; k < n * 4; k++) {
      b.hx[base + k] = this.histX[k];
      b.ho[base + k] = this.histO[k];
    }
    b.n[i] = n;
    b.y[i] = y < 0 ? 0 : y > 1 ? 1 : y;
    b.count++;
    this.decisions++;
    return false;
  }

  /** Swaps the full buffer in for training and copies the weights to the shadow. */
  private startTraining(): void {
    const full = this.filling;
    this.filling = this.trainingBuffer;
    this.filling.count = 0;
    this.trainingBuffer = full;
    for (let k = 0; k < PARAM_COUNT; k++) this.shadow[k] = this.params[k];
    this.training = true;
    this.trainIndex = 0;
    this.trainLossSum = 0;
    this.trainTicks = 0;
  }

  /**
   * Trains on the batch in progress until it is done or the counter reaches `deadline`
   * (at least one example per call). Returns true when the batch finished (weights published).
   */
  trainSome(deadline: u64): bool {
    if (!this.training) return true;
    const started = nowTicks();
    const b = this.trainingBuffer;
    const w = this.shadow;
    while (this.trainIndex < b.count) {
      const i = this.trainIndex++;
      for (let k = 0; k < PARAM_COUNT; k++) this.grad[k] = 0;
      this.trainLossSum += lossAndGradient(w, b.e, 4 * i, b.hx, b.ho, i * HISTORY * 4, b.n[i], b.y[i], this.grad);
      let norm2: f64 = 0;
      for (let k = 0; k < PARAM_COUNT; k++) norm2 += this.grad[k] * this.grad[k];
      const scale = norm2 > GRADIENT_CLIP * GRADIENT_CLIP ? GRADIENT_CLIP / Math.sqrt(norm2) : 1.0;
      const step = this.learningRate * scale;
      for (let k = 0; k < PARAM_COUNT; k++) w[k] -= step * this.grad[k];
      if (nowTicks() >= deadline) break;
    }
    this.trainTicks += nowTicks() - started;
    if (this.trainIndex < b.count) return false;
    // publish
    for (let k = 0; k < PARAM_COUNT; k++) this.params[k] = w[k];
    this.training = false;
    this.updates++;
    this.version++;
    if (this.lossHistory.length >= LOSS_HISTORY) this.lossHistory.shift();
    this.lossHistory.push(b.count > 0 ? this.trainLossSum / <f64>b.count : NaN);
    this.lastTrainTicks = this.trainTicks;
    b.count = 0;
    this.refreshCache();
    return true;
  }

  /** Trains the batch in progress to the end now (tests; the kernel uses the trainer task). */
  trainNow(): void {
    this.trainSome(u64.MAX_VALUE);
  }

  /** Mean loss of `count` examples in the fill buffer under the current weights (tests). */
  bufferLoss(): f64 {
    const b = this.filling;
    if (b.count == 0) return NaN;
    let sum: f64 = 0;
    for (let i = 0; i < b.count; i++) {
      const pred = forward(this.params, b.e, 4 * i, b.hx, b.ho, i * HISTORY * 4, b.n[i]);
      sum += lossOf(pred, b.y[i]);
    }
    return sum / <f64>b.count;
  }
}
