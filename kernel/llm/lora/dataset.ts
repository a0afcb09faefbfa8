// The fine-tuning data set: `{"examples": [{"prompt": "...", "completion": "..."}, ...]}`
// (JSON, UTF-8) tokenized for training. Each example becomes BOS + encode(prompt) followed by
// encode(completion) (the tokenizer's dummy prefix makes it " completion") and BOS, the
// end marker generate.ts stops at (run.c's rule). The loss covers the completion and the
// end marker only. An example longer than the training length is cut at that length (and
// counted); one whose completion would start past it is dropped (and counted).
import { parseJson, jsonError, jsonErrorAt, JSON_ARRAY, JSON_OBJECT, JSON_STRING } from "../json";
import { Tokenizer, BOS } from "../tokenizer";
import { Sha256 } from "../../lib/sha256";

/** Longest sequence trained on (the workspace grows with its square through attention). */
export const MAX_TRAIN_TOKENS: i32 = 256;
export const MAX_DATA_BYTES: i32 = 4 << 20;

export class TrainExample {
  /** BOS, prompt, completion, BOS (possibly cut). */
  tokens: Array<i32> = new Array<i32>();
  /** Index of the first token the loss scores (the first completion token). */
  first: i32 = 0;
  prompt: string = "";
  completion: string = "";
  /** Optional: text the answer must contain to count as correct in `llmctl eval` (else the whole completion). */
  expect: string = "";
  /** Cut to the training length. */
  cut: bool = false;
}

export class Dataset {
  examples: Array<TrainExample> = new Array<TrainExample>();
  truncated: i32 = 0;
  dropped: i32 = 0;
  /** Longest example after cutting (sizes the training workspace). */
  longest: i32 = 0;
  sha256: string = "";
  error: string = "";
}

/** "line L, column C" of byte offset `at` (1-based, columns in bytes). */
export function lineColumn(p: usize, n: i32, at: i32): string {
  let line = 1, col = 1;
  for (let i = 0; i < at && i < n; i++) {
    if (load<u8>(p + <usize>i) == 10) { line++; col = 1; } else col++;
  }
  return "line " + line.toString() + ", column " + col.toString();
}

function failed(d: Dataset, why: string): Dataset { d.error = why; return d; }

/** Parses and tokenizes n bytes at p; `maxTokens` is the training length (<= seq_len). */
export function parseDataset(p: usize, n: i32, tok: Tokenizer, maxTokens: i32): Dataset {
  const d = new Dataset();
  if (n > MAX_DATA_BYTES) return failed(d, "data set is " + n.toString() + " bytes, more than " + MAX_DATA_BYTES.toString());
  const h = new Sha256();
  h.update(p, <usize>n);
  d.sha256 = h.digestHex();
  const root = parseJson(p, n);
  if (root == null) {
    const msg = jsonError.indexOf(" at byte ") >= 0 ? jsonError.substring(0, jsonError.indexOf(" at byte ")) : jsonError;
    return failed(d, "malformed JSON at " + lineColumn(p, n, jsonErrorAt) + ": " + msg);
  }
  if (root.kind != JSON_OBJECT) return failed(d, "expected an object {\"examples\": [...]}");
  const list = root.get("examples");
  if (list == null) return failed(d, "missing field \"examples\"");
  if (list.kind != JSON_ARRAY) return failed(d, "\"examples\" is not an array");
  if (list.items.length == 0) return failed(d, "the data set is empty (no examples)");
  for (let i = 0; i < list.items.length; i++) {
    const e = list.items[i];
    const where = "example " + i.toString();
    if (e.kind != JSON_OBJECT) return failed(d, where + " is not an object");
    const pr = e.get("prompt"), co = e.get("completion");
    if (pr == null) return failed(d, where + ": missing field \"prompt\"");
    if (co == null) return failed(d, where + ": missing field \"completion\"");
    if (pr.kind != JSON_STRING || co.kind != JSON_STRING) return failed(d, where + ": \"prompt\" and \"completion\" must be strings");
    if (co.text.length == 0) return failed(d, where + ": empty completion (nothing to learn)");
    const ex = tokenize(tok, pr.text, co.text, maxTokens);
    if (ex == null) { d.dropped++; continue; }
    if (ex.tokens.length < ex.first + 1) { d.dropped++; continue; }
    if (ex.cut) d.truncated++;
    ex.prompt = pr.text;
    ex.completion = co.text;
    const xp = e.get("expect");
    if (xp != null && xp.kind == JSON_STRING) ex.expect = xp.text;
    if (ex.tokens.length > d.longest) d.longest = ex.tokens.length;
    d.examples.push(ex);
  }
  if (d.examples.length == 0) return failed(d, "no example fits in " + maxTokens.toString() + " tokens (" + d.dropped.toString() + " dropped)");
  return d;
}

/** Tokens of one example, cut to maxTokens; null when the completion would not start inside. */
export function tokenize(tok: Tokenizer, prompt: string, completion: string, maxTokens: i32): TrainExample | null {
  const ex = new TrainExample();
  const pt = tok.encode(prompt, true);
  const ct = tok.encode(completion, false);
  ex.first = pt.length;
  if (ex.first + 1 > maxTokens) return null;
  for (let i = 0; i < pt.length; i++) ex.tokens.push(pt[i]);
  for (let i = 0; i < ct.length; i++) ex.tokens.push(ct[i]);
  ex.tokens.push(BOS);
  if (ex.tokens.length > maxTokens) { ex.tokens.length = maxTokens; ex.cut = true; }
  return ex;
}

/** Prompt tokens (BOS first) for generation, as training saw them. */
export function promptTokens(tok: Tokenizer, prompt: string): Array<i32> { return tok.encode(prompt, true); }
