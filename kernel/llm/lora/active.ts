// The active adapter: applied to the loaded model by adding (alpha / rank) B A into each
// targeted weight matrix, so every user of the model's forward pass (generate, infer, eval)
// runs the adapted model at the base model's speed with no change to model.ts. The original
// matrices are kept (heap copies) so unloading restores them bit for bit. One adapter at a
// time; loading or unloading the model drops it.
import { LoadedModel, loadedModel } from "../engine";
import { Model } from "../model";
import { Adapter, TARGET_COUNT, T_WQ, T_WK, T_WV, T_WO, T_W1, T_W2, T_W3, targetIn, targetOut } from "./adapter";
import { AdapterMeta } from "./adapter_file";

export class ActiveAdapter {
  name: string;
  path: string;
  lm: LoadedModel;
  adapter: Adapter;
  meta: AdapterMeta;
  /** Original matrices of the targeted (layer, target), or 0. */
  saved: StaticArray<usize>;
  constructor(name: string, path: string, lm: LoadedModel, adapter: Adapter, meta: AdapterMeta) {
    this.name = name; this.path = path; this.lm = lm; this.adapter = adapter; this.meta = meta;
    this.saved = new StaticArray<usize>(lm.model.config.layers * TARGET_COUNT);
  }
}

let active: ActiveAdapter | null = null;

/** The active adapter, or null (also when the model it was applied to is gone). */
export function activeAdapter(): ActiveAdapter | null {
  const a = active;
  if (a == null) return null;
  if (loadedModel() !== a.lm) { // the model was unloaded or replaced: its weights are gone
    for (let i = 0; i < a.saved.length; i++) if (a.saved[i] != 0) heap.free(a.saved[i]);
    a.adapter.free();
    active = null;
    return null;
  }
  return a;
}

/** Address of weight matrix t of layer l in the model's region. */
export function weightMatrix(m: Model, l: i32, t: i32): usize {
  const c = m.config;
  const L = <usize>l, D = <usize>c.dim << 2;
  if (t == T_WQ) return m.wq + L * D * <usize>c.dim;
  if (t == T_WK) return m.wk + L * D * <usize>c.kvDim;
  if (t == T_WV) return m.wv + L * D * <usize>c.kvDim;
  if (t == T_WO) return m.wo + L * D * <usize>c.dim;
  if (t == T_W1) return m.w1 + L * D * <usize>c.hidden;
  if (t == T_W3) return m.w3 + L * D * <usize>c.hidden;
  return m.w2 + L * (<usize>c.hidden << 2) * <usize>c.dim; // T_W2
}

/** W += scale B A for every targeted matrix (B [out][r], A [r][in]). */
export function addAdapterInto(m: Model, a: Adapter): void {
  const c = m.config, r = a.rank;
  for (let l = 0; l < c.layers; l++) {
    for (let t = 0; t < TARGET_COUNT; t++) {
      if (!a.has(l, t)) continue;
      const w = weightMatrix(m, l, t), A = a.a(l, t), B = a.b(l, t);
      const inDim = targetIn(c, t), outDim = targetOut(c, t);
      for (let o = 0; o < outDim; o++) {
        const row = w + (<usize>(o * inDim) << 2);
        for (let k = 0; k < r; k++) {
          const g = a.scale * load<f32>(B + (<usize>(o * r + k) << 2));
          const ar = A + (<usize>(k * inDim) << 2);
          for (let j = 0; j < inDim; j++) { const p = row + (<usize>j << 2); store<f32>(p, load<f32>(p) + g * load<f32>(ar + (<usize>j << 2))); }
        }
      }
    }
  }
}

/** Applies `a` to the loaded model (replacing an active adapter); takes ownership of it. */
export function activate(name: string, path: string, lm: LoadedModel, a: Adapter, meta: AdapterMeta): void {
  deactivate();
  const act = new ActiveAdapter(name, path, lm, a, meta);
  const c = lm.model.config;
  for (let l = 0; l < c.layers; l++) {
    for (let t = 0; t < TARGET_COUNT; t++) {
      if (!a.has(l, t)) continue;
      const bytes = <usize>(targetIn(c, t) * targetOut(c, t)) << 2;
      const copy = heap.alloc(bytes);
      memory.copy(copy, weightMatrix(lm.model, l, t), bytes);
      act.saved[l * TARGET_COUNT + t] = copy;
    }
  }
  addAdapterInto(lm.model, a);
  active = act;
}

/** Restores the base weights; false when no adapter was active. */
export function deactivate(): bool {
  const a = activeAdapter();
  if (a == null) return false;
  const c = a.lm.model.config;
  for (let l = 0; l < c.layers; l++) {
    for (let t = 0; t < TARGET_COUNT; t++) {
      const s = a.saved[l * TARGET_COUNT + t];
      if (s == 0) continue;
      memory.copy(weightMatrix(a.lm.model, l, t), s, <usize>(targetIn(c, t) * targetOut(c, t)) << 2);
      heap.free(s);
    }
  }
  a.adapter.free();
  active = null;
  return true;
}

/**
 * Makes the active adapter part of the loaded model (PEFT's merge_and_unload): the weights
 * keep W + scale B A, the originals are dropped. The model no longer matches its file, so
 * `mergedInto` marks it and later adapters for the file's base are refused.
 */
export function mergeActive(): bool {
  const a = activeAdapter();
  if (a == null) return false;
  for (let i = 0; i < a.saved.length; i++) if (a.saved[i] != 0) heap.free(a.saved[i]);
  mergedModel = a.lm;
  mergedName = a.name;
  a.adapter.free();
  active = null;
  return true;
}

let mergedModel: LoadedModel | null = null;
let mergedName: string = "";
/** Name of the adapter merged into the loaded model, or "" (the weights are the file's). */
export function mergedAdapterName(): string { return mergedModel != null && mergedModel === loadedModel() ? mergedName : ""; }
