// llama2.c checkpoints, the "legacy" f32 format run.c reads:
//
//   offset 0   7 x i32: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
//              (vocab_size < 0: the classifier is a separate tensor; its absolute value is used)
//   offset 28  f32, row-major, in this order: token embedding [vocab][dim], rms_att [L][dim],
//              wq [L][dim][dim], wk [L][kv_dim][dim], wv [L][kv_dim][dim], wo [L][dim][dim],
//              rms_ffn [L][dim], w1 [L][hidden][dim], w2 [L][dim][hidden], w3 [L][hidden][dim],
//              rms_final [dim], two RoPE tables [seq][head_size/2] (skipped: we compute RoPE),
//              wcls [vocab][dim] only when unshared.
//
// The file length must be exactly what the header implies, so a truncated file, a padded one
// or a header that lies is refused before any page is allocated. export.py's newer versions
// start with the magic "ak42" (0x616b3432) and a version; version 2 (int8 Q8_0) is read by
// q8.ts, the others are refused by name.
import { FileReader } from "../fs/file_reader";
import { ModelConfig, Layout } from "./config";
import { Q8_MAGIC, Q8_HEADER_BYTES, parseQ8Header } from "./q8";

export const HEADER_BYTES: u64 = 28;

export class CheckpointHeader {
  config: ModelConfig = new ModelConfig();
  error: string = "";
}

/** Bytes a legacy checkpoint of this shape has. */
export function checkpointBytes(c: ModelConfig): u64 {
  return HEADER_BYTES + 4 * (c.weightFloats() + <u64>c.seqLen * <u64>c.headSize);
}

export function readCheckpointHeader(r: FileReader): CheckpointHeader {
  const out = new CheckpointHeader();
  const size = r.size();
  if (size < HEADER_BYTES) { out.error = "file too short for a llama2.c header (" + size.toString() + " bytes)"; return out; }
  const buf = memory.data(<i32>Q8_HEADER_BYTES);
  if (!r.readFully(0, buf, HEADER_BYTES)) { out.error = "cannot read the header"; return out; }
  if (load<u32>(buf) == Q8_MAGIC) {
    const version = load<i32>(buf + 4);
    if (version != 2) {
      out.error = "llama2.c export version " + version.toString() +
        " (\"ak42\" header) is not supported: use version 2 (int8) or the legacy f32 export (version 0)";
      return out;
    }
    if (size < Q8_HEADER_BYTES) { out.error = "file too short for a version-2 header (" + size.toString() + " bytes)"; return out; }
    if (!r.readFully(0, buf, Q8_HEADER_BYTES)) { out.error = "cannot read the header"; return out; }
    out.error = parseQ8Header(buf, size, out.config);
    return out;
  }
  const c = out.config;
  c.dim = load<i32>(buf);
  c.hidden = load<i32>(buf + 4);
  c.layers = load<i32>(buf + 8);
  c.heads = load<i32>(buf + 12);
  c.kvHeads = load<i32>(buf + 16);
  const v = load<i32>(buf + 20);
  c.shared = v > 0;
  c.vocab = v == i32.MIN_VALUE ? 0 : (v < 0 ? -v : v);
  c.seqLen = load<i32>(buf + 24);
  const bad = c.check();
  if (bad.length > 0) { out.error = "bad header: " + bad; return out; }
  const want = checkpointBytes(c);
  if (size != want) {
    out.error = "file is " + size.toString() + " bytes but its header (" + c.describe() + ") implies " + want.toString();
    return out;
  }
  return out;
}

/** Reads every weight into the region at `base`; "" or an error. */
export function readCheckpointWeights(r: FileReader, c: ModelConfig, lay: Layout, base: usize): string {
  const d = <u64>c.dim, h = <u64>c.hidden, L = <u64>c.layers, kv = <u64>c.kvDim, v = <u64>c.vocab;
  let off = HEADER_BYTES;
  const parts: u64[] = [
    lay.tokEmb, v * d, lay.rmsAtt, L * d, lay.wq, L * d * d, lay.wk, L * kv * d, lay.wv, L * kv * d,
    lay.wo, L * d * d, lay.rmsFfn, L * d, lay.w1, L * h * d, lay.w2, L * d * h, lay.w3, L * h * d,
    lay.rmsFinal, d];
  for (let i = 0; i < parts.length; i += 2) {
    const bytes = parts[i + 1] * 4;
    if (!r.readFully(off, base + <usize>parts[i], bytes)) return "read failed at byte " + off.toString();
    off += bytes;
  }
  off += 4 * <u64>c.seqLen * <u64>c.headSize; // RoPE tables
  if (!c.shared) {
    if (!r.readFully(off, base + <usize>lay.wcls, v * d * 4)) return "read failed at byte " + off.toString();
  }
  return "";
}
