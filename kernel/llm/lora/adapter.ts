// LoRA adapter parameters: for each targeted projection W [out][in] of each layer, A [rank][in]
// (seeded uniform in +-1/sqrt(in), like PEFT's Kaiming init) and B [out][rank] (zero), so
// W' = W + (alpha / rank) B A starts equal to W. All parameters live in one f32 array, with
// gradients and Adam's two moments beside it (same indices), so the optimiser is one loop.
import { ModelConfig } from "../config";
import { Random } from "../../lib/random";

/** Projection names in PEFT's llama2.c-style naming (layers.{i}.attention.wq ...). */
export const TARGET_NAMES: StaticArray<string> = ["wq", "wk", "wv", "wo", "w1", "w2", "w3"];
export const T_WQ: i32 = 0;
export const T_WK: i32 = 1;
export const T_WV: i32 = 2;
export const T_WO: i32 = 3;
export const T_W1: i32 = 4;
export const T_W2: i32 = 5;
export const T_W3: i32 = 6;
export const TARGET_COUNT: i32 = 7;
export const MAX_RANK: i32 = 64;

/** "attention" or "feed_forward": the module a projection sits in (PEFT tensor names). */
export function targetModule(t: i32): string { return t <= T_WO ? "attention" : "feed_forward"; }

/** Bit mask of targets from "wq,wv"; -1 when a name is unknown or the list is empty. */
export function parseTargets(s: string): i32 {
  const parts = s.split(",");
  let mask = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i].trim();
    let found = -1;
    for (let t = 0; t < TARGET_COUNT; t++) if (TARGET_NAMES[t] == p) found = t;
    if (found < 0) return -1;
    mask |= 1 << found;
  }
  return mask == 0 ? -1 : mask;
}

export function targetsString(mask: i32): string {
  let s = "";
  for (let t = 0; t < TARGET_COUNT; t++) if ((mask & (1 << t)) != 0) s += (s.length > 0 ? "," : "") + TARGET_NAMES[t];
  return s;
}

export function targetIn(c: ModelConfig, t: i32): i32 { return t == T_W2 ? c.hidden : c.dim; }
export function targetOut(c: ModelConfig, t: i32): i32 {
  if (t == T_WK || t == T_WV) return c.kvDim;
  if (t == T_W1 || t == T_W3) return c.hidden;
  return c.dim;
}

export class Adapter {
  config: ModelConfig;
  rank: i32;
  alpha: f32;
  scale: f32;
  targets: i32;
  /** Floats of all A and B matrices. */
  count: i32 = 0;
  /** Float index of A / B of (layer, target); -1 when not targeted. */
  offA: StaticArray<i32>;
  offB: StaticArray<i32>;
  params: usize = 0;
  grads: usize = 0;
  m: usize = 0;
  v: usize = 0;
  /** Adam steps taken. */
  steps: i32 = 0;

  constructor(config: ModelConfig, rank: i32, alpha: f32, targets: i32) {
    this.config = config; this.rank = rank; this.alpha = alpha; this.targets = targets;
    this.scale = alpha / <f32>rank;
    const n = config.layers * TARGET_COUNT;
    this.offA = new StaticArray<i32>(n);
    this.offB = new StaticArray<i32>(n);
    let o = 0;
    for (let l = 0; l < config.layers; l++) {
      for (let t = 0; t < TARGET_COUNT; t++) {
        const i = l * TARGET_COUNT + t;
        if ((targets & (1 << t)) == 0) { this.offA[i] = -1; this.offB[i] = -1; continue; }
        this.offA[i] = o; o += rank * targetIn(config, t);
        this.offB[i] = o; o += targetOut(config, t) * rank;
      }
    }
    this.count = o;
    const bytes = <usize>o << 2;
    this.params = heap.alloc(bytes); memory.fill(this.params, 0, bytes);
    this.grads = heap.alloc(bytes); memory.fill(this.grads, 0, bytes);
    this.m = heap.alloc(bytes); memory.fill(this.m, 0, bytes);
    this.v = heap.alloc(bytes); memory.fill(this.v, 0, bytes);
  }

  has(layer: i32, t: i32): bool { return (this.targets & (1 << t)) != 0 && layer >= 0; }
  /** Address of A [rank][in] of (layer, target). */
  a(layer: i32, t: i32): usize { return this.params + (<usize>this.offA[layer * TARGET_COUNT + t] << 2); }
  b(layer: i32, t: i32): usize { return this.params + (<usize>this.offB[layer * TARGET_COUNT + t] << 2); }
  gradA(layer: i32, t: i32): usize { return this.grads + (<usize>this.offA[layer * TARGET_COUNT + t] << 2); }
  gradB(layer: i32, t: i32): usize { return this.grads + (<usize>this.offB[layer * TARGET_COUNT + t] << 2); }

  /** A uniform in +-1/sqrt(in) from the seed, B zero, optimiser state cleared. */
  initRandom(seed: u64): void {
    const rng = new Random(seed);
    memory.fill(this.params, 0, <usize>this.count << 2);
    for (let l = 0; l < this.config.layers; l++) {
      for (let t = 0; t < TARGET_COUNT; t++) {
        if (!this.has(l, t)) continue;
        const inDim = targetIn(this.config, t);
        const bound = 1.0 / Math.sqrt(<f64>inDim);
        const a = this.a(l, t), n = this.rank * inDim;
        for (let i = 0; i < n; i++) store<f32>(a + (<usize>i << 2), <f32>rng.uniform(-bound, bound));
      }
    }
    this.resetOptimizer();
  }

  resetOptimizer(): void {
    const bytes = <usize>this.count << 2;
    memory.fill(this.grads, 0, bytes); memory.fill(this.m, 0, bytes); memory.fill(this.v, 0, bytes);
    this.steps = 0;
  }

  zeroGrads(): void { memory.fill(this.grads, 0, <usize>this.count << 2); }

  /** Squared L2 norm of the gradient (for the exploding-loss guard and reports). */
  gradNormSq(): f64 {
    let s: f64 = 0;
    for (let i = 0; i < this.count; i++) { const g = <f64>load<f32>(this.grads + (<usize>i << 2)); s += g * g; }
    return s;
  }

  /** One Adam step (beta 0.9 / 0.999, eps 1e-8, bias-corrected) with the gradient times gradScale. */
  adamStep(lr: f32, gradScale: f32): void {
    this.steps++;
    const b1: f64 = 0.9, b2: f64 = 0.999;
    const c1 = <f32>(1.0 - Math.pow(b1, <f64>this.steps)), c2 = <f32>(1.0 - Math.pow(b2, <f64>this.steps));
    for (let i = 0; i < this.count; i++) {
      const o = <usize>i << 2;
      const g = load<f32>(this.grads + o) * gradScale;
      const m = <f32>0.9 * load<f32>(this.m + o) + <f32>0.1 * g;
      const v = <f32>0.999 * load<f32>(this.v + o) + <f32>0.001 * g * g;
      store<f32>(this.m + o, m); store<f32>(this.v + o, v);
      const mh = m / c1, vh = v / c2;
      store<f32>(this.params + o, load<f32>(this.params + o) - lr * mh / (Mathf.sqrt(vh) + <f32>1e-8));
    }
  }

  /** Bytes of the parameters as saved (f32). */
  paramBytes(): u64 { return <u64>this.count << 2; }

  free(): void {
    if (this.params != 0) { heap.free(this.params); heap.free(this.grads); heap.free(this.m); heap.free(this.v); }
    this.params = 0; this.grads = 0; this.m = 0; this.v = 0;
  }
}
