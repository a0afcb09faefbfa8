// The attention scoring model of the AI scheduler, with its online training.
//
// Inputs: a candidate's embedding e (4 numbers; kernel/sched/attention_policy.ts says what
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
// slice is over, the observed target y in [0, 1]. Loss: L = (p - y)^2 (MSE). Gradients are
// exact (backpropagation below, through the output layer, the residual, the softmax and the
// Q/K/V projections; tests/unit/ai/attention.test.ts checks each one against central finite
// differences). Every BATCH decisions, train() runs one pass of per-example SGD over the
// buffered decisions (P -= lr * dL/dP, gradient norm clipped at GRADIENT_CLIP) and records
// the batch's mean loss measured BEFORE the update, i.e. the error of the weights that
// actually made those decisions: the online loss that `schedctl stats` shows.
//
// Parameter layout: [Wq 0..15 | Wk 16..31 | Wv 32..47 | wo 48..51 | bo 52], row-major
// (q[r] = sum_c Wq[4r + c] e[c]).
import { Random } from "../lib/random";
import { nowTicks } from "../platform/time";

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
export const DEFAULT_LEARNING_RATE: f64 = 0.1;
export const DEFAULT_WEIGHT_SEED: u64 = 20240801;
const LOSS_HISTORY: i32 = 256;

@inline function sigmoid(z: f64): f64 {
  return z >= 0 ? 1.0 / (1.0 + Math.exp(-z)) : Math.exp(z) / (1.0 + Math.exp(z));
}

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
      const w = Math.exp(unchecked(att[j]) - maxLogit);
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

/**
 * Loss (p - y)^2 of one example; ADDS dL/dP to `grad` (PARAM_COUNT entries).
 * Backward pass, in the order of the forward pass reversed:
 *   dp = 2(p - y);  dz = dp p (1 - p)
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
  const dz = 2 * diff * pred * (1 - pred);
  for (let r = 0; r < 4; r++) grad[WO + r] += dz * unchecked(h[r]);
  grad[BO] += dz;
  if (n == 0) return diff * diff;
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
  return diff * diff;
}

/** The online model: weights, the dispatch history, the buffer of decisions to learn from. */
export class AttentionModel {
  params: StaticArray<f64> = new StaticArray<f64>(PARAM_COUNT);
  learningRate: f64 = DEFAULT_LEARNING_RATE;
  /** Incremented by every weight update (traces record which weights decided). */
  version: u32 = 0;
  updates: u64 = 0;
  /** Decisions learned from (examples added) since the last reset. */
  decisions: u64 = 0;
  /** Mean loss of each batch before its update, oldest first (the last LOSS_HISTORY). */
  lossHistory: Array<f64> = new Array<f64>(0);
  lastTrainTicks: u64 = 0;

  // history ring (order is irrelevant to attention: it has no positional encoding)
  histX: StaticArray<f64> = new StaticArray<f64>(HISTORY * 4);
  histO: StaticArray<f64> = new StaticArray<f64>(HISTORY * 4);
  histCount: i32 = 0;
  private histNext: i32 = 0;
  private keyCache: StaticArray<f64> = new StaticArray<f64>(HISTORY * 4);
  private valueCache: StaticArray<f64> = new StaticArray<f64>(HISTORY * 4);

  // decision buffer
  private exE: StaticArray<f64> = new StaticArray<f64>(BATCH * 4);
  private exHX: StaticArray<f64> = new StaticArray<f64>(BATCH * HISTORY * 4);
  private exHO: StaticArray<f64> = new StaticArray<f64>(BATCH * HISTORY * 4);
  private exN: StaticArray<i32> = new StaticArray<i32>(BATCH);
  private exY: StaticArray<f64> = new StaticArray<f64>(BATCH);
  bufferedExamples: i32 = 0;
  private grad: StaticArray<f64> = new StaticArray<f64>(PARAM_COUNT);

  constructor(public seed: u64 = DEFAULT_WEIGHT_SEED) {
    this.resetWeights();
  }

  /** Initial weights: uniform in [-0.5, 0.5) from the seed; bo = 0 (score 0.5). Clears history and buffer. */
  resetWeights(): void {
    const rng = new Random(this.seed);
    for (let i = 0; i < BO; i++) this.params[i] = rng.uniform(-0.5, 0.5);
    this.params[BO] = 0;
    this.version++;
    this.updates = 0;
    this.decisions = 0;
    this.lossHistory = new Array<f64>(0);
    this.histCount = 0;
    this.histNext = 0;
    this.bufferedExamples = 0;
  }

  /** Score of a candidate against the current history (keys/values cached). */
  score(e: StaticArray<f64>): f64 {
    return forwardWith(this.params, e, 0, this.keyCache, this.valueCache, this.histCount);
  }

  /** Appends a dispatch (embedding x, outcome o) to the history, replacing the oldest. */
  pushHistory(x: StaticArray<f64>, o: StaticArray<f64>): void {
    const at = this.histNext * 4;
    for (let c = 0; c < 4; c++) {
      this.histX[at + c] = x[c];
      this.histO[at + c] = o[c];
    }
    project(this.keyCache, at, this.params, WK, this.histX, at);
    project(this.valueCache, at, this.params, WV, this.histO, at);
    this.histNext = (this.histNext + 1) % HISTORY;
    if (this.histCount < HISTORY) this.histCount++;
  }

  private refreshCache(): void {
    for (let j = 0; j < this.histCount; j++) {
      project(this.keyCache, 4 * j, this.params, WK, this.histX, 4 * j);
      project(this.valueCache, 4 * j, this.params, WV, this.histO, 4 * j);
    }
  }

  /**
   * Stores a decision (the embedding the chosen task had, the history the model saw, the
   * observed target y) and trains when BATCH decisions are buffered. Returns true when the
   * weights were updated.
   */
  addExample(e: StaticArray<f64>, y: f64): bool {
    const i = this.bufferedExamples;
    for (let c = 0; c < 4; c++) this.exE[4 * i + c] = e[c];
    const base = i * HISTORY * 4;
    const n = this.histCount;
    for (let k = 0; k < n * 4; k++) {
      this.exHX[base + k] = this.histX[k];
      this.exHO[base + k] = this.histO[k];
    }
    this.exN[i] = n;
    this.exY[i] = y < 0 ? 0 : y > 1 ? 1 : y;
    this.bufferedExamples++;
    this.decisions++;
    if (this.bufferedExamples < BATCH) return false;
    this.train();
    return true;
  }

  /** Mean loss of the buffered examples under the current weights (no update). */
  bufferLoss(): f64 {
    const n = this.bufferedExamples;
    if (n == 0) return NaN;
    let sum: f64 = 0;
    for (let i = 0; i < n; i++) {
      const pred = forward(this.params, this.exE, 4 * i, this.exHX, this.exHO, i * HISTORY * 4, this.exN[i]);
      const d = pred - this.exY[i];
      sum += d * d;
    }
    return sum / <f64>n;
  }

  /** One pass of per-example SGD over the buffer; records the batch loss before it. */
  train(): void {
    const n = this.bufferedExamples;
    if (n == 0) return;
    const started = nowTicks();
    const lossBefore = this.bufferLoss();
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < PARAM_COUNT; k++) this.grad[k] = 0;
      lossAndGradient(this.params, this.exE, 4 * i, this.exHX, this.exHO, i * HISTORY * 4, this.exN[i], this.exY[i], this.grad);
      let norm2: f64 = 0;
      for (let k = 0; k < PARAM_COUNT; k++) norm2 += this.grad[k] * this.grad[k];
      const scale = norm2 > GRADIENT_CLIP * GRADIENT_CLIP ? GRADIENT_CLIP / Math.sqrt(norm2) : 1.0;
      const step = this.learningRate * scale;
      for (let k = 0; k < PARAM_COUNT; k++) this.params[k] -= step * this.grad[k];
    }
    this.bufferedExamples = 0;
    this.updates++;
    this.version++;
    if (this.lossHistory.length >= LOSS_HISTORY) this.lossHistory.shift();
    this.lossHistory.push(lossBefore);
    this.refreshCache();
    this.lastTrainTicks = nowTicks() - started;
  }
}
