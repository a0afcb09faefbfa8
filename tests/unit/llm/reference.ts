// An independent reference for the kernel's language model: the llama2 forward pass in
// float64, one token at a time with a plain KV cache, and the tokenizer's encoding rules,
// written from the format description (FACTS.md) and sharing no code with kernel/llm/.
import type { Weights } from "../../../host/llm-models.ts";

export class ReferenceModel {
  private keys: Float64Array[][] = [];
  private values: Float64Array[][] = [];
  constructor(private w: Weights) {
    for (let l = 0; l < w.shape.layers; l++) { this.keys.push([]); this.values.push([]); }
  }

  reset(): void { for (let l = 0; l < this.w.shape.layers; l++) { this.keys[l] = []; this.values[l] = []; } }

  /** Logits after feeding `token` at position `pos` (positions must come in order). */
  step(token: number, pos: number): Float64Array {
    const { shape: s } = this.w;
    const hs = s.dim / s.heads, kvDim = (s.dim * s.kvHeads) / s.heads, group = s.heads / s.kvHeads;
    let x = Float64Array.from(this.w.tokEmb.subarray(token * s.dim, (token + 1) * s.dim));
    for (let l = 0; l < s.layers; l++) {
      const xb = rmsnorm(x, this.w.rmsAtt[l]);
      const q = matvec(this.w.wq[l], xb, s.dim), k = matvec(this.w.wk[l], xb, kvDim), v = matvec(this.w.wv[l], xb, kvDim);
      for (let i = 0; i < s.dim; i += 2) {
        const angle = pos / Math.pow(10000, (i % hs) / hs);
        const c = Math.cos(angle), sn = Math.sin(angle);
        const rot = (a: Float64Array) => { const a0 = a[i], a1 = a[i + 1]; a[i] = a0 * c - a1 * sn; a[i + 1] = a0 * sn + a1 * c; };
        rot(q);
        if (i < kvDim) rot(k);
      }
      this.keys[l][pos] = k;
      this.values[l][pos] = v;
      const out = new Float64Array(s.dim);
      for (let h = 0; h < s.heads; h++) {
        const kvh = Math.floor(h / group);
        const scores: number[] = [];
        for (let t = 0; t <= pos; t++) {
          let d = 0;
          for (let i = 0; i < hs; i++) d += q[h * hs + i] * this.keys[l][t][kvh * hs + i];
          scores.push(d / Math.sqrt(hs));
        }
        const m = Math.max(...scores);
        const e = scores.map((z) => Math.exp(z - m));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let t = 0; t <= pos; t++) {
          const a = e[t] / sum;
          for (let i = 0; i < hs; i++) out[h * hs + i] += a * this.values[l][t][kvh * hs + i];
        }
      }
      const o = matvec(this.w.wo[l], out, s.dim);
      for (let i = 0; i < s.dim; i++) x[i] += o[i];
      const xf = rmsnorm(x, this.w.rmsFfn[l]);
      const h1 = matvec(this.w.w1[l], xf, s.hidden), h3 = matvec(this.w.w3[l], xf, s.hidden);
      for (let i = 0; i < s.hidden; i++) h1[i] = (h1[i] / (1 + Math.exp(-h1[i]))) * h3[i];
      const f = matvec(this.w.w2[l], h1, s.dim);
      for (let i = 0; i < s.dim; i++) x[i] += f[i];
    }
    x = rmsnorm(x, this.w.rmsFinal);
    return matvec(this.w.wcls ?? this.w.tokEmb, x, s.vocab);
  }

  /** Greedy generation after `prompt` (BOS first), with run.c's stopping rules. */
  greedy(prompt: number[], maxTokens: number): number[] {
    this.reset();
    let logits = new Float64Array(0);
    prompt.forEach((t, p) => { logits = this.step(t, p); });
    const out: number[] = [];
    let pos = prompt.length;
    while (out.length < maxTokens) {
      let best = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
      if (best === 1) break;
      out.push(best);
      if (out.length >= maxTokens || pos >= this.w.shape.seqLen) break;
      logits = this.step(best, pos++);
    }
    return out;
  }
}

function rmsnorm(x: Float64Array, w: Float32Array): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const inv = 1 / Math.sqrt(ss / x.length + 1e-5);
  return x.map((v, i) => w[i] * v * inv);
}

function matvec(w: Float32Array, x: Float64Array, rows: number): Float64Array {
  const n = x.length, out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += w[r * n + j] * x[j];
    out[r] = s;
  }
  return out;
}

/** llama2.c's encoding: BOS, dummy prefix, characters or bytes, best-score merges. */
export function referenceEncode(pieces: Buffer[], scores: number[], text: string, bos: boolean): number[] {
  const ids = new Map<string, number>();
  pieces.forEach((p, i) => { const k = p.toString("latin1"); if (!ids.has(k)) ids.set(k, i); });
  const toks: number[] = bos ? [1] : [];
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > 0 && ids.has(" ")) toks.push(ids.get(" ")!);
  for (let i = 0; i < bytes.length;) {
    let j = i + 1;
    while (j < bytes.length && j - i < 4 && (bytes[j] & 0xc0) === 0x80) j++;
    const k = bytes.subarray(i, j).toString("latin1");
    if (ids.has(k)) toks.push(ids.get(k)!);
    else for (let b = i; b < j; b++) toks.push(bytes[b] + 3);
    i = j;
  }
  for (;;) {
    let best = -1, bestScore = -Infinity, bestId = -1;
    for (let i = 0; i + 1 < toks.length; i++) {
      const k = pieces[toks[i]].toString("latin1") + pieces[toks[i + 1]].toString("latin1");
      const id = ids.get(k);
      if (id !== undefined && scores[id] > bestScore) { bestScore = scores[id]; best = i; bestId = id; }
    }
    if (best < 0) break;
    toks.splice(best, 2, bestId);
  }
  return toks;
}

/** Concatenated decoding of ids (after BOS), with the leading-space and byte-token rules. */
export function referenceDecode(pieces: Buffer[], ids: number[]): Buffer {
  const out: Buffer[] = [];
  let prev = 1;
  for (const id of ids) {
    let p = pieces[id];
    if (prev === 1 && p[0] === 32) p = p.subarray(1);
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(p.toString("latin1"));
    out.push(m ? Buffer.from([parseInt(m[1], 16)]) : p);
    prev = id;
  }
  return Buffer.concat(out);
}
