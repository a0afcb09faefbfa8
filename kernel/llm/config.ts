// The shape of a llama-style transformer and where every array of a loaded model lives in
// its one contiguous region of pages (weights first, then the KV cache, then scratch).
//
//   region + 0   token embedding [vocab][dim]
//                rms_att [L][dim], wq [L][dim][dim], wk [L][kv_dim][dim], wv [L][kv_dim][dim],
//                wo [L][dim][dim], rms_ffn [L][dim], w1 [L][hidden][dim], w2 [L][dim][hidden],
//                w3 [L][hidden][dim], rms_final [dim], wcls [vocab][dim] (only when unshared)
//                key cache [L][kv_heads][head_size][seq4] (transposed: the keys of 4 consecutive
//                positions for one component are adjacent, so attention's q.k runs 4 positions per
//                lane step; seq4 = seq rounded up to a multiple of 4), value cache [L][seq][kv_dim]
//                scratch for a batch of BATCH tokens: x, xb, xb2, q [BATCH][dim];
//                k, v [BATCH][kv_dim]; hb, hb2 [BATCH][hidden]; att [heads][seq4];
//                logits [vocab]; sampler pairs [vocab] x (f32 prob, i32 index);
//                RoPE table [seq][head_size/2] x (cos, sin)
// int8 models (groupSize > 0, llama2.c's export version 2, kernel/llm/q8.ts) keep the token
// embedding dequantised to f32 for lookups, the norms in f32, then every matrix as Q8_0
// groups: all f32 arrays (embedding, norms, group scales) first so the NaN check covers them
// in one range (f32End), then the int8 values; scratch adds the quantised activations
// xq [BATCH][max(dim, hidden)] (int8 values held as i32) and xs (their group scales).
// Every array starts on a 64-byte boundary. All sizes are computed in u64 and checked
// against limits before anything is multiplied into an address.

/** Prompt tokens processed together by one matrix-matrix pass. */
export const BATCH: u32 = 16;

// Limits: generous for any model that fits in a 1 GiB machine, small enough that no product
// below overflows u64.
export const MAX_DIM: i32 = 16384;
export const MAX_HIDDEN: i32 = 65536;
export const MAX_LAYERS: i32 = 512;
export const MAX_HEADS: i32 = 1024;
export const MAX_VOCAB: i32 = 1 << 20;
export const MAX_SEQ: i32 = 1 << 16;

export class ModelConfig {
  dim: i32 = 0;
  hidden: i32 = 0;
  layers: i32 = 0;
  heads: i32 = 0;
  kvHeads: i32 = 0;
  vocab: i32 = 0;
  seqLen: i32 = 0;
  shared: bool = true;
  /** Q8_0 group size of int8 weights; 0 = f32 weights. */
  groupSize: i32 = 0;

  get headSize(): i32 { return this.dim / this.heads; }
  get kvDim(): i32 { return (this.dim * this.kvHeads) / this.heads; }
  /** seq_len rounded up to a multiple of 4: the row length of the transposed key cache. */
  get seq4(): i32 { return (this.seqLen + 3) & ~3; }

  /** "" when the shape is usable, else why not. */
  check(): string {
    if (this.dim <= 0 || this.dim > MAX_DIM) return "dim " + this.dim.toString() + " out of range 1.." + MAX_DIM.toString();
    if (this.hidden <= 0 || this.hidden > MAX_HIDDEN) return "hidden_dim " + this.hidden.toString() + " out of range 1.." + MAX_HIDDEN.toString();
    if (this.layers <= 0 || this.layers > MAX_LAYERS) return "n_layers " + this.layers.toString() + " out of range 1.." + MAX_LAYERS.toString();
    if (this.heads <= 0 || this.heads > MAX_HEADS) return "n_heads " + this.heads.toString() + " out of range 1.." + MAX_HEADS.toString();
    if (this.kvHeads <= 0 || this.kvHeads > this.heads) return "n_kv_heads " + this.kvHeads.toString() + " out of range 1..n_heads";
    if (this.dim % this.heads != 0) return "dim " + this.dim.toString() + " is not a multiple of n_heads " + this.heads.toString();
    if (this.heads % this.kvHeads != 0) return "n_heads is not a multiple of n_kv_heads";
    if ((this.headSize & 1) != 0) return "head size " + this.headSize.toString() + " is odd (RoPE rotates pairs)";
    if (this.vocab < 4 || this.vocab > MAX_VOCAB) return "vocab_size " + this.vocab.toString() + " out of range 4.." + MAX_VOCAB.toString();
    if (this.seqLen <= 0 || this.seqLen > MAX_SEQ) return "seq_len " + this.seqLen.toString() + " out of range 1.." + MAX_SEQ.toString();
    return "";
  }

  /** f32 weights a checkpoint holds (without the RoPE tables). */
  weightFloats(): u64 {
    const d = <u64>this.dim, h = <u64>this.hidden, L = <u64>this.layers, kv = <u64>this.kvDim, v = <u64>this.vocab;
    let n = v * d + L * (d + d * d + 2 * d * kv + d * d + d + 3 * d * h) + d;
    if (!this.shared) n += v * d;
    return n;
  }

  parameters(): u64 { return this.weightFloats(); }

  describe(): string {
    return "dim " + this.dim.toString() + ", hidden " + this.hidden.toString() + ", layers " + this.layers.toString() +
      ", heads " + this.heads.toString() + ", kv heads " + this.kvHeads.toString() + ", vocab " + this.vocab.toString() +
      ", seq " + this.seqLen.toString() + (this.shared ? ", shared classifier" : ", unshared classifier");
  }
}

function align64(n: u64): u64 { return (n + 63) & ~(<u64>63); }

/** Byte offsets of every array inside the model's region. */
export class Layout {
  tokEmb: u64 = 0; rmsAtt: u64 = 0; wq: u64 = 0; wk: u64 = 0; wv: u64 = 0; wo: u64 = 0;
  rmsFfn: u64 = 0; w1: u64 = 0; w2: u64 = 0; w3: u64 = 0; rmsFinal: u64 = 0; wcls: u64 = 0;
  // int8 models: the int8 token embedding (the shared classifier) and each matrix's group scales
  tokQ: u64 = 0; tokS: u64 = 0; wqS: u64 = 0; wkS: u64 = 0; wvS: u64 = 0; woS: u64 = 0;
  w1S: u64 = 0; w2S: u64 = 0; w3S: u64 = 0; wclsS: u64 = 0; xq: u64 = 0; xs: u64 = 0;
  /** End of the f32 part of the weights (all of them for f32 models). */
  f32End: u64 = 0;
  weightsEnd: u64 = 0;
  keyCache: u64 = 0; valueCache: u64 = 0;
  x: u64 = 0; xb: u64 = 0; xb2: u64 = 0; q: u64 = 0; k: u64 = 0; v: u64 = 0;
  hb: u64 = 0; hb2: u64 = 0; att: u64 = 0; logits: u64 = 0; pairs: u64 = 0; rope: u64 = 0;
  total: u64 = 0;

  constructor(c: ModelConfig) {
    const d = <u64>c.dim, h = <u64>c.hidden, L = <u64>c.layers, kv = <u64>c.kvDim, v = <u64>c.vocab, s = <u64>c.seqLen;
    const B = <u64>BATCH;
    let o: u64 = c.groupSize > 0 ? this.placeQ8Weights(c) : this.placeF32Weights(c);
    this.weightsEnd = o;
    this.keyCache = o; o = align64(o + L * <u64>c.seq4 * kv * 4);
    this.valueCache = o; o = align64(o + L * s * kv * 4);
    this.x = o; o = align64(o + B * d * 4);
    this.xb = o; o = align64(o + B * d * 4);
    this.xb2 = o; o = align64(o + B * d * 4);
    this.q = o; o = align64(o + B * d * 4);
    this.k = o; o = align64(o + B * kv * 4);
    this.v = o; o = align64(o + B * kv * 4);
    this.hb = o; o = align64(o + B * h * 4);
    this.hb2 = o; o = align64(o + B * h * 4);
    this.att = o; o = align64(o + <u64>c.heads * <u64>c.seq4 * 4);
    this.logits = o; o = align64(o + v * 4);
    this.pairs = o; o = align64(o + v * 8);
    this.rope = o; o = align64(o + s * <u64>c.headSize * 4);
    if (c.groupSize > 0) {
      const widest = d > h ? d : h;
      this.xq = o; o = align64(o + B * widest * 4);
      this.xs = o; o = align64(o + B * widest / <u64>c.groupSize * 4);
    }
    this.total = o;
  }

  private placeF32Weights(c: ModelConfig): u64 {
    const d = <u64>c.dim, h = <u64>c.hidden, L = <u64>c.layers, kv = <u64>c.kvDim, v = <u64>c.vocab;
    let o: u64 = 0;
    this.tokEmb = o; o = align64(o + v * d * 4);
    this.rmsAtt = o; o = align64(o + L * d * 4);
    this.wq = o; o = align64(o + L * d * d * 4);
    this.wk = o; o = align64(o + L * kv * d * 4);
    this.wv = o; o = align64(o + L * kv * d * 4);
    this.wo = o; o = align64(o + L * d * d * 4);
    this.rmsFfn = o; o = align64(o + L * d * 4);
    this.w1 = o; o = align64(o + L * h * d * 4);
    this.w2 = o; o = align64(o + L * d * h * 4);
    this.w3 = o; o = align64(o + L * h * d * 4);
    this.rmsFinal = o; o = align64(o + d * 4);
    if (c.shared) this.wcls = this.tokEmb;
    else { this.wcls = o; o = align64(o + v * d * 4); }
    this.f32End = o;
    return o;
  }

  private placeQ8Weights(c: ModelConfig): u64 {
    const d = <u64>c.dim, h = <u64>c.hidden, L = <u64>c.layers, kv = <u64>c.kvDim, v = <u64>c.vocab;
    const g = <u64>c.groupSize;
    let o: u64 = 0;
    this.tokEmb = o; o = align64(o + v * d * 4);
    this.rmsAtt = o; o = align64(o + L * d * 4);
    this.rmsFfn = o; o = align64(o + L * d * 4);
    this.rmsFinal = o; o = align64(o + d * 4);
    // group scales: elements / group size f32 each
    this.tokS = o; o = align64(o + v * d / g * 4);
    this.wqS = o; o = align64(o + L * d * d / g * 4);
    this.wkS = o; o = align64(o + L * kv * d / g * 4);
    this.wvS = o; o = align64(o + L * kv * d / g * 4);
    this.woS = o; o = align64(o + L * d * d / g * 4);
    this.w1S = o; o = align64(o + L * h * d / g * 4);
    this.w2S = o; o = align64(o + L * d * h / g * 4);
    this.w3S = o; o = align64(o + L * h * d / g * 4);
    if (!c.shared) { this.wclsS = o; o = align64(o + v * d / g * 4); }
    this.f32End = o;
    this.tokQ = o; o = align64(o + v * d);
    this.wq = o; o = align64(o + L * d * d);
    this.wk = o; o = align64(o + L * kv * d);
    this.wv = o; o = align64(o + L * kv * d);
    this.wo = o; o = align64(o + L * d * d);
    this.w1 = o; o = align64(o + L * h * d);
    this.w2 = o; o = align64(o + L * d * h);
    this.w3 = o; o = align64(o + L * h * d);
    if (c.shared) { this.wcls = this.tokQ; this.wclsS = this.tokS; }
    else { this.wcls = o; o = align64(o + v * d); }
    return o;
  }
}
