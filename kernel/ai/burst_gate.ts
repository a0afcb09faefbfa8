// (Since issue 20's mixture, the "heuristic" of this file is the attention policy's base: the
// learned mixture of the classical predictors, kernel/ai/burst_mixture.ts; the heuristic
// policy does not use the gate. The names below are kept.)
// The gate between the attention model's burst prediction and the heuristic's: the attention
// policy uses the model's prediction only for the kinds of example where the model has been
// more accurate than the heuristic on recent resolved examples.
//
// Why: the model learns a correction to the heuristic online, and how much it has to learn
// from differs by regime. Short bursts (I/O, interactive) resolve within milliseconds and are
// learned from by the hundred; batch work resolves once per 200 ms of CPU, so in a CPU-only
// workload the model has seen a handful of those examples and its corrections there are
// noise, which reorders equal CPU tasks (bench sched measured 0.80x fair turnaround for the
// ungated model vs 0.71x for the heuristic on the virtual clock). So predictions are bucketed
// by the heuristic's estimate (< 1 ms, < 5 ms, < 50 ms, longer) and per bucket both
// predictors' errors on the same examples (|log2((1 + predicted) / (1 + actual))|) are kept
// as exponentially decayed sums (the last ~200 examples weigh most). A bucket is open (the
// model decides) once it has MIN_EXAMPLES examples and the model's decayed error is below the
// heuristic's; it closes again when that stops being true. The model keeps predicting (and
// being measured) in closed buckets, so a bucket opens when it has learned.
import { HORIZON_US } from "../sched/burst_policy";

export const GATE_BUCKETS: i32 = 4;
/** Upper bounds (us) of the buckets' heuristic estimates (the last is unbounded). */
const BOUNDS: StaticArray<f64> = [1000, 5000, 50000, HORIZON_US + 1];
const DECAY: f64 = 0.995;
export const MIN_EXAMPLES: i32 = 50;

export function gateBucketOf(heuristicUs: f64): i32 {
  for (let b = 0; b < GATE_BUCKETS - 1; b++) if (heuristicUs < BOUNDS[b]) return b;
  return GATE_BUCKETS - 1;
}

export function gateBucketName(b: i32): string {
  return b == 0 ? "< 1 ms" : b == 1 ? "1-5 ms" : b == 2 ? "5-50 ms" : ">= 50 ms";
}

/** How the gate decides: by the measured errors (auto), always the heuristic (closed) or always the model (open). */
export enum GateMode { Auto = 0, Closed = 1, Open = 2 }
export const GATE_MODE_NAMES: StaticArray<string> = ["auto", "closed", "open"];

export class BurstGate {
  /** `schedctl gate auto|closed|open` (kept by clear(): experiments compare the modes). */
  mode: GateMode = GateMode.Auto;
  modelErr: StaticArray<f64> = new StaticArray<f64>(GATE_BUCKETS);
  heuristicErr: StaticArray<f64> = new StaticArray<f64>(GATE_BUCKETS);
  examples: StaticArray<i32> = new StaticArray<i32>(GATE_BUCKETS);
  /** Predictions the policy used, per source, since the last clear (how often the model decided). */
  usedModel: u64 = 0;
  usedHeuristic: u64 = 0;

  /** Both predictions of a resolved example and the actual remaining burst (us). */
  add(modelUs: f64, heuristicUs: f64, actualUs: f64): void {
    const b = gateBucketOf(heuristicUs);
    const em = Math.abs(Math.log2((1 + modelUs) / (1 + actualUs)));
    const eh = Math.abs(Math.log2((1 + heuristicUs) / (1 + actualUs)));
    this.modelErr[b] = this.modelErr[b] * DECAY + em;
    this.heuristicErr[b] = this.heuristicErr[b] * DECAY + eh;
    if (this.examples[b] < i32.MAX_VALUE) this.examples[b]++;
  }

  /** Whether the model decides for estimates in bucket b. */
  open(b: i32): bool {
    if (this.mode != GateMode.Auto) return this.mode == GateMode.Open;
    return this.examples[b] >= MIN_EXAMPLES && this.modelErr[b] < this.heuristicErr[b];
  }

  /** The prediction the policy uses (us). */
  choose(modelUs: f64, heuristicUs: f64): f64 {
    if (this.open(gateBucketOf(heuristicUs))) {
      this.usedModel++;
      return modelUs;
    }
    this.usedHeuristic++;
    return heuristicUs;
  }

  /** Decayed mean error of bucket b (model or heuristic); NaN before any example. */
  meanError(b: i32, model: bool): f64 {
    const n = this.examples[b];
    if (n == 0) return NaN;
    // normaliser of the decayed sum: sum of DECAY^k over min(n, ...) terms
    const norm = (1 - Math.pow(DECAY, <f64>n)) / (1 - DECAY);
    return (model ? this.modelErr[b] : this.heuristicErr[b]) / norm;
  }

  clear(): void {
    for (let b = 0; b < GATE_BUCKETS; b++) {
      this.modelErr[b] = 0;
      this.heuristicErr[b] = 0;
      this.examples[b] = 0;
    }
    this.usedModel = 0;
    this.usedHeuristic = 0;
  }
}
