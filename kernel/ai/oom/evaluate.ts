// Evaluation of the OOM predictors on recorded outcomes (`crashctl eval`, bench/oom.bench.ts).
//
// Time is measured in 100 ms sample slots (episodes.ts explains why). For a set of
// evaluation seeds (never training seeds: checked), the same episodes run several times:
//
//   pass "off"        no action. Both models predict on every slot (their predictions change
//                     nothing), so this one pass scores both. At each OOM a full compaction is
//                     also tried (probeAtOom) to tell which OOMs compaction could have fixed.
//   pass "heuristic"  auto-compaction driven by the heuristic (ActionPolicy: threshold,
//                     cooldown)
//   pass "learned"    the same driven by the learned model
//   pass "periodic"   (optional) a full compaction every 50 slots, no model: a reference
//
// Metrics per model, at the action threshold T (default 0.9), from the "off" pass:
//   label(s)           an OOM within the next 100 slots: 1 <= oomSlot - s <= 100 (as in training)
//   recall >= 5 s      OOM episodes in which the confidence was >= T at some slot s <= oomSlot - 50
//                      (the definition), / OOM episodes
//   recall 5-10 s      ... at some slot in [oomSlot - 100, oomSlot - 50] (stricter: the alarm was
//                      about this OOM, not an old one), / OOM episodes
//   lead               oomSlot - the first slot >= T within the 100 slots before the OOM
//                      (median over OOM episodes with such a slot)
//   FP rate (episodes) non-OOM episodes in which the confidence ever reached T, / non-OOM episodes
//   FP rate (samples)  slots with label 0 and confidence >= T, / slots with label 0
//   recall (samples)   slots with label 1 and confidence >= T, / slots with label 1
//   precision (alarms) alarms = slots where the confidence rises to >= T (from below, or at the
//                      first slot); an alarm is true when an OOM follows within 100 slots;
//                      true alarms / alarms
//   precision (samples) slots with confidence >= T that have label 1, / slots with confidence >= T
// Prevention per model, "off" against that model's pass on the same seeds:
//   prevented          episodes with an OOM when off and none when on, / OOM episodes when off
//   of predicted       ... among the OOM episodes the model predicted >= 5 s ahead when off
//   new OOMs           episodes with an OOM only when on
//   net                (OOMs off - OOMs on) / OOMs off
// The OOM count is split by cause (fragmentation: >= 2^order pages were free; exhaustion)
// and by whether the full compaction tried at the OOM would have satisfied it.
import {
  runEpisode, EpisodeOptions, EpisodeResult, MODEL_NONE, MODEL_HEURISTIC, MODEL_LEARNED, LEAD_SLOTS,
  HORIZON_SLOTS, isEvaluationSeed, isTrainingSeed, EVAL_SEED_FIRST,
} from "./episodes";
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
  /** Seeds (index in the run) predicted >= 5 s ahead. */
  predictedMask: Array<bool> = new Array<bool>(0);
  // prevention (the model's own pass)
  onOoms: i32 = 0;
  prevented: i32 = 0;
  preventedPredicted: i32 = 0;
  preventedFragmentation: i32 = 0;
  preventedCompactable: i32 = 0;
  newOoms: i32 = 0;
  compactions: i32 = 0;
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
  preventedOfPredicted(): f64 { return ratio(this.preventedPredicted, this.predicted5s); }
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
  heuristic: ModelScore = new ModelScore("heuristic");
  learned: ModelScore = new ModelScore("learned");
  periodic: ModelScore = new ModelScore("periodic");
  periodicRun: bool = false;
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
  for (let s = 0; s < r.slots; s++) {
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
  } else {
    score.safeEpisodes++;
    if (anyAlarm) score.safeAlarmed++;
  }
  score.predictedMask.push(predicted);
}

/**
 * Evaluates both models on `count` episodes from `firstSeed` (evaluation seeds only) with
 * the thresholds and cooldown of `settings`; `learned` must be trained, on seeds disjoint
 * from these. error = -EINVAL otherwise.
 */
export function evaluateModels(firstSeed: u64, count: i32, learned: OomModel, settings: ActionPolicy,
  withPeriodic: bool): EvalReport {
  return evaluateOnSeeds(firstSeed, count, learned, settings, withPeriodic, true);
}

/**
 * evaluateModels with requireEvaluationSeeds = false accepts training-range seeds too (still
 * disjoint from the model's own training seeds): development runs that choose settings
 * without looking at the evaluation seeds (tests/unit/ai, build scripts).
 */
export function evaluateOnSeeds(firstSeed: u64, count: i32, learned: OomModel, settings: ActionPolicy,
  withPeriodic: bool, requireEvaluationSeeds: bool): EvalReport {
  const rep = new EvalReport();
  rep.firstSeed = firstSeed;
  rep.episodes = count;
  rep.threshold = settings.actionThreshold;
  rep.cooldownSlots = settings.cooldownSlots;
  rep.learnedVersion = learned.version;
  const last = firstSeed + <u64>count - 1;
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
    const rc = runEpisode(firstSeed + <u64>i, off, learned, r);
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
  }
  const offUs = ticksToUs(nowTicks() - passStarted);
  rep.heuristic.passUs = offUs; // the shared pass; each acting pass adds its own below

  // acting passes
  for (let m = 0; m < 3; m++) {
    if (m == 2 && !withPeriodic) break;
    const score = m == 0 ? rep.heuristic : (m == 1 ? rep.learned : rep.periodic);
    const on = new EpisodeOptions();
    on.policy.copySettings(settings);
    on.policy.autoCompact = true;
    on.predictLearned = m == 1;
    on.trace = m < 2;
    if (m == 2) on.compactEverySlots = 50;
    else on.actingModel = m == 0 ? MODEL_HEURISTIC : MODEL_LEARNED;
    const t0 = nowTicks();
    for (let i = 0; i < count; i++) {
      const rc = runEpisode(firstSeed + <u64>i, on, learned, r);
      if (rc < 0) {
        rep.error = rc;
        return rep;
      }
      if (!r.pagesReturned || r.corrupt > 0 || r.freeErrors > 0) rep.dirtyEpisodes++;
      score.compactions += r.compactions;
      score.compactTimeUs += r.compactTimeUs;
      if (r.oom) score.onOoms++;
      if (offOom[i] && !r.oom) {
        score.prevented++;
        if (offFragmented[i]) score.preventedFragmentation++;
        if (offCompactable[i]) score.preventedCompactable++;
        if (m < 2 && score.predictedMask[i]) score.preventedPredicted++;
      }
      if (!offOom[i] && r.oom) score.newOoms++;
    }
    if (m == 2) score.oomEpisodes = rep.oomEpisodes;
    score.passUs += ticksToUs(nowTicks() - t0);
  }
  rep.periodicRun = withPeriodic;
  rep.totalUs = ticksToUs(nowTicks() - started);
  return rep;
}
