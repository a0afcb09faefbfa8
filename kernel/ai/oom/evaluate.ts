// Evaluation of the OOM predictors on recorded outcomes (`crashctl eval`, bench/oom.bench.ts).
//
// Time is measured in 100 ms sample slots (episodes.ts explains why). For a set of
// evaluation seeds (never training seeds: checked; seeds first, first + stride, ...: stride 5
// keeps one episode class, classes.ts), the same episodes run several times:
//
//   pass "off"        no action, MAX_SLOTS slots. Every predictor's confidence is computed on
//                     every slot (they change nothing), so this one pass scores them all. At each
//                     OOM a full compaction is also tried (probeAtOom) to tell which OOMs
//                     compaction could have fixed.
//   pass "heuristic"  remedies (actions.ts) driven by the plan's heuristic
//   pass "learned"    the same driven by the learned model
//   pass "psi"        the systemd-oomd-like PSI rule (heuristic.ts): ends the top task when it fires
//   pass "periodic"   (optional) a full compaction every 50 slots, no model
//   passes "learned -compact / -reclaim / -tasks" (optional) the learned pass with one remedy off:
//                     what that remedy contributes (prevented with it on versus off)
// Acting passes run RUN_SLOTS = MAX_SLOTS + 100 slots: an OOM merely pushed past the episode's
// end (within 10 s of it) is not counted as prevented.
//
// Metrics per predictor, at the action threshold T (default 0.96), from the "off" pass:
//   label(s)           an OOM within the next 100 slots: 1 <= oomSlot - s <= 100 (as in training)
//   recall 5-10 s      (the headline) OOM episodes in which the confidence was >= T at some slot in
//                      [oomSlot - 100, oomSlot - 50], / OOM episodes. Bounded on both sides: an
//                      always-high confidence scores 100% on the unbounded one, but its false
//                      positives show it
//   recall >= 5 s      ... at any slot s <= oomSlot - 50 (unbounded; kept for comparison)
//   lead               oomSlot - the first slot >= T within the 100 slots before the OOM
//   FP rate (episodes) non-OOM episodes in which the confidence ever reached T, / non-OOM episodes
//   FP rate (samples)  slots with label 0 and confidence >= T, / slots with label 0
//   precision (alarms) alarms = slots where the confidence rises to >= T; true when an OOM follows
//                      within 100 slots; true alarms / alarms
//   recall at equal FP each predictor's best 5-10 s recall with at most as many false-positive
//                      episodes as the learned model has at T (recallAtFp: the threshold swept over
//                      the episodes' highest confidences)
// Prevention per predictor, "off" against that predictor's pass on the same seeds:
//   prevented          OOM episodes when off with no OOM in the whole acting pass (RUN_SLOTS), / OOM
//                      episodes when off
//   of predicted       ... among the OOM episodes it predicted 5-10 s ahead when off (the target:
//                      >= 50% of predicted OOMs prevented)
//   new OOMs           episodes with an OOM within MAX_SLOTS only when on
// The OOM count is split by cause (fragmentation: >= 2^order pages were free; exhaustion)
// and by whether the full compaction tried at the OOM would have satisfied it.
import {
  runEpisode, EpisodeOptions, EpisodeResult, MODEL_NONE, MODEL_HEURISTIC, MODEL_LEARNED, MODEL_PSI, LEAD_SLOTS,
  HORIZON_SLOTS, isEvaluationSeed, isTrainingSeed, EVAL_SEED_FIRST, RUN_SLOTS,
} from "./episodes";
import { CLASS_COUNT, firstSeedOfClass } from "./classes";
import { PSI_LIMIT } from "./heuristic";
import { OomModel } from "./model";
import { ActionPolicy } from "./actions";
import { EINVAL } from "../../lib/errors";
import { nowTicks, ticksToUs } from "../../platform/time";
import { rankIndex } from "../../lib/stats";

/** Scores of one model. */
export class ModelScore {
  oomEpisodes: i32 = 0;
  safeEpisodes: i32 = 0;
  predicted5s: i32 = 0;
  predictedWindow: i32 = 0;
  /** Of the OOMs a full compaction at the OOM would have fixed: how many were predicted >= 5 s ahead. */
  predictedCompactable: i32 = 0;
  leads: Array<i32> = new Array<i32>(0);
  safeAlarmed: i32 = 0;
  samplesNegative: i64 = 0;
  samplesNegativeAlarm: i64 = 0;
  samplesPositive: i64 = 0;
  samplesPositiveAlarm: i64 = 0;
  alarms: i32 = 0;
  trueAlarms: i32 = 0;
  /** Seeds (index in the run) predicted 5-10 s ahead. */
  predictedMask: Array<bool> = new Array<bool>(0);
  /** Highest confidence in [oomSlot - 100, oomSlot - 50] per OOM episode; highest at all per safe episode. */
  windowMax: Array<f64> = new Array<f64>(0);
  safeMax: Array<f64> = new Array<f64>(0);
  // prevention (the model's own pass)
  onOoms: i32 = 0;
  prevented: i32 = 0;
  preventedPredicted: i32 = 0;
  preventedFragmentation: i32 = 0;
  preventedCompactable: i32 = 0;
  newOoms: i32 = 0;
  /** OOM episodes whose OOM the remedies only delayed past the episode's end (not prevented). */
  pushedPastEnd: i32 = 0;
  compactions: i32 = 0;
  reclaims: i32 = 0;
  throttles: i32 = 0;
  ends: i32 = 0;
  protectedChosen: i32 = 0;
  /** The pass ran (acting passes are optional). */
  ran: bool = false;
  compactTimeUs: u64 = 0;
  passUs: u64 = 0;

  constructor(public name: string) {}

  recall5s(): f64 { return ratio(this.predicted5s, this.oomEpisodes); }
  recallWindow(): f64 { return ratio(this.predictedWindow, this.oomEpisodes); }
  fpEpisodes(): f64 { return ratio(this.safeAlarmed, this.safeEpisodes); }
  fpSamples(): f64 { return this.samplesNegative > 0 ? <f64>this.samplesNegativeAlarm / <f64>this.samplesNegative : NaN; }
  recallSamples(): f64 { return this.samplesPositive > 0 ? <f64>this.samplesPositiveAlarm / <f64>this.samplesPositive : NaN; }
  precisionAlarms(): f64 { return ratio(this.trueAlarms, this.alarms); }
  precisionSamples(): f64 {
    const all = this.samplesNegativeAlarm + this.samplesPositiveAlarm;
    return all > 0 ? <f64>this.samplesPositiveAlarm / <f64>all : NaN;
  }
  preventedShare(): f64 { return ratio(this.prevented, this.oomEpisodes); }
  preventedOfPredicted(): f64 { return ratio(this.preventedPredicted, this.predictedWindow); }
  /** Best 5-10 s recall with a false-positive episode share <= fp (see the header). */
  recallAtFp(fp: f64): f64 {
    const nOom = this.windowMax.length;
    const nSafe = this.safeMax.length;
    if (nOom == 0) return NaN;
    const safe = this.safeMax.slice(0);
    safe.sort((a: f64, b: f64): i32 => (a > b ? -1 : (a < b ? 1 : 0)));
    const allowed = <i32>Math.floor(fp * <f64>nSafe + 1e-9); // safe episodes allowed above the threshold
    // alarms are confidence > cut: the allowed-th highest safe maximum (none above 1 allowed -> cut = highest)
    const cut = nSafe == 0 ? -1.0 : (allowed >= nSafe ? -1.0 : safe[allowed]);
    let hits = 0;
    for (let i = 0; i < nOom; i++) if (this.windowMax[i] > cut) hits++;
    return <f64>hits / <f64>nOom;
  }
  netReduction(): f64 { return ratio(this.oomEpisodes - this.onOoms, this.oomEpisodes); }
  medianLead(): f64 {
    if (this.leads.length == 0) return NaN;
    const sorted = this.leads.slice(0);
    sorted.sort();
    return <f64>sorted[rankIndex(sorted.length, 50)]; // the median (kernel/lib/stats.ts)
  }
}

function ratio(a: i32, b: i32): f64 {
  return b > 0 ? <f64>a / <f64>b : NaN;
}

export class EvalReport {
  error: i32 = 0;
  firstSeed: u64 = 0;
  episodes: i32 = 0;
  threshold: f64 = 0;
  cooldownSlots: i32 = 0;
  oomEpisodes: i32 = 0;
  fragmentationOoms: i32 = 0;
  compactableOoms: i32 = 0;
  slots: i64 = 0;
  /** Episode class of the seeds (-1: all classes, stride 1). */
  cls: i32 = -1;
  stride: u64 = 1;
  heuristic: ModelScore = new ModelScore("heuristic");
  learned: ModelScore = new ModelScore("learned");
  psi: ModelScore = new ModelScore("psi");
  periodic: ModelScore = new ModelScore("periodic");
  /** The learned model with one remedy off: compaction, reclaim, throttle/end. */
  noCompact: ModelScore = new ModelScore("learned-no-compact");
  noReclaim: ModelScore = new ModelScore("learned-no-reclaim");
  noTasks: ModelScore = new ModelScore("learned-no-tasks");
  periodicRun: bool = false;
  ablationRun: bool = false;
  learnedVersion: u32 = 0;
  /** Real time per episode of the "off" pass, us. */
  episodeUs: Array<f64> = new Array<f64>(0);
  totalUs: u64 = 0;
  /** Episodes whose pages did not all come back or whose data check failed (must be 0). */
  dirtyEpisodes: i32 = 0;
}

/** Per-model scoring of one "off" episode. */
export function scoreEpisode(score: ModelScore, conf: StaticArray<f64>, r: EpisodeResult, threshold: f64): void {
  let predicted = false;
  let inWindow = false;
  let anyAlarm = false;
  let firstInHorizon: i32 = -1;
  let windowMax: f64 = 0;
  let allMax: f64 = 0;
  for (let s = 0; s < r.slots; s++) {
    const c = conf[s];
    if (c > allMax) allMax = c;
    if (r.oom && r.oomSlot - s >= LEAD_SLOTS && r.oomSlot - s <= HORIZON_SLOTS && c > windowMax) windowMax = c;
    const alarm = conf[s] >= threshold;
    const label = r.label(s);
    if (label) {
      score.samplesPositive++;
      if (alarm) score.samplesPositiveAlarm++;
    } else {
      score.samplesNegative++;
      if (alarm) score.samplesNegativeAlarm++;
    }
    if (!alarm) continue;
    anyAlarm = true;
    if (s == 0 || conf[s - 1] < threshold) {
      score.alarms++;
      if (label) score.trueAlarms++;
    }
    if (r.oom) {
      const ahead = r.oomSlot - s;
      if (ahead >= LEAD_SLOTS) predicted = true;
      if (ahead >= LEAD_SLOTS && ahead <= HORIZON_SLOTS) inWindow = true;
      if (ahead >= 1 && ahead <= HORIZON_SLOTS && firstInHorizon < 0) firstInHorizon = s;
    }
  }
  if (r.oom) {
    score.oomEpisodes++;
    if (predicted) score.predicted5s++;
    if (predicted && r.oomCompactable) score.predictedCompactable++;
    if (inWindow) score.predictedWindow++;
    if (firstInHorizon >= 0) score.leads.push(r.oomSlot - firstInHorizon);
    score.windowMax.push(windowMax);
  } else {
    score.safeEpisodes++;
    if (anyAlarm) score.safeAlarmed++;
    score.safeMax.push(allMax);
  }
  score.predictedMask.push(inWindow);
}

/**
 * Evaluates every predictor on `count` episodes from `firstSeed` (evaluation seeds only), every
 * `stride`-th seed, with the thresholds and cooldown of `settings`; `learned` must be trained, on
 * seeds disjoint from these. error = -EINVAL otherwise.
 */
export function evaluateModels(firstSeed: u64, count: i32, learned: OomModel, settings: ActionPolicy,
  withPeriodic: bool, stride: u64 = 1, withAblation: bool = false): EvalReport {
  return evaluateOnSeeds(firstSeed, count, learned, settings, withPeriodic, true, stride, withAblation);
}

/** One report per episode class: `perClass` episodes of each, from the first seed of that class >= firstSeed. */
export function evaluateClasses(firstSeed: u64, perClass: i32, learned: OomModel, settings: ActionPolicy,
  withPeriodic: bool, requireEvaluationSeeds: bool, withAblation: bool = false): Array<EvalReport> {
  const out = new Array<EvalReport>(0);
  for (let c = 0; c < CLASS_COUNT; c++) {
    const rep = evaluateOnSeeds(firstSeedOfClass(firstSeed, c), perClass, learned, settings, withPeriodic, requireEvaluationSeeds,
      <u64>CLASS_COUNT, withAblation);
    rep.cls = c;
    out.push(rep);
    if (rep.error < 0) break;
  }
  return out;
}

/** Mean over the reports of a per-report ratio (each class weighted equally; NaN ones skipped). */
export function classMean(values: Array<f64>): f64 {
  let sum: f64 = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (isNaN(values[i])) continue;
    sum += values[i];
    n++;
  }
  return n > 0 ? sum / <f64>n : NaN;
}

/**
 * evaluateModels with requireEvaluationSeeds = false accepts training-range seeds too (still
 * disjoint from the model's own training seeds): development runs that choose settings
 * without looking at the evaluation seeds (tests/unit/ai, build scripts).
 */
export function evaluateOnSeeds(firstSeed: u64, count: i32, learned: OomModel, settings: ActionPolicy,
  withPeriodic: bool, requireEvaluationSeeds: bool, stride: u64 = 1, withAblation: bool = false): EvalReport {
  const rep = new EvalReport();
  rep.firstSeed = firstSeed;
  rep.stride = stride;
  if (stride == 0) stride = 1;
  rep.episodes = count;
  rep.threshold = settings.actionThreshold;
  rep.cooldownSlots = settings.cooldownSlots;
  rep.learnedVersion = learned.version;
  const last = firstSeed + <u64>(count - 1) * stride;
  const trainedLast = learned.trainedSeedStart + learned.trainedSeedCount - 1;
  const inRange = requireEvaluationSeeds ? isEvaluationSeed(firstSeed) && isEvaluationSeed(last) : firstSeed >= 1 && last >= firstSeed;
  if (count <= 0 || !inRange || !learned.trained ||
    (learned.trainedSeedCount > 0 && !(trainedLast < firstSeed || learned.trainedSeedStart > last))) {
    rep.error = -EINVAL;
    return rep;
  }
  // the invariant the checks above guarantee: no seed the model was trained on is scored, and
  // an evaluation scores no training seed at all
  assert(learned.trainedSeedCount == 0 || trainedLast < firstSeed || learned.trainedSeedStart > last);
  if (requireEvaluationSeeds) assert(!isTrainingSeed(firstSeed) && !isTrainingSeed(last) && firstSeed >= EVAL_SEED_FIRST);
  const started = nowTicks();
  const r = new EpisodeResult();
  const offOom = new Array<bool>(count);
  const offFragmented = new Array<bool>(count);
  const offCompactable = new Array<bool>(count);

  // pass "off": both models observe
  const off = new EpisodeOptions();
  off.actingModel = MODEL_NONE;
  off.predictLearned = true;
  off.probeAtOom = true;
  const passStarted = nowTicks();
  for (let i = 0; i < count; i++) {
    const rc = runEpisode(firstSeed + <u64>i * stride, off, learned, r);
    if (rc < 0) {
      rep.error = rc;
      return rep;
    }
    rep.episodeUs.push(<f64>r.timeUs);
    rep.slots += <i64>r.slots;
    if (!r.pagesReturned || r.corrupt > 0 || r.freeErrors > 0) rep.dirtyEpisodes++;
    offOom[i] = r.oom;
    offFragmented[i] = r.oom && r.oomFragmented;
    offCompactable[i] = r.oom && r.oomCompactable;
    if (r.oom) {
      rep.oomEpisodes++;
      if (r.oomFragmented) rep.fragmentationOoms++;
      if (r.oomCompactable) rep.compactableOoms++;
    }
    scoreEpisode(rep.heuristic, r.heuristic, r, settings.actionThreshold);
    scoreEpisode(rep.learned, r.learned, r, settings.actionThreshold);
    scoreEpisode(rep.psi, r.psi, r, PSI_LIMIT); // the rule fires above the limit (sustained for its whole duration)
  }
  const offUs = ticksToUs(nowTicks() - passStarted);
  rep.heuristic.passUs = offUs; // the shared pass; each acting pass adds its own below

  // acting passes: 0 heuristic, 1 learned, 2 psi, 3 periodic, 4..6 learned with one remedy off
  for (let m = 0; m < 7; m++) {
    if (m == 3 && !withPeriodic) continue;
    if (m >= 4 && !withAblation) break;
    const score = m == 0 ? rep.heuristic : (m == 1 ? rep.learned : (m == 2 ? rep.psi : (m == 3 ? rep.periodic :
      (m == 4 ? rep.noCompact : (m == 5 ? rep.noReclaim : rep.noTasks)))));
    const on = new EpisodeOptions();
    on.policy.copySettings(settings);
    on.policy.autoCompact = true;
    on.maxSlots = RUN_SLOTS;
    on.predictLearned = m == 1 || m >= 4;
    on.trace = m < 2;
    if (m == 3) on.compactEverySlots = 50;
    else on.actingModel = m == 0 ? MODEL_HEURISTIC : (m == 2 ? MODEL_PSI : MODEL_LEARNED);
    if (m == 4) on.policy.allowCompact = false;
    if (m == 5) on.policy.allowReclaim = false;
    if (m == 6) on.policy.allowTasks = false;
    const mask = m == 0 ? rep.heuristic.predictedMask : (m == 2 ? rep.psi.predictedMask : rep.learned.predictedMask);
    if (m >= 3) score.oomEpisodes = rep.oomEpisodes;
    if (m >= 4) score.predictedWindow = rep.learned.predictedWindow;
    score.ran = true;
    const t0 = nowTicks();
    for (let i = 0; i < count; i++) {
      const rc = runEpisode(firstSeed + <u64>i * stride, on, learned, r);
      if (rc < 0) {
        rep.error = rc;
        return rep;
      }
      if (!r.pagesReturned || r.corrupt > 0 || r.freeErrors > 0) rep.dirtyEpisodes++;
      score.compactions += r.compactions;
      score.compactTimeUs += r.compactTimeUs;
      score.reclaims += r.reclaims;
      score.throttles += r.throttles;
      score.ends += r.ends;
      score.protectedChosen += r.protectedChosen;
      if (r.oomInEpisode) score.onOoms++;
      if (offOom[i] && !r.oom) {
        score.prevented++;
        if (offFragmented[i]) score.preventedFragmentation++;
        if (offCompactable[i]) score.preventedCompactable++;
        if (m != 3 && mask[i]) score.preventedPredicted++;
      }
      if (!offOom[i] && r.oomInEpisode) score.newOoms++;
      if (offOom[i] && r.oom && !r.oomInEpisode) score.pushedPastEnd++;
    }
    score.passUs += ticksToUs(nowTicks() - t0);
  }
  rep.ablationRun = withAblation;
  rep.periodicRun = withPeriodic;
  rep.totalUs = ticksToUs(nowTicks() - started);
  return rep;
}
