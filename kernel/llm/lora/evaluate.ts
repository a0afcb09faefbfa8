// Held-out accuracy of the loaded model (with or without the active adapter): for each
// example, greedy generation after the prompt, up to the completion's length plus 8 tokens
// (or a sampled BOS, the end marker training taught), and a recorded outcome: correct when
// the generated text, trimmed, equals the completion (trimmed), or contains the example's
// `expect` text when it has one (questions whose answers quote live numbers).
import { LoadedModel } from "../engine";
import { Generation } from "../generate";
import { Dataset } from "./dataset";
import { checkpoint } from "../../sched/checkpoint";

export class EvalResult {
  correct: i32 = 0;
  total: i32 = 0;
  interrupted: bool = false;
  /** Generated answers (for --json and debugging). */
  answers: Array<string> = new Array<string>();
  outcomes: Array<bool> = new Array<bool>();
  percent(): f64 { return this.total == 0 ? 0 : <f64>this.correct * 100.0 / <f64>this.total; }
}

/** The greedy answer to one tokenized prompt (text decoded from the generated tokens). */
export function answer(lm: LoadedModel, promptTokens: Array<i32>, maxTokens: i32): string {
  const g = new Generation(lm, promptTokens, maxTokens, 0, 0.9, 1);
  if (!g.start()) { g.release(); return ""; }
  while (g.step() >= 0) {}
  g.release();
  const tok = lm.tokenizer!;
  let out = "";
  let prev = promptTokens[promptTokens.length - 1];
  for (let i = 0; i < g.generated.length; i++) {
    const b = tok.decode(prev, g.generated[i]);
    out += String.UTF8.decode(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    prev = g.generated[i];
  }
  return out;
}

export function evaluate(lm: LoadedModel, d: Dataset): EvalResult {
  const r = new EvalResult();
  for (let i = 0; i < d.examples.length; i++) {
    if (checkpoint()) { r.interrupted = true; break; }
    const ex = d.examples[i];
    const prompt = ex.tokens.slice(0, ex.first);
    const budget = ex.tokens.length - ex.first + 8;
    const text = answer(lm, prompt, budget);
    const got = text.trim();
    const ok = ex.expect.length > 0 ? got.indexOf(ex.expect) >= 0 : got == ex.completion.trim();
    r.answers.push(got);
    r.outcomes.push(ok);
    r.total++;
    if (ok) r.correct++;
  }
  return r;
}
