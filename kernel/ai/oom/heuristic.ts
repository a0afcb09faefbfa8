// The plan's hand-written OOM rule (PLAN.md 1.1), kept as the baseline the learned model is
// compared with. Three patterns, each scored linearly up to its threshold:
//
//   A  free pages declined by more than 20% in 1 s   a = clamp(-free_trend_1s / 0.20, 0, 1)
//   B  fragmentation ratio above 0.7                  b = clamp(fragmentation / 0.7, 0, 1)
//   C  more than 3 allocation failures in the window  c = clamp(failures_5s / 4, 0, 1)
//      (window = the last 5 s)
//
//   confidence = (a + b + c) / 3          (0..1; shown as 0..100%)
//
// So all three patterns at their thresholds give 100%, any two fully present give 67%, and
// the 90% action threshold needs all three close to their thresholds.
import { F_FREE_TREND_1S, F_FRAGMENTATION, F_FAILURES_5S } from "./features";

export const DECLINE_THRESHOLD: f64 = 0.20;
export const FRAGMENTATION_THRESHOLD: f64 = 0.7;
/** "> 3 failures": the score reaches 1 at 4. */
export const FAILURES_THRESHOLD: f64 = 4;

// @ts-ignore: decorator
@inline function clamp01(x: f64): f64 {
  return x < 0 ? 0 : (x > 1 ? 1 : x);
}

export function heuristicConfidence(features: StaticArray<f64>): f64 {
  const a = clamp01(-features[F_FREE_TREND_1S] / DECLINE_THRESHOLD);
  const b = clamp01(features[F_FRAGMENTATION] / FRAGMENTATION_THRESHOLD);
  const c = clamp01(features[F_FAILURES_5S] / FAILURES_THRESHOLD);
  return (a + b + c) / 3;
}
