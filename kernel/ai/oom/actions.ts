// What the OOM predictor does with a confidence: nothing, a warning, or a remedy that fits the
// cause. One ActionPolicy object decides for the live predictor (predictor.ts) and one per
// evaluation pass (evaluate.ts), with the same rule:
//
//   confidence >= actionThreshold (default 0.96), automatic action on, at least cooldownSlots
//       (default 10 = 1 s) since the last remedy                       -> chooseRemedy() below
//   otherwise confidence >= warningThreshold (default 0.8)            -> ACTION_WARN
//   otherwise                                                         -> ACTION_NONE
//
// chooseRemedy (the cause read from the state the model saw):
//   exhaustion-like: fewer free pages than one 4 MiB block, or available memory (free +
//   reclaimable) falling (5 s trend below -1%/s), or a recent burst as large as what is
//   available now (burst headroom >= 1):
//     the task whose growth drives it      -> ACTION_THROTTLE the first time, ACTION_END when it
//        (largest growth over 30 s, never    was throttled >= 3 s ago and the risk is still there
//        a protected task)
//     no such task, reclaimable cache      -> ACTION_RECLAIM  (proactiveReclaim: empty slabs,
//        >= 256 pages                                          every cache page the shrinkers give)
//   Reclaim comes after the task remedies: direct reclaim already shrinks the caches on demand,
//   and on development seeds 500000.. (20 per class) reclaiming first prevented 60% of the OOMs
//   against 70% without it (the cache refills from free memory at once); so here it is the
//   remedy when no task is known, as in the live kernel.
//   otherwise (memory is there but not contiguous), no free 4 MiB block -> ACTION_COMPACT
//   (proactiveCompact: full compaction, unlike the 64-page light direct compaction of
//   kernel/mm/reclaim.ts; while a 4 MiB block is free every request can be served and a
//   compaction gains nothing)
// A reclaim does not start the cooldown (see decide). The model decides when to act; the state at that moment decides which remedy (so the same
// rule serves every predictor compared in evaluate.ts). allowCompact / allowReclaim / allowTasks
// switch remedies off one at a time: evaluate.ts measures each remedy's OOMs prevented with it
// on versus off.
import { compactMemory, CompactResult } from "../../mm/compact";
import { MAX_ORDER } from "../../mm/buddy";

export const ACTION_NONE: i32 = 0;
export const ACTION_WARN: i32 = 1;
export const ACTION_COMPACT: i32 = 2;
export const ACTION_RECLAIM: i32 = 3;
export const ACTION_THROTTLE: i32 = 4;
export const ACTION_END: i32 = 5;
/** A remedy: compact, reclaim, throttle or end. */
export function isRemedy(a: i32): bool {
  return a >= ACTION_COMPACT;
}
/** Pages of reclaimable cache worth a proactive reclaim. */
export const RECLAIM_MIN_PAGES: f64 = 256;
/** A throttled task still driving the risk after this many slots is ended. */
export const END_AFTER_THROTTLE_SLOTS: i64 = 30;
export const PROACTIVE_COMPACT_BUDGET_PAGES: u32 = 1 << 20;

/**
 * 0.96: the lowest threshold (one for every class) at which the learned model's false-positive
 * episodes stay <= 10% (class mean) on development seeds 500000..500599 (120 per class, `N=120
 * tsx tests/unit/ai/oom-feat-dev.ts`: 0.9616; recall 5-10 s there 73% at 0.96, 75% at 12% false
 * positives at 0.95, 83% at 21% at 0.9). It was 0.9 before the training weights of train.ts
 * (PRE_OOM_NEGATIVE_WEIGHT) raised the model's confidences.
 */
export const DEFAULT_ACTION_THRESHOLD: f64 = 0.96;
export const DEFAULT_WARNING_THRESHOLD: f64 = 0.8;
/** 1 s; chosen on development seeds 500000..500199 (training range): 3, 10 and 30 tried. */
export const DEFAULT_COOLDOWN_SLOTS: i32 = 10;

const ACTION_NAMES: Array<string> = ["none", "warn", "compact", "reclaim", "throttle", "end"];

export function actionName(a: i32): string {
  return a >= 0 && a < ACTION_NAMES.length ? ACTION_NAMES[a] : "none";
}

/** The state a remedy is chosen from. */
export class RemedyContext {
  freePages: f64 = 0;
  largestFreePages: f64 = 0;
  reclaimablePages: f64 = 0;
  /** Relative change of available memory per second over 5 s (features.ts F_AVAIL_TREND_5S). */
  availTrend5s: f64 = 0;
  /** features.ts F_BURST_HEADROOM. */
  burstHeadroom: f64 = 0;
  /** The task driving growth (-1: none known), its growth in pages, the slot it was throttled (-1: not). */
  topTask: i32 = -1;
  topGrowth: f64 = 0;
  topThrottledSlot: i64 = -1;
}

export class ActionPolicy {
  actionThreshold: f64 = DEFAULT_ACTION_THRESHOLD;
  warningThreshold: f64 = DEFAULT_WARNING_THRESHOLD;
  cooldownSlots: i32 = DEFAULT_COOLDOWN_SLOTS;
  autoCompact: bool = true;
  /** Compact only when no free block of order MAX_ORDER exists (see the header). */
  onlyWithoutMaxBlock: bool = true;
  allowCompact: bool = true;
  allowReclaim: bool = true;
  allowTasks: bool = true;
  /** Slot of the last compaction (far in the past at first). */
  lastCompactSlot: i64 = -1_000_000;

  copySettings(other: ActionPolicy): void {
    this.actionThreshold = other.actionThreshold;
    this.warningThreshold = other.warningThreshold;
    this.cooldownSlots = other.cooldownSlots;
    this.autoCompact = other.autoCompact;
    this.onlyWithoutMaxBlock = other.onlyWithoutMaxBlock;
    this.allowCompact = other.allowCompact;
    this.allowReclaim = other.allowReclaim;
    this.allowTasks = other.allowTasks;
  }

  resetCooldown(): void {
    this.lastCompactSlot = -1_000_000;
  }

  /**
   * The action for `confidence` at `slot` in the state `ctx`: a remedy (recorded for the
   * cooldown), a warning, or nothing.
   */
  decide(confidence: f64, slot: i64, ctx: RemedyContext): i32 {
    if (confidence >= this.actionThreshold && this.autoCompact && slot - this.lastCompactSlot >= <i64>this.cooldownSlots) {
      const r = this.chooseRemedy(ctx, slot);
      // a reclaim is cheap and takes what it can at once: it does not start the cooldown, so a
      // risk that outlasts it is escalated on the next sample (measured on development seeds:
      // with the cooldown, reclaim first delayed the throttle and prevented fewer OOMs)
      if (r != ACTION_NONE && r != ACTION_RECLAIM) this.lastCompactSlot = slot;
      if (r != ACTION_NONE) return r;
    }
    return confidence >= this.warningThreshold ? ACTION_WARN : ACTION_NONE;
  }

  /** The remedy that fits the cause (see the header); ACTION_NONE when none fits or all are off. */
  chooseRemedy(ctx: RemedyContext, slot: i64): i32 {
    const blockPages = <f64>(1 << MAX_ORDER);
    const exhaustion = ctx.freePages < blockPages || ctx.availTrend5s < -0.01 || ctx.burstHeadroom >= 1.0;
    if (exhaustion) {
      if (this.allowTasks && ctx.topTask >= 0 && ctx.topGrowth > 0) {
        if (ctx.topThrottledSlot < 0) return ACTION_THROTTLE;
        if (slot - ctx.topThrottledSlot >= END_AFTER_THROTTLE_SLOTS) return ACTION_END;
        return ACTION_NONE;
      }
      if (this.allowReclaim && ctx.reclaimablePages >= RECLAIM_MIN_PAGES) return ACTION_RECLAIM;
    }
    if (this.allowCompact && (!this.onlyWithoutMaxBlock || ctx.largestFreePages < blockPages)) return ACTION_COMPACT;
    return ACTION_NONE;
  }
}

/** The predictor's compaction: full, not the light direct one (the remedy ACTION_COMPACT). */
export function proactiveCompact(): CompactResult {
  return compactMemory(PROACTIVE_COMPACT_BUDGET_PAGES, true);
}
