// The oracle analysis (issue 21): which OOMs could be predicted 5-10 s ahead at all?
//
// The oracle knows everything a predictor could: the whole state of the episode at slot s (every
// allocation, where it lies) and the episode's plan (classes.ts: its class, leak rate, burst sizes,
// periods and growth, the service's request mix), i.e. the future allocation schedule. It does not
// know the dice: which request of the mix comes next, which allocation a free picks, which small
// request is a 1..4 MiB one. Its probability of "an OOM within the next 10 s" at slot s is measured,
// not modelled: the episode is replayed (deterministically) up to s, then continued FUTURES times
// with fresh random draws from s + 1 on (EpisodeOptions.reseedAt), and
//   P(s) = continuations with an OOM in (s, s + HORIZON_SLOTS] (within MAX_SLOTS) / FUTURES.
// No predictor that sees the same episode can do better than P on average, so where P stays low
// 5-10 s before the OOM, that OOM is inherently unpredictable that far ahead (a large request that
// may or may not come, a burst that may or may not fit), and where P is high the information was
// there.
//
// Scores per class, like evaluate.ts's (the oracle's confidence = P):
//   OOM episodes   the highest P at the window's points s = oomSlot - 100, -90, ..., -50
//   safe episodes  the highest P at s = 0, step, 2 step, ... (< MAX_SLOTS)
//   recall at T    OOM episodes whose window maximum >= T, false positives at T: safe episodes
//                  whose maximum >= T; recallAtFp as evaluate.ts (the threshold swept).
// It is an evaluation tool (`crashctl oracle`, bench/oom.bench.ts): FUTURES continuations of up
// to 10 s per point make it ~100 times dearer than an episode.
import {
  runEpisode, EpisodeOptions, EpisodeResult, MODEL_NONE, MAX_SLOTS, HORIZON_SLOTS, LEAD_SLOTS,
} from "./episodes";
import { ModelScore } from "./evaluate";
import { OomModel } from "./model";
import { classOfSeed } from "./classes";
import { EINVAL } from "../../lib/errors";

export const DEFAULT_FUTURES: i32 = 8;
/** Slots between the points of a safe episode. */
export const DEFAULT_SAFE_STEP: i32 = 25;
/** Slots between the points of an OOM episode's window. */
export const WINDOW_STEP: i32 = 10;

const noModel = new OomModel();
const replay = new EpisodeResult();

/**
 * P(an OOM within HORIZON_SLOTS after slot `s` | episode `seed` up to s, its plan), over `futures`
 * continuations; NaN when an episode cannot run.
 */
export function oracleProbability(seed: u64, s: i32, futures: i32): f64 {
  const o = new EpisodeOptions();
  o.actingModel = MODEL_NONE;
  o.predictLearned = false;
  o.reseedAt = s + 1;
  o.maxSlots = min(s + 1 + HORIZON_SLOTS, MAX_SLOTS);
  let hits = 0;
  for (let k = 0; k < futures; k++) {
    // continuation k's draws: one seed per (episode, slot, k), never the episode's own
    o.reseedWith = (seed * 0x100000001b3) ^ (<u64>s << 20) ^ <u64>(k + 1) ^ 0x0ac1e0ac1e;
    if (runEpisode(seed, o, noModel, replay) < 0) return NaN;
    if (replay.oomSlot > s && replay.oomSlot - s <= HORIZON_SLOTS) hits++;
  }
  return <f64>hits / <f64>futures;
}

export class OracleReport {
  error: i32 = 0;
  cls: i32 = -1;
  futures: i32 = 0;
  score: ModelScore = new ModelScore("oracle");
  /** Per OOM episode: the mean P over the window's points (how sure the information makes one). */
  windowMean: Array<f64> = new Array<f64>(0);
  continuations: i64 = 0;

  recallAt(t: f64): f64 {
    let n = 0;
    for (let i = 0; i < this.score.windowMax.length; i++) if (this.score.windowMax[i] >= t) n++;
    return this.score.windowMax.length > 0 ? <f64>n / <f64>this.score.windowMax.length : NaN;
  }

  fpAt(t: f64): f64 {
    let n = 0;
    for (let i = 0; i < this.score.safeMax.length; i++) if (this.score.safeMax[i] >= t) n++;
    return this.score.safeMax.length > 0 ? <f64>n / <f64>this.score.safeMax.length : NaN;
  }

  meanWindowP(): f64 {
    let sum: f64 = 0;
    for (let i = 0; i < this.windowMean.length; i++) sum += this.windowMean[i];
    return this.windowMean.length > 0 ? sum / <f64>this.windowMean.length : NaN;
  }
}

/**
 * The oracle on `count` episodes from `firstSeed`, every `stride`-th seed (stride 5 keeps one
 * class), `futures` continuations per point, safe episodes' points every `safeStep` slots.
 */
export function oracleOnSeeds(firstSeed: u64, count: i32, stride: u64, futures: i32, safeStep: i32): OracleReport {
  const rep = new OracleReport();
  rep.futures = futures;
  if (count <= 0 || futures <= 0 || safeStep <= 0 || firstSeed == 0 || stride == 0) {
    rep.error = -EINVAL;
    return rep;
  }
  rep.cls = classOfSeed(firstSeed);
  const off = new EpisodeOptions();
  off.actingModel = MODEL_NONE;
  off.predictLearned = false;
  const r = new EpisodeResult();
  for (let i = 0; i < count; i++) {
    const seed = firstSeed + <u64>i * stride;
    const rc = runEpisode(seed, off, noModel, r);
    if (rc < 0) {
      rep.error = rc;
      return rep;
    }
    if (r.oomInEpisode) {
      const oomSlot = r.oomSlot;
      let best: f64 = 0, sum: f64 = 0;
      let points = 0;
      for (let s = oomSlot - HORIZON_SLOTS; s <= oomSlot - LEAD_SLOTS; s += WINDOW_STEP) {
        const p = s < 0 ? 0.0 : oracleProbability(seed, s, futures);
        if (isNaN(p)) {
          rep.error = -EINVAL;
          return rep;
        }
        if (s >= 0) rep.continuations += <i64>futures;
        best = max(best, p);
        sum += p;
        points++;
      }
      rep.score.oomEpisodes++;
      rep.score.windowMax.push(best);
      rep.windowMean.push(sum / <f64>points);
    } else {
      let best: f64 = 0;
      for (let s = 0; s < MAX_SLOTS; s += safeStep) {
        const p = oracleProbability(seed, s, futures);
        if (isNaN(p)) {
          rep.error = -EINVAL;
          return rep;
        }
        rep.continuations += <i64>futures;
        best = max(best, p);
      }
      rep.score.safeEpisodes++;
      rep.score.safeMax.push(best);
    }
  }
  return rep;
}
