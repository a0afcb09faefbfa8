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
// every episode starts with the same 8 free 4 MiB blocks on any machine. Then the held
// memory tracks a target level that ramps from `start` to `end` of the pool over rampSteps,
// plus a sinusoidal burst, with a seeded mix of movable / unmovable / kmalloc requests and of
// high-order (order 4..maxOrder) page requests. The episode ends at the first OOM event
// (an allocation that failed after direct reclaim: kernel/mm/reclaim.ts) or after
// MAX_SLOTS = 600 slots (60 s). Two kinds of OOM come out of this, both on purpose:
//   exhaustion     the target passes what the pool holds (end level near or above 1):
//                  no compaction can prevent it;
//   fragmentation  a high-order request finds enough free pages but no free block, and the
//                  light direct compaction (<= 64 pages, one region) cannot make one: an
//                  earlier full compaction can.
// Parameters vary with the seed so that about half of the episodes end in OOM when nothing
// intervenes (measured: crashctl eval prints the share).
//
// SEEDS. Training seeds are [TRAIN_SEED_FIRST, EVAL_SEED_FIRST), evaluation seeds
// [EVAL_SEED_FIRST, EVAL_SEED_END): the ranges never overlap (checked by the commands and
// asserted by evaluate.ts). The generator's ranges were chosen by looking at training seeds
// only.
import {
  StressProfile, stressStartProfile, stressStep, stressStop, stressOom, stressActive, stress,
} from "../../mm/stress";
import { freePagesNow } from "../../mm/pages";
import { setEpisodeAccounting } from "../../mm/reclaim";
import { largestFreeBlockPages, fragmentationRatio, allocationFailures, totalAllocations } from "../../mm/stats";
import { slabTotalPages } from "../../mm/slab";
import { Random } from "../../lib/random";
import { nowTicks, ticksToUs } from "../../platform/time";
import { EBUSY } from "../../lib/errors";
import { SampleWindow, computeFeatures, FEATURE_COUNT, SLOTS_PER_SECOND } from "./features";
import { heuristicConfidence } from "./heuristic";
import { OomModel } from "./model";
import { ActionPolicy, ACTION_COMPACT, proactiveCompact } from "./actions";
import { TraceSampler, traceOomDecision } from "./tracing";
import { resolveOutcome } from "../trace";

export const POOL_PAGES: u32 = 8192;
export const MAX_SLOTS: i32 = 600;
/** Label: an OOM within the next HORIZON_SLOTS slots (10 s). */
export const HORIZON_SLOTS: i32 = 100;
/** A prediction counts as >= 5 s ahead when made at least LEAD_SLOTS before the OOM. */
export const LEAD_SLOTS: i32 = 50;

export const TRAIN_SEED_FIRST: u64 = 1;
export const EVAL_SEED_FIRST: u64 = 1_000_000;
export const EVAL_SEED_END: u64 = 2_000_000;

export const MODEL_NONE: i32 = -1;
export const MODEL_HEURISTIC: i32 = 0;
export const MODEL_LEARNED: i32 = 1;

export function modelName(m: i32): string {
  return m == MODEL_LEARNED ? "learned" : (m == MODEL_HEURISTIC ? "heuristic" : "none");
}

export function isTrainingSeed(seed: u64): bool {
  return seed >= TRAIN_SEED_FIRST && seed < EVAL_SEED_FIRST;
}

export function isEvaluationSeed(seed: u64): bool {
  return seed >= EVAL_SEED_FIRST && seed < EVAL_SEED_END;
}

/** The workload of episode `seed`. */
export function episodeProfile(seed: u64): StressProfile {
  const rng = Random.derive(seed, 0x00a1);
  const p = new StressProfile();
  p.poolPages = POOL_PAGES;
  p.opsPerStep = 32;
  // a quarter of the episodes ramp past what the pool holds (exhaustion); the others stay
  // at 40..75% (+ bursts of up to 15%) and meet fragmentation when their 1..4 MiB requests
  // find no free block
  const exhausting = rng.nextFloat() < 0.25;
  p.startLevel = rng.uniform(0.2, 0.4);
  p.endLevel = exhausting ? rng.uniform(0.95, 1.15) : rng.uniform(0.4, 0.75);
  p.rampSteps = 150 + <i32>rng.below(400);
  p.burstAmplitude = rng.uniform(0, 0.15);
  p.burstPeriod = 60 + <i32>rng.below(140);
  // high-order requests: 50..400 per 100 000 requests (one every ~2..12 s), orders 8..10
  p.largePer100k = 50 + <i32>rng.below(350);
  p.minLargeOrder = 8;
  p.maxOrder = 10;
  p.largeUnmovablePercent = <i32>rng.below(10);
  p.unmovablePercent = 1 + <i32>rng.below(8);
  const kmallocPercent = 3 + <i32>rng.below(10);
  p.movablePercent = 100 - p.unmovablePercent - kmallocPercent;
  p.unmovableSparePercent = 0;
  p.requester = "oom-episode " + seed.toString();
  return p;
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
  /**
   * After an OOM, before cleaning up, run one full compaction and record whether it would
   * have satisfied the request (EpisodeResult.oomCompactable). The episode is over by then,
   * so this changes nothing measured; it tells which OOMs compaction could have prevented.
   */
  probeAtOom: bool = false;
}

export class EpisodeResult {
  seed: u64 = 0;
  /** Slots sampled (the OOM slot itself is not sampled). */
  slots: i32 = 0;
  /** Slot (step) of the OOM event; -1 = none within MAX_SLOTS. */
  oomSlot: i32 = -1;
  oomOrder: u32 = 0;
  oomFragmented: bool = false;
  /** probeAtOom: a full compaction at the OOM made a free block of oomOrder. */
  oomCompactable: bool = false;
  compactions: i32 = 0;
  compactPagesMigrated: u64 = 0;
  compactTimeUs: u64 = 0;
  /** Real time the episode took (all steps, sampling, predictions, compactions, cleanup). */
  timeUs: u64 = 0;
  corrupt: u64 = 0;
  freeErrors: u64 = 0;
  /** Free pages before == after the episode. */
  pagesReturned: bool = true;
  /** Confidence per slot, heuristic and learned (0 when not computed). */
  heuristic: StaticArray<f64> = new StaticArray<f64>(MAX_SLOTS);
  learned: StaticArray<f64> = new StaticArray<f64>(MAX_SLOTS);
  /** slots * FEATURE_COUNT features when captured. */
  features: StaticArray<f64> = new StaticArray<f64>(0);

  get oom(): bool {
    return this.oomSlot >= 0;
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

/**
 * Runs episode `seed` to its end (OOM or MAX_SLOTS) with `options`; `learned` gives the
 * learned model's confidence when trained. Returns 0 or -EBUSY (another stress episode is
 * running), or the error of stressStartProfile.
 */
export function runEpisode(seed: u64, options: EpisodeOptions, learned: OomModel, r: EpisodeResult): i32 {
  if (stressActive()) return -EBUSY;
  const started = nowTicks();
  const startRc = stressStartProfile(seed, episodeProfile(seed));
  if (startRc < 0) return startRc;
  setEpisodeAccounting(true); // its OOM events are not the system's (until stressStop below)
  r.seed = seed;
  r.slots = 0;
  r.oomSlot = -1;
  r.oomCompactable = false;
  r.compactions = 0;
  r.compactPagesMigrated = 0;
  r.compactTimeUs = 0;
  if (options.captureFeatures) r.features = new StaticArray<f64>(MAX_SLOTS * FEATURE_COUNT);
  window.reset();
  sampler.reset();
  options.policy.resetCooldown();
  pendingIds.length = 0;
  pendingSlots.length = 0;
  const useLearned = learned.trained && (options.predictLearned || options.actingModel == MODEL_LEARNED);
  let lastAllocations = totalAllocations();
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    stressStep();
    if (stressOom()) {
      r.oomSlot = slot;
      r.oomOrder = stress.oomOrder;
      r.oomFragmented = stress.oomFragmented;
      if (options.probeAtOom) r.oomCompactable = proactiveCompact().largestAfter >= (<u32>1 << r.oomOrder);
      break;
    }
    // the sample the 100 ms sampler would take at the end of this slot
    const allocations = totalAllocations();
    window.push(<f64>freePagesNow(), <f64>largestFreeBlockPages(), fragmentationRatio(), <f64>allocationFailures(),
      <f64>(allocations - lastAllocations) * <f64>SLOTS_PER_SECOND, <f64>slabTotalPages());
    lastAllocations = allocations;
    computeFeatures(window, features);
    if (options.captureFeatures) {
      for (let i = 0; i < FEATURE_COUNT; i++) unchecked(r.features[slot * FEATURE_COUNT + i] = features[i]);
    }
    const h = heuristicConfidence(features);
    const l = useLearned ? learned.predict(features) : 0.0;
    unchecked(r.heuristic[slot] = h);
    unchecked(r.learned[slot] = l);
    r.slots = slot + 1;
    if (options.compactEverySlots > 0 && slot % options.compactEverySlots == options.compactEverySlots - 1) {
      const c = proactiveCompact();
      r.compactions++;
      r.compactPagesMigrated += <u64>c.pagesMigrated;
      r.compactTimeUs += c.timeUs;
    } else if (options.actingModel != MODEL_NONE) {
      const p = options.actingModel == MODEL_LEARNED ? l : h;
      const action = options.policy.decide(p, <i64>slot, window.largest[window.index(0)]);
      if (options.trace && sampler.select(p, options.policy.warningThreshold, action)) {
        pendingIds.push(traceOomDecision(options.actingModel == MODEL_LEARNED ? learned.version : 0, features, p, action));
        pendingSlots.push(slot);
      }
      if (action == ACTION_COMPACT) {
        const c = proactiveCompact();
        r.compactions++;
        r.compactPagesMigrated += <u64>c.pagesMigrated;
        r.compactTimeUs += c.timeUs;
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
