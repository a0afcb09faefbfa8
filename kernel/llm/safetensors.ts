// safetensors model files: u64 little-endian header length N, N bytes of JSON, then the data
// buffer. The JSON maps tensor names to {"dtype", "shape", "data_offsets": [begin, end)}
// (relative to the buffer; together they must tile it exactly) plus "__metadata__" (string
// to string). Tensors use llama2.c's PyTorch names:
//
//   tok_embeddings.weight [vocab, dim]            norm.weight [dim]     output.weight [vocab, dim] (optional:
//   layers.L.attention_norm.weight [dim]                                absent = shared classifier)
//   layers.L.attention.{wq,wo}.weight [dim, dim]  layers.L.attention.{wk,wv}.weight [kv_dim, dim]
//   layers.L.ffn_norm.weight [dim]                layers.L.feed_forward.{w1,w3}.weight [hidden, dim]
//   layers.L.feed_forward.w2.weight [dim, hidden]
//
// dim, hidden_dim, vocab_size and n_layers follow from the shapes; n_heads and seq_len come
// from __metadata__ (n_kv_heads defaults to n_heads), and a metadata value that disagrees
// with a shape is an error. F32 is read as is; F16 and BF16 are converted to f32 on load.
// Other names are ignored (e.g. precomputed RoPE tables).
import { FileReader } from "../fs/file_reader";
import { ModelConfig, Layout } from "./config";
import { parseJson, jsonError, JsonValue, JSON_OBJECT, JSON_STRING, JSON_ARRAY, JSON_NUMBER } from "./json";

export const MAX_HEADER_BYTES: u64 = 1 << 20;
const DT_F32: i32 = 0;
const DT_F16: i32 = 1;
const DT_BF16: i32 = 2;

class Tensor {
  name: string = "";
  dtype: i32 = DT_F32;
  shape: Array<i64> = [];
  begin: u64 = 0;
  end: u64 = 0;
}

export class SafetensorsModel {
  config: ModelConfig = new ModelConfig();
  error: string = "";
  dataStart: u64 = 0;
  tensors: Map<string, Tensor> = new Map<string, Tensor>();
  dtypes: string = "";
}

/** True when the file starts like a safetensors file (plausible header length, then '{'). */
export function looksLikeSafetensors(r: FileReader): bool {
  const size = r.size();
  if (size < 10) return false;
  const buf = memory.data(16);
  if (!r.readFully(0, buf, 9)) return false;
  const n = load<u64>(buf);
  return n >= 2 && n <= size - 8 && load<u8>(buf + 8) == 0x7b;
}

function fail(m: SafetensorsModel, why: string): SafetensorsModel { m.error = why; return m; }

function dtypeOf(s: string): i32 {
  if (s == "F32") return DT_F32;
  if (s == "F16") return DT_F16;
  if (s == "BF16") return DT_BF16;
  return -1;
}
function dtypeBytes(d: i32): u64 { return d == DT_F32 ? 4 : 2; }

function metaInt(meta: JsonValue | null, key: string): i64 {
  if (meta == null) return -1;
  const v = meta.get(key);
  if (v == null || v.kind != JSON_STRING) return -1;
  const s = v.text;
  if (s.length == 0 || s.length > 9) return -2;
  let n: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -2;
    n = n * 10 + <i64>(c - 48);
  }
  return n;
}

/** Parses and checks the header and every tensor's shape; allocates nothing outside the heap. */
export function readSafetensorsHeader(r: FileReader): SafetensorsModel {
  const m = new SafetensorsModel();
  const size = r.size();
  if (size < 8) return fail(m, "file too short for a safetensors header");
  const lenBuf = memory.data(8);
  if (!r.readFully(0, lenBuf, 8)) return fail(m, "cannot read the header length");
  const n = load<u64>(lenBuf);
  if (n > MAX_HEADER_BYTES) return fail(m, "header length " + n.toString() + " over the 1 MiB limit");
  if (n + 8 > size) return fail(m, "header length " + n.toString() + " runs past the end of the file");
  const text = new ArrayBuffer(<i32>n);
  const p = changetype<usize>(text);
  if (n > 0 && !r.readFully(8, p, n)) return fail(m, "cannot read the header");
  const root = parseJson(p, <i32>n);
  if (root == null) return fail(m, "header is not JSON: " + jsonError);
  if (root.kind != JSON_OBJECT) return fail(m, "header is not a JSON object");
  m.dataStart = 8 + n;
  const bufferBytes = size - m.dataStart;
  let meta: JsonValue | null = null;
  const list = new Array<Tensor>();
  let seen = 0;
  for (let i = 0; i < root.keys.length; i++) {
    const name = root.keys[i];
    const v = root.items[i];
    if (name == "__metadata__") {
      if (v.kind != JSON_OBJECT) return fail(m, "__metadata__ is not an object");
      meta = v;
      continue;
    }
    if (v.kind != JSON_OBJECT) return fail(m, "tensor " + name + " is not an object");
    const dt = v.get("dtype");
    const shape = v.get("shape");
    const offs = v.get("data_offsets");
    if (dt == null || dt.kind != JSON_STRING) return fail(m, "tensor " + name + ": no dtype");
    if (shape == null || shape.kind != JSON_ARRAY || shape.items.length > 8) return fail(m, "tensor " + name + ": bad shape");
    if (offs == null || offs.kind != JSON_ARRAY || offs.items.length != 2) return fail(m, "tensor " + name + ": bad data_offsets");
    const t = new Tensor();
    t.name = name;
    let elements: u64 = 1;
    for (let j = 0; j < shape.items.length; j++) {
      const s = shape.items[j];
      if (s.kind != JSON_NUMBER || !s.isInteger || s.integer < 0 || s.integer > (1 << 30)) return fail(m, "tensor " + name + ": bad shape");
      t.shape.push(s.integer);
      elements *= <u64>s.integer;
      if (elements > (<u64>1 << 40)) return fail(m, "tensor " + name + ": too many elements");
    }
    const b = offs.items[0], e = offs.items[1];
    if (b.kind != JSON_NUMBER || e.kind != JSON_NUMBER || !b.isInteger || !e.isInteger || b.integer < 0 || e.integer < b.integer)
      return fail(m, "tensor " + name + ": bad data_offsets");
    t.begin = <u64>b.integer;
    t.end = <u64>e.integer;
    if (t.end > bufferBytes) return fail(m, "tensor " + name + ": data runs past the end of the file");
    const d = dtypeOf(dt.text);
    if (d < 0) {
      // other dtypes are allowed in the file (tiled below) but not for the tensors we use
      t.dtype = -1;
    } else {
      t.dtype = d;
      if (t.end - t.begin != elements * dtypeBytes(d)) return fail(m, "tensor " + name + ": data_offsets do not match shape and dtype");
      if (m.dtypes.indexOf(dt.text) < 0) m.dtypes += (m.dtypes.length > 0 ? "," : "") + dt.text;
    }
    list.push(t);
    m.tensors.set(name, t);
    seen++;
  }
  // the tensors must tile the data buffer: sorted by begin, each starts where the last ended
  list.sort((a: Tensor, b: Tensor): i32 => a.begin < b.begin ? -1 : (a.begin > b.begin ? 1 : (a.end < b.end ? -1 : (a.end > b.end ? 1 : 0))));
  let cursor: u64 = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i].begin != cursor) return fail(m, "tensor " + list[i].name + (list[i].begin < cursor ? " overlaps another" : " leaves a gap before it"));
    cursor = list[i].end;
  }
  if (cursor != bufferBytes) return fail(m, "data buffer is " + bufferBytes.toString() + " bytes but the tensors cover " + cursor.toString());
  return shapeFromTensors(m, meta);
}

function dims2(m: SafetensorsModel, name: string, rows: i64, cols: i64): string {
  if (!m.tensors.has(name)) return "missing tensor " + name;
  const t = m.tensors.get(name);
  if (t.dtype < 0) return "tensor " + name + ": unsupported dtype (F32, F16, BF16)";
  if (cols < 0) {
    if (t.shape.length != 1 || t.shape[0] != rows) return "tensor " + name + ": shape should be [" + rows.toString() + "]";
  } else if (t.shape.length != 2 || t.shape[0] != rows || t.shape[1] != cols) {
    return "tensor " + name + ": shape should be [" + rows.toString() + ", " + cols.toString() + "]";
  }
  return "";
}

function layerName(l: i32, rest: string): string { return "layers." + l.toString() + "." + rest; }

function shapeFromTensors(m: SafetensorsModel, meta: JsonValue | null): SafetensorsModel {
  if (!m.tensors.has("tok_embeddings.weight")) return fail(m, "missing tensor tok_embeddings.weight");
  const emb = m.tensors.get("tok_embeddings.weight");
  if (emb.shape.length != 2) return fail(m, "tensor tok_embeddings.weight is not 2-D");
  if (!m.tensors.has("layers.0.feed_forward.w1.weight")) return fail(m, "missing tensor layers.0.feed_forward.w1.weight");
  const w1 = m.tensors.get("layers.0.feed_forward.w1.weight");
  if (w1.shape.length != 2) return fail(m, "tensor layers.0.feed_forward.w1.weight is not 2-D");
  let layers = 0;
  while (layers < 4096 && m.tensors.has(layerName(layers, "attention_norm.weight"))) layers++;
  const c = m.config;
  c.vocab = <i32>emb.shape[0];
  c.dim = <i32>emb.shape[1];
  c.hidden = <i32>w1.shape[0];
  c.layers = layers;
  c.shared = !m.tensors.has("output.weight");
  const heads = metaInt(meta, "n_heads");
  const seq = metaInt(meta, "seq_len");
  if (heads < 0) return fail(m, "__metadata__ needs n_heads (a decimal string)");
  if (seq < 0) return fail(m, "__metadata__ needs seq_len (a decimal string)");
  const kv = metaInt(meta, "n_kv_heads");
  if (kv == -2) return fail(m, "__metadata__ n_kv_heads is not a decimal string");
  c.heads = <i32>heads;
  c.seqLen = <i32>seq;
  c.kvHeads = kv < 0 ? c.heads : <i32>kv;
  const keys = ["dim", "hidden_dim", "n_layers", "vocab_size"];
  const have = [c.dim, c.hidden, c.layers, c.vocab];
  for (let i = 0; i < keys.length; i++) {
    const v = metaInt(meta, keys[i]);
    if (v == -2 || (v >= 0 && v != <i64>have[i])) return fail(m, "__metadata__ " + keys[i] + " disagrees with the tensor shapes");
  }
  const bad = c.check();
  if (bad.length > 0) return fail(m, "bad shape: " + bad);
  const d = <i64>c.dim, h = <i64>c.hidden, kvd = <i64>c.kvDim;
  let e = dims2(m, "tok_embeddings.weight", <i64>c.vocab, d);
  if (e.length == 0) e = dims2(m, "norm.weight", d, -1);
  if (e.length == 0 && !c.shared) e = dims2(m, "output.weight", <i64>c.vocab, d);
  for (let l = 0; l < c.layers && e.length == 0; l++) {
    e = dims2(m, layerName(l, "attention_norm.weight"), d, -1);
    if (e.length == 0) e = dims2(m, layerName(l, "attention.wq.weight"), d, d);
    if (e.length == 0) e = dims2(m, layerName(l, "attention.wk.weight"), kvd, d);
    if (e.length == 0) e = dims2(m, layerName(l, "attention.wv.weight"), kvd, d);
    if (e.length == 0) e = dims2(m, layerName(l, "attention.wo.weight"), d, d);
    if (e.length == 0) e = dims2(m, layerName(l, "ffn_norm.weight"), d, -1);
    if (e.length == 0) e = dims2(m, layerName(l, "feed_forward.w1.weight"), h, d);
    if (e.length == 0) e = dims2(m, layerName(l, "feed_forward.w2.weight"), d, h);
    if (e.length == 0) e = dims2(m, layerName(l, "feed_forward.w3.weight"), h, d);
  }
  if (e.length > 0) return fail(m, e);
  return m;
}

/** f16 bits to f32 (normals, subnormals, inf, NaN). */
export function halfToFloat(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp == 0) {
    if (mant == 0) return reinterpret<f32>(sign);
    // subnormal: mant * 2^-24
    const v = <f32>mant * 5.9604644775390625e-8;
    return sign != 0 ? -v : v;
  }
  if (exp == 31) return reinterpret<f32>(sign | 0x7f800000 | (mant << 13));
  return reinterpret<f32>(sign | ((exp + 112) << 23) | (mant << 13));
}

const CONVERT_CHUNK: u32 = 1 << 16;

function readTensor(r: FileReader, m: SafetensorsModel, name: string, dst: usize): string {
  const t = m.tensors.get(name);
  const off = m.dataStart + t.begin;
  const bytes = t.end - t.begin;
  if (t.dtype == DT_F32) return r.readFully(off, dst, bytes) ? "" : "read failed in " + name;
  // 16-bit: read a chunk into the tail of its f32 destination span, widen in place forwards
  let done: u64 = 0;
  const scratch = heap.alloc(CONVERT_CHUNK);
  while (done < bytes) {
    const n = bytes - done > <u64>CONVERT_CHUNK ? CONVERT_CHUNK : <u32>(bytes - done);
    if (!r.readFully(off + done, scratch, n)) { heap.free(scratch); return "read failed in " + name; }
    const out = dst + <usize>(done * 2);
    for (let i: u32 = 0; i < n / 2; i++) {
      const hbits = <u32>load<u16>(scratch + <usize>(i * 2));
      store<f32>(out + <usize>(i * 4), t.dtype == DT_F16 ? halfToFloat(hbits) : reinterpret<f32>(hbits << 16));
    }
    done += <u64>n;
  }
  heap.free(scratch);
  return "";
}

/** Reads every tensor into its place in the region at `base`; "" or an error. */
export function readSafetensorsWeights(r: FileReader, m: SafetensorsModel, lay: Layout, base: usize): string {
  const c = m.config;
  const d = <u64>c.dim, h = <u64>c.hidden, kv = <u64>c.kvDim;
  let e = readTensor(r, m, "tok_embeddings.weight", base + <usize>lay.tokEmb);
  if (e.length == 0) e = readTensor(r, m, "norm.weight", base + <usize>lay.rmsFinal);
  if (e.length == 0 && !c.shared) e = readTensor(r, m, "output.weight", base + <usize>lay.wcls);
  for (let l = 0; l < c.layers && e.length == 0; l++) {
    const L = <u64>l;
    e = readTensor(r, m, layerName(l, "attention_norm.weight"), base + <usize>(lay.rmsAtt + L * d * 4));
    if (e.length == 0) e = readTensor(r, m, layerName(l, "attention.wq.weight"), base + <usize>(lay.wq + L * d * d * 4));
    if (e.length == 0) e = readTensor(r, m, layerName(l, "attention.wk.weight"), base + <usize>(lay.wk + L * kv * d * 4));
    if (e.length == 0) e = readTensor(r, m, layerName(l, "attention.wv.weight"), base + <usize>(lay.wv + L * kv * d * 4));
    if (e.length == 0) e = readTensor(r, m, layerName(l, "attention.wo.weight"), base + <usize>(lay.wo + L * d * d * 4));
    if (e.length == 0) e = readTensor(r, m, layerName(l, "ffn_norm.weight"), base + <usize>(lay.rmsFfn + L * d * 4));
    if (e.length == 0) e = readTensor(r, m, layerName(l, "feed_forward.w1.weight"), base + <usize>(lay.w1 + L * h * d * 4));
    if (e.length == 0) e = readTensor(r, m, layerName(l, "feed_forward.w2.weight"), base + <usize>(lay.w2 + L * d * h * 4));
    if (e.length == 0) e = readTensor(r, m, layerName(l, "feed_forward.w3.weight"), base + <usize>(lay.w3 + L * h * d * 4));
  }
  return e;
}
