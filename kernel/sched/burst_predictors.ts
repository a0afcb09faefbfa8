// Classical (non-learning) predictors of a task's remaining CPU burst, from its completed
// bursts and the CPU used in the burst in progress. Each one estimates the length b of the
// burst in progress; the remaining burst is then the heuristic's rule (burst_policy.ts):
// b - used while used < b, else used (a burst that outlived its estimate is expected to last
// as long again); before any completed burst every predictor gives the heuristic's
// first-burst answer. Capped at HORIZON_US like the labels.
//   0 ema           exponential average, alpha 1/2 (the `heuristic` policy's: classical SJF)
//   1 slow_average  exponential average, alpha 1/8
//   2 last          the last completed burst
//   3 median8       median of the last 8 completed bursts
//   4 period        the burst `lag` back, for the lag 1..4 whose decayed |log2| error on this
//                   task's past bursts is smallest (a per-task period detector)
// The learned mixture (kernel/ai/burst_mixture.ts) combines them; bench sched and schedctl
// stats show each one's error on the same examples as the model's.
import { Task } from "./task";
import { ticksToUs } from "../platform/time";

export const EXPERTS: i32 = 5;
export const EXPERT_NAMES: StaticArray<string> = ["ema", "slow_average", "last", "median8", "period"];
export const RING: i32 = 8;
export const LAGS: i32 = 4;
const LAG_DECAY: f64 = 0.8;

/** Records a completed burst (us) in the task's ring; first scores each lag's prediction of it. */
export function recordBurst(t: Task, us: f64): void {
  const n = t.burstRingCount;
  for (let lag = 1; lag <= LAGS; lag++) {
    if (n < lag) { t.lagError[lag - 1] += 1; continue; } // not yet predictable: counted as a miss
    const prev = t.burstRing[(t.burstRingNext - lag + RING) % RING];
    const e = Math.abs(Math.log2((1 + prev) / (1 + us)));
    t.lagError[lag - 1] = LAG_DECAY * t.lagError[lag - 1] + e;
  }
  t.burstRing[t.burstRingNext] = us;
  t.burstRingNext = (t.burstRingNext + 1) % RING;
  if (t.burstRingCount < RING) t.burstRingCount++;
  t.mixBurstUs = -1; // the learned mixture's cached estimate is stale
}

const sortScratch = new StaticArray<f64>(RING);

/** Estimate (us) of the burst length by predictor i; -1 before any completed burst. */
export function expertBurstUs(t: Task, i: i32): f64 {
  const n = t.burstRingCount;
  if (n == 0 || t.burstEmaUs < 0) return -1;
  if (i == 0) return t.burstEmaUs;
  if (i == 1) return t.burstSlowEmaUs;
  if (i == 2) return t.lastBurstUs;
  if (i == 3) {
    for (let k = 0; k < n; k++) sortScratch[k] = t.burstRing[k];
    // insertion sort of <= 8 values
    for (let a = 1; a < n; a++) {
      const v = sortScratch[a];
      let b = a - 1;
      while (b >= 0 && sortScratch[b] > v) { sortScratch[b + 1] = sortScratch[b]; b--; }
      sortScratch[b + 1] = v;
    }
    return (n & 1) ? sortScratch[n >> 1] : Math.sqrt(sortScratch[(n >> 1) - 1] * sortScratch[n >> 1]);
  }
  let best = 1;
  for (let lag = 2; lag <= min(LAGS, n); lag++) if (t.lagError[lag - 1] < t.lagError[best - 1]) best = lag;
  return t.burstRing[(t.burstRingNext - best + RING) % RING];
}

/** The remaining burst (us) predictor i gives now (the heuristic's rule on its estimate). */
export function expertRemainingUs(t: Task, i: i32, firstBurstUs: f64, horizonUs: f64): f64 {
  const used = <f64>ticksToUs(t.burstCpuTicks);
  const b = expertBurstUs(t, i);
  let r: f64;
  if (b < 0) r = used < firstBurstUs ? firstBurstUs - used : horizonUs;
  else if (used < b) r = b - used;
  else r = used;
  return r < 1 ? 1 : r > horizonUs ? horizonUs : r;
}
