// An independent float64 reference for LoRA training: the llama2 forward pass over a whole
// sequence with LoRA on chosen projections, the completion-only cross-entropy, and its
// gradient with respect to every A and B by hand-written reverse-mode differentiation.
// Shares no code with kernel/llm/lora/ (written from the math in issue 15).
import type { Weights } from "../../../host/llm-models.ts";

export const PROJ = ["wq", "wk", "wv", "wo", "w1", "w2", "w3"] as const;
export type Proj = (typeof PROJ)[number];

export interface RefLora {
  rank: number; scale: number;
  /** a[proj][layer] = A [rank][in] and b[proj][layer] = B [out][rank], float64, or undefined. */
  a: Partial<Record<Proj, Float64Array[]>>;
  b: Partial<Record<Proj, Float64Array[]>>;
}

type Vec = Float64Array;
const zeros = (n: number) => new Float64Array(n);

function mv(w: ArrayLike<number>, x: Vec, rows: number): Vec {
  const n = x.length, y = zeros(rows);
  for (let r = 0; r < rows; r++) { let s = 0; for (let j = 0; j < n; j++) s += w[r * n + j] * x[j]; y[r] = s; }
  return y;
}
function mtv(w: ArrayLike<number>, dy: Vec, cols: number): Vec {
  const dx = zeros(cols);
  for (let r = 0; r < dy.length; r++) for (let j = 0; j < cols; j++) dx[j] += w[r * cols + j] * dy[r];
  return dx;
}

export class LoraReference {
  constructor(private w: Weights, private lora: RefLora) {}

  private dims(p: Proj): [number, number] {
    const s = this.w.shape, kv = (s.dim * s.kvHeads) / s.heads;
    if (p === "wk" || p === "wv") return [s.dim, kv];
    if (p === "w1" || p === "w3") return [s.dim, s.hidden];
    if (p === "w2") return [s.hidden, s.dim];
    return [s.dim, s.dim];
  }

  private proj(p: Proj, l: number, x: Vec): Vec {
    const [n, m] = this.dims(p);
    const y = mv((this.w as any)[p][l], x, m);
    const A = this.lora.a[p]?.[l], B = this.lora.b[p]?.[l];
    if (A && B) {
      const u = mv(A, x, this.lora.rank), z = mv(B, u, m);
      for (let i = 0; i < m; i++) y[i] += this.lora.scale * z[i];
    }
    void n;
    return y;
  }

  /** Backward of proj: returns dx, accumulates dA, dB. */
  private projBack(p: Proj, l: number, x: Vec, dy: Vec, gA: RefLora["a"], gB: RefLora["b"]): Vec {
    const [n] = this.dims(p);
    const dx = mtv((this.w as any)[p][l], dy, n);
    const A = this.lora.a[p]?.[l], B = this.lora.b[p]?.[l];
    if (A && B) {
      const r = this.lora.rank, sc = this.lora.scale, m = dy.length;
      const u = mv(A, x, r);
      const du = zeros(r);
      const ga = gA[p]![l], gb = gB[p]![l];
      for (let o = 0; o < m; o++) for (let k = 0; k < r; k++) { gb[o * r + k] += sc * dy[o] * u[k]; du[k] += sc * B[o * r + k] * dy[o]; }
      for (let k = 0; k < r; k++) for (let j = 0; j < n; j++) { ga[k * n + j] += du[k] * x[j]; dx[j] += A[k * n + j] * du[k]; }
    }
    return dx;
  }

  /** Loss (mean CE over tokens[first..]) and, if asked, gradients shaped like lora.a / lora.b. */
  run(tokens: number[], first: number, grad: boolean): { loss: number; gA: RefLora["a"]; gB: RefLora["b"] } {
    const s = this.w.shape, T = tokens.length, d = s.dim, hs = d / s.heads, kv = (d * s.kvHeads) / s.heads;
    const group = s.heads / s.kvHeads;
    const rot = (v: Vec, pos: number, sign: number) => {
      const out = Float64Array.from(v);
      for (let i = 0; i < v.length; i += 2) {
        const ang = pos / Math.pow(10000, (i % hs) / hs), c = Math.cos(ang), sn = sign * Math.sin(ang);
        out[i] = v[i] * c - v[i + 1] * sn; out[i + 1] = v[i] * sn + v[i + 1] * c;
      }
      return out;
    };
    const norm = (x: Vec, g: ArrayLike<number>) => {
      let ss = 0; for (const v of x) ss += v * v;
      const r = 1 / Math.sqrt(ss / x.length + 1e-5);
      return { y: x.map((v, i) => g[i] * v * r), r };
    };
    const normBack = (x: Vec, g: ArrayLike<number>, r: number, dy: Vec) => {
      let dot = 0; for (let i = 0; i < x.length; i++) dot += dy[i] * g[i] * x[i];
      return x.map((v, i) => r * g[i] * dy[i] - (r * r * r * v * dot) / x.length);
    };
    interface Saved { x: Vec[]; n1: Vec[]; r1: number[]; q: Vec[]; k: Vec[]; v: Vec[]; P: number[][][]; att: Vec[];
      x1: Vec[]; n2: Vec[]; r2: number[]; h1: Vec[]; h3: Vec[]; g: Vec[] }
    const saved: Saved[] = [];
    let xs: Vec[] = tokens.map((t) => Float64Array.from(this.w.tokEmb.subarray(t * d, (t + 1) * d)));
    for (let l = 0; l < s.layers; l++) {
      const sv: Saved = { x: xs, n1: [], r1: [], q: [], k: [], v: [], P: [], att: [], x1: [], n2: [], r2: [], h1: [], h3: [], g: [] };
      for (let t = 0; t < T; t++) {
        const { y, r } = norm(xs[t], this.w.rmsAtt[l]);
        sv.n1.push(y); sv.r1.push(r);
        sv.q.push(rot(this.proj("wq", l, y), t, 1)); sv.k.push(rot(this.proj("wk", l, y), t, 1)); sv.v.push(this.proj("wv", l, y));
      }
      for (let h = 0; h < s.heads; h++) {
        sv.P.push([]);
        const g = Math.floor(h / group);
        for (let t = 0; t < T; t++) {
          const sc: number[] = [];
          for (let u = 0; u <= t; u++) {
            let z = 0; for (let i = 0; i < hs; i++) z += sv.q[t][h * hs + i] * sv.k[u][g * hs + i];
            sc.push(z / Math.sqrt(hs));
          }
          const mx = Math.max(...sc), e = sc.map((z) => Math.exp(z - mx)), sum = e.reduce((a, b) => a + b, 0);
          sv.P[h].push(e.map((z) => z / sum));
        }
      }
      const next: Vec[] = [];
      for (let t = 0; t < T; t++) {
        const a = zeros(d);
        for (let h = 0; h < s.heads; h++) {
          const g = Math.floor(h / group);
          for (let u = 0; u <= t; u++) for (let i = 0; i < hs; i++) a[h * hs + i] += sv.P[h][t][u] * sv.v[u][g * hs + i];
        }
        sv.att.push(a);
        const o = this.proj("wo", l, a);
        const x1 = xs[t].map((v, i) => v + o[i]);
        sv.x1.push(x1);
        const { y, r } = norm(x1, this.w.rmsFfn[l]);
        sv.n2.push(y); sv.r2.push(r);
        const h1 = this.proj("w1", l, y), h3 = this.proj("w3", l, y);
        const gg = h1.map((v, i) => (v / (1 + Math.exp(-v))) * h3[i]);
        sv.h1.push(h1); sv.h3.push(h3); sv.g.push(gg);
        const f = this.proj("w2", l, gg);
        next.push(x1.map((v, i) => v + f[i]));
      }
      saved.push(sv);
      xs = next;
    }
    const cls = this.w.wcls ?? this.w.tokEmb;
    const n = T - first;
    let loss = 0;
    const dxs: Vec[] = [];
    for (let t = 0; t < T; t++) {
      const { y, r } = norm(xs[t], this.w.rmsFinal);
      if (t < first - 1 || t === T - 1) { dxs.push(zeros(d)); continue; }
      const logits = mv(cls, y, s.vocab);
      const mx = Math.max(...logits);
      const e = logits.map((z) => Math.exp(z - mx)), sum = e.reduce((a, b) => a + b, 0);
      const target = tokens[t + 1];
      loss += (Math.log(sum) + mx - logits[target]) / n;
      const dl = e.map((z, i) => (z / sum - (i === target ? 1 : 0)) / n);
      dxs.push(normBack(xs[t], this.w.rmsFinal, r, mtv(cls, dl, d)));
    }
    const gA: RefLora["a"] = {}, gB: RefLora["b"] = {};
    for (const p of PROJ) {
      if (this.lora.a[p]) { gA[p] = this.lora.a[p]!.map((m) => zeros(m.length)); gB[p] = this.lora.b[p]!.map((m) => zeros(m.length)); }
    }
    if (!grad) return { loss, gA, gB };
    let dx = dxs;
    for (let l = s.layers - 1; l >= 0; l--) {
      const sv = saved[l];
      const dx1: Vec[] = [];
      for (let t = 0; t < T; t++) {
        const dg = this.projBack("w2", l, sv.g[t], dx[t], gA, gB);
        const dh1 = zeros(s.hidden), dh3 = zeros(s.hidden);
        for (let i = 0; i < s.hidden; i++) {
          const a = sv.h1[t][i], sg = 1 / (1 + Math.exp(-a));
          dh3[i] = dg[i] * a * sg;
          dh1[i] = dg[i] * sv.h3[t][i] * (sg + a * sg * (1 - sg));
        }
        const dn = this.projBack("w1", l, sv.n2[t], dh1, gA, gB);
        const dn3 = this.projBack("w3", l, sv.n2[t], dh3, gA, gB);
        for (let i = 0; i < d; i++) dn[i] += dn3[i];
        const back = normBack(sv.x1[t], this.w.rmsFfn[l], sv.r2[t], dn);
        dx1.push(dx[t].map((v, i) => v + back[i]));
      }
      const datt = dx1.map((g, t) => this.projBack("wo", l, sv.att[t], g, gA, gB));
      const dq = sv.q.map(() => zeros(d)), dk = sv.k.map(() => zeros(kv)), dv = sv.v.map(() => zeros(kv));
      for (let h = 0; h < s.heads; h++) {
        const g = Math.floor(h / group);
        for (let t = 0; t < T; t++) {
          const P = sv.P[h][t];
          const dP = P.map((_, u) => { let z = 0; for (let i = 0; i < hs; i++) z += datt[t][h * hs + i] * sv.v[u][g * hs + i]; return z; });
          const mean = P.reduce((a, p, u) => a + p * dP[u], 0);
          for (let u = 0; u <= t; u++) {
            const dS = (P[u] * (dP[u] - mean)) / Math.sqrt(hs);
            for (let i = 0; i < hs; i++) {
              dv[u][g * hs + i] += P[u] * datt[t][h * hs + i];
              dq[t][h * hs + i] += dS * sv.k[u][g * hs + i];
              dk[u][g * hs + i] += dS * sv.q[t][h * hs + i];
            }
          }
        }
      }
      const dprev: Vec[] = [];
      for (let t = 0; t < T; t++) {
        const a = this.projBack("wq", l, sv.n1[t], rot(dq[t], t, -1), gA, gB);
        const b = this.projBack("wk", l, sv.n1[t], rot(dk[t], t, -1), gA, gB);
        const c = this.projBack("wv", l, sv.n1[t], dv[t], gA, gB);
        const dn = a.map((v, i) => v + b[i] + c[i]);
        const back = normBack(sv.x[t], this.w.rmsAtt[l], sv.r1[t], dn);
        dprev.push(dx1[t].map((v, i) => v + back[i]));
      }
      dx = dprev;
    }
    return { loss, gA, gB };
  }
}
