// Host-side generator of language-model files for tests, benchmarks and the system disk:
// llama2.c checkpoints (legacy f32 format) with seeded random weights, a matching
// tokenizer.bin (specials, the 256 byte tokens, single characters, then pieces learned by
// byte-pair merges over a small built-in text), and the same weights as safetensors
// (F32, F16 or BF16). Nothing here is shared with the kernel's code: it is written from the
// formats (FACTS.md), so the kernel's readers are judged against an independent writer.
import * as fs from "node:fs";
import * as path from "node:path";

export interface Shape {
  dim: number; hidden: number; layers: number; heads: number; kvHeads: number;
  vocab: number; seqLen: number; shared: boolean;
}

export const SHAPES: Record<string, Shape> = {
  stories260K: { dim: 64, hidden: 172, layers: 5, heads: 8, kvHeads: 4, vocab: 512, seqLen: 512, shared: true },
  m1: { dim: 128, hidden: 384, layers: 4, heads: 4, kvHeads: 4, vocab: 512, seqLen: 512, shared: true },
  stories15M: { dim: 288, hidden: 768, layers: 6, heads: 6, kvHeads: 6, vocab: 32000, seqLen: 256, shared: true },
};

/** mulberry32: small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Weights {
  shape: Shape;
  tokEmb: Float32Array; rmsAtt: Float32Array[]; wq: Float32Array[]; wk: Float32Array[]; wv: Float32Array[];
  wo: Float32Array[]; rmsFfn: Float32Array[]; w1: Float32Array[]; w2: Float32Array[]; w3: Float32Array[];
  rmsFinal: Float32Array; wcls: Float32Array | null;
}

/** Random weights scaled so activations stay O(1) through the layers (like a trained model). */
export function randomWeights(s: Shape, seed: number): Weights {
  const rnd = seededRandom(seed);
  const kvDim = (s.dim * s.kvHeads) / s.heads;
  const mat = (rows: number, cols: number, scale: number) => {
    const a = new Float32Array(rows * cols);
    for (let i = 0; i < a.length; i++) a[i] = (rnd() * 2 - 1) * scale;
    return a;
  };
  const norm = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = 0.5 + rnd();
    return a;
  };
  const L = Array.from({ length: s.layers }, (_, i) => i);
  const din = 1 / Math.sqrt(s.dim), hin = 1 / Math.sqrt(s.hidden);
  const w: Weights = {
    shape: s,
    tokEmb: mat(s.vocab, s.dim, 0.05),
    rmsAtt: L.map(() => norm(s.dim)),
    wq: L.map(() => mat(s.dim, s.dim, 2 * din)),
    wk: L.map(() => mat(kvDim, s.dim, 2 * din)),
    wv: L.map(() => mat(kvDim, s.dim, din)),
    wo: L.map(() => mat(s.dim, s.dim, 4 * din)),
    rmsFfn: L.map(() => norm(s.dim)),
    w1: L.map(() => mat(s.hidden, s.dim, din)),
    w2: L.map(() => mat(s.dim, s.hidden, 6 * hin)),
    w3: L.map(() => mat(s.hidden, s.dim, din)),
    rmsFinal: norm(s.dim),
    wcls: s.shared ? null : mat(s.vocab, s.dim, 3 * din),
  };
  return w;
}

/** The legacy llama2.c checkpoint bytes run.c reads. */
export function checkpointBytes(w: Weights): Buffer {
  const s = w.shape;
  const headSize = s.dim / s.heads;
  const parts: Float32Array[] = [w.tokEmb, ...w.rmsAtt, ...w.wq, ...w.wk, ...w.wv, ...w.wo, ...w.rmsFfn,
    ...w.w1, ...w.w2, ...w.w3, w.rmsFinal];
  const real = new Float32Array(s.seqLen * headSize / 2), imag = new Float32Array(s.seqLen * headSize / 2);
  for (let p = 0; p < s.seqLen; p++) {
    for (let i = 0; i < headSize / 2; i++) {
      const f = p / Math.pow(10000, (2 * i) / headSize);
      real[p * headSize / 2 + i] = Math.cos(f);
      imag[p * headSize / 2 + i] = Math.sin(f);
    }
  }
  parts.push(real, imag);
  if (w.wcls) parts.push(w.wcls);
  const floats = parts.reduce((n, a) => n + a.length, 0);
  const out = Buffer.alloc(28 + floats * 4);
  const h = [s.dim, s.hidden, s.layers, s.heads, s.kvHeads, s.shared ? s.vocab : -s.vocab, s.seqLen];
  h.forEach((v, i) => out.writeInt32LE(v, i * 4));
  let off = 28;
  for (const a of parts) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, off);
    off += a.byteLength;
  }
  return out;
}

/** The largest power of two <= 64 dividing both dim and hidden (Q8_0 groups must not cross rows). */
export function q8GroupSize(s: Shape): number {
  let g = 64;
  while (s.dim % g !== 0 || s.hidden % g !== 0) g /= 2;
  return g;
}

/**
 * llama2.c's export version 2 (int8 Q8_0, what runq.c reads), written from the format:
 * 256-byte header ("ak42", version 2, 7 x i32 shape, u8 shared flag, i32 group size at
 * offset 37), f32 norms, then per tensor int8 values and f32 scales (max|w| / 127 per group,
 * q = round(w / scale), ties to even as torch.round).
 */
export function q8CheckpointBytes(w: Weights, groupSize = q8GroupSize(w.shape)): Buffer {
  const s = w.shape;
  const header = Buffer.alloc(256);
  header.writeUInt32LE(0x616b3432, 0);
  header.writeInt32LE(2, 4);
  [s.dim, s.hidden, s.layers, s.heads, s.kvHeads, s.vocab, s.seqLen].forEach((v, i) => header.writeInt32LE(v, 8 + i * 4));
  header.writeUInt8(s.shared ? 1 : 0, 36);
  header.writeInt32LE(groupSize, 37);
  const f32 = (a: Float32Array) => Buffer.from(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const chunks: Buffer[] = [header, ...w.rmsAtt.map(f32), ...w.rmsFfn.map(f32), f32(w.rmsFinal)];
  const tensors = [w.tokEmb, ...w.wq, ...w.wk, ...w.wv, ...w.wo, ...w.w1, ...w.w2, ...w.w3, ...(w.wcls ? [w.wcls] : [])];
  for (const t of tensors) {
    const q = Buffer.alloc(t.length), scales = new Float32Array(t.length / groupSize);
    for (let g = 0; g < scales.length; g++) {
      let max = 0;
      for (let k = 0; k < groupSize; k++) max = Math.max(max, Math.abs(t[g * groupSize + k]));
      const scale = Math.fround(max / 127);
      scales[g] = scale;
      for (let k = 0; k < groupSize; k++) {
        const v = scale === 0 ? 0 : t[g * groupSize + k] / scale;
        let r = Math.round(v);
        if (Math.abs(v - Math.trunc(v)) === 0.5) r = 2 * Math.round(v / 2); // ties to even
        q.writeInt8(Math.max(-127, Math.min(127, r)), g * groupSize + k);
      }
    }
    chunks.push(q, f32(scales));
  }
  return Buffer.concat(chunks);
}

/** f32 -> IEEE half bits, round to nearest even (for writing F16 safetensors). */
export function floatToHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let hm = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rem > half || (rem === half && (hm & 1))) hm++;
    return sign | hm;
  }
  let hm = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (hm & 1))) { hm++; if (hm === 0x400) { hm = 0; e++; if (e >= 31) return sign | 0x7c00; } }
  return sign | (e << 10) | hm;
}

/** IEEE half bits -> number. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return sign * m * Math.pow(2, -24);
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * Math.pow(2, e - 15);
}

/** f32 -> bfloat16 bits by round to nearest even. */
export function floatToBf16(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

export type Dtype = "F32" | "F16" | "BF16";

/** The tensors in llama2.c's PyTorch names, in a stable order. */
export function namedTensors(w: Weights): [string, Float32Array, number[]][] {
  const s = w.shape, kvDim = (s.dim * s.kvHeads) / s.heads;
  const out: [string, Float32Array, number[]][] = [["tok_embeddings.weight", w.tokEmb, [s.vocab, s.dim]]];
  for (let l = 0; l < s.layers; l++) {
    out.push([`layers.${l}.attention_norm.weight`, w.rmsAtt[l], [s.dim]]);
    out.push([`layers.${l}.attention.wq.weight`, w.wq[l], [s.dim, s.dim]]);
    out.push([`layers.${l}.attention.wk.weight`, w.wk[l], [kvDim, s.dim]]);
    out.push([`layers.${l}.attention.wv.weight`, w.wv[l], [kvDim, s.dim]]);
    out.push([`layers.${l}.attention.wo.weight`, w.wo[l], [s.dim, s.dim]]);
    out.push([`layers.${l}.ffn_norm.weight`, w.rmsFfn[l], [s.dim]]);
    out.push([`layers.${l}.feed_forward.w1.weight`, w.w1[l], [s.hidden, s.dim]]);
    out.push([`layers.${l}.feed_forward.w2.weight`, w.w2[l], [s.dim, s.hidden]]);
    out.push([`layers.${l}.feed_forward.w3.weight`, w.w3[l], [s.hidden, s.dim]]);
  }
  out.push(["norm.weight", w.rmsFinal, [s.dim]]);
  if (w.wcls) out.push(["output.weight", w.wcls, [s.vocab, s.dim]]);
  return out;
}

/** safetensors bytes of the weights; the header JSON can be replaced (hostile tests). */
export function safetensorsBytes(w: Weights, dtype: Dtype, metadata?: Record<string, string>,
  headerOverride?: (header: any) => any): Buffer {
  const s = w.shape;
  const size = dtype === "F32" ? 4 : 2;
  const header: any = {
    __metadata__: metadata ?? { n_heads: String(s.heads), n_kv_heads: String(s.kvHeads), seq_len: String(s.seqLen), format: "pt" },
  };
  const chunks: Buffer[] = [];
  let off = 0;
  for (const [name, a, shape] of namedTensors(w)) {
    const b = Buffer.alloc(a.length * size);
    for (let i = 0; i < a.length; i++) {
      if (dtype === "F32") b.writeFloatLE(a[i], i * 4);
      else b.writeUInt16LE(dtype === "F16" ? floatToHalf(a[i]) : floatToBf16(a[i]), i * 2);
    }
    header[name] = { dtype, shape, data_offsets: [off, off + b.length] };
    off += b.length;
    chunks.push(b);
  }
  let text = JSON.stringify(headerOverride ? headerOverride(header) : header);
  while ((text.length + 8) % 8 !== 0) text += " ";
  const json = Buffer.from(text, "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...chunks]);
}

/** The weights as the kernel will see them after loading a safetensors file of `dtype`. */
export function roundedWeights(w: Weights, dtype: Dtype): Weights {
  const r = (a: Float32Array) => {
    if (dtype === "F32") return a;
    const o = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) {
      if (dtype === "F16") o[i] = halfToNumber(floatToHalf(a[i]));
      else { const u = new Uint32Array([floatToBf16(a[i]) << 16]); o[i] = new Float32Array(u.buffer)[0]; }
    }
    return o;
  };
  return {
    shape: w.shape, tokEmb: r(w.tokEmb), rmsAtt: w.rmsAtt.map(r), wq: w.wq.map(r), wk: w.wk.map(r), wv: w.wv.map(r),
    wo: w.wo.map(r), rmsFfn: w.rmsFfn.map(r), w1: w.w1.map(r), w2: w.w2.map(r), w3: w.w3.map(r),
    rmsFinal: r(w.rmsFinal), wcls: w.wcls ? r(w.wcls) : null,
  };
}

const CORPUS = `Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine.
One day, she saw a big red ball in the park. She ran to the ball and picked it up. Her mom said, "Lily, be careful!"
Tom and his dog went to the store. They wanted to buy some milk and bread. The sun was warm and the sky was blue.
The cat sat on the mat. The dog ran after the cat. They were happy friends and they played together every day.`;

export interface TokenizerFile { pieces: Buffer[]; scores: number[]; bytes: Buffer; }

/** A tokenizer.bin of exactly `vocab` tokens in llama2.c's layout. */
export function makeTokenizer(vocab: number, seed: number): TokenizerFile {
  const pieces: Buffer[] = [Buffer.from("<unk>"), Buffer.from("\n<s>\n"), Buffer.from("\n</s>\n")];
  const scores: number[] = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    pieces.push(Buffer.from(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`));
    scores.push(0);
  }
  const seen = new Set<string>(pieces.map((p) => p.toString("latin1")));
  const add = (p: Buffer) => {
    const k = p.toString("latin1");
    if (pieces.length >= vocab || seen.has(k)) return;
    seen.add(k);
    pieces.push(p);
    scores.push(-(pieces.length));
  };
  // single characters, most frequent in the corpus first, then the rest of printable ASCII
  const freq = new Map<string, number>();
  for (const ch of CORPUS) freq.set(ch, (freq.get(ch) ?? 0) + 1);
  [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).forEach(([c]) => { if (c !== "\n") add(Buffer.from(c)); });
  for (let c = 32; c < 127; c++) add(Buffer.from(String.fromCharCode(c)));
  add(Buffer.from("é"));
  // byte-pair merges over the corpus (words with their leading space, like sentencepiece)
  let words = CORPUS.replace(/\n/g, " ").split(/(?= )/).map((w) => [...w]);
  while (pieces.length < vocab) {
    const counts = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.length; i++) {
      const k = w[i] + "\u0000" + w[i + 1];
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let best = "", bestN = 1;
    for (const [k, n] of counts) if (n > bestN || (n === bestN && best !== "" && k < best)) { best = k; bestN = n; }
    if (best === "") break;
    const [a, b] = best.split("\u0000");
    add(Buffer.from(a + b));
    words = words.map((w) => {
      const o: string[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) { o.push(a + b); i++; } else o.push(w[i]);
      }
      return o;
    });
  }
  // then seeded random lowercase pieces until the vocabulary is full
  const rnd = seededRandom(seed);
  while (pieces.length < vocab) {
    const n = 2 + Math.floor(rnd() * 6);
    let s = rnd() < 0.5 ? " " : "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(rnd() * 26));
    add(Buffer.from(s));
  }
  const maxLen = Math.max(...pieces.map((p) => p.length));
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4); head.writeUInt32LE(maxLen); parts.push(head);
  for (let i = 0; i < pieces.length; i++) {
    const h = Buffer.alloc(8);
    h.writeFloatLE(scores[i], 0);
    h.writeInt32LE(pieces[i].length, 4);
    parts.push(h, pieces[i]);
  }
  return { pieces, scores, bytes: Buffer.concat(parts) };
}

/** Writes the system disk's test model (stories260K shape) and tokenizer into `dir`. */
export function writeDiskModels(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const w = randomWeights(SHAPES.stories260K, 260);
  fs.writeFileSync(path.join(dir, "test260k.bin"), checkpointBytes(w));
  fs.writeFileSync(path.join(dir, "tok512.bin"), makeTokenizer(512, 512).bytes);
}
