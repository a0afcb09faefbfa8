// Test entry for kernel/ai: the attention model's forward pass, exact gradients, online
// learning, and the decision trace ring with its JSON export and file sink.
import {
  AttentionModel, forward, lossAndGradient, lossOf, expFast, PARAM_COUNT, HISTORY, BATCH,
} from "../../../kernel/ai/attention";
import * as trace from "../../../kernel/ai/trace";
import { tracesJson } from "../../../kernel/ai/trace_json";
import { setFileWriter } from "../../../kernel/ai/export_sink";
import { Random } from "../../../kernel/lib/random";
import { consoleShell } from "../../../kernel/shell/shell";
import "../../../kernel/shell/commands/tracectl";

// ---- one example with random parameters, for the gradient check ----
const params = new StaticArray<f64>(PARAM_COUNT);
const grad = new StaticArray<f64>(PARAM_COUNT);
const e = new StaticArray<f64>(4);
const hx = new StaticArray<f64>(HISTORY * 4);
const ho = new StaticArray<f64>(HISTORY * 4);
let n: i32 = HISTORY;
let target: f64 = 0.5;

/** Random weights in [-scale, scale), inputs in [0, 1), history of `count` entries. */
export function setupExample(seed: i32, count: i32, scale: f64): void {
  const rng = new Random(<u64>seed);
  for (let i = 0; i < PARAM_COUNT; i++) params[i] = rng.uniform(-scale, scale);
  for (let i = 0; i < 4; i++) e[i] = rng.nextFloat();
  for (let i = 0; i < HISTORY * 4; i++) { hx[i] = rng.nextFloat(); ho[i] = rng.nextFloat(); }
  n = count;
  target = rng.nextFloat();
}
export function loss(): f64 {
  return lossOf(forward(params, e, 0, hx, ho, 0, n), target);
}
/** Fills the analytic gradient; returns the loss it computed. */
export function computeGradient(): f64 {
  for (let i = 0; i < PARAM_COUNT; i++) grad[i] = 0;
  return lossAndGradient(params, e, 0, hx, ho, 0, n, target, grad);
}
export function gradientAt(i: i32): f64 { return grad[i]; }
export function param(i: i32): f64 { return params[i]; }
export function setParam(i: i32, v: f64): void { params[i] = v; }
export function paramCount(): i32 { return PARAM_COUNT; }
export function exp(x: f64): f64 { return expFast(x); }

// ---- the online model on a synthetic workload ----
let model = new AttentionModel();
const emb = new StaticArray<f64>(4);
const outcome = new StaticArray<f64>(4);
let rng = new Random(99);

export function newModel(lr: f64): void {
  model = new AttentionModel();
  model.learningRate = lr;
  rng = new Random(99);
}
export function modelVersion(): u32 { return model.version; }
export function modelParam(i: i32): f64 { return model.params[i]; }
export function modelUpdates(): i32 { return <i32>model.updates; }
export function lossCount(): i32 { return model.lossHistory.length; }
export function lossAt(i: i32): f64 { return model.lossHistory[i]; }
export function resetModel(): void { model.resetWeights(); }
export function dropped(): i32 { return <i32>model.droppedExamples; }

/**
 * Synthetic scheduler: three kinds of task with distinct embeddings; the observed target
 * depends on the kind (cpu-bound 0.25, interactive 0.65, I/O-bound 0.9) plus noise of
 * +-0.05. Each step picks a kind, stores the decision and pushes it into the history.
 * When `trainInline`, a full batch is trained at once (as the trainer task would).
 */
export function synthSteps(count: i32, trainInline: bool): void {
  for (let i = 0; i < count; i++) {
    const kind = <i32>rng.below(3);
    const noise = rng.uniform(-0.05, 0.05);
    emb[0] = 0.49;
    emb[3] = rng.nextFloat();
    let y: f64 = 0;
    if (kind == 0) { emb[1] = rng.uniform(0.85, 1); emb[2] = 0; y = 0.25; }
    else if (kind == 1) { emb[1] = rng.uniform(0.05, 0.2); emb[2] = 0; y = 0.65; }
    else { emb[1] = rng.uniform(0.05, 0.3); emb[2] = rng.uniform(0.6, 0.9); y = 0.9; }
    y += noise;
    const ready = model.addExample(emb, y);
    if (ready && trainInline) model.trainNow();
    outcome[0] = y;
    outcome[1] = kind == 0 ? 1 : 0.1;
    outcome[2] = kind == 2 ? 1 : 0;
    outcome[3] = kind == 1 ? 1 : 0;
    model.pushHistory(emb, outcome);
  }
}
/** score() (cached) vs forward() on the model's own history, for a given embedding. */
export function scoreCached(a: f64, b: f64, c: f64, d: f64): f64 {
  emb[0] = a; emb[1] = b; emb[2] = c; emb[3] = d;
  return model.score(emb);
}
export function scoreExact(a: f64, b: f64, c: f64, d: f64): f64 {
  emb[0] = a; emb[1] = b; emb[2] = c; emb[3] = d;
  return model.scoreExact(emb);
}
export function scoreDirect(a: f64, b: f64, c: f64, d: f64): f64 {
  emb[0] = a; emb[1] = b; emb[2] = c; emb[3] = d;
  return forward(model.params, emb, 0, model.histX, model.histO, 0, model.histCount);
}
/** Multiplies the model's weights by `factor` (loadWeights: caches refreshed). */
export function scaleModelWeights(factor: f64): void {
  const w = new StaticArray<f64>(PARAM_COUNT);
  for (let i = 0; i < PARAM_COUNT; i++) w[i] = model.params[i] * factor;
  model.loadWeights(w);
}
export function boundFallbacks(): u64 { return model.boundFallbacks; }
export function trainingInProgress(): bool { return model.training; }
export function trainSlice(): bool { return model.trainSome(0); }
export function batchSize(): i32 { return BATCH; }

// ---- trace ring ----
const SUB = trace.registerTraceSubsystem("test", ["alpha", "beta"], "prob", "choice");
const feats = new StaticArray<f64>(2);
export function record(a: f64, b: f64, output: f64, confidence: f64, action: i32): u64 {
  feats[0] = a; feats[1] = b;
  return trace.recordDecision(SUB, 7, feats, 2, output, confidence, <i64>action);
}
export function resolve(id: u64, outcome: f64): bool { return trace.resolveOutcome(id, outcome); }
export function exists(id: u64): bool { return trace.traceExists(id); }
export function oldest(): u64 { return trace.oldestTraceId(); }
export function newest(): u64 { return trace.newestTraceId(); }
export function held(): i32 { return trace.traceCount(); }
export function lost(): u64 { return trace.subsystemLostUnresolved(SUB); }
export function json(recent: i32): string { return tracesJson(recent); }
export function capacity(): i32 { return trace.TRACE_CAPACITY; }
export function sameSubsystemAgain(): i32 { return trace.registerTraceSubsystem("test", [], "", ""); }
export function subsystemIndex(): i32 { return SUB; }

let written = "";
let writtenPath = "";
function captureWriter(path: string, data: string): i32 {
  writtenPath = path;
  written = data;
  return data.length;
}
export function installWriter(): void { setFileWriter(captureWriter); }
export function removeWriter(): void { setFileWriter(null); }
export function lastWritten(): string { return written; }
export function lastWrittenPath(): string { return writtenPath; }

export function shellRun(line: string): i32 { return consoleShell.execute(line); }
