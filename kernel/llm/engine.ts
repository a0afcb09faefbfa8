// The loaded language model: one at a time, its weights, KV cache and scratch in one
// contiguous region of pages from kernel/mm (never the AssemblyScript heap).
//
// load: parse and check the header (and the tokenizer) -> compute the region -> refuse with
// an error if it does not fit in free memory -> allocate -> read weights -> reject NaN/inf.
// Any failure frees what it took, and the model loaded before stays loaded and usable; only
// a load that succeeded replaces (and frees) it.
import { FileReader } from "../fs/file_reader";
import { ModelConfig, Layout } from "./config";
import { readCheckpointHeader, readCheckpointWeights } from "./checkpoint";
import { readQ8Weights, interleaveQ8 } from "./q8";
import { looksLikeSafetensors, readSafetensorsHeader, readSafetensorsWeights, SafetensorsModel } from "./safetensors";
import { Tokenizer, readTokenizer, tokenizerError } from "./tokenizer";
import { Model } from "./model";
import { allocContiguousPages, freeContiguousPages, contiguousPagesAvailable, contiguousFootprintPages, largestContiguousFreePages } from "../mm/contiguous";
import { freePagesNow } from "../mm/pages";
import { nowTicks, ticksToUs } from "../platform/time";

export class LoadedModel {
  model: Model;
  tokenizer: Tokenizer | null;
  path: string = "";
  tokenizerPath: string = "";
  format: string = "";
  fileBytes: u64 = 0;
  loadUs: u64 = 0;
  // last generation
  lastTokens: i32 = 0;
  lastDecodeUs: u64 = 0;
  lastPromptTokens: i32 = 0;
  lastPromptUs: u64 = 0;
  constructor(model: Model, tokenizer: Tokenizer | null) { this.model = model; this.tokenizer = tokenizer; }
}

let current: LoadedModel | null = null;

export function loadedModel(): LoadedModel | null { return current; }

function mib(bytes: u64): string {
  const tenths = (bytes * 10 + (1 << 19)) >> 20;
  return (tenths / 10).toString() + "." + (tenths % 10).toString() + " MiB";
}

/** Loads a model (and optionally its tokenizer); "" on success, else a one-line reason. */
export function loadModel(r: FileReader, path: string, tr: FileReader | null, tokenizerPath: string): string {
  const t0 = nowTicks();
  let config: ModelConfig;
  let st: SafetensorsModel | null = null;
  let format: string;
  if (looksLikeSafetensors(r)) {
    const m = readSafetensorsHeader(r);
    if (m.error.length > 0) return path + ": safetensors: " + m.error;
    st = m;
    config = m.config;
    format = "safetensors " + m.dtypes;
  } else {
    const h = readCheckpointHeader(r);
    if (h.error.length > 0) return path + ": llama2.c checkpoint: " + h.error;
    config = h.config;
    format = config.groupSize > 0 ? "llama2.c int8 Q8_0 (group " + config.groupSize.toString() + ")" : "llama2.c f32";
  }
  let tokenizer: Tokenizer | null = null;
  if (tr != null) {
    tokenizer = readTokenizer(tr, config.vocab);
    if (tokenizer == null) return tokenizerPath + ": " + tokenizerError;
  }
  const layout = new Layout(config);
  const pages64 = (layout.total + 4095) >> 12;
  if (pages64 > 0xffffffff) return path + ": model needs " + mib(layout.total) + ", more than any machine here";
  const pages = <u32>pages64;
  if (!contiguousPagesAvailable(pages)) {
    return path + ": model needs " + mib(layout.total) + " (weights " + mib(layout.weightsEnd) + ", KV cache " +
      mib(layout.valueCache - layout.keyCache + (layout.x - layout.valueCache)) + ") in one contiguous run; largest free run is " +
      mib(<u64>largestContiguousFreePages() << 12) + " (" + mib(<u64>freePagesNow() << 12) + " free)";
  }
  const base = allocContiguousPages(pages);
  if (base == 0) return path + ": could not allocate " + mib(layout.total);
  const e = st != null ? readSafetensorsWeights(r, st, layout, base)
    : config.groupSize > 0 ? readQ8Weights(r, config, layout, base) : readCheckpointWeights(r, config, layout, base);
  if (e.length > 0) { freeContiguousPages(base, pages); return path + ": " + e; }
  const model = new Model(base, pages, config, layout);
  const bad = model.firstNonFiniteWeight();
  if (bad >= 0) {
    freeContiguousPages(base, pages);
    return path + ": weight " + bad.toString() + (config.groupSize > 0 ? " (of the f32 embedding, norms and scales)" : "") + " is NaN or infinite";
  }
  if (config.groupSize > 0) interleaveQ8(config, layout, base, base + <usize>layout.x);
  if (current != null) unloadModel();
  const lm = new LoadedModel(model, tokenizer);
  lm.path = path;
  lm.tokenizerPath = tokenizerPath;
  lm.format = format;
  lm.fileBytes = r.size();
  lm.loadUs = ticksToUs(nowTicks() - t0);
  current = lm;
  return "";
}

/** Frees the loaded model's pages; false when none was loaded. */
export function unloadModel(): bool {
  const lm = current;
  if (lm == null) return false;
  freeContiguousPages(lm.model.base, lm.model.pages);
  current = null;
  return true;
}

/** Bytes of pages the loaded model holds (its footprint in the allocator). */
export function modelMemoryBytes(lm: LoadedModel): u64 {
  return <u64>contiguousFootprintPages(lm.model.pages) << 12;
}
