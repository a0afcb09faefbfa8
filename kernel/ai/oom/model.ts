// The learned OOM predictor: a small MLP in f64, p(OOM within the horizon | features).
//
//   x  = (features - mean) / scale                   normalisation fitted on the training set
//   h  = tanh(W1 x + b1)                             HIDDEN = 8 units
//   z  = w2 . h + b2
//   p  = sigmoid(z)                                  the confidence, 0..1
//
// Parameters in one array (PARAM_COUNT = 21*8 + 8 + 8 + 1 = 185; INPUTS = FEATURE_COUNT = 21):
//   [0, 168)    W1, row-major: W1[j][i] at j * INPUTS + i
//   [168, 176)  b1
//   [176, 184)  w2
//   [184]       b2
//
// Loss for one example (label y in {0, 1}, weight w): weighted binary cross-entropy
//   L = w * (softplus(z) - y * z)          (= -w [y log p + (1 - y) log(1 - p)], stable form)
// Gradient (exact backpropagation, checked against finite differences by the unit tests):
//   dL/dz = w (p - y);  dL/dw2_j = dL/dz h_j;  dL/db2 = dL/dz
//   dL/da_j = dL/dz w2_j (1 - h_j^2);  dL/dW1[j][i] = dL/da_j x_i;  dL/db1_j = dL/da_j
// Training (train.ts) is per-example SGD over shuffled examples for a few epochs.
import { FEATURE_COUNT } from "./features";
import { Random } from "../../lib/random";

export const INPUTS: i32 = FEATURE_COUNT;
export const HIDDEN: i32 = 8;
export const W1: i32 = 0;
export const B1: i32 = HIDDEN * INPUTS;
export const W2: i32 = B1 + HIDDEN;
export const B2: i32 = W2 + HIDDEN;
export const PARAM_COUNT: i32 = B2 + 1;

// @ts-ignore: decorator
@inline function softplus(z: f64): f64 {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

// @ts-ignore: decorator
@inline function sigmoid(z: f64): f64 {
  if (z >= 0) return 1.0 / (1.0 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1.0 + e);
}

// scratch for forward / backward (single-threaded kernel)
const hidden = new StaticArray<f64>(HIDDEN);

/** z (the logit) for normalised inputs x (x at xOffset); fills the hidden activations. */
function logit(params: StaticArray<f64>, x: StaticArray<f64>, xOffset: i32): f64 {
  let z = unchecked(params[B2]);
  for (let j = 0; j < HIDDEN; j++) {
    let a = unchecked(params[B1 + j]);
    const row = W1 + j * INPUTS;
    for (let i = 0; i < INPUTS; i++) a += unchecked(params[row + i]) * unchecked(x[xOffset + i]);
    const h = Math.tanh(a);
    unchecked(hidden[j] = h);
    z += unchecked(params[W2 + j]) * h;
  }
  return z;
}

/** p for normalised inputs. */
export function forward(params: StaticArray<f64>, x: StaticArray<f64>, xOffset: i32): f64 {
  return sigmoid(logit(params, x, xOffset));
}

/** Weighted cross-entropy of one example (normalised inputs). */
export function exampleLoss(params: StaticArray<f64>, x: StaticArray<f64>, xOffset: i32, y: f64, weight: f64): f64 {
  const z = logit(params, x, xOffset);
  return weight * (softplus(z) - y * z);
}

/** Adds the gradient of exampleLoss to `grad`; returns the loss. */
export function lossAndGradient(params: StaticArray<f64>, x: StaticArray<f64>, xOffset: i32, y: f64, weight: f64,
  grad: StaticArray<f64>): f64 {
  const z = logit(params, x, xOffset);
  const dz = weight * (sigmoid(z) - y);
  unchecked(grad[B2] += dz);
  for (let j = 0; j < HIDDEN; j++) {
    const h = unchecked(hidden[j]);
    unchecked(grad[W2 + j] += dz * h);
    const da = dz * unchecked(params[W2 + j]) * (1 - h * h);
    unchecked(grad[B1 + j] += da);
    const row = W1 + j * INPUTS;
    for (let i = 0; i < INPUTS; i++) unchecked(grad[row + i] += da * unchecked(x[xOffset + i]));
  }
  return weight * (softplus(z) - y * z);
}

export class OomModel {
  params: StaticArray<f64> = new StaticArray<f64>(PARAM_COUNT);
  mean: StaticArray<f64> = new StaticArray<f64>(INPUTS);
  scale: StaticArray<f64> = new StaticArray<f64>(INPUTS);
  trained: bool = false;
  /** 0 = never trained; +1 per training run or load. Traced with every decision. */
  version: u32 = 0;
  /** Training seeds [trainedSeedStart, trainedSeedStart + trainedSeedCount). */
  trainedSeedStart: u64 = 0;
  trainedSeedCount: u64 = 0;
  trainedExamples: u64 = 0;
  trainedPositives: u64 = 0;
  /** Mean weighted loss per epoch of the last training run. */
  epochLoss: Array<f64> = new Array<f64>(0);
  private x: StaticArray<f64> = new StaticArray<f64>(INPUTS);

  constructor() {
    this.initialise(1);
  }

  /** Seeded small random weights (uniform +-1/sqrt(fan-in)), identity normalisation, untrained. */
  initialise(seed: u64): void {
    const rng = new Random(seed);
    const s1 = 1.0 / Math.sqrt(<f64>INPUTS);
    const s2 = 1.0 / Math.sqrt(<f64>HIDDEN);
    for (let i = 0; i < B1; i++) this.params[i] = rng.uniform(-s1, s1);
    for (let j = 0; j < HIDDEN; j++) {
      this.params[B1 + j] = 0;
      this.params[W2 + j] = rng.uniform(-s2, s2);
    }
    this.params[B2] = 0;
    for (let i = 0; i < INPUTS; i++) {
      this.mean[i] = 0;
      this.scale[i] = 1;
    }
    this.trained = false;
    this.trainedSeedStart = 0;
    this.trainedSeedCount = 0;
    this.trainedExamples = 0;
    this.trainedPositives = 0;
    this.epochLoss = new Array<f64>(0);
  }

  /** Writes the normalised features into `out` at `offset`. */
  normalise(features: StaticArray<f64>, fOffset: i32, out: StaticArray<f64>, offset: i32): void {
    for (let i = 0; i < INPUTS; i++) {
      unchecked(out[offset + i] = (unchecked(features[fOffset + i]) - unchecked(this.mean[i])) / unchecked(this.scale[i]));
    }
  }

  /** p(OOM within the horizon) for raw features. */
  predict(features: StaticArray<f64>): f64 {
    this.normalise(features, 0, this.x, 0);
    return forward(this.params, this.x, 0);
  }

  copyFrom(other: OomModel): void {
    for (let i = 0; i < PARAM_COUNT; i++) this.params[i] = other.params[i];
    for (let i = 0; i < INPUTS; i++) {
      this.mean[i] = other.mean[i];
      this.scale[i] = other.scale[i];
    }
    this.trained = other.trained;
    this.version = other.version;
    this.trainedSeedStart = other.trainedSeedStart;
    this.trainedSeedCount = other.trainedSeedCount;
    this.trainedExamples = other.trainedExamples;
    this.trainedPositives = other.trainedPositives;
    this.epochLoss = other.epochLoss.slice(0);
  }
}
