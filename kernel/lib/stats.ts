// Summary statistics for measurements (benchmarks, latency rings, workload summaries).
//
// One convention everywhere: the nearest-rank percentile. The p-th percentile of n values is
// the smallest value such that at least p% of the values are at or below it, i.e. the value
// of rank ceil(p/100 * n) in ascending order (rank clamped to 1..n). The median is the 50th
// percentile: for an even count, the lower of the two middle values (no interpolation, so
// the median is always one of the measured values). Empty input gives NaN.

/** Index (0-based) of the p-th percentile in an ascending array of n > 0 values: ceil(p/100 * n) - 1, clamped to 0..n-1. */
export function rankIndex(n: i32, p: f64): i32 {
  let rank = <i32>Math.ceil(p / 100 * <f64>n);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return rank - 1;
}

/** The p-th percentile (0..100) of values already in ascending order; NaN when empty. */
export function percentileSorted(sorted: Array<f64>, p: f64): f64 {
  if (sorted.length == 0) return NaN;
  return sorted[rankIndex(sorted.length, p)];
}

/** The p-th percentile (0..100) of unsorted values (copied, not modified); NaN when empty. */
export function percentile(values: Array<f64>, p: f64): f64 {
  if (values.length == 0) return NaN;
  const sorted = values.slice(0);
  sorted.sort();
  return sorted[rankIndex(sorted.length, p)];
}

/** The median (the 50th percentile, see above) of unsorted values; NaN when empty. */
export function median(values: Array<f64>): f64 {
  return percentile(values, 50);
}

/** The arithmetic mean; NaN when empty. */
export function mean(values: Array<f64>): f64 {
  if (values.length == 0) return NaN;
  let s: f64 = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / <f64>values.length;
}
