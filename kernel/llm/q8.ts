// int8 weights: llama2.c's export version 2 (export.py --version 2, read by runq.c), Q8_0.
//
//   offset 0    u32 magic "ak42" (0x616b3432), i32 version = 2
//   offset 8    7 x i32: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
//   offset 36   u8 shared_classifier (0/1), offset 37 i32 group_size (unaligned), zeros to 256
//   offset 256  f32: rms_att [L][dim], rms_ffn [L][dim], rms_final [dim]
//               then each matrix as int8 values followed by its f32 group scales
//               (value = q * scale, one scale per group_size consecutive values): the token
//               embedding, wq of every layer, then wk, wv, wo, w1, w2, w3 of every layer,
//               and the classifier when not shared.
//
// As in runq.c, activations are quantised the same way (groups of group_size along the input,
// scale = max|x| / 127) right before each matrix product, which then sums int8 x int8
// products per group in i32 and adds sum * w_scale * x_scale in f32: one FP multiply-add per
// group instead of per weight. A group must not cross a row, so group_size has to divide both
// dim and hidden_dim (runq.c silently drops the last partial group otherwise; we refuse).
import { FileReader } from "../fs/file_reader";
import { ModelConfig, Layout } from "./config";

export const Q8_MAGIC: u32 = 0x616b3432;
export const Q8_HEADER_BYTES: u64 = 256;
const MAX_GROUP: i32 = 4096;

/** "" when the 256-byte version-2 header at `buf` describes a usable model (filled into c). */
export function parseQ8Header(buf: usize, size: u64, c: ModelConfig): string {
  c.dim = load<i32>(buf + 8);
  c.hidden = load<i32>(buf + 12);
  c.layers = load<i32>(buf + 16);
  c.heads = load<i32>(buf + 20);
  c.kvHeads = load<i32>(buf + 24);
  c.vocab = load<i32>(buf + 28);
  c.seqLen = load<i32>(buf + 32);
  const shared = load<u8>(buf + 36);
  if (shared > 1) return "bad header: shared_classifier flag is " + shared.toString() + " (expected 0 or 1)";
  c.shared = shared == 1;
  const bad = c.check();
  if (bad.length > 0) return "bad header: " + bad;
  const g = load<i32>(buf + 37);
  if (g <= 0 || g > MAX_GROUP) return "bad header: group_size " + g.toString() + " out of range 1.." + MAX_GROUP.toString();
  if (c.dim % g != 0 || c.hidden % g != 0) {
    return "group_size " + g.toString() + " does not divide dim " + c.dim.toString() + " and hidden_dim " +
      c.hidden.toString() + " (groups would cross rows)";
  }
  c.groupSize = g;
  const want = q8CheckpointBytes(c);
  if (size != want) return "file is " + size.toString() + " bytes but its header (" + c.describe() + ", int8 group " + g.toString() + ") implies " + want.toString();
  return "";
}

/** Elements of each quantised tensor, in file order (per layer for the layer matrices). */
function tensorSizes(c: ModelConfig): u64[] {
  const d = <u64>c.dim, h = <u64>c.hidden, kv = <u64>c.kvDim, v = <u64>c.vocab;
  return [v * d, d * d, kv * d, kv * d, d * d, h * d, d * h, h * d, v * d];
}

export function q8CheckpointBytes(c: ModelConfig): u64 {
  const s = tensorSizes(c), L = <u64>c.layers, g = <u64>c.groupSize;
  let total: u64 = Q8_HEADER_BYTES + 4 * (2 * L * <u64>c.dim + <u64>c.dim) + s[0] + s[0] / g * 4;
  for (let i = 1; i < 8; i++) total += L * (s[i] + s[i] / g * 4);
  if (!c.shared) total += s[8] + s[8] / g * 4;
  return total;
}

/** Reads an int8 checkpoint into the region at `base` (layout of config.ts); "" or an error. */
export function readQ8Weights(r: FileReader, c: ModelConfig, lay: Layout, base: usize): string {
  const d = <u64>c.dim, L = <u64>c.layers, g = <u64>c.groupSize;
  let off = Q8_HEADER_BYTES;
  const norms: u64[] = [lay.rmsAtt, L * d, lay.rmsFfn, L * d, lay.rmsFinal, d];
  for (let i = 0; i < norms.length; i += 2) {
    if (!r.readFully(off, base + <usize>norms[i], norms[i + 1] * 4)) return "read failed at byte " + off.toString();
    off += norms[i + 1] * 4;
  }
  const sizes = tensorSizes(c);
  const values: u64[] = [lay.tokQ, lay.wq, lay.wk, lay.wv, lay.wo, lay.w1, lay.w2, lay.w3, lay.wcls];
  const scales: u64[] = [lay.tokS, lay.wqS, lay.wkS, lay.wvS, lay.woS, lay.w1S, lay.w2S, lay.w3S, lay.wclsS];
  const last = c.shared ? 8 : 9;
  for (let t = 0; t < last; t++) {
    const n = sizes[t];
    const copies: u64 = t == 0 || t == 8 ? 1 : L;
    for (let l: u64 = 0; l < copies; l++) {
      if (!r.readFully(off, base + <usize>(values[t] + l * n), n)) return "read failed at byte " + off.toString();
      off += n;
      if (!r.readFully(off, base + <usize>(scales[t] + l * (n / g) * 4), n / g * 4)) return "read failed at byte " + off.toString();
      off += n / g * 4;
    }
  }
  // lookups use the f32 embedding (dequantised once, as runq.c does)
  const n = <usize>sizes[0], gs = <usize>g;
  const q = base + <usize>lay.tokQ, s = base + <usize>lay.tokS, e = base + <usize>lay.tokEmb;
  for (let i: usize = 0; i < n; i++) {
    store<f32>(e + (i << 2), <f32>load<i8>(q + i) * load<f32>(s + ((i / gs) << 2)));
  }
  return "";
}

/**
 * Quantises rows x[count][n] into xq[count][n] (int8 values, each held in an i32 so the
 * matrix product multiplies 4 of them per NEON instruction) and xs[count][n / gs] (scales):
 * scale = max|x| / 127 per group, q = round-to-nearest(x / scale) (an all-zero group gets
 * scale 0 and zeros).
 */
export function quantizeRows(xq: usize, xs: usize, x: usize, count: i32, n: i32, gs: i32): void {
  const total = count * n;
  for (let g0 = 0; g0 < total; g0 += gs) {
    let wmax: f32 = 0;
    for (let k = 0; k < gs; k++) {
      const v = Mathf.abs(load<f32>(x + (<usize>(g0 + k) << 2)));
      if (v > wmax) wmax = v;
    }
    const scale: f32 = wmax / 127.0;
    store<f32>(xs + (<usize>(g0 / gs) << 2), scale);
    for (let k = 0; k < gs; k++) {
      const q: i32 = scale == 0 ? 0 : <i32>nearest<f32>(load<f32>(x + (<usize>(g0 + k) << 2)) / scale);
      store<i32>(xq + (<usize>(g0 + k) << 2), q);
    }
  }
}

/**
 * Rearranges every int8 matrix (and its group scales) for matmulQ8 once, after loading: each
 * block of 4 consecutive rows [4][inDim] becomes [inDim][4] (the 4 rows' weights for one input
 * next to each other), and its scales [4][groups] become [groups][4]; the last outDim % 4 rows
 * stay as they are. The token embedding was dequantised from the file order before this.
 * `tmp` is scratch of at least 16 * max(dim, hidden) bytes (the model's activation buffers from x on).
 */
export function interleaveQ8(c: ModelConfig, lay: Layout, base: usize, tmp: usize): void {
  const d = c.dim, h = c.hidden, kv = c.kvDim, g = c.groupSize;
  const ins: i32[] = [d, d, d, d, d, d, h, d];
  const outs: i32[] = [c.vocab, d, kv, kv, d, h, d, h];
  const values: u64[] = [lay.wcls, lay.wq, lay.wk, lay.wv, lay.wo, lay.w1, lay.w2, lay.w3];
  const scales: u64[] = [lay.wclsS, lay.wqS, lay.wkS, lay.wvS, lay.woS, lay.w1S, lay.w2S, lay.w3S];
  for (let t = 0; t < 8; t++) {
    const copies = t == 0 ? 1 : c.layers;
    const n = <usize>ins[t] * <usize>outs[t];
    for (let l = 0; l < copies; l++) {
      interleaveRows(base + <usize>values[t] + <usize>l * n, outs[t], ins[t], 1, tmp);
      interleaveRows(base + <usize>scales[t] + ((<usize>l * (n / <usize>g)) << 2), outs[t], ins[t] / g, 4, tmp);
    }
  }
}

/** Blocks of 4 rows of m [rows][cols] (elements of 1 or 4 bytes) become [cols][4], in place through tmp. */
function interleaveRows(m: usize, rows: i32, cols: i32, size: i32, tmp: usize): void {
  const C = <usize>cols * <usize>size;
  for (let r = 0; r + 4 <= rows; r += 4) {
    const blk = m + <usize>r * C;
    memory.copy(tmp, blk, 4 * C);
    for (let j = 0; j < cols; j++) {
      for (let i = 0; i < 4; i++) {
        const k = <usize>(j * 4 + i);
        if (size == 1) store<u8>(blk + k, load<u8>(tmp + <usize>i * C + <usize>j));
        else store<u32>(blk + (k << 2), load<u32>(tmp + <usize>i * C + (<usize>j << 2)));
      }
    }
  }
}

/**
 * out[b][i] = sum over groups of (sum_k wq[i][k] * xq[b][k]) * ws * xs, for b < count:
 * w is [outDim][inDim] int8 with scales ws [outDim * inDim / gs], both rearranged by
 * interleaveQ8 (4 rows side by side); xq (int8 values held as i32) and xs from quantizeRows.
 * Four output rows at a time, one lane each: per input k, the 4 rows' weights (one 4-byte
 * load) times xq[k] broadcast, summed in i32 per group (NEON mla); per group one convert and
 * two multiplies and an add for the 4 rows together. Each row's arithmetic is in the same
 * order as one row alone, so results do not depend on the blocking. Rows past the last
 * multiple of 4 are in the file's order and take the one-row loop.
 */
export function matmulQ8(out: usize, xq: usize, xs: usize, w: usize, ws: usize, count: i32, inDim: i32, outDim: i32, gs: i32): void {
  const groups = inDim / gs;
  const IN = <usize>inDim, GR = <usize>groups << 2;
  let i = 0;
  for (; i + 4 <= outDim; i += 4) {
    const wb = w + <usize>i * IN, sb = ws + <usize>i * GR;
    for (let b = 0; b < count; b++) {
      const xr = xq + ((<usize>b * IN) << 2), sr = xs + <usize>b * GR;
      let v0: f32 = 0, v1: f32 = 0, v2: f32 = 0, v3: f32 = 0;
      for (let g = 0; g < groups; g++) {
        let a0: i32 = 0, a1: i32 = 0, a2: i32 = 0, a3: i32 = 0;
        const k0 = g * gs;
        for (let k = k0; k < k0 + gs; k++) {
          const xv = load<i32>(xr + (<usize>k << 2));
          const p = wb + (<usize>k << 2);
          a0 += <i32>load<i8>(p) * xv; a1 += <i32>load<i8>(p, 1) * xv;
          a2 += <i32>load<i8>(p, 2) * xv; a3 += <i32>load<i8>(p, 3) * xv;
        }
        const xsg = load<f32>(sr + (<usize>g << 2)), ps = sb + (<usize>g << 4);
        v0 += <f32>a0 * load<f32>(ps) * xsg; v1 += <f32>a1 * load<f32>(ps, 4) * xsg;
        v2 += <f32>a2 * load<f32>(ps, 8) * xsg; v3 += <f32>a3 * load<f32>(ps, 12) * xsg;
      }
      const o = out + ((<usize>b * <usize>outDim + <usize>i) << 2);
      store<f32>(o, v0); store<f32>(o, v1, 4); store<f32>(o, v2, 8); store<f32>(o, v3, 12);
    }
  }
  for (; i < outDim; i++) {
    const row = w + <usize>i * IN, srow = ws + <usize>i * GR;
    for (let b = 0; b < count; b++) {
      const xr = xq + ((<usize>b * IN) << 2), sr = xs + <usize>b * GR;
      let val: f32 = 0;
      for (let g = 0; g < groups; g++) {
        let isum: i32 = 0;
        for (let k = g * gs; k < (g + 1) * gs; k++) isum += <i32>load<i8>(row + <usize>k) * load<i32>(xr + (<usize>k << 2));
        val += <f32>isum * load<f32>(srow + (<usize>g << 2)) * load<f32>(sr + (<usize>g << 2));
      }
      store<f32>(out + ((<usize>b * <usize>outDim + <usize>i) << 2), val);
    }
  }
}
