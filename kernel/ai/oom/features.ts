// The OOM predictor's inputs: a window of the last 100 ms memory samples, and the one
// function that turns it into the feature vector. Live prediction (predictor.ts, fed from the
// real 100 ms ring of kernel/mm/stats.ts) and evaluation (episodes.ts, one sample per
// workload step) both call computeFeatures(), so the model sees the same numbers in both.
//
// A sample (one per 100 ms slot) holds what kernel/mm/stats.ts samples:
//   free pages, largest free block (pages), fragmentation ratio, allocation failures since
//   boot (cumulative), allocations per second over the slot, slab pages.
//
// Features (0..8 the issue-9 set; "a s back" = the sample 10*a slots back, or the oldest one
// held when the window is shorter, with the trend scaled to the span actually covered):
//   0 free_log2         log2(1 + free pages)
//   1 free_trend_1s     relative change of free pages over the last 1 s, per second
//                       ((free_now - free_1s_ago) / free_1s_ago; -0.2 = a 20% decline in 1 s)
//   2 free_trend_5s     the same over the last 5 s, per second
//   3 largest_log2      log2(1 + largest free block in pages) (0..~10)
//   4 fragmentation     the ratio of kernel/mm/stats.ts: share of free pages outside 4 MiB blocks
//   5 frag_slope        least-squares slope of the fragmentation ratio over the last 5 s, per s
//   6 alloc_rate_log10  log10(1 + allocations per second)
//   7 failures_5s       allocation failures in the last 5 s (first attempts that failed,
//                       including those direct reclaim then rescued)
//   8 slab_share        slab pages / (slab pages + free pages)
// Features for the large-request risk (most OOMs here are a rare 1..4 MiB request meeting
// fragmented memory). "4 MiB blocks" = free pages in blocks of order MAX_ORDER / 1024, i.e.
// round(free * (1 - fragmentation) / 1024), from the same two sampled quantities:
//   9 blocks_4m         free 4 MiB blocks now
//  10 risky_share_5s    share of the last 5 s's samples with no free 4 MiB block
//  11 risky_run         seconds since there last was a free 4 MiB block (0 now; at most 30)
//  12 block_drops_30s   decreases of the 4 MiB block count over the last 30 s (sum of the
//                       drops), per second: how often large requests (or a pool running dry)
//                       take such blocks, the rate the OOM's timing depends on
//  13 largest_min_5s    log2(1 + the smallest "largest free block" of the last 5 s)
// Pressure and growth features (issue 21: leaks, ramps, bursts). "available" = free pages +
// pages the registered caches could give back (kernel/mm/reclaim.ts reclaimablePages):
//  14 psi_some_10s      memory stall share, "some", 10 s average (kernel/mm/psi.ts)
//  15 psi_some_60s      the same over 60 s
//  16 psi_full_10s      "full", 10 s
//  17 reclaimable_share reclaimable / available
//  18 avail_trend_5s    relative change of available memory over 5 s, per second
//  19 exhaust_eta       seconds until available memory runs out at its 10 s least-squares
//                       rate (60 when it is not falling; at most 60), / 60
//  20 burst_headroom    the largest fall of available memory within the last 30 s (from a
//                       running maximum) / available now (at most 4): >= 1 means a repeat of
//                       that burst no longer fits
// Features 0..13 were chosen on development seeds 500000..500199 (kernel/ai/oom/README.md).
// The decision trace keeps 8 features per entry (kernel/ai/trace.ts MAX_FEATURES): features
// 0..7 are traced, 8..13 are not (crashctl status shows all of them).

export const FEATURE_COUNT: i32 = 21;
export const TRACED_FEATURES: i32 = 8;
export const F_FREE_LOG2: i32 = 0;
export const F_FREE_TREND_1S: i32 = 1;
export const F_FREE_TREND_5S: i32 = 2;
export const F_LARGEST_LOG2: i32 = 3;
export const F_FRAGMENTATION: i32 = 4;
export const F_FRAG_SLOPE: i32 = 5;
export const F_ALLOC_RATE: i32 = 6;
export const F_FAILURES_5S: i32 = 7;
export const F_SLAB_SHARE: i32 = 8;
export const F_BLOCKS_4M: i32 = 9;
export const F_RISKY_SHARE_5S: i32 = 10;
export const F_RISKY_RUN: i32 = 11;
export const F_BLOCK_DROPS_30S: i32 = 12;
export const F_LARGEST_MIN_5S: i32 = 13;
export const F_PSI_SOME_10S: i32 = 14;
export const F_PSI_SOME_60S: i32 = 15;
export const F_PSI_FULL_10S: i32 = 16;
export const F_RECLAIMABLE_SHARE: i32 = 17;
export const F_AVAIL_TREND_5S: i32 = 18;
export const F_EXHAUST_ETA: i32 = 19;
export const F_BURST_HEADROOM: i32 = 20;


export const FEATURE_NAMES: Array<string> = [
  "free_log2", "free_trend_1s", "free_trend_5s", "largest_log2", "fragmentation", "frag_slope",
  "alloc_rate_log10", "failures_5s", "slab_share", "blocks_4m", "risky_share_5s", "risky_run", "block_drops_30s",
  "largest_min_5s", "psi_some_10s", "psi_some_60s", "psi_full_10s", "reclaimable_share", "avail_trend_5s", "exhaust_eta",
  "burst_headroom",
];

/** Samples per second (one per 100 ms slot). */
export const SLOTS_PER_SECOND: i32 = 10;
/** Samples kept: enough for the 30 s feature (301 samples) with room. */
export const WINDOW_SAMPLES: i32 = 320;

/** The last WINDOW_SAMPLES samples, newest last (structure of arrays, no allocation per sample). */
export class SampleWindow {
  free: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  largest: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  fragmentation: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  failures: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  rate: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  slab: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  /** Free 4 MiB blocks, derived once per sample: the 30 s features read it hundreds of times. */
  blocks4m: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  /** Free + reclaimable pages. */
  avail: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  reclaimable: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  psiSome10: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  psiSome60: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  psiFull10: StaticArray<f64> = new StaticArray<f64>(WINDOW_SAMPLES);
  count: i32 = 0;
  next: i32 = 0;

  reset(): void {
    this.count = 0;
    this.next = 0;
  }

  push(freePages: f64, largestPages: f64, fragmentation: f64, failuresSinceBoot: f64, allocsPerSecond: f64,
    slabPages: f64, reclaimablePages: f64 = 0, psiSome10: f64 = 0, psiSome60: f64 = 0, psiFull10: f64 = 0): void {
    const i = this.next;
    unchecked(this.avail[i] = freePages + reclaimablePages);
    unchecked(this.reclaimable[i] = reclaimablePages);
    unchecked(this.psiSome10[i] = psiSome10);
    unchecked(this.psiSome60[i] = psiSome60);
    unchecked(this.psiFull10[i] = psiFull10);
    unchecked(this.free[i] = freePages);
    unchecked(this.largest[i] = largestPages);
    unchecked(this.fragmentation[i] = fragmentation);
    unchecked(this.failures[i] = failuresSinceBoot);
    unchecked(this.rate[i] = allocsPerSecond);
    unchecked(this.slab[i] = slabPages);
    unchecked(this.blocks4m[i] = freeBlocks4m(freePages, fragmentation));
    this.next = (i + 1) % WINDOW_SAMPLES;
    if (this.count < WINDOW_SAMPLES) this.count++;
  }

  /** Index of the sample `age` slots back (0 = newest); age < count. */
  // @ts-ignore: decorator
  @inline index(age: i32): i32 {
    return (this.next - 1 - age + 2 * WINDOW_SAMPLES) % WINDOW_SAMPLES;
  }
}

function log2(x: f64): f64 {
  return Math.log(x) * 1.4426950408889634;
}

/** Relative change per second over `slots` back (or as far as the window goes). */
function trend(w: SampleWindow, slots: i32): f64 {
  const age = min(slots, w.count - 1);
  if (age <= 0) return 0;
  const now = unchecked(w.free[w.index(0)]);
  const then = unchecked(w.free[w.index(age)]);
  const relative = (now - then) / (then > 1 ? then : 1);
  return relative * <f64>SLOTS_PER_SECOND / <f64>age;
}

/** Least-squares slope of the newest `n` samples of `series` (n >= 2), per slot; 0 when flat in x. */
function slopePerSlot(w: SampleWindow, series: StaticArray<f64>, n: i32): f64 {
  let sx: f64 = 0, sy: f64 = 0, sxx: f64 = 0, sxy: f64 = 0;
  for (let k = 0; k < n; k++) {
    const x = <f64>(-k); // slots relative to now
    const y = unchecked(series[w.index(k)]);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const nf = <f64>n;
  const den = nf * sxx - sx * sx;
  return den != 0 ? (nf * sxy - sx * sy) / den : 0;
}

/** Least-squares slope of the fragmentation ratio over up to `slots` + 1 samples, per second. */
function fragmentationSlope(w: SampleWindow, slots: i32): f64 {
  const n = min(slots + 1, w.count);
  if (n < 2) return 0;
  return slopePerSlot(w, w.fragmentation, n) * <f64>SLOTS_PER_SECOND;
}

/** Fills out[0..FEATURE_COUNT) from the window (all zeros when it is empty). */
export function computeFeatures(w: SampleWindow, out: StaticArray<f64>): void {
  if (w.count == 0) {
    for (let i = 0; i < FEATURE_COUNT; i++) out[i] = 0;
    return;
  }
  const now = w.index(0);
  const free = unchecked(w.free[now]);
  const slab = unchecked(w.slab[now]);
  const failAge = min(5 * SLOTS_PER_SECOND, w.count - 1);
  out[F_FREE_LOG2] = log2(1 + free);
  out[F_FREE_TREND_1S] = trend(w, SLOTS_PER_SECOND);
  out[F_FREE_TREND_5S] = trend(w, 5 * SLOTS_PER_SECOND);
  out[F_LARGEST_LOG2] = log2(1 + unchecked(w.largest[now]));
  out[F_FRAGMENTATION] = unchecked(w.fragmentation[now]);
  out[F_FRAG_SLOPE] = fragmentationSlope(w, 5 * SLOTS_PER_SECOND);
  out[F_ALLOC_RATE] = Math.log10(1 + max(0.0, unchecked(w.rate[now])));
  out[F_FAILURES_5S] = max(0.0, unchecked(w.failures[now]) - unchecked(w.failures[w.index(failAge)]));
  out[F_SLAB_SHARE] = slab + free > 0 ? slab / (slab + free) : 0;
  out[F_BLOCKS_4M] = blocks4m(w, 0);
  // share of the last 5 s without a free 4 MiB block; slots since there last was one (cap 30 s)
  let risky = 0;
  for (let a = 0; a <= failAge; a++) if (blocks4m(w, a) < 0.5) risky++;
  out[F_RISKY_SHARE_5S] = <f64>risky / <f64>(failAge + 1);
  let run = 0;
  while (run < w.count && run < 300 && blocks4m(w, run) < 0.5) run++;
  out[F_RISKY_RUN] = <f64>run / <f64>SLOTS_PER_SECOND;
  // drops of the 4 MiB block count over the last 30 s, per second of the span (large requests seen)
  const dropAge = min(30 * SLOTS_PER_SECOND, w.count - 1);
  let drops: f64 = 0;
  for (let a = 0; a < dropAge; a++) {
    const d = blocks4m(w, a + 1) - blocks4m(w, a);
    if (d > 0.5) drops += d;
  }
  out[F_BLOCK_DROPS_30S] = dropAge > 0 ? drops * <f64>SLOTS_PER_SECOND / <f64>dropAge : 0;
  let lmin = unchecked(w.largest[now]);
  for (let a = 1; a <= failAge; a++) lmin = min(lmin, unchecked(w.largest[w.index(a)]));
  out[F_LARGEST_MIN_5S] = log2(1 + lmin);
  pressureFeatures(w, out);
}

/** Features 14..20 (see the header). */
function pressureFeatures(w: SampleWindow, out: StaticArray<f64>): void {
  const now = w.index(0);
  const avail = unchecked(w.avail[now]);
  out[F_PSI_SOME_10S] = unchecked(w.psiSome10[now]);
  out[F_PSI_SOME_60S] = unchecked(w.psiSome60[now]);
  out[F_PSI_FULL_10S] = unchecked(w.psiFull10[now]);
  out[F_RECLAIMABLE_SHARE] = avail > 0 ? unchecked(w.reclaimable[now]) / avail : 0;
  const age5 = min(5 * SLOTS_PER_SECOND, w.count - 1);
  const then = unchecked(w.avail[w.index(age5)]);
  out[F_AVAIL_TREND_5S] = age5 > 0 ? (avail - then) / (then > 1 ? then : 1) * <f64>SLOTS_PER_SECOND / <f64>age5 : 0;
  // least-squares slope of available pages over the last 10 s, per slot
  const n = min(10 * SLOTS_PER_SECOND + 1, w.count);
  let eta: f64 = 60;
  if (n >= 2) {
    const slope = slopePerSlot(w, w.avail, n);
    if (slope < 0) eta = min(60.0, avail / -slope / <f64>SLOTS_PER_SECOND);
  }
  out[F_EXHAUST_ETA] = eta / 60.0;
  // the largest fall from a running maximum within the last 30 s
  const span = min(30 * SLOTS_PER_SECOND, w.count - 1);
  let runMax: f64 = 0;
  let fall: f64 = 0;
  for (let a = span; a >= 0; a--) {
    const v = unchecked(w.avail[w.index(a)]);
    if (v > runMax) runMax = v;
    if (runMax - v > fall) fall = runMax - v;
  }
  out[F_BURST_HEADROOM] = min(4.0, fall / (avail > 1 ? avail : 1));
}

/** Free 4 MiB blocks: free pages not counted as fragmented (stats.ts's definition) / 1024. */
function freeBlocks4m(freePages: f64, fragmentation: f64): f64 {
  return Math.round(freePages * (1 - fragmentation) / 1024.0);
}

/** Free 4 MiB blocks `age` slots back. */
// @ts-ignore: decorator
@inline function blocks4m(w: SampleWindow, age: i32): f64 {
  return unchecked(w.blocks4m[w.index(age)]);
}
