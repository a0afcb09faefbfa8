// Saving and loading the learned OOM model as a text file, through two seams the VFS
// connects once a writable file system is mounted:
//   writing  kernel/ai/export_sink.ts setFileWriter() (shared with `tracectl export`)
//   reading  setModelFileReader() here
// Until then save and load refuse with "no writable file system" / "no file system".
//
// The format (one field per line, numbers as decimal text that parse back to the same f64):
//
//   sis-oom-model 3            (version 3: 21 features; version 1 (9) and 2 (14 features) are refused)
//   inputs 21
//   hidden 8
//   version <n>
//   trained-seeds <first> <count>
//   examples <rows> <positives>
//   mean <21 numbers>
//   scale <21 numbers>
//   params <185 numbers: W1 row-major, b1, w2, b2 (model.ts)>
//
// parseModel() checks every field (magic, sizes, counts, finite numbers, scale > 0) and
// changes the model only when the whole file is valid.
import { OomModel, INPUTS, HIDDEN, PARAM_COUNT } from "./model";
import { writeFile, hasFileWriter } from "../export_sink";
import { ENODEV, ENOENT } from "../../lib/errors";

export const MODEL_MAGIC: string = "sis-oom-model 3";
export const DEFAULT_MODEL_PATH: string = "/models/oom-model.txt";

/** Returns the file's text, or null when it cannot be read. */
export type FileReader = (path: string) => string | null;

let reader: FileReader | null = null;

export function setModelFileReader(r: FileReader | null): void {
  reader = r;
}

export function hasModelFileReader(): bool {
  return reader != null;
}

function numbers(name: string, values: StaticArray<f64>): string {
  let s = name;
  for (let i = 0; i < values.length; i++) s += " " + values[i].toString();
  return s;
}

export function serializeModel(m: OomModel): string {
  return MODEL_MAGIC + "\n" +
    "inputs " + INPUTS.toString() + "\n" +
    "hidden " + HIDDEN.toString() + "\n" +
    "version " + m.version.toString() + "\n" +
    "trained-seeds " + m.trainedSeedStart.toString() + " " + m.trainedSeedCount.toString() + "\n" +
    "examples " + m.trainedExamples.toString() + " " + m.trainedPositives.toString() + "\n" +
    numbers("mean", m.mean) + "\n" +
    numbers("scale", m.scale) + "\n" +
    numbers("params", m.params) + "\n";
}

function parseCount(s: string): i64 {
  if (s.length == 0 || s.length > 18) return -1;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

function isNumberText(s: string): bool {
  if (s.length == 0 || s.length > 40) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46 || c == 101 || c == 69)) return false;
  }
  return true;
}

/** Fields of line `line` after its name; null when the name differs or the count is wrong. */
function fields(line: string, name: string, count: i32): Array<string> | null {
  const parts = line.trim().split(" ");
  if (parts.length != count + 1 || parts[0] != name) return null;
  return parts.slice(1);
}

function readNumbers(line: string, name: string, out: StaticArray<f64>): bool {
  const f = fields(line, name, out.length);
  if (f == null) return false;
  for (let i = 0; i < out.length; i++) {
    if (!isNumberText(f[i])) return false;
    const v = parseFloat(f[i]);
    if (!isFinite(v)) return false;
    out[i] = v;
  }
  return true;
}

/** Parses `text` into `m`; returns "" or what is wrong (then `m` is unchanged). */
export function parseModel(text: string, m: OomModel): string {
  const lines = text.split("\n");
  if (lines.length < 9 || lines[0].trim() != MODEL_MAGIC) return "not an OOM model file (first line must be '" + MODEL_MAGIC + "')";
  const inputs = fields(lines[1], "inputs", 1);
  const hidden = fields(lines[2], "hidden", 1);
  if (inputs == null || hidden == null || parseCount(inputs[0]) != <i64>INPUTS || parseCount(hidden[0]) != <i64>HIDDEN) {
    return "the file is for another network shape (this kernel: inputs " + INPUTS.toString() + ", hidden " + HIDDEN.toString() + ")";
  }
  const version = fields(lines[3], "version", 1);
  const seeds = fields(lines[4], "trained-seeds", 2);
  const examples = fields(lines[5], "examples", 2);
  if (version == null || seeds == null || examples == null) return "bad header (version, trained-seeds, examples)";
  const v = parseCount(version[0]);
  const first = parseCount(seeds[0]);
  const count = parseCount(seeds[1]);
  const rows = parseCount(examples[0]);
  const positives = parseCount(examples[1]);
  if (v < 0 || v > 0xffffffff || first < 0 || count < 0 || rows < 0 || positives < 0 || positives > rows) {
    return "bad header numbers";
  }
  const mean = new StaticArray<f64>(INPUTS);
  const scale = new StaticArray<f64>(INPUTS);
  const params = new StaticArray<f64>(PARAM_COUNT);
  if (!readNumbers(lines[6], "mean", mean)) return "bad 'mean' line (" + INPUTS.toString() + " numbers expected)";
  if (!readNumbers(lines[7], "scale", scale)) return "bad 'scale' line (" + INPUTS.toString() + " numbers expected)";
  for (let i = 0; i < INPUTS; i++) if (!(scale[i] > 0)) return "bad 'scale' line (every scale must be > 0)";
  if (!readNumbers(lines[8], "params", params)) return "bad 'params' line (" + PARAM_COUNT.toString() + " numbers expected)";
  for (let i = 0; i < INPUTS; i++) {
    m.mean[i] = mean[i];
    m.scale[i] = scale[i];
  }
  for (let i = 0; i < PARAM_COUNT; i++) m.params[i] = params[i];
  m.version = <u32>v;
  m.trainedSeedStart = <u64>first;
  m.trainedSeedCount = <u64>count;
  m.trainedExamples = <u64>rows;
  m.trainedPositives = <u64>positives;
  m.epochLoss = new Array<f64>(0);
  m.trained = true;
  return "";
}

/** Writes the model to `path`; bytes written or a negative error (-ENODEV: no writable file system). */
export function saveModel(m: OomModel, path: string): i32 {
  if (!hasFileWriter()) return -ENODEV;
  return writeFile(path, serializeModel(m));
}

/** Result of loadModel: error code (0 = loaded) and, for a bad file, what is wrong. */
export class LoadResult {
  code: i32 = 0;
  problem: string = "";
}

export function loadModel(m: OomModel, path: string): LoadResult {
  const r = new LoadResult();
  if (reader == null) {
    r.code = -ENODEV;
    return r;
  }
  const text = reader!(path);
  if (text == null) {
    r.code = -ENOENT;
    return r;
  }
  r.problem = parseModel(<string>text, m);
  return r;
}
