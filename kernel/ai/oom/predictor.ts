// The live OOM predictor: the periodic kernel task "oompredict" (every 100 ms) reads the new
// samples of the real 100 ms memory ring (kernel/mm/stats.ts, filled by the task "memstat"),
// computes the features (features.ts, the same function evaluation uses), asks the model in
// use for the confidence, and acts (actions.ts): a warning line when the confidence rises to
// the warning threshold, a full compaction at the action threshold (cooldown in samples).
//
// Warnings and compactions are recorded (crashctl status: counts and the last one; history;
// trace) and, with `crashctl tune --announce on`, also printed on the console between commands
// (off by default: an asynchronous line can land in the middle of a scripted session).
// Samples older than STALE_US (the ring's backlog after a long synchronous command, when the
// sampler did not run) go into the window but are not acted on: the next fresh sample is.
//
// Recorded: the last confidence and features (crashctl status); decisions in the trace
// (tracing.ts: crossings, compactions, one in 50 others at >= 25%) and in a history ring of
// HISTORY_CAPACITY entries (crashctl history). Each traced decision's outcome is resolved
// from the OOM log (kernel/mm/reclaim.ts) once known: 1 as soon as an OOM event follows
// within the horizon (10 s), 0 when the horizon has passed without one.
//
// The kernel starts with the heuristic in use and an untrained learned model (`crashctl
// train` trains it, `crashctl load` loads one); the learned model cannot be selected untrained.
import { registerPeriodicTask } from "../../sched/periodic";
import { queueAnnouncement } from "../../sched/announce";
import { historyLength, historySample, samplesTaken, SAMPLE_INTERVAL_US } from "../../mm/stats";
import { oomLogLength, oomLogEvent, reclaimablePages, proactiveReclaim } from "../../mm/reclaim";
import { psi } from "../../mm/psi";
import { CompactResult } from "../../mm/compact";
import { nowUs, nowTicks } from "../../platform/time";
import { LatencyRing } from "../../sched/latency";
import { fixed } from "../../lib/format";
import { resolveOutcome } from "../trace";
import { SampleWindow, computeFeatures, FEATURE_COUNT, F_AVAIL_TREND_5S, F_BURST_HEADROOM } from "./features";
import { heuristicConfidence } from "./heuristic";
import { OomModel } from "./model";
import {
  ActionPolicy, ACTION_COMPACT, ACTION_RECLAIM, ACTION_THROTTLE, ACTION_END, RemedyContext, proactiveCompact, actionName,
} from "./actions";
import { liveEpisode, OomEpisodeTask } from "./live";
import { taskProtected, throttleTask, endTask, TASK_NAMES } from "./classes";
import { stressActive, stressTaskPages, STRESS_TASKS } from "../../mm/stress";
import { TraceSampler, traceOomDecision } from "./tracing";
import { MODEL_HEURISTIC, MODEL_LEARNED, HORIZON_SLOTS, modelName } from "./episodes";
import { EINVAL, ENOENT, errorMessage } from "../../lib/errors";
import { loadModel, hasModelFileReader, DEFAULT_MODEL_PATH } from "./model_file";

export const HISTORY_CAPACITY: i32 = 64;
/** A sample older than this when read is stale (the sampler runs every 100 ms). */
export const STALE_US: u64 = 250_000;
export const HORIZON_US: u64 = <u64>HORIZON_SLOTS * SAMPLE_INTERVAL_US;

/** One traced live decision. */
export class PredictionRecord {
  timeUs: u64 = 0;
  model: i32 = MODEL_HEURISTIC;
  version: u32 = 0;
  confidence: f64 = 0;
  action: i32 = 0;
  traceId: u64 = 0;
  /** -1 pending, 0 no OOM within the horizon, 1 an OOM followed. */
  outcome: i32 = -1;
  /** OOM events in the log when decided (those after it are new). */
  oomSeqAtDecision: u64 = 0;
}

export class OomPredictor {
  model: i32 = MODEL_HEURISTIC;
  learned: OomModel = new OomModel();
  policy: ActionPolicy = new ActionPolicy();
  window: SampleWindow = new SampleWindow();
  features: StaticArray<f64> = new StaticArray<f64>(FEATURE_COUNT);
  confidence: f64 = 0;
  lastAction: i32 = 0;
  lastPredictionUs: u64 = 0;
  samplesSeen: u64 = 0;
  /** The predictor's clock: samples consumed (100 ms slots). */
  slot: i64 = 0;
  predictions: u64 = 0;
  warnings: u64 = 0;
  compactions: u64 = 0;
  reclaims: u64 = 0;
  lastReclaimPages: u32 = 0;
  /** Tasks of a live episode throttled / ended. */
  throttles: u64 = 0;
  ends: u64 = 0;
  /** Print warnings and compactions on the console (crashctl tune --announce). */
  announce: bool = false;
  lastWarningUs: u64 = 0;
  lastWarningConfidence: f64 = 0;
  staleSkipped: u64 = 0;
  lastCompaction: CompactResult | null = null;
  lastCompactionUs: u64 = 0;
  history: Array<PredictionRecord> = new Array<PredictionRecord>(0);
  historyNext: i32 = 0;
  resolvedOoms: u64 = 0;
  resolvedQuiet: u64 = 0;
  sampler: TraceSampler = new TraceSampler();
  taskId: i32 = -1;
  private aboveWarning: bool = false;

  /** The version traced for the model in use: 0 = heuristic, the learned model's version. */
  versionInUse(): u32 {
    return this.model == MODEL_LEARNED ? this.learned.version : 0;
  }

  /** Traced decision i, 0 = oldest kept. */
  record(i: i32): PredictionRecord | null {
    const n = this.history.length;
    if (i < 0 || i >= n) return null;
    const oldest = n < HISTORY_CAPACITY ? 0 : this.historyNext;
    return this.history[(oldest + i) % HISTORY_CAPACITY];
  }
}

export const predictor = new OomPredictor();
/** Time of each live inference (features + model), counter ticks (autoctl ai-metrics reads it). */
export const inferenceLatency = new LatencyRing(1024);
const liveContext = new RemedyContext();

/** Chooses the model in use; -EINVAL for the learned model while it is untrained. */
export function useModel(kind: i32): i32 {
  if (kind == MODEL_LEARNED && !predictor.learned.trained) return -EINVAL;
  if (kind != MODEL_LEARNED && kind != MODEL_HEURISTIC) return -EINVAL;
  predictor.model = kind;
  return 0;
}

/** Newest OOM event sequence number in the log (0 when none). */
function newestOomSeq(): u64 {
  const n = oomLogLength();
  return n > 0 ? oomLogEvent(n - 1)!.seq : 0;
}

/** An OOM event with seq > afterSeq and time in (fromUs, toUs]? */
function oomBetween(afterSeq: u64, fromUs: u64, toUs: u64): bool {
  for (let i = oomLogLength() - 1; i >= 0; i--) {
    const e = oomLogEvent(i)!;
    if (e.seq <= afterSeq) break;
    if (e.timeUs > fromUs && e.timeUs <= toUs) return true;
  }
  return false;
}

/** Resolves pending history entries whose outcome is known. */
export function resolvePending(now: u64): void {
  for (let i = 0; i < predictor.history.length; i++) {
    const r = predictor.history[i];
    if (r.outcome >= 0) continue;
    const end = r.timeUs + HORIZON_US;
    if (oomBetween(r.oomSeqAtDecision, r.timeUs, end < now ? end : now)) {
      r.outcome = 1;
      predictor.resolvedOoms++;
    } else if (now >= end) {
      r.outcome = 0;
      predictor.resolvedQuiet++;
    } else {
      continue;
    }
    resolveOutcome(r.traceId, <f64>r.outcome);
  }
}

function remember(p: f64, action: i32, now: u64): void {
  const r = new PredictionRecord();
  r.timeUs = now;
  r.model = predictor.model;
  r.version = predictor.versionInUse();
  r.confidence = p;
  r.action = action;
  r.oomSeqAtDecision = newestOomSeq();
  r.traceId = traceOomDecision(r.version, predictor.features, p, action);
  if (predictor.history.length < HISTORY_CAPACITY) predictor.history.push(r);
  else predictor.history[predictor.historyNext] = r;
  predictor.historyNext = (predictor.historyNext + 1) % HISTORY_CAPACITY;
}

/**
 * The predictor's step: consumes the ring's new samples and, when there was at least one,
 * predicts from the newest and acts. Cheap when nothing is new.
 */
export function predictorTick(): void {
  const now = nowUs();
  const taken = samplesTaken;
  if (taken != predictor.samplesSeen) {
    let fresh = taken - predictor.samplesSeen;
    const held = <u64>historyLength();
    if (fresh > held) fresh = held;
    let newestUs: u64 = 0;
    for (let i = held - fresh; i < held; i++) {
      const s = historySample(<i32>i)!;
      // the ring has no pressure or cache columns: the values now stand for every new sample
      predictor.window.push(<f64>s.freePages, <f64>s.largestFreeBlockPages, s.fragmentation, <f64>s.allocationFailures,
        s.allocationsPerSecond, <f64>s.slabPages, <f64>reclaimablePages(), psi.avg.some10, psi.avg.some60, psi.avg.full10);
      newestUs = s.timeUs;
    }
    predictor.samplesSeen = taken;
    predictor.slot += <i64>fresh;
    if (fresh > 0 && now <= newestUs + STALE_US) predict(now);
    else predictor.staleSkipped++;
  }
  resolvePending(now);
}

function predict(now: u64): void {
  const t0 = nowTicks();
  computeFeatures(predictor.window, predictor.features);
  const learned = predictor.model == MODEL_LEARNED && predictor.learned.trained;
  const p = learned ? predictor.learned.predict(predictor.features) : heuristicConfidence(predictor.features);
  inferenceLatency.record(nowTicks() - t0);
  predictor.confidence = p;
  predictor.lastPredictionUs = now;
  predictor.predictions++;
  const w = predictor.window;
  const ctx = liveContext;
  ctx.freePages = w.free[w.index(0)];
  ctx.largestFreePages = w.largest[w.index(0)];
  ctx.reclaimablePages = w.reclaimable[w.index(0)];
  ctx.availTrend5s = predictor.features[F_AVAIL_TREND_5S];
  ctx.burstHeadroom = predictor.features[F_BURST_HEADROOM];
  // the kernel's own tasks have no memory accounting: only a live episode's tasks can be throttled or ended
  const ep = liveEpisodeTarget(ctx);
  const action = predictor.policy.decide(p, predictor.slot, ctx);
  predictor.lastAction = action;
  const above = p >= predictor.policy.warningThreshold;
  const name = modelName(learned ? MODEL_LEARNED : MODEL_HEURISTIC);
  if (above && !predictor.aboveWarning) {
    predictor.warnings++;
    predictor.lastWarningUs = now;
    predictor.lastWarningConfidence = p;
    if (predictor.announce) queueAnnouncement("oom predictor: warning: an OOM is predicted within 10 s (confidence " + fixed(p * 100, 0) +
      "%, " + name + "); crashctl status shows why");
  }
  predictor.aboveWarning = above;
  if (action == ACTION_COMPACT) {
    const c = proactiveCompact();
    predictor.compactions++;
    predictor.lastCompaction = c;
    predictor.lastCompactionUs = now;
    if (predictor.announce) queueAnnouncement("oom predictor: confidence " + fixed(p * 100, 0) + "% (" + name + "): full compaction, largest free block " +
      c.largestBefore.toString() + " -> " + c.largestAfter.toString() + " pages, " + c.pagesMigrated.toString() + " pages migrated in " +
      fixed(<f64>c.timeUs / 1000, 1) + " ms");
  } else if (action == ACTION_RECLAIM) {
    const freed = proactiveReclaim();
    predictor.reclaims++;
    predictor.lastReclaimPages = freed;
    if (predictor.announce) queueAnnouncement("oom predictor: confidence " + fixed(p * 100, 0) + "% (" + name + "): " + actionName(action) +
      ": " + freed.toString() + " pages of empty slabs and caches freed");
  }
  if ((action == ACTION_THROTTLE || action == ACTION_END) && ep != null && ctx.topTask >= 0) actOnTask(ep, action, ctx.topTask, p, name);
  if (predictor.sampler.select(p, predictor.policy.warningThreshold, action)) remember(p, action, now);
}

/** The running live episode (crashctl run) with ctx.topTask = its largest unprotected task; null when none runs. */
function liveEpisodeTarget(ctx: RemedyContext): OomEpisodeTask | null {
  ctx.topTask = -1;
  ctx.topGrowth = 0;
  ctx.topThrottledSlot = -1;
  const ep = liveEpisode;
  if (ep == null || ep.finished || !stressActive()) return null;
  for (let t = 0; t < STRESS_TASKS; t++) {
    if (taskProtected(t) || ep.episodeState.ended(t)) continue;
    const pages = <f64>stressTaskPages(<u32>t);
    if (pages > ctx.topGrowth) {
      ctx.topGrowth = pages;
      ctx.topTask = t;
    }
  }
  if (ctx.topTask >= 0) ctx.topThrottledSlot = ep.throttledAt[ctx.topTask];
  return ep;
}

/** Throttles or ends task `task` of the live episode; the episode's owner sees it in its summary line. */
function actOnTask(ep: OomEpisodeTask, action: i32, task: i32, p: f64, name: string): void {
  if (taskProtected(task)) return; // never (liveEpisodeTarget skips them); kept as the last guard
  let what: string;
  if (action == ACTION_THROTTLE) {
    if (!throttleTask(ep.episodeState, task)) return;
    ep.throttledAt[task] = predictor.slot;
    predictor.throttles++;
    what = "throttled task '" + TASK_NAMES[task] + "' at step " + ep.steps.toString();
  } else {
    const freed = endTask(ep.episodeState, task);
    predictor.ends++;
    what = "ended task '" + TASK_NAMES[task] + "' at step " + ep.steps.toString() + " (" + freed.toString() + " pages freed)";
  }
  ep.remedies.push(what);
  if (predictor.announce) queueAnnouncement("oom predictor: confidence " + fixed(p * 100, 0) + "% (" + name + "): " + what + " of oom episode " +
    ep.seed.toString());
}

/** Starts the "oompredict" task (kmain calls this once, after initMemory). */
export function startOomPredictor(): void {
  if (predictor.taskId >= 0) return;
  predictor.samplesSeen = samplesTaken;
  predictor.taskId = registerPeriodicTask("oompredict", SAMPLE_INTERVAL_US, predictorTick);
}

/**
 * Boot: loads the learned model from DEFAULT_MODEL_PATH when the file exists (saved by
 * `crashctl save`) and switches to it. Returns a line for the banner, "" when there is no file.
 */
export function loadSavedOomModel(): string {
  if (!hasModelFileReader()) return "";
  const r = loadModel(predictor.learned, DEFAULT_MODEL_PATH);
  if (r.code == -ENOENT) return "";
  if (r.code < 0) return "error: OOM model " + DEFAULT_MODEL_PATH + ": " + errorMessage(r.code);
  if (r.problem.length > 0) return "error: OOM model " + DEFAULT_MODEL_PATH + ": " + r.problem;
  useModel(MODEL_LEARNED);
  return "oom model: learned, loaded from " + DEFAULT_MODEL_PATH;
}
