// Training forward and backward pass of the llama2 transformer for LoRA parameters: the
// base weights (a loaded Model) stay frozen, every activation the backward needs is kept in
// a workspace of pages from kernel/mm, and lossAndGrad() adds d(loss)/d(A, B) to the
// adapter's gradients. Same arithmetic as model.ts's forward (f32, run.c's rules), but over a
// whole sequence at once with the causal mask, since training sees every position.
//
// Per layer l (x = residual, T tokens):
//   n1 = rmsnorm(x) g_att; q = Wq n1 (+ s Bq Aq n1), k, v likewise; RoPE on q, k
//   P_h = softmax_causal(q_h k_g^T / sqrt(hs)) (g = h / (heads / kv_heads)); att_h = P_h v_g
//   x1 = x + Wo att (+ LoRA); n2 = rmsnorm(x1) g_ffn; h1 = W1 n2, h3 = W3 n2 (+ LoRA)
//   gg = silu(h1) h3; x' = x1 + W2 gg (+ LoRA)
// logits_t = Wcls rmsnorm(x_L) g_final at the loss positions only; loss = mean cross-entropy
// of the completion tokens (position t predicts token t + 1 for t >= first - 1).
import { Model } from "../model";
import { Adapter, T_WQ, T_WK, T_WV, T_WO, T_W1, T_W2, T_W3, TARGET_COUNT } from "./adapter";
import { linear, linearBackInput, transpose, loraForward, loraBackward, rmsnormRows, rmsnormBack, ropeRows, addRows } from "./ops";
import { dot, axpy } from "../lanes";
import { weightMatrix } from "./active";
import { targetIn, targetOut } from "./adapter";
import { allocContiguousPages, freeContiguousPages, contiguousPagesAvailable } from "../../mm/contiguous";

/** Floats of the workspace for sequences of up to maxT tokens. */
function workspaceFloats(m: Model, a: Adapter, maxT: i32): u64 {
  const c = m.config;
  const T = <u64>maxT, d = <u64>c.dim, kv = <u64>c.kvDim, h = <u64>c.hidden, L = <u64>c.layers, r = <u64>a.rank;
  const perLayer = T * (d * 5 + kv * 2 + h * 4 + 2 + r * <u64>TARGET_COUNT) + <u64>c.heads * T * T;
  const final = T * (d * 2 + 1);
  const scratch = T * (d * 5 + kv * 2 + h * 3 + r) + T * <u64>c.vocab + T;
  // transposes of the frozen matrices (the backward's products) and of the classifier
  const transposes = L * (d * d * 2 + d * kv * 2 + d * h * 3) + <u64>c.vocab * d;
  return L * perLayer + final + scratch + transposes + 64 + 16 * (L * <u64>(TARGET_COUNT + 1) + 1);
}

export class LoraTrainer {
  model: Model;
  adapter: Adapter;
  maxT: i32;
  pages: u32 = 0;
  base: usize = 0;
  error: string = "";
  private next: usize = 0;
  // per layer
  xIn: StaticArray<usize>; n1: StaticArray<usize>; r1: StaticArray<usize>; q: StaticArray<usize>;
  k: StaticArray<usize>; v: StaticArray<usize>; p: StaticArray<usize>; att: StaticArray<usize>;
  x1: StaticArray<usize>; n2: StaticArray<usize>; r2: StaticArray<usize>; h1: StaticArray<usize>;
  h3: StaticArray<usize>; gg: StaticArray<usize>; sg: StaticArray<usize>; u: StaticArray<usize>;
  /** Transposes of the frozen weight matrices (layer * TARGET_COUNT + target) and of the classifier. */
  wT: StaticArray<usize>; wclsT: usize = 0;
  xf: usize = 0; rf: usize = 0;
  // scratch
  dx: usize = 0; dmid: usize = 0; dxn: usize = 0; dq: usize = 0; dk: usize = 0; dv: usize = 0; datt: usize = 0;
  dh1: usize = 0; dh3: usize = 0; dgg: usize = 0; du: usize = 0; logits: usize = 0; dp: usize = 0;

  constructor(model: Model, adapter: Adapter, maxT: i32) {
    this.model = model; this.adapter = adapter; this.maxT = maxT;
    const L = model.config.layers;
    this.xIn = new StaticArray<usize>(L + 1); this.n1 = new StaticArray<usize>(L); this.r1 = new StaticArray<usize>(L);
    this.q = new StaticArray<usize>(L); this.k = new StaticArray<usize>(L); this.v = new StaticArray<usize>(L);
    this.p = new StaticArray<usize>(L); this.att = new StaticArray<usize>(L); this.x1 = new StaticArray<usize>(L);
    this.n2 = new StaticArray<usize>(L); this.r2 = new StaticArray<usize>(L); this.h1 = new StaticArray<usize>(L);
    this.h3 = new StaticArray<usize>(L); this.gg = new StaticArray<usize>(L); this.sg = new StaticArray<usize>(L);
    this.wT = new StaticArray<usize>(L * TARGET_COUNT); this.u = new StaticArray<usize>(L * TARGET_COUNT);
    const bytes = workspaceFloats(model, adapter, maxT) * 4 + 64 * 64;
    const pages64 = (bytes + 4095) >> 12;
    if (pages64 > 0x7fffffff || !contiguousPagesAvailable(<u32>pages64)) {
      this.error = "training needs " + ((bytes + (1 << 19)) >> 20).toString() + " MiB of contiguous memory for " +
        maxT.toString() + " tokens; not available";
    } else {
      this.pages = <u32>pages64;
      this.base = allocContiguousPages(this.pages);
      if (this.base == 0) { this.error = "could not allocate the training workspace"; this.pages = 0; }
    }
    this.next = this.base;
    if (this.base == 0) this.next = 64; // nothing allocated: addresses below are never used
    const c = model.config;
    const T = maxT, d = c.dim, kv = c.kvDim, h = c.hidden, r = adapter.rank;
    for (let l = 0; l <= L; l++) this.xIn[l] = this.take(T * d);
    for (let l = 0; l < L; l++) {
      this.n1[l] = this.take(T * d); this.r1[l] = this.take(T); this.q[l] = this.take(T * d);
      this.k[l] = this.take(T * kv); this.v[l] = this.take(T * kv); this.p[l] = this.take(c.heads * T * T);
      this.att[l] = this.take(T * d); this.x1[l] = this.take(T * d); this.n2[l] = this.take(T * d); this.r2[l] = this.take(T);
      this.h1[l] = this.take(T * h); this.h3[l] = this.take(T * h); this.gg[l] = this.take(T * h); this.sg[l] = this.take(T * h);
      for (let t = 0; t < TARGET_COUNT; t++) this.u[l * TARGET_COUNT + t] = this.take(T * r);
    }
    this.xf = this.take(T * d); this.rf = this.take(T);
    this.dx = this.take(T * d); this.dmid = this.take(T * d); this.dxn = this.take(T * d); this.dq = this.take(T * d);
    this.dk = this.take(T * kv); this.dv = this.take(T * kv); this.datt = this.take(T * d);
    this.dh1 = this.take(T * h); this.dh3 = this.take(T * h); this.dgg = this.take(T * h); this.du = this.take(T * r);
    this.logits = this.take(T * c.vocab); this.dp = this.take(T);
    for (let l = 0; l < L; l++) {
      for (let t = 0; t < TARGET_COUNT; t++) this.wT[l * TARGET_COUNT + t] = this.take(targetIn(c, t) * targetOut(c, t));
    }
    this.wclsT = this.take(c.vocab * d);
    if (this.base != 0) {
      // the base weights are frozen for the whole run (adapter load/unload/merge are refused while it runs)
      for (let l = 0; l < L; l++) {
        for (let t = 0; t < TARGET_COUNT; t++) {
          transpose(this.wT[l * TARGET_COUNT + t], weightMatrix(model, l, t), targetOut(c, t), targetIn(c, t));
        }
      }
      transpose(this.wclsT, model.wcls, c.vocab, d);
    }
  }

  private take(floats: i32): usize {
    const at = this.next;
    this.next += ((<usize>floats << 2) + 63) & ~(<usize>63);
    return at;
  }

  free(): void {
    if (this.pages != 0) freeContiguousPages(this.base, this.pages);
    this.pages = 0; this.base = 0;
  }

  /** Rows lo..lo+n of out = W x (+ s B A x, u keeping A x): out, x and u are whole [T][...] arrays. */
  private lin(out: usize, x: usize, w: usize, l: i32, t: i32, lo: i32, n: i32, inDim: i32, outDim: i32): void {
    const xo = x + <usize>lo * (<usize>inDim << 2), oo = out + <usize>lo * (<usize>outDim << 2);
    linear(oo, xo, w, n, inDim, outDim);
    const a = this.adapter;
    if (a.has(l, t)) {
      const u = this.u[l * TARGET_COUNT + t] + <usize>lo * (<usize>a.rank << 2);
      loraForward(oo, u, xo, a.a(l, t), a.b(l, t), a.scale, n, inDim, outDim, a.rank);
    }
  }

  /**
   * Rows lo..lo+n: dx += d/dx of (W x + LoRA) given dy (dx 0: only the LoRA gradients); LoRA
   * gradients accumulate. Rows outside the range have dy = 0 (nothing to add).
   */
  private linBack(dx: usize, dy: usize, x: usize, l: i32, t: i32, lo: i32, n: i32, inDim: i32, outDim: i32): void {
    const IN = <usize>lo * (<usize>inDim << 2), OUT = <usize>lo * (<usize>outDim << 2);
    if (dx != 0) linearBackInput(dx + IN, dy + OUT, this.wT[l * TARGET_COUNT + t], n, inDim, outDim);
    const a = this.adapter;
    if (a.has(l, t)) {
      loraBackward(dx != 0 ? dx + IN : 0, this.du, dy + OUT, x + IN, this.u[l * TARGET_COUNT + t] + <usize>lo * (<usize>a.rank << 2),
        a.a(l, t), a.b(l, t), a.gradA(l, t), a.gradB(l, t), a.scale, n, inDim, outDim, a.rank);
    }
  }

  /**
   * Mean cross-entropy of tokens[first..T) given the ones before (first >= 1); with backward,
   * adds its gradient to the adapter's. T <= maxT and T <= seq_len (the caller checks).
   *
   * Work skipped because it cannot change the loss: the last token is only a target (the
   * network runs over tokens 0..T-2), and the last layer's queries, attention output, Wo and
   * FFN are needed only at the loss positions (its keys and values at every position).
   */
  lossAndGrad(tokens: usize, T: i32, first: i32, backward: bool): f64 {
    const m = this.model, c = m.config;
    const dim = c.dim, kvDim = c.kvDim, hidden = c.hidden, hs = c.headSize, heads = c.heads;
    const kvMul = heads / c.kvHeads, L = c.layers;
    const D = <usize>dim << 2, KV = <usize>kvDim << 2, H = <usize>hidden << 2;
    const scale: f32 = 1.0 / Mathf.sqrt(<f32>hs);
    const count = T - first;
    if (count <= 0) return 0;
    const Tn = T - 1, lo = first - 1; // rows of the network; first loss row (predicts token first)
    for (let t = 0; t < Tn; t++) {
      memory.copy(this.xIn[0] + <usize>t * D, m.tokEmb + <usize>load<i32>(tokens + (<usize>t << 2)) * D, D);
    }
    for (let l = 0; l < L; l++) {
      const Lu = <usize>l;
      const a0 = l == L - 1 ? lo : 0, an = Tn - a0; // rows whose output is needed
      const x = this.xIn[l], n1 = this.n1[l], q = this.q[l], k = this.k[l], v = this.v[l], P = this.p[l], att = this.att[l];
      rmsnormRows(n1, this.r1[l], x, m.rmsAtt + Lu * D, Tn, dim);
      this.lin(q, n1, m.wq + Lu * D * <usize>dim, l, T_WQ, a0, an, dim, dim);
      this.lin(k, n1, m.wk + Lu * D * <usize>kvDim, l, T_WK, 0, Tn, dim, kvDim);
      this.lin(v, n1, m.wv + Lu * D * <usize>kvDim, l, T_WV, 0, Tn, dim, kvDim);
      ropeRows(q + <usize>a0 * D, m.rope + (<usize>(a0 * hs) << 2), an, dim, hs, false);
      ropeRows(k, m.rope, Tn, kvDim, hs, false);
      for (let h = 0; h < heads; h++) {
        const kvOff = <usize>((h / kvMul) * hs) << 2, qOff = <usize>(h * hs) << 2;
        for (let t = a0; t < Tn; t++) {
          const row = P + (<usize>((h * Tn + t) * Tn) << 2);
          const qt = q + <usize>t * D + qOff;
          let max: f32 = -Infinity;
          for (let s = 0; s <= t; s++) {
            const z = dot(qt, k + <usize>s * KV + kvOff, hs) * scale;
            store<f32>(row + (<usize>s << 2), z);
            if (z > max) max = z;
          }
          let sum: f32 = 0;
          for (let s = 0; s <= t; s++) { const e = Mathf.exp(load<f32>(row + (<usize>s << 2)) - max); store<f32>(row + (<usize>s << 2), e); sum += e; }
          const inv: f32 = 1.0 / sum;
          const out = att + <usize>t * D + qOff;
          memory.fill(out, 0, <usize>hs << 2);
          for (let s = 0; s <= t; s++) {
            const pr = load<f32>(row + (<usize>s << 2)) * inv;
            store<f32>(row + (<usize>s << 2), pr);
            axpy(out, v + <usize>s * KV + kvOff, pr, hs);
          }
        }
      }
      const x1 = this.x1[l], n2 = this.n2[l], h1 = this.h1[l], h3 = this.h3[l], gg = this.gg[l], xo = this.xIn[l + 1];
      const A0 = <usize>a0 * D, A0H = <usize>a0 * H;
      this.lin(x1, att, m.wo + Lu * D * <usize>dim, l, T_WO, a0, an, dim, dim);
      addRows(x1 + A0, x + A0, an * dim);
      rmsnormRows(n2 + A0, this.r2[l] + (<usize>a0 << 2), x1 + A0, m.rmsFfn + Lu * D, an, dim);
      this.lin(h1, n2, m.w1 + Lu * D * <usize>hidden, l, T_W1, a0, an, dim, hidden);
      this.lin(h3, n2, m.w3 + Lu * D * <usize>hidden, l, T_W3, a0, an, dim, hidden);
      const sg = this.sg[l];
      for (let i = 0; i < an * hidden; i++) {
        const o = A0H + (<usize>i << 2);
        const a = load<f32>(h1 + o), sa: f32 = 1.0 / (1.0 + Mathf.exp(-a));
        store<f32>(sg + o, sa);
        store<f32>(gg + o, a * sa * load<f32>(h3 + o));
      }
      this.lin(xo, gg, m.w2 + Lu * H * <usize>dim, l, T_W2, a0, an, hidden, dim);
      addRows(xo + A0, x1 + A0, an * dim);
    }
    const LO = <usize>lo * D, LO4 = <usize>lo << 2;
    rmsnormRows(this.xf + LO, this.rf + LO4, this.xIn[L] + LO, m.rmsFinal, count, dim);
    // activations that overflowed f32 show as a zero or non-finite 1/rms: report NaN (diverged)
    if (!finiteScales(this.rf + LO4, count)) return NaN;
    for (let l = 0; l < L; l++) {
      const a0 = l == L - 1 ? lo : 0;
      if (!finiteScales(this.r1[l], Tn) || !finiteScales(this.r2[l] + (<usize>a0 << 2), Tn - a0)) return NaN;
    }

    // loss at rows lo .. Tn-1; d(loss)/d(xf) into dxn
    const V = c.vocab;
    if (backward) memory.fill(this.dxn, 0, <usize>Tn * D);
    let loss: f64 = 0;
    // the classifier over all loss positions at once: logits [count][V]
    const VB = <usize>V << 2, lg = this.logits;
    linear(lg, this.xf + LO, m.wcls, count, dim, V);
    const w: f32 = 1.0 / <f32>count;
    for (let i = 0; i < count; i++) {
      const row = lg + <usize>i * VB;
      let max: f32 = -Infinity;
      for (let j = 0; j < V; j++) { const z = load<f32>(row + (<usize>j << 2)); if (z > max) max = z; }
      let sum: f32 = 0;
      for (let j = 0; j < V; j++) { const o = <usize>j << 2; const e = Mathf.exp(load<f32>(row + o) - max); store<f32>(row + o, e); sum += e; }
      const target = load<i32>(tokens + (<usize>(first + i) << 2));
      const tp = row + (<usize>target << 2);
      loss += <f64>(Mathf.log(sum) + max - (Mathf.log(load<f32>(tp)) + max));
      if (!backward) continue;
      // d(loss)/d(logits) = (softmax - onehot) / count, in place
      const inv: f32 = w / sum;
      for (let j = 0; j < V; j++) { const o = <usize>j << 2; store<f32>(row + o, load<f32>(row + o) * inv); }
      store<f32>(tp, load<f32>(tp) - w);
    }
    loss /= <f64>count;
    if (!backward) return loss;
    linearBackInput(this.dxn + LO, lg, this.wclsT, count, dim, V);

    const dx = this.dx, dmid = this.dmid, dxn = this.dxn, dq = this.dq, dk = this.dk, dv = this.dv, datt = this.datt;
    memory.fill(dx, 0, <usize>Tn * D);
    rmsnormBack(dx + LO, dxn + LO, this.xIn[L] + LO, m.rmsFinal, this.rf + LO4, count, dim);
    for (let l = L - 1; l >= 0; l--) {
      const Lu = <usize>l;
      const a0 = l == L - 1 ? lo : 0, an = Tn - a0; // rows with a gradient (the last layer: loss rows only)
      const A0 = <usize>a0 * D, A0H = <usize>a0 * H;
      // FFN: dx is d/d(x_{l+1}); the residual passes it to x1 unchanged
      memory.copy(dmid, dx, <usize>Tn * D);
      memory.fill(this.dgg, 0, <usize>Tn * H);
      this.linBack(this.dgg, dx, this.gg[l], l, T_W2, a0, an, hidden, dim);
      const h1 = this.h1[l], h3 = this.h3[l], sgl = this.sg[l];
      for (let i = 0; i < an * hidden; i++) {
        const o = A0H + (<usize>i << 2);
        const a = load<f32>(h1 + o), g = load<f32>(this.dgg + o);
        const sg = load<f32>(sgl + o);
        store<f32>(this.dh3 + o, g * a * sg);
        store<f32>(this.dh1 + o, g * load<f32>(h3 + o) * sg * (1.0 + a * (1.0 - sg)));
      }
      memory.fill(dxn, 0, <usize>Tn * D);
      this.linBack(dxn, this.dh1, this.n2[l], l, T_W1, a0, an, dim, hidden);
      this.linBack(dxn, this.dh3, this.n2[l], l, T_W3, a0, an, dim, hidden);
      rmsnormBack(dmid + A0, dxn + A0, this.x1[l] + A0, m.rmsFfn + Lu * D, this.r2[l] + (<usize>a0 << 2), an, dim);
      // attention: dmid is d/d(x1); x1 = x + Wo att
      memory.fill(datt, 0, <usize>Tn * D);
      this.linBack(datt, dmid, this.att[l], l, T_WO, a0, an, dim, dim);
      memory.fill(dq, 0, <usize>Tn * D); memory.fill(dk, 0, <usize>Tn * KV); memory.fill(dv, 0, <usize>Tn * KV);
      const q = this.q[l], k = this.k[l], v = this.v[l], P = this.p[l];
      for (let h = 0; h < heads; h++) {
        const kvOff = <usize>((h / kvMul) * hs) << 2, qOff = <usize>(h * hs) << 2;
        for (let t = a0; t < Tn; t++) {
          const row = P + (<usize>((h * Tn + t) * Tn) << 2);
          const dot_ = datt + <usize>t * D + qOff;
          let sum: f32 = 0;
          for (let s = 0; s <= t; s++) {
            const pr = load<f32>(row + (<usize>s << 2));
            const g = dot(dot_, v + <usize>s * KV + kvOff, hs);
            store<f32>(this.dp + (<usize>s << 2), g);
            sum += pr * g;
            axpy(dv + <usize>s * KV + kvOff, dot_, pr, hs);
          }
          const qt = q + <usize>t * D + qOff, dqt = dq + <usize>t * D + qOff;
          for (let s = 0; s <= t; s++) {
            const ds = load<f32>(row + (<usize>s << 2)) * (load<f32>(this.dp + (<usize>s << 2)) - sum) * scale;
            if (ds == 0) continue;
            axpy(dqt, k + <usize>s * KV + kvOff, ds, hs);
            axpy(dk + <usize>s * KV + kvOff, qt, ds, hs);
          }
        }
      }
      ropeRows(dq + A0, m.rope + (<usize>(a0 * hs) << 2), an, dim, hs, true);
      ropeRows(dk, m.rope, Tn, kvDim, hs, true);
      // layer 0's input is the embedding (frozen): only the LoRA gradients are needed there
      const into: usize = l > 0 ? dxn : 0;
      if (l > 0) memory.fill(dxn, 0, <usize>Tn * D);
      const n1 = this.n1[l];
      this.linBack(into, dq, n1, l, T_WQ, a0, an, dim, dim);
      this.linBack(into, dk, n1, l, T_WK, 0, Tn, dim, kvDim);
      this.linBack(into, dv, n1, l, T_WV, 0, Tn, dim, kvDim);
      memory.copy(dx, dmid, <usize>Tn * D);
      if (l > 0) rmsnormBack(dx, dxn, this.xIn[l], m.rmsAtt + Lu * D, this.r1[l], Tn, dim);
    }
    return loss;
  }
}

function finiteScales(r: usize, T: i32): bool {
  for (let t = 0; t < T; t++) {
    const v = load<f32>(r + (<usize>t << 2));
    if (!(v > 0) || !isFinite(v)) return false;
  }
  return true;
}
