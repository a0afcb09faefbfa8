// Training the learned OOM model (model.ts) offline, inside the kernel, on recorded episodes.
//
//   1. collect: run the training seeds' episodes with no intervention (episodes.ts, actions
//      off), keeping one sampled slot in SLOT_STRIDE with its features; label slot s 1 when its
//      OOM came within the next HORIZON_SLOTS = 100 slots (10 s): oomSlot - s in [1, 100],
//      else 0 (the same label evaluate.ts scores against); a negative of an OOM episode (more
//      than 10 s before its OOM) weighs PRE_OOM_NEGATIVE_WEIGHT = 0.1, other negatives 1;
//   2. normalise: mean and standard deviation of each feature over the training rows
//      (a feature with no spread gets scale 1);
//   3. SGD: EPOCHS passes over the rows in a seeded random order, one exact-gradient step per
//      example (model.ts lossAndGradient) with learning rate LR / (1 + epoch / 2). Positives
//      are weighted (summed negative weight) / n_positive, so both classes weigh the same in the loss: the
//      confidence is "OOM soon" against "not" with equal priors, not the raw base rate.
// Only training seeds are accepted (episodes.ts isTrainingSeed): evaluation never sees them.
import {
  runEpisode, EpisodeOptions, EpisodeResult, MODEL_NONE, MAX_SLOTS, isTrainingSeed,
} from "./episodes";
import { FEATURE_COUNT } from "./features";
import { OomModel, PARAM_COUNT, INPUTS, lossAndGradient, exampleLoss } from "./model";
import { Random } from "../../lib/random";
import { EINVAL } from "../../lib/errors";
import { nowTicks, ticksToUs } from "../../platform/time";

/**
 * 1000 episodes (200 per class, one slot in 4 kept, ~122k examples). Development seeds 500000..
 * (40 per class, recall 5-10 s at the one threshold that keeps false-positive episodes <= 10%,
 * class mean; tests/unit/ai/oom-feat-dev.ts, training samples TS=1 / TS=100001, negatives weighted
 * 1): 400 episodes 59% / 61%, 1000 episodes 66% / 61%. (Before issue 21's counted stall clock,
 * 400 beat 200: 72% at 17% false positives against 67% at 23%, oom-dev.ts.)
 */
export const DEFAULT_TRAIN_EPISODES: i32 = 1000;
export const EPOCHS: i32 = 12;
/**
 * Keep one sampled slot in SLOT_STRIDE (neighbouring slots are nearly the same example; episode
 * e keeps slots e % 4, e % 4 + 4, ...): 200 episodes then cost what 50 whole ones would.
 */
export const SLOT_STRIDE: i32 = 4;
export const LR: f64 = 0.02;
/**
 * Development ablations only (tests/unit/ai/oom-feat-dev.ts): features switched off here reach
 * the network as 0 (mean 0, scale 1e300), as if the model did not have them. All on by default.
 */
export const featureOff = new StaticArray<bool>(FEATURE_COUNT);
/**
 * Weight of a negative example of an OOM episode (a slot more than 10 s before its OOM) against
 * 1 for the negatives of episodes without an OOM. Alarms there are neither a false-positive
 * episode nor a 5-10 s prediction, and a state that led to an OOM later is not a safe one, so
 * they weigh less: PRE_OOM_NEGATIVE_WEIGHT was chosen on development seeds (oom-feat-dev.ts
 * PREW, 1000 training episodes, the metric above, TS=1 / TS=100001): weight 1 66% / 61%,
 * 0.3 68% / 66%, 0.1 67% / 69%. setPreOomNegativeWeight changes it for development runs.
 */
export const PRE_OOM_NEGATIVE_WEIGHT: f64 = 0.1;
export let preOomNegativeWeight: f64 = PRE_OOM_NEGATIVE_WEIGHT;
export function setPreOomNegativeWeight(w: f64): void { preOomNegativeWeight = w; }

/** Rows of (features, label) from recorded episodes. */
export class TrainingSet {
  features: StaticArray<f64>;
  labels: StaticArray<u8>;
  /** Example weight before the positive/negative balance (1, or preOomNegativeWeight). */
  weights: StaticArray<f32>;
  rows: i32 = 0;
  episodes: i32 = 0;
  oomEpisodes: i32 = 0;
  positives: i32 = 0;
  collectUs: u64 = 0;

  constructor(public capacity: i32) {
    this.features = new StaticArray<f64>(capacity * FEATURE_COUNT);
    this.labels = new StaticArray<u8>(capacity);
    this.weights = new StaticArray<f32>(capacity);
  }

  add(features: StaticArray<f64>, offset: i32, label: bool, weight: f64 = 1.0): void {
    if (this.rows >= this.capacity) return;
    const base = this.rows * FEATURE_COUNT;
    for (let i = 0; i < FEATURE_COUNT; i++) this.features[base + i] = features[offset + i];
    this.labels[this.rows] = label ? 1 : 0;
    this.weights[this.rows] = <f32>weight;
    if (label) this.positives++;
    this.rows++;
  }
}

/**
 * Runs `count` training episodes from `firstSeed` (actions off) and returns their rows, or
 * null when a seed is outside the training range or an episode cannot start.
 */
export function collectTrainingSet(firstSeed: u64, count: i32, model: OomModel, stride: i32 = SLOT_STRIDE): TrainingSet | null {
  if (count <= 0 || !isTrainingSeed(firstSeed) || !isTrainingSeed(firstSeed + <u64>(count - 1))) return null;
  const started = nowTicks();
  const set = new TrainingSet(count * ((MAX_SLOTS + stride - 1) / stride));
  const options = new EpisodeOptions();
  options.actingModel = MODEL_NONE;
  options.predictLearned = false;
  options.captureFeatures = true;
  const r = new EpisodeResult();
  for (let e = 0; e < count; e++) {
    if (runEpisode(firstSeed + <u64>e, options, model, r) < 0) return null;
    set.episodes++;
    if (r.oom) set.oomEpisodes++;
    for (let s = e % stride; s < r.slots; s += stride) {
      const label = r.label(s);
      set.add(r.features, s * FEATURE_COUNT, label, !label && r.oom ? preOomNegativeWeight : 1.0);
    }
  }
  set.collectUs = ticksToUs(nowTicks() - started);
  return set;
}

/** Weight of a positive: the negatives' summed weight / the positives' count (both sides weigh the same). */
function balanceWeight(set: TrainingSet): f64 {
  const n = set.rows;
  const positives = set.positives;
  if (positives == 0 || positives == n) return 1.0;
  let negatives: f64 = 0;
  for (let r = 0; r < n; r++) if (set.labels[r] == 0) negatives += <f64>set.weights[r];
  return negatives / <f64>positives;
}

/** Fits the normalisation and the weights of `model` (from `seed`) to `set`; returns the final epoch's loss. */
export function fitModel(model: OomModel, set: TrainingSet, epochs: i32, seed: u64): f64 {
  model.initialise(seed);
  const n = set.rows;
  if (n == 0) return NaN;
  // normalisation
  for (let i = 0; i < INPUTS; i++) {
    let sum: f64 = 0;
    for (let r = 0; r < n; r++) sum += set.features[r * FEATURE_COUNT + i];
    const mean = sum / <f64>n;
    let sq: f64 = 0;
    for (let r = 0; r < n; r++) {
      const d = set.features[r * FEATURE_COUNT + i] - mean;
      sq += d * d;
    }
    const sd = Math.sqrt(sq / <f64>n);
    model.mean[i] = featureOff[i] ? 0.0 : mean;
    model.scale[i] = featureOff[i] ? 1e300 : (sd > 1e-9 ? sd : 1.0);
  }
  const x = new StaticArray<f64>(n * INPUTS);
  for (let r = 0; r < n; r++) model.normalise(set.features, r * FEATURE_COUNT, x, r * INPUTS);
  const positives = set.positives;
  const positiveWeight = balanceWeight(set);
  // SGD
  const order = new StaticArray<i32>(n);
  for (let r = 0; r < n; r++) order[r] = r;
  const rng = new Random(seed ^ 0x5eed);
  const grad = new StaticArray<f64>(PARAM_COUNT);
  let loss: f64 = NaN;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let r = n - 1; r > 0; r--) { // Fisher-Yates
      const j = <i32>rng.below(<u64>(r + 1));
      const t = order[r];
      order[r] = order[j];
      order[j] = t;
    }
    const lr = LR / (1.0 + <f64>epoch / 2.0);
    let sum: f64 = 0;
    let weightSum: f64 = 0;
    for (let k = 0; k < n; k++) {
      const r = order[k];
      const y: f64 = set.labels[r] != 0 ? 1.0 : 0.0;
      const w = y > 0 ? positiveWeight : <f64>set.weights[r];
      for (let p = 0; p < PARAM_COUNT; p++) unchecked(grad[p] = 0);
      sum += lossAndGradient(model.params, x, r * INPUTS, y, w, grad);
      weightSum += w;
      for (let p = 0; p < PARAM_COUNT; p++) unchecked(model.params[p] -= lr * grad[p]);
    }
    loss = sum / weightSum;
    model.epochLoss.push(loss);
  }
  model.trained = true;
  model.trainedExamples = <u64>n;
  model.trainedPositives = <u64>positives;
  return loss;
}

/** Mean weighted loss of `model` over `set` (positives weighted as in training). */
export function datasetLoss(model: OomModel, set: TrainingSet): f64 {
  const n = set.rows;
  if (n == 0) return NaN;
  const positiveWeight = balanceWeight(set);
  const x = new StaticArray<f64>(INPUTS);
  let sum: f64 = 0, weightSum: f64 = 0;
  for (let r = 0; r < n; r++) {
    model.normalise(set.features, r * FEATURE_COUNT, x, 0);
    const y: f64 = set.labels[r] != 0 ? 1.0 : 0.0;
    const w = y > 0 ? positiveWeight : <f64>set.weights[r];
    sum += exampleLoss(model.params, x, 0, y, w);
    weightSum += w;
  }
  return sum / weightSum;
}

/** Result of trainModel (for the command's report). */
export class TrainReport {
  error: i32 = 0;
  episodes: i32 = 0;
  oomEpisodes: i32 = 0;
  rows: i32 = 0;
  positives: i32 = 0;
  collectUs: u64 = 0;
  fitUs: u64 = 0;
  firstLoss: f64 = NaN;
  finalLoss: f64 = NaN;
}

/**
 * Collects `count` training episodes from `firstSeed` and fits `model` on them (version + 1).
 * error = -EINVAL when the seeds leave the training range, or an episode's start error.
 */
export function trainModel(model: OomModel, firstSeed: u64, count: i32, epochs: i32 = -1): TrainReport {
  if (epochs < 0) epochs = EPOCHS; // (a default parameter cannot name a global here)
  const report = new TrainReport();
  if (count <= 0 || !isTrainingSeed(firstSeed) || !isTrainingSeed(firstSeed + <u64>(count - 1))) {
    report.error = -EINVAL;
    return report;
  }
  const collected = collectTrainingSet(firstSeed, count, model);
  if (collected == null) {
    report.error = -EINVAL;
    return report;
  }
  const set = collected!;
  const started = nowTicks();
  const version = model.version;
  fitModel(model, set, epochs, firstSeed * 31 + 7);
  model.version = version + 1;
  model.trainedSeedStart = firstSeed;
  model.trainedSeedCount = <u64>count;
  report.fitUs = ticksToUs(nowTicks() - started);
  report.episodes = set.episodes;
  report.oomEpisodes = set.oomEpisodes;
  report.rows = set.rows;
  report.positives = set.positives;
  report.collectUs = set.collectUs;
  report.firstLoss = model.epochLoss.length > 0 ? model.epochLoss[0] : NaN;
  report.finalLoss = model.epochLoss.length > 0 ? model.epochLoss[model.epochLoss.length - 1] : NaN;
  return report;
}
