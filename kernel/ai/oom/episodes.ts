// OOM episodes: a seeded generator of memory workloads on top of kernel/mm/stress.ts, and
// the runner that steps one episode while sampling, predicting and (optionally) acting.
//
// TIME. An episode runs step by step. In evaluation and training the steps run back to back:
// one workload step per 100 ms sample slot, and after each step the memory statistics are
// sampled exactly as the 100 ms sampler would (same quantities, allocations/s = allocations
// in the step / 0.1 s). The allocations are real; only the clock is the step count, so
// "time" in evaluation is measured in 100 ms sample slots (50 slots = 5 s). Running 50+
// episodes in real time would take many minutes. The live episode (live.ts) runs the same
// steps one per 100 ms of real time, and the predictor then reads the real sampler's ring.
// The time a compaction takes is not charged to the slot clock (it is reported separately).
//
// AN EPISODE. poolPages = 8192 (32 MiB): stress.ts pins all other free memory first, so
// every episode starts with the same 8 free 4 MiB blocks on any machine. Its class (leak, ramp,
// burst, frag, mixed: classes.ts) is seed % 5; the service task tracks a target level, the
// class's other tasks (leaker, batch tasks, file cache, kworker) run after it in each slot.
// The episode ends at the first OOM event (an allocation that failed after direct reclaim:
// kernel/mm/reclaim.ts) or after MAX_SLOTS = 600 slots (60 s); acting passes of the evaluation
// run PREVENT_GRACE_SLOTS more, so that an OOM merely pushed past the end is not "prevented".
// Two causes of OOM: exhaustion (fewer than 2^order pages free) and fragmentation (enough free
// pages, no free block, and the light direct compaction could not make one).
// PRESSURE. Each slot's memory stall share is the episode's counted stall cost in direct reclaim
// (reclaim.ts episodeStallCost, kernel/mm/psi.ts stallCost) over the slot's counted work (its
// allocator operations plus that stall cost): deterministic, so two runs of an evaluation give
// the same numbers (the measured stall time, reclaim.ts episodeStallUs, is still counted but no
// longer feeds the model). "full" when every task that made a request in the slot stalled.
// Averaged like PSI (kernel/mm/psi.ts) with 0.1 s per slot.
//
// SEEDS. Training seeds are [TRAIN_SEED_FIRST, DEV_SEED_FIRST), development seeds
// [DEV_SEED_FIRST, EVAL_SEED_FIRST) (settings are chosen there: tests/unit/ai/oom-dev.ts),
// evaluation seeds [EVAL_SEED_FIRST, EVAL_SEED_END): the ranges never overlap (checked by the
// commands and asserted by evaluate.ts). The generator's ranges were chosen by looking at
// training seeds only. `crashctl train` accepts development seeds too (as before issue 21).
import {
  StressProfile, stressStartProfile, stressStepTask0, stressBeginStep, stressEndStep, stressStop, stressOom, stressActive,
  stress, stressTaskPages, STRESS_TASKS, stressReseed,
} from "../../mm/stress";
import { freePagesNow } from "../../mm/pages";
import { setEpisodeAccounting, reclaim, reclaimablePages, proactiveReclaim } from "../../mm/reclaim";
import { PsiAverages } from "../../mm/psi";
import { largestFreeBlockPages, fragmentationRatio, allocationFailures, totalAllocations } from "../../mm/stats";
import { slabTotalPages } from "../../mm/slab";
import { Random } from "../../lib/random";
import { nowTicks, ticksToUs } from "../../platform/time";
import { EBUSY } from "../../lib/errors";
import { SampleWindow, computeFeatures, FEATURE_COUNT, SLOTS_PER_SECOND, WINDOW_SAMPLES, F_AVAIL_TREND_5S, F_BURST_HEADROOM } from "./features";
import { heuristicConfidence, psiRuleConfidence, PSI_LIMIT } from "./heuristic";
import { OomModel } from "./model";
import {
  ActionPolicy, RemedyContext, ACTION_COMPACT, ACTION_RECLAIM, ACTION_THROTTLE, ACTION_END, ACTION_NONE, isRemedy, proactiveCompact,
} from "./actions";
import { TraceSampler, traceOomDecision } from "./tracing";
import { resolveOutcome } from "../trace";
import {
  planEpisode, EpisodePlan, EpisodeState, driveTasks, registerEpisodeCache, throttleTask, endTask, taskProtected, TASK_SERVICE,
  CLASS_FRAG,
} from "./classes";

export const POOL_PAGES: u32 = 8192;
export const MAX_SLOTS: i32 = 600;
/** Acting passes run this much longer: an OOM pushed past the episode's end is not prevented. */
export const PREVENT_GRACE_SLOTS: i32 = 100;
export const RUN_SLOTS: i32 = MAX_SLOTS + PREVENT_GRACE_SLOTS;
/** Label: an OOM within the next HORIZON_SLOTS slots (10 s). */
export const HORIZON_SLOTS: i32 = 100;
/** A prediction counts as >= 5 s ahead when made at least LEAD_SLOTS before the OOM. */
export const LEAD_SLOTS: i32 = 50;

export const TRAIN_SEED_FIRST: u64 = 1;
export const DEV_SEED_FIRST: u64 = 500_000;
export const EVAL_SEED_FIRST: u64 = 1_000_000;
export const EVAL_SEED_END: u64 = 2_000_000;

export const MODEL_NONE: i32 = -1;
export const MODEL_HEURISTIC: i32 = 0;
export const MODEL_LEARNED: i32 = 1;
/** The systemd-oomd-like PSI rule (heuristic.ts psiRuleConfidence); its remedy is ending the top task. */
export const MODEL_PSI: i32 = 2;

export function modelName(m: i32): string {
  return m == MODEL_LEARNED ? "learned" : (m == MODEL_HEURISTIC ? "heuristic" : (m == MODEL_PSI ? "psi" : "none"));
}

export function isTrainingSeed(seed: u64): bool {
  return seed >= TRAIN_SEED_FIRST && seed < EVAL_SEED_FIRST;
}

export function isDevelopmentSeed(seed: u64): bool {
  return seed >= DEV_SEED_FIRST && seed < EVAL_SEED_FIRST;
}

export function isEvaluationSeed(seed: u64): bool {
  return seed >= EVAL_SEED_FIRST && seed < EVAL_SEED_END;
}

/** The service task's workload of episode `seed` (classes.ts has the whole plan). */
export function episodeProfile(seed: u64): StressProfile {
  return planEpisode(seed).profile;
}

/** How to run an episode. */
export class EpisodeOptions {
  /** The model whose confidence drives actions (MODEL_NONE: actions off). */
  actingModel: i32 = MODEL_NONE;
  policy: ActionPolicy = new ActionPolicy();
  /** Compute the learned model's confidence too (when it is trained). */
  predictLearned: bool = true;
  /** Keep every slot's features (training). */
  captureFeatures: bool = false;
  /** Trace the acting model's decisions. */
  trace: bool = false;
  /** > 0: no model; a full compaction every this many slots (the periodic baseline). */
  compactEverySlots: i32 = 0;
  /** Slots to run at most (MAX_SLOTS; RUN_SLOTS for acting passes). */
  maxSlots: i32 = MAX_SLOTS;
  /**
   * After an OOM, before cleaning up, run one full compaction and record whether it would
   * have satisfied the request (EpisodeResult.oomCompactable). The episode is over by then,
   * so this changes nothing measured; it tells which OOMs compaction could have prevented.
   */
  probeAtOom: bool = false;
  /**
   * >= 0: from this slot on, the workload's random draws come from `reseedWith` instead (the
   * plan, and everything before the slot, stay the episode's): oracle.ts resamples futures.
   */
  reseedAt: i32 = -1;
  reseedWith: u64 = 0;
}

export class EpisodeResult {
  seed: u64 = 0;
  cls: i32 = CLASS_FRAG;
  /** Slots sampled (the OOM slot itself is not sampled). */
  slots: i32 = 0;
  /** Slot (step) of the OOM event; -1 = none within the slots run. */
  oomSlot: i32 = -1;
  oomOrder: u32 = 0;
  oomFragmented: bool = false;
  /** Free pages and the service task's pages at the OOM. */
  oomFreePages: u32 = 0;
  oomServicePages: u32 = 0;
  /** Bursts begun before the OOM (classes.ts EpisodeState.burstIndex + 1; 0 for a class without bursts). */
  oomBursts: i32 = 0;
  /** probeAtOom: a full compaction at the OOM made a free block of oomOrder. */
  oomCompactable: bool = false;
  compactions: i32 = 0;
  compactPagesMigrated: u64 = 0;
  compactTimeUs: u64 = 0;
  reclaims: i32 = 0;
  reclaimedPages: u64 = 0;
  throttles: i32 = 0;
  ends: i32 = 0;
  /** Remedies aimed at a protected task (must stay 0: taskProtected refuses them). */
  protectedChosen: i32 = 0;
  /** Sums over the sampled slots of the counted stall share (the feature) and of the measured one. */
  countedShareSum: f64 = 0;
  measuredShareSum: f64 = 0;
  /** Real time the episode took (all steps, sampling, predictions, compactions, cleanup). */
  timeUs: u64 = 0;
  corrupt: u64 = 0;
  freeErrors: u64 = 0;
  /** Free pages before == after the episode. */
  pagesReturned: bool = true;
  /** Confidence per slot: heuristic, learned (0 when not computed), PSI rule. */
  heuristic: StaticArray<f64> = new StaticArray<f64>(RUN_SLOTS);
  learned: StaticArray<f64> = new StaticArray<f64>(RUN_SLOTS);
  psi: StaticArray<f64> = new StaticArray<f64>(RUN_SLOTS);
  /** slots * FEATURE_COUNT features when captured. */
  features: StaticArray<f64> = new StaticArray<f64>(0);

  get oom(): bool {
    return this.oomSlot >= 0;
  }

  /** An OOM within the episode proper (the first MAX_SLOTS slots). */
  get oomInEpisode(): bool {
    return this.oomSlot >= 0 && this.oomSlot < MAX_SLOTS;
  }

  /** The training label of slot s: an OOM within the next HORIZON_SLOTS slots. */
  label(s: i32): bool {
    return this.oomSlot >= 0 && this.oomSlot > s && this.oomSlot - s <= HORIZON_SLOTS;
  }
}

// reused between episodes (the kernel runs one at a time)
const window = new SampleWindow();
const features = new StaticArray<f64>(FEATURE_COUNT);
const sampler = new TraceSampler();
const pendingIds = new Array<u64>(0);
const pendingSlots = new Array<i32>(0);
const psiAvg = new PsiAverages();
const state = new EpisodeState();
const remedy = new RemedyContext();
/** Pages held per task per slot (ring of WINDOW_SAMPLES), for "the task whose growth drives the risk". */
const taskHistory = new StaticArray<f64>(STRESS_TASKS * WINDOW_SAMPLES);
const throttledSlot = new StaticArray<i64>(STRESS_TASKS);
let historyCount: i32 = 0;

function recordTaskPages(slot: i32): void {
  const at = slot % WINDOW_SAMPLES;
  for (let t = 0; t < STRESS_TASKS; t++) unchecked(taskHistory[t * WINDOW_SAMPLES + at] = <f64>stressTaskPages(<u32>t));
  historyCount = slot + 1;
}

/**
 * The unprotected, not ended task whose growth over the last 30 s is largest: the highest
 * pages it held in that span minus what it held at its start. Fills remedy.topTask/topGrowth.
 */
function findTopTask(slot: i32): void {
  remedy.topTask = -1;
  remedy.topGrowth = 0;
  remedy.topThrottledSlot = -1;
  const span = min(30 * SLOTS_PER_SECOND, historyCount - 1);
  if (span <= 0) return;
  for (let t = 0; t < STRESS_TASKS; t++) {
    if (taskProtected(t) || state.ended(t)) continue;
    const base = t * WINDOW_SAMPLES;
    const start = unchecked(taskHistory[base + (slot - span) % WINDOW_SAMPLES]);
    let peak = start;
    for (let a = 0; a < span; a++) peak = max(peak, unchecked(taskHistory[base + (slot - a) % WINDOW_SAMPLES]));
    const growth = peak - start;
    if (growth > remedy.topGrowth) {
      remedy.topGrowth = growth;
      remedy.topTask = t;
    }
  }
  if (remedy.topTask >= 0) remedy.topThrottledSlot = unchecked(throttledSlot[remedy.topTask]);
}

/** Applies a remedy to the episode; returns it, or ACTION_NONE when it had nothing to act on. */
function applyRemedy(action: i32, slot: i32, r: EpisodeResult): i32 {
  if (action == ACTION_COMPACT) {
    const c = proactiveCompact();
    r.compactions++;
    r.compactPagesMigrated += <u64>c.pagesMigrated;
    r.compactTimeUs += c.timeUs;
  } else if (action == ACTION_RECLAIM) {
    r.reclaims++;
    r.reclaimedPages += <u64>proactiveReclaim();
  } else if (action == ACTION_THROTTLE || action == ACTION_END) {
    const t = remedy.topTask;
    if (t < 0) return ACTION_NONE;
    if (taskProtected(t)) {
      r.protectedChosen++;
      return ACTION_NONE;
    }
    if (action == ACTION_THROTTLE) {
      if (!throttleTask(state, t)) return ACTION_NONE;
      unchecked(throttledSlot[t] = <i64>slot);
      r.throttles++;
    } else {
      endTask(state, t);
      r.ends++;
    }
  }
  return action;
}

/**
 * Runs episode `seed` to its end (OOM or options.maxSlots) with `options`; `learned` gives the
 * learned model's confidence when trained. Returns 0 or -EBUSY (another stress episode is
 * running), or the error of stressStartProfile.
 */
export function runEpisode(seed: u64, options: EpisodeOptions, learned: OomModel, r: EpisodeResult): i32 {
  if (stressActive()) return -EBUSY;
  const started = nowTicks();
  const plan: EpisodePlan = planEpisode(seed);
  registerEpisodeCache();
  const startRc = stressStartProfile(seed, plan.profile);
  if (startRc < 0) return startRc;
  setEpisodeAccounting(true); // its OOM events are not the system's (until stressStop below)
  const maxSlots = min(options.maxSlots, RUN_SLOTS);
  r.seed = seed;
  r.cls = plan.cls;
  r.slots = 0;
  r.oomSlot = -1;
  r.oomCompactable = false;
  r.compactions = 0;
  r.compactPagesMigrated = 0;
  r.compactTimeUs = 0;
  r.reclaims = 0;
  r.reclaimedPages = 0;
  r.throttles = 0;
  r.ends = 0;
  r.protectedChosen = 0;
  r.countedShareSum = 0;
  r.measuredShareSum = 0;
  if (options.captureFeatures) r.features = new StaticArray<f64>(MAX_SLOTS * FEATURE_COUNT);
  window.reset();
  sampler.reset();
  psiAvg.reset();
  state.reset();
  historyCount = 0;
  for (let t = 0; t < STRESS_TASKS; t++) unchecked(throttledSlot[t] = -1);
  options.policy.resetCooldown();
  pendingIds.length = 0;
  pendingSlots.length = 0;
  let rng = Random.derive(seed, 0x7a5c);
  const useLearned = learned.trained && (options.predictLearned || options.actingModel == MODEL_LEARNED);
  let lastAllocations = totalAllocations();
  for (let slot = 0; slot < maxSlots; slot++) {
    if (slot == options.reseedAt) {
      stressReseed(options.reseedWith);
      rng = Random.derive(options.reseedWith, 0x7a5c);
    }
    const stallBefore = reclaim.episodeStallCost;
    const stepStart = nowTicks();
    const stallUsBefore = reclaim.episodeStallUs;
    const workBefore = stress.allocations + stress.frees + stress.failures;
    stressBeginStep();
    if (!state.ended(TASK_SERVICE)) stressStepTask0();
    if (!stressOom()) driveTasks(plan, state, slot, rng);
    stressEndStep();
    if (stressOom()) {
      r.oomSlot = slot;
      r.oomOrder = stress.oomOrder;
      r.oomFragmented = stress.oomFragmented;
      r.oomFreePages = freePagesNow();
      r.oomServicePages = stressTaskPages(0);
      r.oomBursts = state.burstIndex + 1;
      if (options.probeAtOom) r.oomCompactable = proactiveCompact().largestAfter >= (<u32>1 << r.oomOrder);
      break;
    }
    // this slot's pressure: counted stall cost over the slot's counted work (see PRESSURE)
    const stall = <f64>(reclaim.episodeStallCost - stallBefore);
    const work = <f64>(stress.allocations + stress.frees + stress.failures - workBefore) + stall;
    const some = work > 0 ? stall / work : 0.0;
    // the measured share, kept only to check the cost model's scale (never a feature)
    r.measuredShareSum += <f64>(reclaim.episodeStallUs - stallUsBefore) / <f64>max<u64>(1, ticksToUs(nowTicks() - stepStart));
    r.countedShareSum += some;
    const full = stress.requestMask != 0 && stress.stallMask == stress.requestMask ? some : 0.0;
    psiAvg.update(some, full, 1.0 / <f64>SLOTS_PER_SECOND);
    // the sample the 100 ms sampler would take at the end of this slot
    const allocations = totalAllocations();
    window.push(<f64>freePagesNow(), <f64>largestFreeBlockPages(), fragmentationRatio(), <f64>allocationFailures(),
      <f64>(allocations - lastAllocations) * <f64>SLOTS_PER_SECOND, <f64>slabTotalPages(), <f64>reclaimablePages(),
      psiAvg.some10, psiAvg.some60, psiAvg.full10);
    lastAllocations = allocations;
    recordTaskPages(slot);
    computeFeatures(window, features);
    if (options.captureFeatures && slot < MAX_SLOTS) {
      for (let i = 0; i < FEATURE_COUNT; i++) unchecked(r.features[slot * FEATURE_COUNT + i] = features[i]);
    }
    const h = heuristicConfidence(features);
    const l = useLearned ? learned.predict(features) : 0.0;
    const q = psiRuleConfidence(window);
    unchecked(r.heuristic[slot] = h);
    unchecked(r.learned[slot] = l);
    unchecked(r.psi[slot] = q);
    r.slots = slot + 1;
    if (options.compactEverySlots > 0) {
      if (slot % options.compactEverySlots == options.compactEverySlots - 1) applyRemedy(ACTION_COMPACT, slot, r);
    } else if (options.actingModel != MODEL_NONE) {
      const p = options.actingModel == MODEL_LEARNED ? l : (options.actingModel == MODEL_PSI ? q : h);
      remedy.freePages = <f64>freePagesNow();
      remedy.largestFreePages = window.largest[window.index(0)];
      remedy.reclaimablePages = window.reclaimable[window.index(0)];
      remedy.availTrend5s = features[F_AVAIL_TREND_5S];
      remedy.burstHeadroom = features[F_BURST_HEADROOM];
      findTopTask(slot);
      let action: i32;
      if (options.actingModel == MODEL_PSI) {
        // oomd: when the rule fires, end the task driving the pressure (once per cooldown)
        action = p > PSI_LIMIT && remedy.topTask >= 0 && slot - options.policy.lastCompactSlot >= <i64>options.policy.cooldownSlots
          ? ACTION_END : ACTION_NONE;
        if (action == ACTION_END) options.policy.lastCompactSlot = <i64>slot;
      } else {
        action = options.policy.decide(p, <i64>slot, remedy);
      }
      if (isRemedy(action)) action = applyRemedy(action, slot, r);
      if (options.trace && sampler.select(p, options.policy.warningThreshold, action)) {
        pendingIds.push(traceOomDecision(options.actingModel == MODEL_LEARNED ? learned.version : 0, features, p, action));
        pendingSlots.push(slot);
      }
    }
  }
  const corruptBefore = stress.corrupt;
  stressStop(false);
  setEpisodeAccounting(false);
  r.corrupt = stress.corrupt;
  r.freeErrors = stress.freeErrors;
  r.pagesReturned = stress.endFreePages == stress.systemFreePages && corruptBefore == stress.corrupt;
  // the episode is over: every traced decision's outcome is known
  for (let i = 0; i < pendingIds.length; i++) {
    resolveOutcome(pendingIds[i], r.label(pendingSlots[i]) ? 1.0 : 0.0);
  }
  r.timeUs = ticksToUs(nowTicks() - started);
  return 0;
}
