// The transformer forward pass (llama2 architecture, as llama2.c's run.c defines it) over a
// model held in one contiguous region of pages (config.ts draws the layout).
//
// forward(tokens, count, pos): runs `count` tokens at positions pos..pos+count-1 through every
// layer together, so each weight row is loaded once per batch (matrix-matrix) instead of once
// per token, appends their keys and values to the KV cache, and leaves the logits of the last
// one in `logits`. Decoding is the same call with count = 1.
//
// Per layer, for each token x (dim):  xb = rmsnorm(x) * rms_att
//   q = wq xb, k = wk xb, v = wv xb; RoPE on q and k; k, v -> cache[pos]
//   per query head h (kv head h / (heads / kv_heads)): softmax(q.k_t / sqrt(head_size)) over
//   t = 0..pos, out = sum_t a_t v_t;  x += wo out
//   xb = rmsnorm(x) * rms_ffn;  x += w2 (silu(w1 xb) * (w3 xb))
// then logits = wcls (rmsnorm(x) * rms_final).
// Arithmetic is f32 like run.c; the inner loops are plain loads over raw addresses so wasm2c
// turns them into simple C loops.
import { ModelConfig, Layout, BATCH } from "./config";
import { quantizeRows, matmulQ8 } from "./q8";
import { dot, axpy, expLane, expShiftSum } from "./lanes";

export class Model {
  base: usize;
  config: ModelConfig;
  layout: Layout;
  /** Pages of the region (for freeing). */
  pages: u32;
  // cached addresses
  tokEmb: usize; rmsAtt: usize; wq: usize; wk: usize; wv: usize; wo: usize; rmsFfn: usize;
  w1: usize; w2: usize; w3: usize; rmsFinal: usize; wcls: usize;
  keyCache: usize; valueCache: usize;
  x: usize; xb: usize; xb2: usize; q: usize; k: usize; v: usize; hb: usize; hb2: usize;
  att: usize; logits: usize; pairs: usize; rope: usize;
  // int8 models (config.groupSize > 0): group scales of each matrix, quantised activations
  wqS: usize; wkS: usize; wvS: usize; woS: usize; w1S: usize; w2S: usize; w3S: usize; wclsS: usize;
  xq: usize; xs: usize;

  constructor(base: usize, pages: u32, config: ModelConfig, layout: Layout) {
    this.base = base; this.pages = pages; this.config = config; this.layout = layout;
    this.tokEmb = base + <usize>layout.tokEmb; this.rmsAtt = base + <usize>layout.rmsAtt;
    this.wq = base + <usize>layout.wq; this.wk = base + <usize>layout.wk; this.wv = base + <usize>layout.wv;
    this.wo = base + <usize>layout.wo; this.rmsFfn = base + <usize>layout.rmsFfn;
    this.w1 = base + <usize>layout.w1; this.w2 = base + <usize>layout.w2; this.w3 = base + <usize>layout.w3;
    this.rmsFinal = base + <usize>layout.rmsFinal; this.wcls = base + <usize>layout.wcls;
    this.keyCache = base + <usize>layout.keyCache; this.valueCache = base + <usize>layout.valueCache;
    this.x = base + <usize>layout.x; this.xb = base + <usize>layout.xb; this.xb2 = base + <usize>layout.xb2;
    this.q = base + <usize>layout.q; this.k = base + <usize>layout.k; this.v = base + <usize>layout.v;
    this.hb = base + <usize>layout.hb; this.hb2 = base + <usize>layout.hb2;
    this.att = base + <usize>layout.att; this.logits = base + <usize>layout.logits; this.pairs = base + <usize>layout.pairs;
    this.rope = base + <usize>layout.rope;
    this.wqS = base + <usize>layout.wqS; this.wkS = base + <usize>layout.wkS; this.wvS = base + <usize>layout.wvS;
    this.woS = base + <usize>layout.woS; this.w1S = base + <usize>layout.w1S; this.w2S = base + <usize>layout.w2S;
    this.w3S = base + <usize>layout.w3S; this.wclsS = base + <usize>layout.wclsS;
    this.xq = base + <usize>layout.xq; this.xs = base + <usize>layout.xs;
    fillRopeTable(this.rope, config.seqLen, config.headSize);
  }

  /** Index of the first f32 weight (for int8 models: embedding, norms, scales) that is NaN or infinite, or -1. */
  firstNonFiniteWeight(): i64 {
    const n = <usize>(this.layout.f32End >> 2);
    for (let i: usize = 0; i < n; i++) {
      if ((load<u32>(this.base + (i << 2)) & 0x7f800000) == 0x7f800000) return <i64>i;
    }
    return -1;
  }

  /**
   * Runs tokens[0..count) at positions pos..; logits of the last one end up in `logits`.
   * count <= BATCH and pos + count <= seqLen (the caller checks).
   */
  forward(tokens: usize, count: i32, pos: i32): void {
    const c = this.config;
    const dim = c.dim, hidden = c.hidden, kvDim = c.kvDim, hs = c.headSize, seq = c.seqLen;
    const kvMul = c.heads / c.kvHeads;
    const D = <usize>dim << 2, KV = <usize>kvDim << 2, S4 = <usize>c.seq4 << 2;
    for (let b = 0; b < count; b++) {
      const tok = load<i32>(tokens + (<usize>b << 2));
      memory.copy(this.x + <usize>b * D, this.tokEmb + <usize>tok * D, D);
    }
    const scale: f32 = 1.0 / Mathf.sqrt(<f32>hs);
    for (let l = 0; l < c.layers; l++) {
      const L = <usize>l;
      for (let b = 0; b < count; b++) rmsnorm(this.xb + <usize>b * D, this.x + <usize>b * D, this.rmsAtt + L * D, dim);
      this.input(this.xb, count, dim);
      // the key cache is transposed, [kv_dim][seq4] per layer (config.ts): keys are projected
      // into scratch, rotated there, then written down their columns; values are rows of
      // [seq][kv_dim] the projection writes directly
      const layerKeys = this.keyCache + L * <usize>kvDim * S4;
      const layerValues = this.valueCache + L * <usize>seq * KV;
      const values = layerValues + <usize>pos * KV;
      this.project(this.q, this.xb, this.wq, this.wqS, l, count, dim, dim);
      this.project(this.k, this.xb, this.wk, this.wkS, l, count, dim, kvDim);
      this.project(values, this.xb, this.wv, this.wvS, l, count, dim, kvDim);
      for (let b = 0; b < count; b++) {
        const kb = this.k + <usize>b * KV;
        rope(this.q + <usize>b * D, kb, this.rope, pos + b, dim, kvDim, hs);
        const col = layerKeys + (<usize>(pos + b) << 2);
        for (let j = 0; j < kvDim; j++) store<f32>(col + <usize>j * S4, load<f32>(kb + (<usize>j << 2)));
      }
      // attention: the output of token b goes to xb[b] (its normalised input is used up).
      // Scores for 4 positions at a time (one lane each) with their maximum, exp(s - max) and
      // its sum, then out = sum_t e_t v_t scaled by 1 / sum at the end.
      for (let b = 0; b < count; b++) {
        const p = pos + b;
        for (let h = 0; h < c.heads; h++) {
          const qh = this.q + <usize>b * D + (<usize>(h * hs) << 2);
          const kvh = (h / kvMul) * hs;
          const att = this.att + <usize>h * S4;
          const max = scores(att, qh, layerKeys + <usize>kvh * S4, S4, hs, p + 1, scale);
          const inv: f32 = 1.0 / expShiftSum(att, p + 1, max);
          const out = this.xb + <usize>b * D + (<usize>(h * hs) << 2);
          const vh = layerValues + (<usize>kvh << 2);
          scaleInto(out, vh, load<f32>(att), hs);
          for (let t = 1; t <= p; t++) {
            axpy(out, vh + <usize>t * KV, load<f32>(att + (<usize>t << 2)), hs);
          }
          scaleInto(out, out, inv, hs);
        }
      }
      this.input(this.xb, count, dim);
      this.project(this.xb2, this.xb, this.wo, this.woS, l, count, dim, dim);
      addInto(this.x, this.xb2, count * dim);
      for (let b = 0; b < count; b++) rmsnorm(this.xb + <usize>b * D, this.x + <usize>b * D, this.rmsFfn + L * D, dim);
      this.input(this.xb, count, dim);
      this.project(this.hb, this.xb, this.w1, this.w1S, l, count, dim, hidden);
      this.project(this.hb2, this.xb, this.w3, this.w3S, l, count, dim, hidden);
      swiglu(this.hb, this.hb2, count * hidden);
      this.input(this.hb, count, hidden);
      this.project(this.xb, this.hb, this.w2, this.w2S, l, count, hidden, dim);
      addInto(this.x, this.xb, count * dim);
    }
    const last = this.x + <usize>(count - 1) * D;
    rmsnorm(last, last, this.rmsFinal, dim);
    this.input(last, 1, dim);
    this.project(this.logits, last, this.wcls, this.wclsS, 0, 1, dim, c.vocab);
  }

  /** Prepares x[count][n] as the input of the next projections (int8 models quantise it once). */
  private input(x: usize, count: i32, n: i32): void {
    const g = this.config.groupSize;
    if (g > 0) quantizeRows(this.xq, this.xs, x, count, n, g);
  }

  /**
   * out[count][outDim] = W x for layer l's matrix W (rows of inDim) that starts at w (f32
   * values, or int8 values with group scales at ws): one place every projection goes through.
   */
  private project(out: usize, x: usize, w: usize, ws: usize, l: i32, count: i32, inDim: i32, outDim: i32): void {
    const n = <usize>inDim * <usize>outDim * <usize>l;
    const g = this.config.groupSize;
    if (g > 0) matmulQ8(out, this.xq, this.xs, w + n, ws + ((n / <usize>g) << 2), count, inDim, outDim, g);
    else matmul(out, x, w + (n << 2), count, inDim, outDim);
  }
}

// @ts-ignore: decorator
@inline function att_store(att: usize, t: i32, v: f32): void { store<f32>(att + (<usize>t << 2), v); }

/** o = w * x / sqrt(mean(x^2) + 1e-5); o may be x. */
export function rmsnorm(o: usize, x: usize, w: usize, n: i32): void {
  let ss: f32 = 0;
  for (let i = 0; i < n; i++) { const v = load<f32>(x + (<usize>i << 2)); ss += v * v; }
  ss = ss / <f32>n + 1e-5;
  const inv: f32 = 1.0 / Mathf.sqrt(ss);
  for (let i = 0; i < n; i++) {
    const a = <usize>i << 2;
    store<f32>(o + a, load<f32>(w + a) * (inv * load<f32>(x + a)));
  }
}

/**
 * att[t] = scale * (q . k_t) for t < n, where component i of key t is at k + i * S4 + 4 t
 * (the transposed cache); returns the largest. Four positions per step, one lane each, each
 * lane summing over the head's components in order (run.c's order for one position), so a
 * head of 8 fills the lanes as well as a head of 64. The last block may read up to 3 padding
 * columns of the cache row (inside the row, seq4 long); their lanes are not used.
 */
function scores(att: usize, q: usize, k: usize, S4: usize, hs: i32, n: i32, scale: f32): f32 {
  let m0: f32 = -Infinity, m1: f32 = -Infinity, m2: f32 = -Infinity, m3: f32 = -Infinity;
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    scoreBlock(att, q, k, S4, hs, t, scale);
    const a = att + (<usize>t << 2);
    const s0 = load<f32>(a), s1 = load<f32>(a, 4), s2 = load<f32>(a, 8), s3 = load<f32>(a, 12);
    m0 = select<f32>(s0, m0, s0 > m0); m1 = select<f32>(s1, m1, s1 > m1);
    m2 = select<f32>(s2, m2, s2 > m2); m3 = select<f32>(s3, m3, s3 > m3);
  }
  if (t < n) {
    scoreBlock(att, q, k, S4, hs, t, scale);
    for (; t < n; t++) { const s = load<f32>(att + (<usize>t << 2)); m0 = select<f32>(s, m0, s > m0); }
  }
  m0 = select<f32>(m1, m0, m1 > m0);
  m2 = select<f32>(m3, m2, m3 > m2);
  return select<f32>(m2, m0, m2 > m0);
}

/** att[t..t+4) = scale * (q . k_t) for the 4 positions from t (see scores). */
// @ts-ignore: decorator
@inline function scoreBlock(att: usize, q: usize, k: usize, S4: usize, hs: i32, t: i32, scale: f32): void {
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  let kt = k + (<usize>t << 2);
  for (let i = 0; i < hs; i++) {
    const qi = load<f32>(q + (<usize>i << 2));
    s0 += qi * load<f32>(kt); s1 += qi * load<f32>(kt, 4);
    s2 += qi * load<f32>(kt, 8); s3 += qi * load<f32>(kt, 12);
    kt += S4;
  }
  const a = att + (<usize>t << 2);
  store<f32>(a, s0 * scale); store<f32>(a, s1 * scale, 4); store<f32>(a, s2 * scale, 8); store<f32>(a, s3 * scale, 12);
}

export function softmax(x: usize, n: i32): void {
  let max = load<f32>(x);
  for (let i = 1; i < n; i++) { const v = load<f32>(x + (<usize>i << 2)); if (v > max) max = v; }
  let sum: f32 = 0;
  for (let i = 0; i < n; i++) {
    const a = x + (<usize>i << 2);
    const e = Mathf.exp(load<f32>(a) - max);
    store<f32>(a, e);
    sum += e;
  }
  const inv: f32 = 1.0 / sum;
  for (let i = 0; i < n; i++) { const a = x + (<usize>i << 2); store<f32>(a, load<f32>(a) * inv); }
}



/** y = a x in 4 lanes per step (axpy's first term: 0 + a x is a x). */
// @ts-ignore: decorator
@inline function scaleInto(y: usize, x: usize, a: f32, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, py = y + o, px = x + o;
    const y0 = a * load<f32>(px), y1 = a * load<f32>(px, 4), y2 = a * load<f32>(px, 8), y3 = a * load<f32>(px, 12);
    store<f32>(py, y0); store<f32>(py, y1, 4); store<f32>(py, y2, 8); store<f32>(py, y3, 12);
  }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, a * load<f32>(x + o)); }
}

function addInto(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) { const o = <usize>i << 2; store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o)); }
}

function swiglu(h: usize, h3: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, ph = h + o, p3 = h3 + o;
    const v0 = load<f32>(ph), v1 = load<f32>(ph, 4), v2 = load<f32>(ph, 8), v3 = load<f32>(ph, 12);
    const g0 = v0 * (<f32>1.0 / (<f32>1.0 + expLane(-v0))) * load<f32>(p3);
    const g1 = v1 * (<f32>1.0 / (<f32>1.0 + expLane(-v1))) * load<f32>(p3, 4);
    const g2 = v2 * (<f32>1.0 / (<f32>1.0 + expLane(-v2))) * load<f32>(p3, 8);
    const g3 = v3 * (<f32>1.0 / (<f32>1.0 + expLane(-v3))) * load<f32>(p3, 12);
    store<f32>(ph, g0); store<f32>(ph, g1, 4); store<f32>(ph, g2, 8); store<f32>(ph, g3, 12);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(h + o);
    store<f32>(h + o, v * (<f32>1.0 / (<f32>1.0 + expLane(-v))) * load<f32>(h3 + o));
  }
}

/**
 * RoPE on token position pos: rotate pairs (i, i+1) of q (dim) and k (kv_dim) by
 * pos * freq(i % head_size); cos/sin come from the table fillRopeTable() made at load.
 */
function rope(q: usize, k: usize, table: usize, pos: i32, dim: i32, kvDim: i32, hs: i32): void {
  const row = table + (<usize>(pos * hs) << 2); // hs/2 pairs of (cos, sin)
  for (let i = 0; i < dim; i += 2) {
    const t = row + (<usize>(i % hs) << 2);
    const fcr = load<f32>(t), fci = load<f32>(t, 4);
    const o = <usize>i << 2;
    const q0 = load<f32>(q + o), q1 = load<f32>(q + o, 4);
    store<f32>(q + o, q0 * fcr - q1 * fci);
    store<f32>(q + o, q0 * fci + q1 * fcr, 4);
    if (i < kvDim) {
      const k0 = load<f32>(k + o), k1 = load<f32>(k + o, 4);
      store<f32>(k + o, k0 * fcr - k1 * fci);
      store<f32>(k + o, k0 * fci + k1 * fcr, 4);
    }
  }
}

/** cos and sin of pos * 10000^(-j/head_size) for every position and even j, in f32 like run.c. */
export function fillRopeTable(table: usize, seq: i32, hs: i32): void {
  for (let pos = 0; pos < seq; pos++) {
    for (let j = 0; j < hs; j += 2) {
      const freq: f32 = 1.0 / Mathf.pow(10000.0, <f32>j / <f32>hs);
      const val = <f32>pos * freq;
      const t = table + (<usize>(pos * hs + j) << 2);
      store<f32>(t, Mathf.cos(val));
      store<f32>(t, Mathf.sin(val), 4);
    }
  }
}

/**
 * out[b][d] = sum_j w[d][j] * x[b][j] for b < count: W is [outDim][inDim] row-major, x and
 * out are [count][inDim] and [count][outDim]. A weight row is used by every token of the
 * batch while it is in cache. Each sum is dot()'s 4 lanes, so a token gets exactly the same
 * logits in a batch as alone, and clang makes each step one NEON load, multiply and add:
 * under QEMU's TCG every FP instruction is a softfloat helper call, so 4 lanes per call is
 * what counts (a 4-token x 4-lane register block was measured: clang left it scalar).
 */
export function matmul(out: usize, x: usize, w: usize, count: i32, inDim: i32, outDim: i32): void {
  const IN = <usize>inDim << 2, OUT = <usize>outDim << 2;
  for (let d = 0; d < outDim; d++) {
    const row = w + <usize>d * IN, od = <usize>d << 2;
    for (let b = 0; b < count; b++) {
      store<f32>(out + <usize>b * OUT + od, dot(row, x + <usize>b * IN, inDim));
    }
  }
}
