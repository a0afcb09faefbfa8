// One generation: encode the prompt (BOS first), run it through the model in batches of
// BATCH tokens, then sample one token at a time, feeding each back at the next position.
// Stops after maxTokens, at the end of the context (seq_len), or when BOS is sampled (the
// rule of run.c: the training data separates documents with BOS). The caller drives it one
// step at a time, so it can print as it goes and stop on Ctrl-C.
import { LoadedModel } from "./engine";
import { BATCH } from "./config";
import { BOS } from "./tokenizer";
import { Sampler } from "./sampler";
import { nowTicks, ticksToUs } from "../platform/time";

export class Generation {
  lm: LoadedModel;
  sampler: Sampler;
  prompt: Array<i32>;
  generated: Array<i32> = new Array<i32>();
  pos: i32 = 0;
  previous: i32 = BOS;
  done: bool = false;
  error: string = "";
  promptUs: u64 = 0;
  decodeUs: u64 = 0;
  private tokenBuf: usize = heap.alloc(<usize>BATCH << 2);

  constructor(lm: LoadedModel, prompt: Array<i32>, public maxTokens: i32, temperature: f32, topp: f32, seed: u64) {
    this.lm = lm;
    this.prompt = prompt;
    const m = lm.model;
    this.sampler = new Sampler(m.config.vocab, temperature, topp, seed, m.pairs);
  }

  /** Runs the prompt; false (with `error`) when it does not fit in the context. */
  start(): bool {
    const m = this.lm.model;
    const n = this.prompt.length;
    if (n == 0) { this.error = "empty prompt (BOS is always first)"; this.done = true; return false; }
    if (n > m.config.seqLen) {
      this.error = "prompt is " + n.toString() + " tokens, the context is " + m.config.seqLen.toString();
      this.done = true;
      return false;
    }
    for (let i = 0; i < n; i++) {
      const t = this.prompt[i];
      if (t < 0 || t >= m.config.vocab) { this.error = "token id " + t.toString() + " out of range"; this.done = true; return false; }
    }
    const t0 = nowTicks();
    let at = 0;
    while (at < n) {
      const count = n - at < <i32>BATCH ? n - at : <i32>BATCH;
      for (let i = 0; i < count; i++) store<i32>(this.tokenBuf + (<usize>i << 2), this.prompt[at + i]);
      m.forward(this.tokenBuf, count, at);
      at += count;
    }
    this.pos = n;
    this.previous = this.prompt[n - 1];
    this.promptUs = ticksToUs(nowTicks() - t0);
    if (this.maxTokens <= 0) this.done = true;
    return true;
  }

  /** The next token, or -1 when generation is over. */
  step(): i32 {
    if (this.done) return -1;
    const m = this.lm.model;
    const t0 = nowTicks();
    const tok = this.sampler.sample(m.logits);
    if (tok == BOS) { this.done = true; this.decodeUs += ticksToUs(nowTicks() - t0); return -1; }
    this.generated.push(tok);
    if (this.generated.length >= this.maxTokens || this.pos >= m.config.seqLen) {
      this.done = true;
    } else {
      store<i32>(this.tokenBuf, tok);
      m.forward(this.tokenBuf, 1, this.pos);
      this.pos++;
    }
    this.decodeUs += ticksToUs(nowTicks() - t0);
    return tok;
  }

  /** Ends the generation (Ctrl-C) and records its speed on the model. */
  finish(): void {
    this.done = true;
    this.lm.lastTokens = this.generated.length;
    this.lm.lastDecodeUs = this.decodeUs;
    this.lm.lastPromptTokens = this.prompt.length;
    this.lm.lastPromptUs = this.promptUs;
  }

  /** Releases the token buffer (the generation object may live on in the GC heap). */
  release(): void {
    if (this.tokenBuf != 0) heap.free(this.tokenBuf);
    this.tokenBuf = 0;
  }
}
