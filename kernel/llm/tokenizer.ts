// llama2.c's tokenizer.bin and its byte-pair encoding:
//
//   u32 max_token_length, then for each of vocab_size tokens (the count is the model's):
//   f32 score, i32 length, `length` bytes (no terminator).
//
// Ids 0, 1, 2 are <unk>, BOS and EOS; ids 3..258 are the byte tokens <0x00>..<0xFF>
// (id = byte + 3), used when a UTF-8 character has no token of its own. Encoding
// (sentencepiece's rules as run.c applies them): a dummy-prefix space before non-empty text,
// one token per UTF-8 character (or its bytes), then repeatedly merge the adjacent pair whose
// concatenation is a token with the highest score (first such pair on ties) until none is.
// Decoding drops a piece's leading space right after BOS and turns <0xXX> into its byte.
import { FileReader } from "../fs/file_reader";

export const BOS: i32 = 1;
export const EOS: i32 = 2;
const MAX_TOKEN_BYTES: u32 = 1024;

export class Tokenizer {
  vocab: i32 = 0;
  maxTokenLength: u32 = 0;
  scores: StaticArray<f32>;
  offsets: StaticArray<i32>; // vocab + 1 entries into bytes
  bytes: StaticArray<u8>;
  private table: StaticArray<i32>; // open addressing: id + 1, 0 = empty
  private mask: u32 = 0;
  private scratch: StaticArray<u8> = new StaticArray<u8>(2 * MAX_TOKEN_BYTES + 8);

  constructor(vocab: i32, totalBytes: i32) {
    this.vocab = vocab;
    this.scores = new StaticArray<f32>(vocab);
    this.offsets = new StaticArray<i32>(vocab + 1);
    this.bytes = new StaticArray<u8>(totalBytes);
    let size: u32 = 16;
    while (size < <u32>vocab * 2) size <<= 1;
    this.table = new StaticArray<i32>(size);
    this.mask = size - 1;
  }

  tokenLength(id: i32): i32 { return this.offsets[id + 1] - this.offsets[id]; }
  tokenPtr(id: i32): usize { return changetype<usize>(this.bytes) + <usize>this.offsets[id]; }

  private hash(p: usize, n: i32): u32 {
    let h: u32 = 2166136261;
    for (let i = 0; i < n; i++) { h ^= <u32>load<u8>(p + <usize>i); h *= 16777619; }
    return h;
  }

  private insert(id: i32): void {
    const p = this.tokenPtr(id), n = this.tokenLength(id);
    let slot = this.hash(p, n) & this.mask;
    while (true) {
      const e = this.table[slot];
      if (e == 0) { this.table[slot] = id + 1; return; }
      if (this.same(e - 1, p, n)) return; // duplicate piece: the lowest id wins
      slot = (slot + 1) & this.mask;
    }
  }

  private same(id: i32, p: usize, n: i32): bool {
    if (this.tokenLength(id) != n) return false;
    return memory.compare(this.tokenPtr(id), p, n) == 0;
  }

  /** Id of the token whose bytes are [p, p+n), or -1. */
  lookup(p: usize, n: i32): i32 {
    let slot = this.hash(p, n) & this.mask;
    while (true) {
      const e = this.table[slot];
      if (e == 0) return -1;
      if (this.same(e - 1, p, n)) return e - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** BPE-encodes UTF-8 text; BOS first when `bos`. */
  encode(text: string, bos: bool): Array<i32> {
    const out = new Array<i32>();
    if (bos) out.push(BOS);
    const utf8 = String.UTF8.encode(text);
    const p = changetype<usize>(utf8);
    const n = utf8.byteLength;
    if (n > 0) {
      const space = this.lookup(changetype<usize>(SPACE), 1);
      if (space >= 0) out.push(space);
    }
    let i = 0;
    while (i < n) {
      // one UTF-8 character: a lead byte and up to 3 continuation bytes
      let j = i + 1;
      while (j < n && j - i < 4 && (load<u8>(p + <usize>j) & 0xc0) == 0x80) j++;
      const id = this.lookup(p + <usize>i, j - i);
      if (id >= 0) out.push(id);
      else for (let k = i; k < j; k++) out.push(<i32>load<u8>(p + <usize>k) + 3);
      i = j;
    }
    const s = changetype<usize>(this.scratch);
    while (true) {
      let bestScore: f32 = -Infinity;
      let bestId = -1;
      let bestAt = -1;
      for (let k = 0; k + 1 < out.length; k++) {
        const a = out[k], b = out[k + 1];
        const la = this.tokenLength(a), lb = this.tokenLength(b);
        if (la + lb > <i32>this.scratch.length) continue;
        memory.copy(s, this.tokenPtr(a), la);
        memory.copy(s + <usize>la, this.tokenPtr(b), lb);
        const id = this.lookup(s, la + lb);
        if (id >= 0 && this.scores[id] > bestScore) { bestScore = this.scores[id]; bestId = id; bestAt = k; }
      }
      if (bestAt < 0) break;
      out[bestAt] = bestId;
      out.splice(bestAt + 1, 1);
    }
    return out;
  }

  /** The bytes `token` prints after `previous`. */
  decode(previous: i32, token: i32): Uint8Array {
    if (token < 0 || token >= this.vocab) return new Uint8Array(0);
    let p = this.tokenPtr(token);
    let n = this.tokenLength(token);
    if (previous == BOS && n > 0 && load<u8>(p) == 32) { p++; n--; }
    // <0xXX>
    if (n == 6 && load<u8>(p) == 60 && load<u8>(p + 1) == 48 && load<u8>(p + 2) == 120 && load<u8>(p + 5) == 62) {
      const hi = hexDigit(load<u8>(p + 3)), lo = hexDigit(load<u8>(p + 4));
      if (hi >= 0 && lo >= 0) {
        const b = new Uint8Array(1);
        b[0] = <u8>(hi * 16 + lo);
        return b;
      }
    }
    const out = new Uint8Array(n);
    memory.copy(out.dataStart, p, n);
    return out;
  }
}

const SPACE: StaticArray<u8> = [32];

function hexDigit(c: u8): i32 {
  if (c >= 48 && c <= 57) return <i32>c - 48;
  if (c >= 65 && c <= 70) return <i32>c - 55;
  if (c >= 97 && c <= 102) return <i32>c - 87;
  return -1;
}

export let tokenizerError: string = "";

/** Reads a tokenizer.bin for a model of `vocab` tokens; null + tokenizerError on failure. */
export function readTokenizer(r: FileReader, vocab: i32): Tokenizer | null {
  tokenizerError = "";
  const size = r.size();
  if (size > (<u64>64 << 20)) { tokenizerError = "tokenizer file over 64 MiB"; return null; }
  if (size < 4) { tokenizerError = "tokenizer file too short"; return null; }
  const data = new ArrayBuffer(<i32>size);
  const p = changetype<usize>(data);
  if (!r.readFully(0, p, size)) { tokenizerError = "cannot read the tokenizer"; return null; }
  const n = <u32>size;
  const maxLen = load<u32>(p);
  if (maxLen == 0 || maxLen > MAX_TOKEN_BYTES) { tokenizerError = "tokenizer max_token_length " + maxLen.toString() + " out of range 1..1024"; return null; }
  // first pass: validate and measure
  let off: u32 = 4;
  let total: u32 = 0;
  for (let i = 0; i < vocab; i++) {
    if (n - off < 8) { tokenizerError = "tokenizer has " + i.toString() + " tokens, the model has " + vocab.toString(); return null; }
    const score = load<f32>(p + <usize>off);
    const len = load<i32>(p + <usize>off + 4);
    if (!isFinite(score)) { tokenizerError = "token " + i.toString() + " has a score that is not finite"; return null; }
    if (len < 0 || <u32>len > maxLen) { tokenizerError = "token " + i.toString() + " has length " + len.toString() + " (max " + maxLen.toString() + ")"; return null; }
    off += 8;
    if (n - off < <u32>len) { tokenizerError = "tokenizer truncated in token " + i.toString(); return null; }
    off += <u32>len;
    total += <u32>len;
  }
  if (off != n) { tokenizerError = "tokenizer has more than the model's " + vocab.toString() + " tokens (" + (n - off).toString() + " bytes left)"; return null; }
  const t = new Tokenizer(vocab, <i32>total);
  t.maxTokenLength = maxLen;
  off = 4;
  let at: i32 = 0;
  for (let i = 0; i < vocab; i++) {
    t.scores[i] = load<f32>(p + <usize>off);
    const len = load<i32>(p + <usize>off + 4);
    off += 8;
    t.offsets[i] = at;
    memory.copy(changetype<usize>(t.bytes) + <usize>at, p + <usize>off, <usize>len);
    at += len;
    off += <u32>len;
  }
  t.offsets[vocab] = at;
  for (let i = 0; i < vocab; i++) t.insert(i);
  return t;
}
