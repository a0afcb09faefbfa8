// One question to the domain model: check the question, build the prompt from a state line,
// generate greedily until the answer's line ends, and split the text into the answer and
// the suggested command. The confidence is the product of the model's probabilities of the
// tokens it wrote after "Suggested command:" (the command, or "none").
import { LoadedModel } from "../engine";
import { Generation } from "../generate";
import { Tokenizer } from "../tokenizer";
import { promptText } from "./state";
import { slotValues, fillSlots } from "./slots";
import { checkpoint } from "../../sched/checkpoint";
import { nowTicks, ticksToUs } from "../../platform/time";
import { recordLlmLatency } from "../../ai/impact/latency";

export const MAX_QUESTION_CHARS: i32 = 300;
export const MAX_ANSWER_TOKENS: i32 = 56;
export const MARKER = "Suggested command:";
/** Pieces the domain tokenizer has as single tokens; a vocabulary without them does not fit. */
const REQUIRED_PIECES: string[] = [" mem", " frag", " oom", " sched", " Suggested", " command:"];

export class InferResult {
  question: string = "";
  /** The question was cut to fit the context. */
  truncated: bool = false;
  /** What the model wrote (slots unfilled). */
  text: string = "";
  /** The answer with the state's numbers in its slots. */
  answer: string = "";
  /** The suggested command; "" when the model said none (see hasMarker). */
  command: string = "";
  hasMarker: bool = false;
  confidence: f64 = 0;
  promptTokens: i32 = 0;
  generatedTokens: i32 = 0;
  latencyUs: u64 = 0;
  interrupted: bool = false;
  error: string = "";
}

/** "" or why the question cannot be asked (one line). */
export function questionError(q: string): string {
  let printable = 0;
  for (let i = 0; i < q.length; i++) {
    const c = q.charCodeAt(i);
    if (c >= 128) return "the question has non-ASCII characters (position " + (i + 1).toString() + "): the domain model reads ASCII only";
    if (c < 32 && c != 9) return "the question has a control character (position " + (i + 1).toString() + ")";
    if (c != 32 && c != 9) printable++;
  }
  if (printable == 0) return "empty question: ask something, e.g. llmctl infer \"how much memory is free?\"";
  return "";
}

function singlePiece(tk: Tokenizer, piece: string): bool {
  const b = String.UTF8.encode(piece);
  return tk.lookup(changetype<usize>(b), b.byteLength) >= 0;
}

/** "" or why the loaded model cannot answer questions. */
export function modelError(lm: LoadedModel | null): string {
  if (lm == null) return "no model loaded (llmctl load /models/sis-qa.bin --tokenizer /models/sis-qa.tok)";
  const tk = lm.tokenizer;
  if (tk == null) return "the loaded model has no tokenizer (llmctl load /models/sis-qa.bin --tokenizer /models/sis-qa.tok)";
  for (let i = 0; i < REQUIRED_PIECES.length; i++) {
    if (!singlePiece(tk, REQUIRED_PIECES[i])) {
      return "the loaded model's vocabulary does not fit the prompt (no piece '" + REQUIRED_PIECES[i].trim() +
        "'): load the domain model: llmctl load /models/sis-qa.bin --tokenizer /models/sis-qa.tok";
    }
  }
  return "";
}

function decodeText(tk: Tokenizer, previous: i32, token: i32): string {
  const b = tk.decode(previous, token);
  return String.UTF8.decodeUnsafe(b.dataStart, b.length);
}

/** Probability of the greedy choice under softmax(logits). */
function topProbability(logits: usize, vocab: i32): f64 {
  let best: f32 = load<f32>(logits);
  for (let i = 1; i < vocab; i++) { const v = load<f32>(logits + (<usize>i << 2)); if (v > best) best = v; }
  let sum: f64 = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(<f64>(load<f32>(logits + (<usize>i << 2)) - best));
  return 1.0 / sum;
}

/** Asks the loaded model; `state` is a state line (state.ts). Errors come back in `error`. */
export function infer(lm: LoadedModel, state: string, question: string): InferResult {
  const r = new InferResult();
  const t0 = nowTicks();
  let q = question.trim();
  if (q.length > MAX_QUESTION_CHARS) { q = q.substring(0, MAX_QUESTION_CHARS); r.truncated = true; }
  const tk = lm.tokenizer!;
  const seq = lm.model.config.seqLen;
  let prompt = tk.encode(promptText(state, q), true);
  // cut the question word by word until the prompt and an answer fit the context
  while (prompt.length + MAX_ANSWER_TOKENS > seq) {
    const cut = q.lastIndexOf(" ");
    if (cut <= 0) { r.error = "the state line alone (" + prompt.length.toString() + " tokens) does not leave room for an answer in the " + seq.toString() + "-token context"; return r; }
    q = q.substring(0, cut);
    r.truncated = true;
    prompt = tk.encode(promptText(state, q), true);
  }
  r.question = q;
  r.promptTokens = prompt.length;
  const g = new Generation(lm, prompt, MAX_ANSWER_TOKENS, 0, 0.9, 1);
  if (!g.start()) { r.error = g.error; g.release(); return r; }
  let text = "";
  let markerAt = -1;
  let conf: f64 = 1;
  while (true) {
    if (checkpoint()) { r.interrupted = true; break; }
    const p = topProbability(lm.model.logits, lm.model.config.vocab);
    const prev = g.previous;
    const t = g.step();
    if (t < 0) break;
    g.previous = t;
    if (markerAt >= 0) conf *= p;
    text += decodeText(tk, prev, t);
    if (markerAt < 0) { const m = text.indexOf(MARKER); if (m >= 0) markerAt = m; }
    if (text.indexOf("\n") >= 0) break;
  }
  g.finish();
  g.release();
  r.generatedTokens = g.generated.length;
  const nl = text.indexOf("\n");
  if (nl >= 0) text = text.substring(0, nl);
  r.text = text.trim();
  const m = r.text.indexOf(MARKER);
  if (m >= 0) {
    r.hasMarker = true;
    r.answer = fillSlots(r.text.substring(0, m).trim(), slotValues(state));
    const c = r.text.substring(m + MARKER.length).trim();
    r.command = c == "none" ? "" : c;
    r.confidence = conf;
  } else {
    r.answer = fillSlots(r.text, slotValues(state));
  }
  r.latencyUs = ticksToUs(nowTicks() - t0);
  recordLlmLatency(nowTicks() - t0); // autoctl ai-metrics: the LLM's inference latency
  return r;
}
