// What the OOM predictor does with a confidence: nothing, a warning, or a full compaction.
// One ActionPolicy object decides for the live predictor (predictor.ts) and one per
// evaluation run (evaluate.ts), with the same rule:
//
//   confidence >= actionThreshold (default 0.9), auto-compaction on, at least
//       cooldownSlots (default 10 = 1 s) since the last compaction, and no free block of
//       order MAX_ORDER (4 MiB) right now (onlyWithoutMaxBlock, default on)  -> ACTION_COMPACT
//   otherwise confidence >= warningThreshold (default 0.8)          -> ACTION_WARN
//   otherwise                                                       -> ACTION_NONE
//
// ACTION_COMPACT runs proactiveCompact(): compactMemory() with a budget of 2^20 pages (4 GiB
// of copying, i.e. unbounded on this machine), destinations in movable pageblocks only
// (kernel/mm/compact.ts says why), unlike the 64-page light direct compaction an
// allocation gets (kernel/mm/reclaim.ts). This is how a prediction can prevent an OOM caused by
// fragmentation; it cannot prevent one caused by exhaustion. While a free 4 MiB block exists
// every request can be served and a compaction gains nothing, so the rule compacts only
// without one, and again (after the short cooldown) while the confidence stays high and the
// block is gone again: a compaction made seconds earlier is often undone by the time the large
// request comes. (On development seeds 500000..500199 this kept the OOMs prevented and halved
// the compactions against compacting regardless, at the same cooldown.)
import { compactMemory, CompactResult } from "../../mm/compact";
import { MAX_ORDER } from "../../mm/buddy";

export const ACTION_NONE: i32 = 0;
export const ACTION_WARN: i32 = 1;
export const ACTION_COMPACT: i32 = 2;
export const PROACTIVE_COMPACT_BUDGET_PAGES: u32 = 1 << 20;

export const DEFAULT_ACTION_THRESHOLD: f64 = 0.9;
export const DEFAULT_WARNING_THRESHOLD: f64 = 0.8;
/** 1 s; chosen on development seeds 500000..500199 (training range): 3, 10 and 30 tried. */
export const DEFAULT_COOLDOWN_SLOTS: i32 = 10;

export function actionName(a: i32): string {
  return a == ACTION_COMPACT ? "compact" : (a == ACTION_WARN ? "warn" : "none");
}

export class ActionPolicy {
  actionThreshold: f64 = DEFAULT_ACTION_THRESHOLD;
  warningThreshold: f64 = DEFAULT_WARNING_THRESHOLD;
  cooldownSlots: i32 = DEFAULT_COOLDOWN_SLOTS;
  autoCompact: bool = true;
  /** Compact only when no free block of order MAX_ORDER exists (see the header). */
  onlyWithoutMaxBlock: bool = true;
  /** Slot of the last compaction (far in the past at first). */
  lastCompactSlot: i64 = -1_000_000;

  copySettings(other: ActionPolicy): void {
    this.actionThreshold = other.actionThreshold;
    this.warningThreshold = other.warningThreshold;
    this.cooldownSlots = other.cooldownSlots;
    this.autoCompact = other.autoCompact;
    this.onlyWithoutMaxBlock = other.onlyWithoutMaxBlock;
  }

  resetCooldown(): void {
    this.lastCompactSlot = -1_000_000;
  }

  /**
   * The action for `confidence` at `slot` with the largest free block now (pages); records the
   * compaction time when it says compact.
   */
  decide(confidence: f64, slot: i64, largestFreePages: f64): i32 {
    if (confidence >= this.actionThreshold && this.autoCompact && slot - this.lastCompactSlot >= <i64>this.cooldownSlots &&
      (!this.onlyWithoutMaxBlock || largestFreePages < <f64>(1 << MAX_ORDER))) {
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
