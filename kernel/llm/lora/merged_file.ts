// `llmctl adapter merge` persisted: the loaded model's weights (with the active adapter folded
// in) written as a llama2.c legacy f32 checkpoint (checkpoint.ts's layout: header, weights in
// file order, the two RoPE tables, the classifier when unshared), so `llmctl load FILE` gives
// the adapted model with no adapter. Written atomically (store.ts: temporary file, fsync,
// rename), so a power cut leaves the old file or the new one.
import { Model } from "../model";
import { checkpointBytes, HEADER_BYTES } from "../checkpoint";
import { writeFileAtomic } from "./store";

/** The legacy checkpoint bytes of the model as it is in memory (f32 models only). */
export function checkpointOf(m: Model): Uint8Array {
  const c = m.config, lay = m.layout;
  const total = checkpointBytes(c);
  const out = new Uint8Array(<i32>total);
  const p = out.dataStart;
  store<i32>(p, c.dim); store<i32>(p, c.hidden, 4); store<i32>(p, c.layers, 8); store<i32>(p, c.heads, 12);
  store<i32>(p, c.kvHeads, 16); store<i32>(p, c.shared ? c.vocab : -c.vocab, 20); store<i32>(p, c.seqLen, 24);
  const d = <u64>c.dim, h = <u64>c.hidden, L = <u64>c.layers, kv = <u64>c.kvDim, v = <u64>c.vocab;
  const parts: u64[] = [
    lay.tokEmb, v * d, lay.rmsAtt, L * d, lay.wq, L * d * d, lay.wk, L * kv * d, lay.wv, L * kv * d,
    lay.wo, L * d * d, lay.rmsFfn, L * d, lay.w1, L * h * d, lay.w2, L * d * h, lay.w3, L * h * d,
    lay.rmsFinal, d];
  let off = HEADER_BYTES;
  for (let i = 0; i < parts.length; i += 2) {
    const bytes = parts[i + 1] * 4;
    memory.copy(p + <usize>off, m.base + <usize>parts[i], <usize>bytes);
    off += bytes;
  }
  // freq_cis_real then freq_cis_imag [seq][head_size/2]: the cos and sin of model.ts's RoPE table
  const hs = c.headSize, half = hs >> 1, seq = c.seqLen;
  const imag = p + <usize>off + (<usize>(seq * half) << 2);
  for (let pos = 0; pos < seq; pos++) {
    for (let j = 0; j < half; j++) {
      const e = m.rope + (<usize>(pos * hs + 2 * j) << 2), o = <usize>(pos * half + j) << 2;
      store<f32>(p + <usize>off + o, load<f32>(e));
      store<f32>(imag + o, load<f32>(e, 4));
    }
  }
  off += 4 * <u64>seq * <u64>hs;
  if (!c.shared) memory.copy(p + <usize>off, m.base + <usize>lay.wcls, <usize>(v * d * 4));
  return out;
}

/** Writes the model as it is in memory to path atomically; "" or a one-line reason. */
export function saveMergedCheckpoint(m: Model, path: string): string {
  if (m.config.groupSize > 0) return "int8 models cannot be merged into a checkpoint";
  return writeFileAtomic(path, checkpointOf(m));
}
