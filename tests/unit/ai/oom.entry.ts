// Test entry for kernel/ai/oom and the OOM definition in kernel/mm/reclaim.ts: features on
// hand-made sample windows, the heuristic, the MLP's gradient and training, labels and metrics,
// the model file, direct reclaim and the OOM log, episodes, training and evaluation on a few
// episodes, the live predictor and `crashctl`. Compiled with memoryBase = 64 MiB (the
// page-frame window).
import { initMemory, memoryReady, allocPages, freePages, freePagesNow } from "../../../kernel/mm/pages";
import { kmalloc, kfree } from "../../../kernel/mm/slab";
import { sampleMemoryStats, largestFreeBlockPages, allocationFailures, pollMemoryStats, SAMPLE_INTERVAL_US } from "../../../kernel/mm/stats";
import { compactForOrder } from "../../../kernel/mm/compact";
import {
  allocPagesReclaim, kmallocReclaim, oomEventCount, lastOomEvent, reclaim,
} from "../../../kernel/mm/reclaim";
import { allocMovablePages } from "../../../kernel/mm/movable";
import { SampleWindow, computeFeatures, FEATURE_COUNT } from "../../../kernel/ai/oom/features";
import { heuristicConfidence } from "../../../kernel/ai/oom/heuristic";
import { OomModel, PARAM_COUNT, INPUTS, lossAndGradient, exampleLoss } from "../../../kernel/ai/oom/model";
import {
  runEpisode, EpisodeOptions, EpisodeResult, MODEL_NONE, MODEL_HEURISTIC, MODEL_LEARNED, episodeProfile,
} from "../../../kernel/ai/oom/episodes";
import {
  trainModel, TrainingSet, fitModel, datasetLoss, featureOff, setPreOomNegativeWeight, preOomNegativeWeight,
} from "../../../kernel/ai/oom/train";
import { evaluateOnSeeds, evaluateModels, evaluateClasses, scoreEpisode, ModelScore, EvalReport } from "../../../kernel/ai/oom/evaluate";
import { predictionRows, preventionRows, ablationRows, jsonLines } from "../../../kernel/ai/oom/report";
import { table } from "../../../kernel/lib/format";
import { ActionPolicy, RemedyContext } from "../../../kernel/ai/oom/actions";
import { serializeModel, parseModel, setModelFileReader } from "../../../kernel/ai/oom/model_file";
import { setFileWriter } from "../../../kernel/ai/export_sink";
import { predictor, predictorTick, useModel } from "../../../kernel/ai/oom/predictor";
import { traceExists, traceResolved, traceOutcome, traceFeatureCount } from "../../../kernel/ai/trace";
import { Random } from "../../../kernel/lib/random";
import { runPollers } from "../../../kernel/kernel_loop";
import { runScheduler } from "../../../kernel/sched/scheduler";
import { pendingAnnouncements } from "../../../kernel/sched/announce";
import { flushAnnouncements } from "../../../kernel/shell/announce";
import { registerPeriodicTask } from "../../../kernel/sched/periodic";
import { consoleShell } from "../../../kernel/shell/shell";
import "../../../kernel/shell/commands/crashctl";
import "../../../kernel/shell/commands/memctl";
import "../../../kernel/shell/commands/tracectl";
import "../../../kernel/shell/commands/stresstest";
import "../../../kernel/shell/commands/mem_stresstest";

let memstatStarted = false;
/** initMemory() and the "memstat" sampler task, as kernel/init.ts boots them. */
export function memInit(): void {
  initMemory();
  if (!memstatStarted && memoryReady()) registerPeriodicTask("memstat", SAMPLE_INTERVAL_US, pollMemoryStats);
  if (memoryReady()) memstatStarted = true;
}
export function freeNow(): u32 { return freePagesNow(); }
export function shellRun(line: string): i32 { return consoleShell.execute(line); }
export function loop(): void {
  runPollers();
  for (let i = 0; i < 16 && runScheduler(); i++) {}
}
export function announcementsPending(): i32 { return pendingAnnouncements(); }
export function announce(): void { flushAnnouncements(); }

// ---- features and the heuristic on a hand-made window ----
const window = new SampleWindow();
const feats = new StaticArray<f64>(FEATURE_COUNT);
export function windowReset(): void { window.reset(); }
export function windowPush(free: f64, largest: f64, frag: f64, failures: f64, rate: f64, slab: f64): void {
  window.push(free, largest, frag, failures, rate, slab);
}
export function feature(i: i32): f64 {
  computeFeatures(window, feats);
  return feats[i];
}
export function heuristicOf(f0: f64, f1: f64, f2: f64, f3: f64, f4: f64, f5: f64, f6: f64, f7: f64, f8: f64): f64 {
  for (let i = 9; i < FEATURE_COUNT; i++) feats[i] = 0;
  feats[0] = f0; feats[1] = f1; feats[2] = f2; feats[3] = f3; feats[4] = f4; feats[5] = f5; feats[6] = f6; feats[7] = f7; feats[8] = f8;
  return heuristicConfidence(feats);
}

// ---- the MLP: gradient check and training on a synthetic set ----
const params = new StaticArray<f64>(PARAM_COUNT);
const grad = new StaticArray<f64>(PARAM_COUNT);
const x = new StaticArray<f64>(INPUTS);
let y: f64 = 0;
let w: f64 = 1;
export function paramCount(): i32 { return PARAM_COUNT; }
export function featureCount(): i32 { return FEATURE_COUNT; }
export function setupExample(seed: i32, scale: f64, label: f64, weight: f64): void {
  const rng = new Random(<u64>seed);
  for (let i = 0; i < PARAM_COUNT; i++) params[i] = rng.uniform(-scale, scale);
  for (let i = 0; i < INPUTS; i++) x[i] = rng.uniform(-2, 2);
  y = label;
  w = weight;
}
export function loss(): f64 { return exampleLoss(params, x, 0, y, w); }
export function computeGradient(): f64 {
  for (let i = 0; i < PARAM_COUNT; i++) grad[i] = 0;
  return lossAndGradient(params, x, 0, y, w, grad);
}
export function gradientAt(i: i32): f64 { return grad[i]; }
export function param(i: i32): f64 { return params[i]; }
export function setParam(i: i32, v: f64): void { params[i] = v; }

const synthetic = new OomModel();
let syntheticSet: TrainingSet = new TrainingSet(0);
/** n rows: random features, label = failures_5s (feature 7) > 2 or free trend < -0.3 (a nonlinear OR). */
export function makeSynthetic(n: i32, seed: i32): i32 {
  const rng = new Random(<u64>seed);
  syntheticSet = new TrainingSet(n);
  const row = new StaticArray<f64>(FEATURE_COUNT);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < FEATURE_COUNT; i++) row[i] = rng.uniform(0, 1);
    row[1] = rng.uniform(-0.6, 0.2);
    row[7] = <f64>rng.below(6);
    syntheticSet.add(row, 0, row[7] > 2 || row[1] < -0.3);
  }
  return syntheticSet.positives;
}
export function fitSynthetic(epochs: i32): f64 { return fitModel(synthetic, syntheticSet, epochs, 3); }
export function syntheticEpochLoss(i: i32): f64 { return synthetic.epochLoss[i]; }
export function syntheticLoss(): f64 { return datasetLoss(synthetic, syntheticSet); }
export function syntheticUntrainedLoss(): f64 {
  const m = new OomModel();
  m.initialise(3);
  // the same normalisation as the trained one, so only the weights differ
  for (let i = 0; i < INPUTS; i++) { m.mean[i] = synthetic.mean[i]; m.scale[i] = synthetic.scale[i]; }
  return datasetLoss(m, syntheticSet);
}
/** Accuracy at 0.5 over the synthetic set. */
export function syntheticAccuracy(): f64 {
  let right = 0;
  const row = new StaticArray<f64>(FEATURE_COUNT);
  for (let r = 0; r < syntheticSet.rows; r++) {
    for (let i = 0; i < FEATURE_COUNT; i++) row[i] = syntheticSet.features[r * FEATURE_COUNT + i];
    const p = synthetic.predict(row);
    if ((p >= 0.5) == (syntheticSet.labels[r] != 0)) right++;
  }
  return <f64>right / <f64>syntheticSet.rows;
}

// ---- labels and metrics on hand-made confidence sequences ----
const handResult = new EpisodeResult();
const handConf = new StaticArray<f64>(600);
let handScore = new ModelScore("hand");
export function handReset(): void { handScore = new ModelScore("hand"); }
/** An episode of `slots` samples with an OOM at oomSlot (-1 none); confidence 1 on [from, to), else 0. */
export function handEpisode(slots: i32, oomSlot: i32, from: i32, to: i32, threshold: f64): void {
  handResult.slots = slots;
  handResult.oomSlot = oomSlot;
  for (let s = 0; s < 600; s++) handConf[s] = s >= from && s < to ? 1.0 : 0.0;
  scoreEpisode(handScore, handConf, handResult, threshold);
}
export function handLabel(oomSlot: i32, s: i32): bool {
  handResult.oomSlot = oomSlot;
  return handResult.label(s);
}
export function handScoreField(name: string): f64 {
  const s = handScore;
  if (name == "oomEpisodes") return <f64>s.oomEpisodes;
  if (name == "safeEpisodes") return <f64>s.safeEpisodes;
  if (name == "predicted5s") return <f64>s.predicted5s;
  if (name == "predictedWindow") return <f64>s.predictedWindow;
  if (name == "safeAlarmed") return <f64>s.safeAlarmed;
  if (name == "alarms") return <f64>s.alarms;
  if (name == "trueAlarms") return <f64>s.trueAlarms;
  if (name == "samplesNegative") return <f64>s.samplesNegative;
  if (name == "samplesNegativeAlarm") return <f64>s.samplesNegativeAlarm;
  if (name == "samplesPositive") return <f64>s.samplesPositive;
  if (name == "samplesPositiveAlarm") return <f64>s.samplesPositiveAlarm;
  if (name == "medianLead") return s.medianLead();
  if (name == "recall5s") return s.recall5s();
  if (name == "fpEpisodes") return s.fpEpisodes();
  if (name == "fpSamples") return s.fpSamples();
  if (name == "precisionAlarms") return s.precisionAlarms();
  if (name == "precisionSamples") return s.precisionSamples();
  return NaN;
}

// ---- actions ----
const policy = new ActionPolicy();
export function policySet(action: f64, warning: f64, cooldown: i32): void {
  policy.actionThreshold = action;
  policy.warningThreshold = warning;
  policy.cooldownSlots = cooldown;
  policy.autoCompact = true;
  policy.resetCooldown();
}
const remedyCtx = new RemedyContext();
/** decide() in a state: free pages, largest free block, reclaimable pages, 5 s trend of available memory, burst headroom, top task (-1 none), its throttle slot. */
export function policyDecideIn(conf: f64, slot: i64, free: f64, largest: f64, reclaimable: f64, trend: f64, headroom: f64,
  topTask: i32, throttledSlot: i64): i32 {
  remedyCtx.freePages = free;
  remedyCtx.largestFreePages = largest;
  remedyCtx.reclaimablePages = reclaimable;
  remedyCtx.availTrend5s = trend;
  remedyCtx.burstHeadroom = headroom;
  remedyCtx.topTask = topTask;
  remedyCtx.topGrowth = topTask >= 0 ? 100 : 0;
  remedyCtx.topThrottledSlot = throttledSlot;
  return policy.decide(conf, slot, remedyCtx);
}
/** decide() in a fragmented state (4096 pages free, not falling): the remedy is compaction when no 4 MiB block is free. */
export function policyDecide(conf: f64, slot: i64, largest: f64 = 0): i32 {
  return policyDecideIn(conf, slot, 4096, largest, 0, 0, 0, -1, -1);
}

// ---- the model file ----
let savedPath: string = "";
let savedText: string = "";
function testWriter(path: string, data: string): i32 {
  savedPath = path;
  savedText = data;
  return data.length;
}
function testReader(path: string): string | null {
  return path == savedPath ? savedText : null;
}
export function connectFileHooks(on: bool): void {
  setFileWriter(on ? testWriter : null);
  setModelFileReader(on ? testReader : null);
}
export function savedFile(): string { return savedText; }
export function setSavedFile(text: string): void { savedText = text; }
export function serializeLearned(): string { return serializeModel(predictor.learned); }
/** Parses `text` into a fresh model; "" or the problem. */
export function parseInto(text: string): string {
  const m = new OomModel();
  return parseModel(text, m);
}

// ---- reclaim and the OOM log ----
export function reclaimAlloc(order: u32): u32 { return <u32>allocPagesReclaim(order, "unit test"); }
export function reclaimKmalloc(size: u32): u32 { return <u32>kmallocReclaim(size, "unit test"); }
export function plainAlloc(order: u32): u32 { return <u32>allocPages(order); }
export function plainFree(addr: u32, order: u32): i32 { return freePages(addr, order); }
export function kmallocPlain(size: u32): u32 { return <u32>kmalloc(size); }
export function kfreePlain(p: u32): i32 { return kfree(p); }
const movableAddrs = new StaticArray<u32>(65536);
function relocate(ownerId: u32, oldAddr: usize, newAddr: usize): void { movableAddrs[ownerId] = <u32>newAddr; }
export function movableAlloc(order: u32, owner: u32): u32 {
  const a = <u32>allocMovablePages(order, relocate, owner);
  movableAddrs[owner] = a;
  return a;
}
export function movableAddr(owner: u32): u32 { return movableAddrs[owner]; }
export function oomCount(): u64 { return oomEventCount(); }
export function lastOom(): string {
  const e = lastOomEvent();
  if (e == null) return "";
  return [e.seq.toString(), e.order.toString(), e.kindName(), e.requester, e.freePages.toString(), e.largestFreePages.toString(),
    e.causeName(), e.timeUs.toString()].join(",");
}
export function reclaimCounters(): string {
  return [reclaim.directReclaims.toString(), reclaim.rescued.toString(), reclaim.slabPagesReleased.toString(), reclaim.compactions.toString(),
    reclaim.compactionsDone.toString(), reclaim.pagesMigrated.toString()].join(",");
}
export function directCompact(order: u32, budget: u32): string {
  const r = compactForOrder(order, budget);
  return [r.largestBefore.toString(), r.largestAfter.toString(), r.pagesMigrated.toString(), r.regionsEmptied.toString(), r.stoppedBy].join(",");
}
export function largest(): u32 { return largestFreeBlockPages(); }
export function failures(): u64 { return allocationFailures(); }

// ---- episodes, training, evaluation ----
const episode = new EpisodeResult();
const episodeModel = new OomModel();
/** Runs seed with no action; "oomSlot,slots,fragmented,pagesReturned,corrupt,timeUs,oomOrder,class". */
export function runOff(seed: u64): string {
  const o = new EpisodeOptions();
  o.actingModel = MODEL_NONE;
  const rc = runEpisode(seed, o, episodeModel, episode);
  if (rc < 0) return "error " + rc.toString();
  return [episode.oomSlot.toString(), episode.slots.toString(), episode.oomFragmented ? "1" : "0", episode.pagesReturned ? "1" : "0",
    episode.corrupt.toString(), episode.timeUs.toString(), episode.oomOrder.toString(), episode.cls.toString(),
    episode.oomFreePages.toString(), episode.oomServicePages.toString(), episode.oomBursts.toString()].join(",");
}
/** Max heuristic confidence of the last episode. */
export function lastMaxHeuristic(): f64 {
  let m: f64 = 0;
  for (let s = 0; s < episode.slots; s++) if (episode.heuristic[s] > m) m = episode.heuristic[s];
  return m;
}
export function profileOf(seed: u64): string {
  const p = episodeProfile(seed);
  return [p.poolPages.toString(), p.startLevel.toString(), p.endLevel.toString(), p.largePer100k.toString(), p.movablePercent.toString()].join(",");
}

export function trainLearned(first: u64, count: i32, epochs: i32): string {
  const r = trainModel(predictor.learned, first, count, epochs);
  return [r.error.toString(), r.episodes.toString(), r.oomEpisodes.toString(), r.rows.toString(), r.positives.toString(),
    r.firstLoss.toString(), r.finalLoss.toString()].join(",");
}
export function learnedVersion(): u32 { return predictor.learned.version; }
export function learnedTrained(): bool { return predictor.learned.trained; }
export function untrainLearned(): void { predictor.learned.initialise(1); predictor.learned.version = 0; useModel(MODEL_HEURISTIC); }

let report: EvalReport = new EvalReport();
function scoreFields(s: ModelScore): string {
  return [s.oomEpisodes.toString(), s.safeEpisodes.toString(), s.predicted5s.toString(), s.safeAlarmed.toString(), s.onOoms.toString(),
    s.prevented.toString(), s.newOoms.toString(), s.compactions.toString(), s.alarms.toString(), s.trueAlarms.toString(),
    s.preventedPredicted.toString(), s.pushedPastEnd.toString()].join(",");
}
/** Development evaluation (training-range seeds allowed, disjoint from the model's). */
export function evalDev(first: u64, count: i32, periodic: bool): string {
  report = evaluateOnSeeds(first, count, predictor.learned, predictor.policy, periodic, false);
  if (report.error < 0) return "error " + report.error.toString();
  return [report.episodes.toString(), report.oomEpisodes.toString(), report.fragmentationOoms.toString(), report.compactableOoms.toString(),
    report.dirtyEpisodes.toString(), report.slots.toString()].join(",") + "|" + scoreFields(report.heuristic) + "|" +
    scoreFields(report.learned) + "|" + scoreFields(report.periodic);
}
/**
 * Per episode of `first..first+count-1` (no intervention): "OOM compactable maxConfidence", joined
 * by ';', maxConfidence being the learned model's highest confidence at least 50 slots before the
 * OOM (any time in a non-OOM episode): what tests/unit/ai/oom-dev.ts ranks (AUC).
 */
export function episodeMaxConfidence(first: u64, count: i32): string {
  const o = new EpisodeOptions();
  o.actingModel = MODEL_NONE;
  o.predictLearned = true;
  o.probeAtOom = true;
  const parts = new Array<string>(0);
  for (let i = 0; i < count; i++) {
    runEpisode(first + <u64>i, o, predictor.learned, episode);
    let m: f64 = 0;
    const last = episode.oom ? episode.oomSlot - 50 : episode.slots - 1;
    for (let s = 0; s <= last && s < episode.slots; s++) if (episode.learned[s] > m) m = episode.learned[s];
    parts.push((episode.oom ? "1" : "0") + " " + (episode.oomCompactable ? "1" : "0") + " " + m.toString());
  }
  return parts.join(";");
}
/** The real evaluation entry point (evaluation seeds only); returns the error code. */
export function evalReal(first: u64, count: i32): i32 {
  return evaluateModels(first, count, predictor.learned, predictor.policy, false).error;
}

// ---- the live predictor ----
export function sampleNow(): void { sampleMemoryStats(); }
export function tick(): void { predictorTick(); }
export function predictorConfidence(): f64 { return predictor.confidence; }
export function predictorPredictions(): u64 { return predictor.predictions; }
export function predictorCompactions(): u64 { return predictor.compactions; }
export function predictorWarnings(): u64 { return predictor.warnings; }
export function predictorFeature(i: i32): f64 { return predictor.features[i]; }
export function historyLength(): i32 { return predictor.history.length; }
/** "traceId,outcome,action,confidence" of history entry i (0 = oldest). */
export function historyEntry(i: i32): string {
  const r = predictor.record(i);
  if (r == null) return "";
  return [r.traceId.toString(), r.outcome.toString(), r.action.toString(), r.confidence.toString()].join(",");
}
export function traceState(id: u64): string {
  if (!traceExists(id)) return "gone";
  return (traceResolved(id) ? traceOutcome(id).toString() : "pending") + "," + traceFeatureCount(id).toString();
}
export function setThresholds(action: f64, warning: f64, cooldown: i32, auto: bool): void {
  predictor.policy.actionThreshold = action;
  predictor.policy.warningThreshold = warning;
  predictor.policy.cooldownSlots = cooldown;
  predictor.policy.autoCompact = auto;
}
export function useLearned(): i32 { return useModel(MODEL_LEARNED); }
export function useHeuristic(): i32 { return useModel(MODEL_HEURISTIC); }

/**
 * Evaluation by class: perClass episodes of each class from `first` (requireEvaluationSeeds: the
 * evaluation range only, as crashctl eval; else any seeds disjoint from the model's). Returns the
 * tables, then "JSON" and one JSON line per class and predictor (report.ts), or "error N".
 */
let lastReports: Array<EvalReport> = new Array<EvalReport>(0);
/** Of the last evalClassesText: per class "learned recall at fp,heuristic recall at fp" ';'-separated. */
export function lastRecallAtFp(fp: f64): string {
  const out = new Array<string>(0);
  for (let i = 0; i < lastReports.length; i++) {
    out.push(lastReports[i].learned.recallAtFp(fp).toString() + "," + lastReports[i].heuristic.recallAtFp(fp).toString());
  }
  return out.join(";");
}
export function evalClassesText(first: u64, perClass: i32, requireEvaluationSeeds: bool, periodic: bool, ablate: bool): string {
  const reports = evaluateClasses(first, perClass, predictor.learned, predictor.policy, periodic, requireEvaluationSeeds, ablate);
  lastReports = reports;
  for (let i = 0; i < reports.length; i++) if (reports[i].error < 0) return "error " + reports[i].error.toString();
  let text = table(predictionRows(reports)) + "\n" + table(preventionRows(reports)) + "\n";
  if (ablate) text += table(ablationRows(reports)) + "\n";
  return text + "JSON\n" + jsonLines(reports).join("\n");
}

// ---- /metrics (kernel/net/kernel_metrics.ts) ----
import { MetricsWriter } from "../../../kernel/net/metrics";
import { writeKernelMetrics } from "../../../kernel/net/kernel_metrics";
import { psi } from "../../../kernel/mm/psi";
export function kernelMetricsText(): string {
  const w = new MetricsWriter();
  writeKernelMetrics(w);
  return w.text();
}
/** Adds a stall outside episodes (as direct reclaim does) and advances the live averages by `dtUs`. */
export function psiStall(us: u64, dtUs: u64): void {
  psi.someUs += us;
  psi.fullUs += us;
  psi.stalls++;
  psiUpdateAt(psi.lastUpdateUs + dtUs);
}
import { psiUpdate as psiUpdateAt } from "../../../kernel/mm/psi";
export function psiShare(which: i32): f64 {
  return which == 0 ? psi.avg.some10 : (which == 1 ? psi.avg.some60 : (which == 2 ? psi.avg.full10 : psi.avg.full60));
}

// ---- episode classes and remedies (kernel/ai/oom/classes.ts) ----
import { planEpisode, taskProtected, TASK_NAMES } from "../../../kernel/ai/oom/classes";
import { reclaimablePages } from "../../../kernel/mm/reclaim";
import { RUN_SLOTS } from "../../../kernel/ai/oom/episodes";
/** "class,leakRate,burstPeriod,burstGrowth,endLevel,cacheMaxPages,kworkerPages" of seed's plan. */
export function planOf(seed: u64): string {
  const p = planEpisode(seed);
  return [p.cls.toString(), p.leakRate.toString(), p.burstPeriod.toString(), p.burstGrowth.toString(), p.profile.endLevel.toString(),
    p.cacheMaxPages.toString(), p.kworkerPages.toString()].join(",");
}
export function isProtectedTask(t: i32): bool { return taskProtected(t); }
export function taskName(t: i32): string { return t >= 0 && t < TASK_NAMES.length ? TASK_NAMES[t] : "?"; }
export function reclaimableNow(): u32 { return reclaimablePages(); }
/**
 * Runs seed with the heuristic acting at `threshold` (0: a remedy at every cooldown) for RUN_SLOTS;
 * "oomSlot,compactions,reclaims,throttles,ends,protectedChosen,pagesReturned,corrupt".
 */
export function runActing(seed: u64, threshold: f64, allowCompact: bool, allowReclaim: bool, allowTasks: bool): string {
  const o = new EpisodeOptions();
  o.actingModel = MODEL_HEURISTIC;
  o.predictLearned = false;
  o.maxSlots = RUN_SLOTS;
  o.policy.actionThreshold = threshold;
  o.policy.warningThreshold = threshold;
  o.policy.allowCompact = allowCompact;
  o.policy.allowReclaim = allowReclaim;
  o.policy.allowTasks = allowTasks;
  const rc = runEpisode(seed, o, episodeModel, episode);
  if (rc < 0) return "error " + rc.toString();
  return [episode.oomSlot.toString(), episode.compactions.toString(), episode.reclaims.toString(), episode.throttles.toString(),
    episode.ends.toString(), episode.protectedChosen.toString(), episode.pagesReturned ? "1" : "0", episode.corrupt.toString()].join(",");
}

/** A broken predictor for the accuracy guard's own check: the learned weights replaced by random ones (still "trained"). */
export function breakLearned(seed: u64, bias: f64): void {
  const m = predictor.learned;
  const keepMean = m.mean.slice(0);
  const keepScale = m.scale.slice(0);
  const version = m.version;
  const start = m.trainedSeedStart;
  const count = m.trainedSeedCount;
  m.initialise(seed);
  for (let i = 0; i < keepMean.length; i++) {
    m.mean[i] = keepMean[i];
    m.scale[i] = keepScale[i];
  }
  m.params[PARAM_COUNT - 1] += bias; // b2: +30 makes every confidence ~1
  m.trained = true;
  m.version = version;
  m.trainedSeedStart = start;
  m.trainedSeedCount = count;
}
/**
 * The counted stall cost against measured stall time (kernel/mm/psi.ts COUNTED STALL COST): over
 * `count` episodes from `first` with no action, "mean counted share,mean measured share,slots".
 */
export function stallCalibration(first: u64, count: i32): string {
  const o = new EpisodeOptions();
  o.actingModel = MODEL_NONE;
  o.predictLearned = false;
  let counted: f64 = 0, measured: f64 = 0, slots: f64 = 0;
  for (let i = 0; i < count; i++) {
    if (runEpisode(first + <u64>i, o, episodeModel, episode) < 0) return "error";
    counted += episode.countedShareSum;
    measured += episode.measuredShareSum;
    slots += <f64>episode.slots;
  }
  return (counted / slots).toString() + "," + (measured / slots).toString() + "," + slots.toString();
}
/** Feature `f` at every sampled slot of seed's episode with no action ("oomSlot|v0,v1,..."). */
export function featureTrace(seed: u64, f: i32): string {
  const o = new EpisodeOptions();
  o.actingModel = MODEL_NONE;
  o.predictLearned = false;
  o.captureFeatures = true;
  if (runEpisode(seed, o, episodeModel, episode) < 0) return "error";
  const v = new Array<string>(0);
  for (let s = 0; s < episode.slots; s++) v.push(episode.features[s * FEATURE_COUNT + f].toString());
  return episode.oomSlot.toString() + "|" + v.join(",");
}

// ---- the oracle analysis (kernel/ai/oom/oracle.ts) ----
import { oracleOnSeeds, oracleProbability } from "../../../kernel/ai/oom/oracle";
/** "error,class,ooms,safe,recall@0.5,fp@0.5,recall@0.9,fp@0.9,recallAtFp(0.1),meanWindowP,continuations,windowMax...|safeMax..." */
export function oracleText(first: u64, count: i32, stride: u64, futures: i32, safeStep: i32): string {
  const r = oracleOnSeeds(first, count, stride, futures, safeStep);
  const head = [r.error.toString(), r.cls.toString(), r.score.oomEpisodes.toString(), r.score.safeEpisodes.toString(),
    r.recallAt(0.5).toString(), r.fpAt(0.5).toString(), r.recallAt(0.9).toString(), r.fpAt(0.9).toString(),
    r.score.recallAtFp(0.1).toString(), r.meanWindowP().toString(), r.continuations.toString()].join(",");
  const w = new Array<string>(0);
  for (let i = 0; i < r.score.windowMax.length; i++) w.push(r.score.windowMax[i].toString());
  const sm = new Array<string>(0);
  for (let i = 0; i < r.score.safeMax.length; i++) sm.push(r.score.safeMax[i].toString());
  return head + "|" + w.join(" ") + "|" + sm.join(" ");
}
export function oracleAt(seed: u64, s: i32, futures: i32): f64 { return oracleProbability(seed, s, futures); }
/** Of the last evalClassesText, class `c`: the learned model's 5-10 s hit per episode ("0"/"1", every episode in seed order). */
export function lastPredictedMask(c: i32): string {
  if (c < 0 || c >= lastReports.length) return "";
  const m = lastReports[c].learned.predictedMask;
  let s = "";
  for (let i = 0; i < m.length; i++) s += m[i] ? "1" : "0";
  return s;
}

// ---- feature development (tests/unit/ai/oom-feat-dev.ts) ----
/** Feature i reaches the network as 0 in the next training runs (development ablations). */
export function setFeatureOff(i: i32, off: bool): void { featureOff[i] = off; }
/** train.ts preOomNegativeWeight (development). */
export function setPreOomWeight(w: f64): void { setPreOomNegativeWeight(w); }
export function preOomWeight(): f64 { return preOomNegativeWeight; }
/**
 * Off passes only (no action) of perClass episodes per class from `first` (stride 5 within a class):
 * per episode "class oom windowMax allMax" joined by ';' (the learned model's highest confidence
 * in [oomSlot - 100, oomSlot - 50], and over all slots), what evaluate.ts scores; smooth > 1 scores the
 * mean of the last `smooth` confidences instead.
 */
export function offMaxima(first: u64, perClass: i32, smooth: i32 = 1): string {
  const o = new EpisodeOptions();
  o.actingModel = MODEL_NONE;
  o.predictLearned = true;
  const parts = new Array<string>(0);
  for (let c = 0; c < 5; c++) {
    let seed = first;
    while (<i32>(seed % 5) != c) seed++;
    for (let i = 0; i < perClass; i++) {
      if (runEpisode(seed + <u64>(5 * i), o, predictor.learned, episode) < 0) return "error";
      let wm: f64 = 0, am: f64 = 0;
      let run: f64 = 0;
      for (let s = 0; s < episode.slots; s++) {
        // smooth > 1: the mean of the last `smooth` confidences (a development try)
        run += episode.learned[s];
        if (s >= smooth) run -= episode.learned[s - smooth];
        const v = run / <f64>min(smooth, s + 1);
        if (v > am) am = v;
        if (episode.oom && episode.oomSlot - s >= 50 && episode.oomSlot - s <= 100 && v > wm) wm = v;
      }
      parts.push(c.toString() + " " + (episode.oom ? "1" : "0") + " " + wm.toString() + " " + am.toString());
    }
  }
  return parts.join(";");
}
