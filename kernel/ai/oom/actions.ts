// What the OOM predictor does with a confidence: nothing, a warning, or a full compaction.
// One ActionPolicy object decides for the live predictor (predictor.ts) and one per
// evaluation run (evaluate.ts), with the same rule:
//
//   confidence >= actionThreshold (default 0.9), auto-compaction on, and at least
//       cooldownSlots (default 30 = 3 s) since the last compaction  -> ACTION_COMPACT
//   otherwise confidence >= warningThreshold (default 0.8)          -> ACTION_WARN
//   otherwise                                                       -> ACTION_NONE
//
// ACTION_COMPACT runs proactiveCompact(): compactMemory() with a budget of 2^20 pages (4 GiB
// of copying, i.e. unbounded on this machine), destinations in movable pageblocks only
// (kernel/mm/compact.ts says why), unlike the 64-page light direct compaction an
// allocation gets (kernel/mm/reclaim.ts). This is how a prediction can prevent an OOM caused by
// fragmentation; it cannot prevent one caused by exhaustion.
import { compactMemory, CompactResult } from "../../mm/compact";

export const ACTION_NONE: i32 = 0;
export const ACTION_WARN: i32 = 1;
export const ACTION_COMPACT: i32 = 2;
export const PROACTIVE_COMPACT_BUDGET_PAGES: u32 = 1 << 20;

export const DEFAULT_ACTION_THRESHOLD: f64 = 0.9;
export const DEFAULT_WARNING_THRESHOLD: f64 = 0.8;
/** 3 s; chosen on development seeds 500000..500149 (training range): 10..50 tried. */
export const DEFAULT_COOLDOWN_SLOTS: i32 = 30;

export function actionName(a: i32): string {
  return a == ACTION_COMPACT ? "compact" : (a == ACTION_WARN ? "warn" : "none");
}

export class ActionPolicy {
  actionThreshold: f64 = DEFAULT_ACTION_THRESHOLD;
  warningThreshold: f64 = DEFAULT_WARNING_THRESHOLD;
  cooldownSlots: i32 = DEFAULT_COOLDOWN_SLOTS;
  autoCompact: bool = true;
  /** Slot of the last compaction (far in the past at first). */
  lastCompactSlot: i64 = -1_000_000;

  copySettings(other: ActionPolicy): void {
    this.actionThreshold = other.actionThreshold;
    this.warningThreshold = other.warningThreshold;
    this.cooldownSlots = other.cooldownSlots;
    this.autoCompact = other.autoCompact;
  }

  resetCooldown(): void {
    this.lastCompactSlot = -1_000_000;
  }

  /** The action for `confidence` at `slot`; records the compaction time when it says compact. */
  decide(confidence: f64, slot: i64): i32 {
    if (confidence >= this.actionThreshold && this.autoCompact && slot - this.lastCompactSlot >= <i64>this.cooldownSlots) {
      this.lastCompactSlot = slot;
      return ACTION_COMPACT;
    }
    return confidence >= this.warningThreshold ? ACTION_WARN : ACTION_NONE;
  }
}

/** The predictor's compaction: full, not the light direct one. */
export function proactiveCompact(): CompactResult {
  return compactMemory(PROACTIVE_COMPACT_BUDGET_PAGES, true);
}
