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

/** sum_k w[k] * x[k] for k < n: int8 weights times activations held as i32, 4 lanes (NEON mla). */
// @ts-ignore: decorator
@inline function groupDot(w: usize, x: usize, n: i32): i32 {
  let a0: i32 = 0, a1: i32 = 0, a2: i32 = 0, a3: i32 = 0;
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const pw = w + <usize>k, px = x + (<usize>k << 2);
    a0 += <i32>load<i8>(pw) * load<i32>(px); a1 += <i32>load<i8>(pw, 1) * load<i32>(px, 4);
    a2 += <i32>load<i8>(pw, 2) * load<i32>(px, 8); a3 += <i32>load<i8>(pw, 3) * load<i32>(px, 12);
  }
  for (; k < n; k++) a0 += <i32>load<i8>(w + <usize>k) * load<i32>(x + (<usize>k << 2));
  return (a0 + a1) + (a2 + a3);
}

/**
 * out[b][i] = sum over groups of (sum_k wq[i][k] * xq[b][k]) * ws * xs, for b < count:
 * w is [outDim][inDim] int8 with scales ws [outDim * inDim / gs]; xq/xs from quantizeRows.
 * Each group's integer sum is exact (groupDot, 4 i32 lanes); the f32 part, one multiply-add
 * per group, runs 4 groups side by side in 4 accumulators (one NEON convert, two multiplies
 * and an add per 4 groups), summed pairwise at the end. Under QEMU's TCG integer work is
 * cheap and every FP instruction is a softfloat call, so with a group of 4 this is 4 FP
 * instructions per 16 weights against the f32 path's 8.
 */
export function matmulQ8(out: usize, xq: usize, xs: usize, w: usize, ws: usize, count: i32, inDim: i32, outDim: i32, gs: i32): void {
  const groups = inDim / gs;
  const G = <usize>gs;
  for (let i = 0; i < outDim; i++) {
    const row = w + <usize>i * <usize>inDim, srow = ws + ((<usize>i * <usize>groups) << 2);
    for (let b = 0; b < count; b++) {
      const xr = xq + ((<usize>b * <usize>inDim) << 2), sr = xs + ((<usize>b * <usize>groups) << 2);
      let v0: f32 = 0, v1: f32 = 0, v2: f32 = 0, v3: f32 = 0;
      let g = 0;
      for (; g + 4 <= groups; g += 4) {
        const wg = row + <usize>g * G, xg = xr + ((<usize>g * G) << 2);
        const i0 = groupDot(wg, xg, gs), i1 = groupDot(wg + G, xg + (G << 2), gs);
        const i2 = groupDot(wg + 2 * G, xg + (G << 3), gs), i3 = groupDot(wg + 3 * G, xg + 3 * (G << 2), gs);
        const ps = srow + (<usize>g << 2), px = sr + (<usize>g << 2);
        v0 += <f32>i0 * load<f32>(ps) * load<f32>(px);
        v1 += <f32>i1 * load<f32>(ps, 4) * load<f32>(px, 4);
        v2 += <f32>i2 * load<f32>(ps, 8) * load<f32>(px, 8);
        v3 += <f32>i3 * load<f32>(ps, 12) * load<f32>(px, 12);
      }
      for (; g < groups; g++) {
        const isum = groupDot(row + <usize>g * G, xr + ((<usize>g * G) << 2), gs);
        v0 += <f32>isum * load<f32>(srow + (<usize>g << 2)) * load<f32>(sr + (<usize>g << 2));
      }
      store<f32>(out + ((<usize>b * <usize>outDim + <usize>i) << 2), (v0 + v1) + (v2 + v3));
    }
  }
}
