// One fine-tuning run: epochs over the data set in a seeded random order, one example per
// step (forward, backward, Adam with the gradient clipped to norm 1). The loss of every
// example is recorded before its update; an epoch's loss is their mean. A NaN or infinite
// loss or gradient, or a loss above EXPLODED_LOSS, stops the run with an error and nothing
// is saved. The caller (a kernel task, or a test) calls step() until it returns false, then
// result() for the file's bytes.
import { LoadedModel } from "../engine";
import { Adapter, targetsString } from "./adapter";
import { LoraTrainer } from "./train";
import { Dataset } from "./dataset";
import { AdapterMeta, serializeAdapter } from "./adapter_file";
import { Random } from "../../lib/random";
import { nowTicks, ticksToUs } from "../../platform/time";

export const EXPLODED_LOSS: f64 = 100.0;
const CLIP_NORM: f64 = 1.0;

export const JOB_RUNNING: i32 = 0;
export const JOB_DONE: i32 = 1;
export const JOB_FAILED: i32 = 2;
export const JOB_CANCELLED: i32 = 3;

export class FinetuneOptions {
  epochs: i32 = 3;
  lr: f32 = 0.003;
  rank: i32 = 8;
  alpha: f32 = 16;
  targets: i32 = (1 << 0) | (1 << 2); // wq, wv
  seed: u64 = 1;
}

export class FinetuneJob {
  name: string;
  lm: LoadedModel;
  data: Dataset;
  opts: FinetuneOptions;
  baseSha256: string;
  adapter: Adapter;
  trainer: LoraTrainer;
  state: i32 = JOB_RUNNING;
  error: string = "";
  epoch: i32 = 0;
  index: i32 = 0;
  steps: i32 = 0;
  tokens: u64 = 0;
  lastLoss: f64 = 0;
  epochSum: f64 = 0;
  epochLosses: Array<f64> = new Array<f64>();
  startedAt: u64;
  busyUs: u64 = 0;
  private order: Array<i32> = new Array<i32>();
  private rng: Random;
  private tokenBuf: usize = 0;

  constructor(name: string, lm: LoadedModel, data: Dataset, opts: FinetuneOptions, baseSha256: string) {
    this.name = name; this.lm = lm; this.data = data; this.opts = opts; this.baseSha256 = baseSha256;
    const adapter = new Adapter(lm.model.config, opts.rank, opts.alpha, opts.targets);
    adapter.initRandom(opts.seed);
    this.adapter = adapter;
    this.trainer = new LoraTrainer(lm.model, adapter, data.longest);
    this.rng = new Random(opts.seed ^ 0x5eed);
    this.startedAt = nowTicks();
    if (this.trainer.error.length > 0) {
      this.fail(this.trainer.error);
    } else {
      this.tokenBuf = heap.alloc(<usize>data.longest << 2);
      this.shuffle();
    }
  }

  get totalSteps(): i32 { return this.opts.epochs * this.data.examples.length; }
  get firstLoss(): f64 { return this.epochLosses.length > 0 ? this.epochLosses[0] : this.lastLoss; }
  get finalLoss(): f64 { return this.epochLosses.length > 0 ? this.epochLosses[this.epochLosses.length - 1] : this.lastLoss; }

  private shuffle(): void {
    const n = this.data.examples.length;
    this.order.length = 0;
    for (let i = 0; i < n; i++) this.order.push(i);
    for (let i = n - 1; i > 0; i--) {
      const j = <i32>this.rng.below(<u64>(i + 1));
      const t = this.order[i]; this.order[i] = this.order[j]; this.order[j] = t;
    }
  }

  private fail(why: string): void {
    this.state = JOB_FAILED;
    this.error = why;
    this.release();
  }

  /** Frees the workspace and adapter (the job keeps its statistics). */
  release(): void {
    this.trainer.free();
    if (this.tokenBuf != 0) heap.free(this.tokenBuf);
    this.tokenBuf = 0;
    if (this.state != JOB_DONE) this.adapter.free();
  }

  cancel(): void {
    if (this.state != JOB_RUNNING) return;
    this.state = JOB_CANCELLED;
    this.error = "cancelled";
    this.release();
  }

  /** Trains on one example; false when the run is over (done, failed or cancelled). */
  step(current: LoadedModel | null): bool {
    if (this.state != JOB_RUNNING) return false;
    if (current !== this.lm) { this.fail("the base model was unloaded during the fine-tune; nothing saved"); return false; }
    const t0 = nowTicks();
    const ex = this.data.examples[this.order[this.index]];
    const T = ex.tokens.length;
    for (let i = 0; i < T; i++) store<i32>(this.tokenBuf + (<usize>i << 2), ex.tokens[i]);
    this.adapter.zeroGrads();
    const loss = this.trainer.lossAndGrad(this.tokenBuf, T, ex.first, true);
    const norm = Math.sqrt(this.adapter.gradNormSq());
    if (!isFinite(loss) || !isFinite(norm) || loss > EXPLODED_LOSS) {
      this.fail("loss " + (isFinite(loss) ? loss.toString() : "is not finite") + " at epoch " + (this.epoch + 1).toString() +
        ", step " + (this.steps + 1).toString() + ": training diverged (try a lower --lr); nothing saved");
      return false;
    }
    this.adapter.adamStep(this.opts.lr, norm > CLIP_NORM ? <f32>(CLIP_NORM / norm) : 1.0);
    this.lastLoss = loss;
    this.epochSum += loss;
    this.tokens += <u64>T;
    this.steps++;
    this.index++;
    if (this.index >= this.data.examples.length) {
      this.epochLosses.push(this.epochSum / <f64>this.data.examples.length);
      this.epochSum = 0;
      this.index = 0;
      this.epoch++;
      if (this.epoch >= this.opts.epochs) {
        this.state = JOB_DONE;
        this.busyUs += ticksToUs(nowTicks() - t0);
        this.release();
        return false;
      }
      this.shuffle();
    }
    this.busyUs += ticksToUs(nowTicks() - t0);
    return true;
  }

  elapsedUs(): u64 { return ticksToUs(nowTicks() - this.startedAt); }

  /** Training tokens per second of time spent training. */
  tokensPerSecond(): f64 { return this.busyUs == 0 ? 0 : <f64>this.tokens * 1e6 / <f64>this.busyUs; }

  /** Estimated seconds to the end at the rate so far. */
  secondsLeft(): f64 {
    if (this.steps == 0) return 0;
    return <f64>this.busyUs / 1e6 / <f64>this.steps * <f64>(this.totalSteps - this.steps);
  }

  meta(): AdapterMeta {
    const m = new AdapterMeta();
    m.rank = this.opts.rank; m.alpha = this.opts.alpha; m.targets = this.opts.targets;
    m.baseSha256 = this.baseSha256; m.dataSha256 = this.data.sha256; m.epochs = this.opts.epochs;
    m.examples = this.data.examples.length; m.firstLoss = this.firstLoss; m.finalLoss = this.finalLoss;
    m.seed = this.opts.seed; m.lr = this.opts.lr;
    return m;
  }

  /** The adapter file's bytes (only after JOB_DONE). */
  fileBytes(): Uint8Array { return serializeAdapter(this.adapter, this.meta()); }

  describeTargets(): string { return targetsString(this.opts.targets); }
}
