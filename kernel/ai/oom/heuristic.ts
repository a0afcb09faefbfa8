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
import { F_FREE_TREND_1S, F_FRAGMENTATION, F_FAILURES_5S, SampleWindow } from "./features";

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

// The PSI baseline, like systemd-oomd's defaults (oomd.conf: DefaultMemoryPressureLimit=60%,
// DefaultMemoryPressureDurationSec=30s): act when memory pressure ("full", 10 s average) has
// stayed above 60% for the whole duration. Scaled to our time base: our episodes compress the
// minutes a real machine takes to run out of memory into at most 60 s, so the duration is 3 s
// (30 slots) instead of 30 s. Confidence = the lowest full avg10 of the last PSI_DURATION_SLOTS
// samples (the level the pressure has sustained), so the rule fires at confidence > PSI_LIMIT;
// evaluate.ts also sweeps that limit (recall at equal false positives). oomd then kills the
// cgroup with the most pressure, here the task whose growth drives the risk (episodes.ts).
export const PSI_LIMIT: f64 = 0.6;
export const PSI_DURATION_SLOTS: i32 = 30;

export function psiRuleConfidence(w: SampleWindow): f64 {
  if (w.count < PSI_DURATION_SLOTS) return 0;
  let low: f64 = 1;
  for (let a = 0; a < PSI_DURATION_SLOTS; a++) low = min(low, unchecked(w.psiFull10[w.index(a)]));
  return low;
}
