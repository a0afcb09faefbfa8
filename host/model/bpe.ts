// The domain model's tokenizer: byte-pair merges learned from the corpus, written as a
// llama2.c tokenizer.bin (specials, the 256 byte tokens, characters, then merges scored by
// rank), and an encoder with run.c's rules (dummy-prefix space, best-scoring merge first).
// Pieces never hold a newline and hold a space only in front, so no merge crosses a space
// or a newline: encoding a text is encoding its chunks (" word", "\n") one by one, which
// gives exactly run.c's result and lets the corpus be encoded quickly (memoized chunks).

export interface Vocab { pieces: string[]; scores: number[]; ids: Map<string, number>; }

/** Splits before every space and around every newline. */
export function chunks(text: string): string[] {
  return text.split(/(?= )|(\n)/).filter((c) => c !== undefined && c !== "");
}

/**
 * `atoms` (the answer slots, e.g. "$frag") become single pieces, " $frag" and "$frag", reached by
 * a chain of prefix pieces (" $", " $f", " $fr"...) that score above every learned merge, so
 * run.c's encoder (best-scoring pair first) always makes them whole; the learned merges then
 * treat each slot as one symbol (it may merge with what follows, e.g. "$frag%").
 */
export function learnVocab(texts: string[], size: number, weights?: number[], atoms: string[] = []): Vocab {
  const pieces: string[] = ["<unk>", "\n<s>\n", "\n</s>\n"];
  for (let b = 0; b < 256; b++) pieces.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  const chars = new Set<string>(["\n"]);
  for (let c = 32; c < 127; c++) chars.add(String.fromCharCode(c));
  for (const c of chars) pieces.push(c);
  const scores = pieces.map(() => 0);
  // numbers: " NN" before " N" before "NN", so 1-2 digits are one token and 3-4 digits two
  for (let n = 10; n < 100; n++) { pieces.push(" " + n); scores.push(3); }
  for (let n = 0; n < 10; n++) { pieces.push(" " + n); scores.push(2); }
  for (let n = 0; n < 100; n++) { pieces.push(String(n).padStart(2, "0")); scores.push(1); }
  const atomSet = new Set<string>();
  for (const a of atoms) for (const full of [" " + a, a]) {
    atomSet.add(full);
    for (let i = 2; i <= full.length; i++) {
      const pre = full.slice(0, i);
      if (!pieces.includes(pre)) { pieces.push(pre); scores.push(10); }
    }
  }
  // a chunk's first symbols: its slot atoms whole, every other character alone
  const firstSyms = (w: string): string[] => {
    const out: string[] = [];
    for (let i = 0; i < w.length;) {
      let hit = "";
      if (w[i] === "$" || (w[i] === " " && w[i + 1] === "$")) {
        for (const a of atomSet) if (w.startsWith(a, i) && a.length > hit.length && !/[a-z]/i.test(w[i + a.length] ?? "")) hit = a;
      }
      if (hit) { out.push(hit); i += hit.length; } else { out.push(w[i]); i++; }
    }
    return out;
  };
  // word counts (chunks with their leading space)
  const counts = new Map<string, number>();
  texts.forEach((t, i) => {
    for (const c of chunks(" " + t)) if (c !== "\n" && !/\d/.test(c)) counts.set(c, (counts.get(c) ?? 0) + (weights ? weights[i] : 1));
  });
  let words = [...counts.entries()].map(([w, n]) => ({ sym: firstSyms(w), n }));
  const have = new Set(pieces);
  while (pieces.length < size) {
    const pair = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.sym.length; i++) {
      const k = w.sym[i] + "\u0000" + w.sym[i + 1];
      pair.set(k, (pair.get(k) ?? 0) + w.n);
    }
    let best = "", bestN = 1;
    for (const [k, n] of pair) if (n > bestN || (n === bestN && k < best)) { best = k; bestN = n; }
    if (best === "") break;
    const [a, b] = best.split("\u0000");
    const m = a + b;
    if (!have.has(m)) { have.add(m); pieces.push(m); scores.push(-pieces.length); }
    for (const w of words) {
      const o: string[] = [];
      for (let i = 0; i < w.sym.length; i++) {
        if (i + 1 < w.sym.length && w.sym[i] === a && w.sym[i + 1] === b) { o.push(m); i++; } else o.push(w.sym[i]);
      }
      w.sym = o;
    }
    words = words.filter((w) => w.sym.length > 1);
  }
  return { pieces, scores, ids: new Map(pieces.map((p, i) => [p, i])) };
}

/** llama2.c tokenizer.bin bytes. */
export function tokenizerBytes(v: Vocab): Buffer {
  const bufs = v.pieces.map((p) => Buffer.from(p, "utf8"));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(Math.max(...bufs.map((b) => b.length)));
  const parts: Buffer[] = [head];
  bufs.forEach((b, i) => {
    const h = Buffer.alloc(8);
    h.writeFloatLE(v.scores[i], 0);
    h.writeInt32LE(b.length, 4);
    parts.push(h, b);
  });
  return Buffer.concat(parts);
}

export class Encoder {
  private memo = new Map<string, number[]>();
  constructor(private v: Vocab) {}

  private chunk(c: string): number[] {
    const m = this.memo.get(c);
    if (m) return m;
    const toks: number[] = [];
    for (const ch of c) {
      const id = this.v.ids.get(ch);
      if (id !== undefined) toks.push(id);
      else for (const b of Buffer.from(ch, "utf8")) toks.push(b + 3);
    }
    for (;;) {
      let best = -1, bestScore = -Infinity, bestId = -1;
      for (let i = 0; i + 1 < toks.length; i++) {
        const id = this.v.ids.get(this.v.pieces[toks[i]] + this.v.pieces[toks[i + 1]]);
        if (id !== undefined && this.v.scores[id] > bestScore) { bestScore = this.v.scores[id]; best = i; bestId = id; }
      }
      if (best < 0) break;
      toks.splice(best, 2, bestId);
    }
    this.memo.set(c, toks);
    return toks;
  }

  /** run.c's encode(text, bos): BOS, the dummy-prefix space, then the text. */
  encode(text: string, bos: boolean): number[] {
    const out: number[] = bos ? [1] : [];
    if (text.length === 0) return out;
    for (const c of chunks(" " + text)) out.push(...this.chunk(c));
    return out;
  }

  /** Tokens of a continuation that starts with a space (no dummy prefix). */
  continuation(text: string): number[] {
    const out: number[] = [];
    for (const c of chunks(text)) out.push(...this.chunk(c));
    return out;
  }
}

/** Reads a tokenizer.bin written by tokenizerBytes. */
export function readVocab(b: Buffer): Vocab {
  const pieces: string[] = [], scores: number[] = [];
  for (let off = 4; off < b.length;) {
    scores.push(b.readFloatLE(off));
    const n = b.readInt32LE(off + 4);
    pieces.push(b.subarray(off + 8, off + 8 + n).toString("utf8"));
    off += 8 + n;
  }
  return { pieces, scores, ids: new Map(pieces.map((p, i) => [p, i])) };
}
