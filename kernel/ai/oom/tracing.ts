// How OOM predictions are recorded in the decision trace (kernel/ai/trace.ts).
//
//   subsystem "oom"; features: the first TRACED_FEATURES (8) of features.ts (slab_share is
//   not traced: the trace keeps 8 per entry); output and confidence: the model's p (0..1);
//   action: 0 none, 1 warn, 2 compact, 3 reclaim, 4 throttle, 5 end (actions.ts); version: 0 = the heuristic, n >= 1 =
//   the learned model's version; outcome, resolved later: 1 = an OOM event followed within
//   the horizon (100 slots = 10 s), 0 = none did.
//
// Which predictions are traced: every one that crosses the warning threshold upwards, every
// remedy, and one in SAMPLE_EVERY of the others with a confidence of at least
// SAMPLE_FLOOR (so the trace also holds quiet predictions to compare outcomes with; an idle
// machine, confidence < 25%, is not traced, so it does not push the other subsystems'
// decisions out of the shared ring).
import { registerTraceSubsystem, recordDecision } from "../trace";
import { FEATURE_NAMES, TRACED_FEATURES } from "./features";
import { isRemedy } from "./actions";

export const OOM_TRACE: i32 = registerTraceSubsystem("oom", FEATURE_NAMES.slice(0, TRACED_FEATURES), "p_oom", "action");
export const SAMPLE_EVERY: i32 = 50;
export const SAMPLE_FLOOR: f64 = 0.25;

/** Per predictor: remembers whether the last prediction was above the warning threshold. */
export class TraceSampler {
  aboveWarning: bool = false;
  sinceSampled: i32 = 0;

  reset(): void {
    this.aboveWarning = false;
    this.sinceSampled = 0;
  }

  /** True when this prediction is to be traced (call once per prediction). */
  select(confidence: f64, warningThreshold: f64, action: i32): bool {
    const above = confidence >= warningThreshold;
    const crossed = above && !this.aboveWarning;
    this.aboveWarning = above;
    if (confidence >= SAMPLE_FLOOR) this.sinceSampled++;
    if (crossed || isRemedy(action) || this.sinceSampled >= SAMPLE_EVERY) {
      this.sinceSampled = 0;
      return true;
    }
    return false;
  }
}

/** Records one prediction; returns the trace id. */
export function traceOomDecision(version: u32, features: StaticArray<f64>, p: f64, action: i32): u64 {
  return recordDecision(OOM_TRACE, version, features, TRACED_FEATURES, p, p, <i64>action);
}
