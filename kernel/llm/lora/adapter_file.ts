// LoRA adapters as safetensors files: F32 tensors named in the PEFT convention
// (base_model.model.layers.{i}.attention.wq.lora_A.weight [rank][in], ...lora_B.weight
// [out][rank]; feed_forward.w1/w2/w3 for the FFN), `__metadata__` (all strings, as the
// format requires) with rank, alpha, targets, base model and data SHA-256, epochs, final
// loss. The header is padded with spaces to 8 bytes. Reading checks everything before the
// adapter is used: shapes, offsets inside the file, every tensor present, nothing extra,
// finite values, and the base model's SHA-256.
import { FileReader } from "../../fs/file_reader";
import { ModelConfig } from "../config";
import { parseJson, jsonError, JsonValue, JSON_OBJECT, JSON_STRING, JSON_ARRAY, JSON_NUMBER } from "../json";
import { Adapter, TARGET_COUNT, TARGET_NAMES, MAX_RANK, targetModule, targetIn, targetOut, parseTargets, targetsString } from "./adapter";

export const ADAPTER_FORMAT = "sis-lora-1";
const MAX_ADAPTER_HEADER: u64 = 1 << 20;

export class AdapterMeta {
  rank: i32 = 0;
  alpha: f32 = 0;
  targets: i32 = 0;
  baseSha256: string = "";
  dataSha256: string = "";
  epochs: i32 = 0;
  examples: i32 = 0;
  finalLoss: f64 = 0;
  firstLoss: f64 = 0;
  seed: u64 = 0;
  lr: f32 = 0;
}

export function tensorName(layer: i32, t: i32, isA: bool): string {
  return "base_model.model.layers." + layer.toString() + "." + targetModule(t) + "." + TARGET_NAMES[t] +
    (isA ? ".lora_A.weight" : ".lora_B.weight");
}

function q(s: string): string { return "\"" + s + "\""; }

/** The whole file (header + data) as bytes. */
export function serializeAdapter(a: Adapter, m: AdapterMeta): Uint8Array {
  const c = a.config;
  let h = "{\"__metadata__\":{\"format\":" + q(ADAPTER_FORMAT) + ",\"rank\":" + q(a.rank.toString()) +
    ",\"alpha\":" + q(a.alpha.toString()) + ",\"targets\":" + q(targetsString(a.targets)) +
    ",\"base_sha256\":" + q(m.baseSha256) + ",\"data_sha256\":" + q(m.dataSha256) +
    ",\"epochs\":" + q(m.epochs.toString()) + ",\"examples\":" + q(m.examples.toString()) +
    ",\"first_loss\":" + q(m.firstLoss.toString()) + ",\"final_loss\":" + q(m.finalLoss.toString()) +
    ",\"seed\":" + q(m.seed.toString()) + ",\"lr\":" + q(m.lr.toString()) +
    ",\"dim\":" + q(c.dim.toString()) + ",\"n_layers\":" + q(c.layers.toString()) + "}";
  for (let l = 0; l < c.layers; l++) {
    for (let t = 0; t < TARGET_COUNT; t++) {
      if (!a.has(l, t)) continue;
      const i = l * TARGET_COUNT + t;
      const inDim = targetIn(c, t), outDim = targetOut(c, t);
      const oa = <u64>a.offA[i] * 4, ob = <u64>a.offB[i] * 4;
      h += "," + q(tensorName(l, t, true)) + ":{\"dtype\":\"F32\",\"shape\":[" + a.rank.toString() + "," + inDim.toString() +
        "],\"data_offsets\":[" + oa.toString() + "," + (oa + <u64>(a.rank * inDim) * 4).toString() + "]}";
      h += "," + q(tensorName(l, t, false)) + ":{\"dtype\":\"F32\",\"shape\":[" + outDim.toString() + "," + a.rank.toString() +
        "],\"data_offsets\":[" + ob.toString() + "," + (ob + <u64>(outDim * a.rank) * 4).toString() + "]}";
    }
  }
  h += "}";
  while ((String.UTF8.byteLength(h) & 7) != 0) h += " ";
  const hb = String.UTF8.encode(h);
  const hn = hb.byteLength, dn = a.count * 4;
  const out = new Uint8Array(8 + hn + dn);
  store<u64>(out.dataStart, <u64>hn);
  memory.copy(out.dataStart + 8, changetype<usize>(hb), hn);
  memory.copy(out.dataStart + 8 + <usize>hn, a.params, <usize>dn);
  return out;
}

export class AdapterRead {
  adapter: Adapter | null = null;
  meta: AdapterMeta = new AdapterMeta();
  error: string = "";
}

function bad(r: AdapterRead, why: string): AdapterRead { r.error = why; return r; }

function metaString(meta: JsonValue, key: string): string | null {
  const v = meta.get(key);
  return v == null || v.kind != JSON_STRING ? null : v.text;
}

/** Reads and checks an adapter for a model of shape c (the caller compares base_sha256). */
export function readAdapter(f: FileReader, c: ModelConfig): AdapterRead {
  const r = new AdapterRead();
  const size = f.size();
  if (size < 8) return bad(r, "file too short for a safetensors header");
  const lenBuf = memory.data(8);
  if (!f.readFully(0, lenBuf, 8)) return bad(r, "cannot read the header length");
  const n = load<u64>(lenBuf);
  if (n > MAX_ADAPTER_HEADER || n + 8 > size) return bad(r, "header length " + n.toString() + " is impossible for a " + size.toString() + "-byte file");
  const text = new ArrayBuffer(<i32>n);
  if (n > 0 && !f.readFully(8, changetype<usize>(text), n)) return bad(r, "cannot read the header");
  const root = parseJson(changetype<usize>(text), <i32>n);
  if (root == null) return bad(r, "header is not JSON: " + jsonError);
  if (root.kind != JSON_OBJECT) return bad(r, "header is not a JSON object");
  const meta = root.get("__metadata__");
  if (meta == null || meta.kind != JSON_OBJECT) return bad(r, "no __metadata__ (not a LoRA adapter)");
  const fmt = metaString(meta, "format");
  if (fmt == null || fmt != ADAPTER_FORMAT) return bad(r, "__metadata__.format is not " + ADAPTER_FORMAT);
  const rankS = metaString(meta, "rank"), alphaS = metaString(meta, "alpha"), targetsS = metaString(meta, "targets");
  const shaS = metaString(meta, "base_sha256");
  if (rankS == null || alphaS == null || targetsS == null || shaS == null) return bad(r, "__metadata__ lacks rank, alpha, targets or base_sha256");
  const rank = I32.parseInt(rankS);
  if (rank < 1 || rank > MAX_RANK) return bad(r, "rank " + rankS + " out of range 1.." + MAX_RANK.toString());
  const alpha = <f32>parseFloat(alphaS);
  if (!isFinite(alpha) || alpha <= 0 || alpha > 1e4) return bad(r, "alpha " + alphaS + " is not a positive number");
  const mask = parseTargets(targetsS);
  if (mask < 0) return bad(r, "unknown targets " + targetsS);
  const m = r.meta;
  m.rank = rank; m.alpha = alpha; m.targets = mask; m.baseSha256 = shaS;
  const ds = metaString(meta, "data_sha256"); if (ds != null) m.dataSha256 = ds;
  const ep = metaString(meta, "epochs"); if (ep != null) m.epochs = I32.parseInt(ep);
  const ex = metaString(meta, "examples"); if (ex != null) m.examples = I32.parseInt(ex);
  const fl = metaString(meta, "final_loss"); if (fl != null) m.finalLoss = parseFloat(fl);
  const l0 = metaString(meta, "first_loss"); if (l0 != null) m.firstLoss = parseFloat(l0);
  const nl = metaString(meta, "n_layers"), dm = metaString(meta, "dim");
  if (nl != null && I32.parseInt(nl) != c.layers) return bad(r, "adapter is for a model with " + nl + " layers, this one has " + c.layers.toString());
  if (dm != null && I32.parseInt(dm) != c.dim) return bad(r, "adapter is for a model with dim " + dm + ", this one has " + c.dim.toString());
  const dataStart = 8 + n, dataBytes = size - dataStart;
  const a = new Adapter(c, rank, alpha, mask);
  let tensors = 0;
  for (let i = 0; i < root.keys.length; i++) {
    const name = root.keys[i];
    if (name == "__metadata__") continue;
    tensors++;
    // which (layer, target, A/B) is it?
    let found = false;
    for (let l = 0; l < c.layers && !found; l++) {
      for (let t = 0; t < TARGET_COUNT && !found; t++) {
        if (!a.has(l, t)) continue;
        for (let k = 0; k < 2 && !found; k++) {
          if (tensorName(l, t, k == 0) != name) continue;
          found = true;
          const rows = k == 0 ? rank : targetOut(c, t), cols = k == 0 ? targetIn(c, t) : rank;
          const e = readTensor(f, root.items[i], name, rows, cols, dataStart, dataBytes, k == 0 ? a.a(l, t) : a.b(l, t));
          if (e.length > 0) { a.free(); return bad(r, e); }
        }
      }
    }
    if (!found) { a.free(); return bad(r, "unexpected tensor " + name + " (not a " + targetsS + " adapter of this model's shape)"); }
  }
  let expected = 0;
  for (let l = 0; l < c.layers; l++) for (let t = 0; t < TARGET_COUNT; t++) if (a.has(l, t)) expected += 2;
  if (tensors != expected) { a.free(); return bad(r, "has " + tensors.toString() + " tensors, expected " + expected.toString()); }
  for (let i = 0; i < a.count; i++) {
    if ((load<u32>(a.params + (<usize>i << 2)) & 0x7f800000) == 0x7f800000) { a.free(); return bad(r, "value " + i.toString() + " is NaN or infinite"); }
  }
  r.adapter = a;
  return r;
}

function readTensor(f: FileReader, v: JsonValue, name: string, rows: i32, cols: i32, dataStart: u64, dataBytes: u64, dst: usize): string {
  if (v.kind != JSON_OBJECT) return "tensor " + name + " is not an object";
  const dt = v.get("dtype"), shape = v.get("shape"), offs = v.get("data_offsets");
  if (dt == null || dt.kind != JSON_STRING || dt.text != "F32") return "tensor " + name + ": dtype must be F32";
  if (shape == null || shape.kind != JSON_ARRAY || shape.items.length != 2) return "tensor " + name + ": shape must be [" + rows.toString() + ", " + cols.toString() + "]";
  const s0 = shape.items[0], s1 = shape.items[1];
  if (s0.kind != JSON_NUMBER || s1.kind != JSON_NUMBER || s0.integer != <i64>rows || s1.integer != <i64>cols)
    return "tensor " + name + ": shape must be [" + rows.toString() + ", " + cols.toString() + "]";
  if (offs == null || offs.kind != JSON_ARRAY || offs.items.length != 2) return "tensor " + name + ": bad data_offsets";
  const b = offs.items[0], e = offs.items[1];
  if (b.kind != JSON_NUMBER || e.kind != JSON_NUMBER || !b.isInteger || !e.isInteger || b.integer < 0) return "tensor " + name + ": bad data_offsets";
  const bytes = <u64>rows * <u64>cols * 4;
  if (<u64>(e.integer - b.integer) != bytes || e.integer < b.integer) return "tensor " + name + ": data_offsets do not match its shape";
  if (<u64>e.integer > dataBytes) return "tensor " + name + ": data runs past the end of the file";
  if (!f.readFully(dataStart + <u64>b.integer, dst, bytes)) return "tensor " + name + ": cannot read its data";
  return "";
}
