// Compaction: makes larger free blocks by returning empty slabs to the buddy allocator and
// migrating movable blocks (movable.ts) out of sparsely used regions.
//
// For a target order T, a "region" is an aligned range of 2^T pages. A region can be emptied
// when every allocated block in it is movable (no reserved page, no slab, no plain or large
// allocation, no block larger than the region). Its cost is the number of movable pages in it.
//
//   1. slabReleaseEmpty(): empty slabs go back to the buddy allocator;
//   2. T runs from MAX_ORDER down to one above the current largest free order (only T =
//      MAX_ORDER when the largest block is already that big: then compaction gathers free
//      memory into more 4 MiB blocks, lowering the fragmentation ratio);
//   3. the cheapest regions of order T are emptied, one after another, until the page
//      budget is spent or no destination is left; when not one region of order T could be
//      emptied, T - 1 is tried. A region is only tried when its cost fits in the free pages
//      outside it that lie in blocks below order T (the possible destinations):
//        a. fence: take the region's free blocks off the free lists (so no destination can
//           land inside it);
//        b. for each movable block: allocate a destination elsewhere, copy, tell the owner
//           (migrateMovable), keep the old block as a hold;
//        c. return the holds: they coalesce into one free block of order >= T.
// Destinations come only from free blocks of order < T (holes), never from a block as large
// as a region, so compaction never lowers the number of free blocks of order >= T. With
// grouping by mobility (buddy.ts) the holes are mostly in other movable pageblocks.
// movableTargetsOnly = true takes destinations from movable pageblocks only (Linux's free
// scanner does the same): moving pages into the holes of unmovable pageblocks makes the next
// unmovable allocations fall back into movable pageblocks, which then can never be emptied;
// repeated compaction done that way made OOMs more frequent in the OOM episodes
// (kernel/ai/oom). The predictor's proactive compaction and direct compaction use it; `memctl
// compact` (default false) also fills unmovable pageblocks' holes, for the largest block now.
// A region is only tried when destinationsFit() says every block of it finds a destination,
// and blocks are migrated largest first, so a large movable block never strands a half-moved
// region.
// If no destination is left, the region's holds are returned (nothing is lost, the blocks
// already moved stay moved) and compaction stops.
//
// compactForOrder(order, budget) is the bounded variant for one waiting allocation (direct
// compaction, kernel/mm/reclaim.ts): it empties at most the single cheapest region of exactly
// the requested order, and only if that costs at most `budget` migrated pages.
import {
  MAX_ORDER, PAGE_SHIFT, TYPE_ALLOCATED, TYPE_FREE, KIND_MOVABLE, KIND_PLAIN, STATE_RESERVED,
  pageState, typeOfState, kindOfState, orderOfState, windowPages, largestFreeOrder, allocBlock,
  takeFreeBlock, returnBlock, setKind, freePageCount, freeBlocksOfType, pageblockType, BLOCK_MOVABLE, BLOCK_UNMOVABLE,
} from "./buddy";
import { migrateMovable } from "./movable";
import { slabReleaseEmpty } from "./slab";
import { memoryReady } from "./pages";
import { fragmentationRatio, largestFreeBlockPages } from "./stats";
import { nowTicks, ticksToUs } from "../platform/time";

export const DEFAULT_COMPACT_BUDGET_PAGES: u32 = 16384; // 64 MiB of copying

export class CompactResult {
  largestBefore: u32 = 0;
  largestAfter: u32 = 0;
  fragmentationBefore: f64 = 0;
  fragmentationAfter: f64 = 0;
  freeBefore: u32 = 0;
  freeAfter: u32 = 0;
  slabPagesReleased: u32 = 0;
  blocksMigrated: u32 = 0;
  pagesMigrated: u32 = 0;
  regionsEmptied: u32 = 0;
  targetOrder: i32 = -1;
  stoppedBy: string = "nothing movable";
  timeUs: u64 = 0;
}

// result of the last evacuate() call
let lastBlocks: u32 = 0;
let lastPages: u32 = 0;
let lastStop: string = "";

/** A result holding the "before" statistics ("no allocator" when there is none yet). */
function resultWithBefore(): CompactResult {
  const r = new CompactResult();
  if (!memoryReady()) {
    r.stoppedBy = "no allocator";
    return r;
  }
  r.largestBefore = largestFreeBlockPages();
  r.fragmentationBefore = fragmentationRatio();
  r.freeBefore = freePageCount();
  return r;
}

/**
 * Compacts memory, migrating at most `budgetPages` pages. Callable any time outside
 * a relocation callback.
 */
export function compactMemory(budgetPages: u32 = DEFAULT_COMPACT_BUDGET_PAGES, movableTargetsOnly: bool = false): CompactResult {
  const fallback = !movableTargetsOnly;
  const started = nowTicks();
  const r = resultWithBefore();
  if (!memoryReady()) return r;
  r.slabPagesReleased = slabReleaseEmpty();

  const current = largestFreeOrder();
  const lowest: i32 = current >= <i32>MAX_ORDER ? <i32>MAX_ORDER : (current < 0 ? 1 : current + 1);
  let budget = budgetPages;
  for (let t: i32 = <i32>MAX_ORDER; t >= lowest && t >= 1; t--) {
    const order = <u32>t;
    const candidates = findRegions(order);
    if (candidates.length == 0) continue;
    r.targetOrder = t;
    r.stoppedBy = "done";
    let skipped = false;
    for (let i = 0; i < candidates.length; i++) {
      const region = <u32>(candidates[i] & 0xffffffff);
      const cost = <u32>(candidates[i] >> 32);
      if (cost > budget) {
        r.stoppedBy = "budget";
        break;
      }
      if (<u64>cost > holesOutside(region << order, order, fallback) || !destinationsFit(region << order, order, fallback)) {
        skipped = true; // a costlier region may still fit (fewer large blocks)
        continue;
      }
      const ok = evacuate(region << order, order, fallback);
      r.blocksMigrated += lastBlocks;
      r.pagesMigrated += lastPages;
      budget = lastPages >= budget ? 0 : budget - lastPages;
      if (!ok) {
        r.stoppedBy = lastStop;
        break;
      }
      r.regionsEmptied++;
    }
    if (skipped && r.stoppedBy == "done") r.stoppedBy = "not enough free holes for the next region";
    if (r.regionsEmptied > 0 || r.stoppedBy == "budget") break; // else try smaller regions
  }
  r.largestAfter = largestFreeBlockPages();
  r.fragmentationAfter = fragmentationRatio();
  r.freeAfter = freePageCount();
  r.timeUs = ticksToUs(nowTicks() - started);
  return r;
}

/**
 * Direct compaction for one request (kernel/mm/reclaim.ts): makes one free block of
 * `order` by emptying the cheapest all-movable region of exactly that order, if it costs
 * at most `budgetPages` migrated pages and enough holes lie outside it. At most one region
 * is tried (the bounded, "light" effort of an allocation that is waiting); nothing is done
 * when a block of `order` is already free or order is 0. Empty slabs are not released here
 * (the caller does that first). stoppedBy: "already free", "done", "budget", "no movable
 * region", "not enough free holes for the next region", or evacuate()'s reason.
 */
export function compactForOrder(order: u32, budgetPages: u32, movableTargetsOnly: bool = true): CompactResult {
  const fallback = !movableTargetsOnly;
  const started = nowTicks();
  const r = resultWithBefore();
  if (!memoryReady()) return r;
  if (order == 0 || order > MAX_ORDER || largestFreeOrder() >= <i32>order) {
    r.stoppedBy = order > MAX_ORDER ? "order too large" : "already free";
  } else {
    r.stoppedBy = "no movable region";
    const candidates = findRegions(order);
    if (candidates.length > 0) r.targetOrder = <i32>order;
    for (let i = 0; i < candidates.length; i++) {
      const region = <u32>(candidates[i] & 0xffffffff);
      const cost = <u32>(candidates[i] >> 32);
      if (cost > budgetPages) {
        r.stoppedBy = "budget";
        break;
      }
      if (<u64>cost > holesOutside(region << order, order, fallback) || !destinationsFit(region << order, order, fallback)) {
        r.stoppedBy = "not enough free holes for the next region";
        continue;
      }
      const ok = evacuate(region << order, order, fallback);
      r.blocksMigrated = lastBlocks;
      r.pagesMigrated = lastPages;
      if (ok) {
        r.regionsEmptied = 1;
        r.stoppedBy = "done";
      } else {
        r.stoppedBy = lastStop;
      }
      break;
    }
  }
  r.largestAfter = largestFreeBlockPages();
  r.fragmentationAfter = fragmentationRatio();
  r.freeAfter = freePageCount();
  r.timeUs = ticksToUs(nowTicks() - started);
  return r;
}

/**
 * Regions of `order` that can be emptied and are not empty yet, cheapest first, as
 * (cost << 32) | region index.
 */
function findRegions(order: u32): Array<u64> {
  const out = new Array<u64>(0);
  const size = <u32>1 << order;
  const regions = windowPages() >> order;
  for (let region: u32 = 0; region < regions; region++) {
    const start = region << order;
    const end = start + size;
    let cost: u32 = 0;
    let movable = true;
    let p = start;
    while (p < end) {
      const s = pageState(p);
      if (s == <u32>STATE_RESERVED) { movable = false; break; }
      const t = typeOfState(s);
      if (t == TYPE_FREE) {
        const k = orderOfState(s);
        if (k >= order) { movable = false; break; } // already free as a whole
        p += <u32>1 << k;
      } else if (t == TYPE_ALLOCATED) {
        const k = orderOfState(s);
        if (kindOfState(s) != KIND_MOVABLE || k >= order) { movable = false; break; } // a region-sized block cannot move (destinations are smaller)
        cost += <u32>1 << k;
        p += <u32>1 << k;
      } else {
        movable = false; // inside a larger block
        break;
      }
    }
    if (movable && cost > 0) out.push((<u64>cost << 32) | <u64>region);
  }
  out.sort();
  return out;
}

/**
 * Free pages outside [start, start + 2^order) in blocks of order < `order`: possible
 * destinations (only those of movable pageblocks unless `fallback`).
 */
function holesOutside(start: u32, order: u32, fallback: bool): u64 {
  let holes: u64 = 0;
  for (let k: u32 = 0; k < order; k++) {
    let n = freeBlocksOfType(k, BLOCK_MOVABLE);
    if (fallback) n += freeBlocksOfType(k, BLOCK_UNMOVABLE);
    holes += <u64>n << k;
  }
  const counted = fallback || pageblockType(start) == BLOCK_MOVABLE;
  const end = start + (<u32>1 << order);
  let p = start;
  while (p < end) {
    const s = pageState(p);
    const k = orderOfState(s);
    if (typeOfState(s) == TYPE_FREE && k < order && counted) holes -= <u64>1 << k;
    p += <u32>1 << k;
  }
  return holes;
}

const fitOwn = new StaticArray<u32>(MAX_ORDER + 1);
const fitOther = new StaticArray<u32>(MAX_ORDER + 1);
const needCounts = new StaticArray<u32>(MAX_ORDER + 1);

/**
 * True when every movable block of the region [start, start + 2^order) gets a destination:
 * simulates evacuate()'s allocations (largest blocks first; allocBlock's choice: the smallest
 * fitting free block of a movable pageblock below `order`, else with `fallback` the largest
 * fitting one of an unmovable pageblock; the rest of a split block stays free) on the
 * free-block counts outside the region. Without it a region holding a large movable block (a
 * huge page) could be half migrated before its large block finds no hole.
 */
function destinationsFit(start: u32, order: u32, fallback: bool): bool {
  for (let j: u32 = 0; j < order; j++) {
    fitOwn[j] = freeBlocksOfType(j, BLOCK_MOVABLE);
    fitOther[j] = fallback ? freeBlocksOfType(j, BLOCK_UNMOVABLE) : 0;
    needCounts[j] = 0;
  }
  const movableRegion = pageblockType(start) == BLOCK_MOVABLE;
  const end = start + (<u32>1 << order);
  let p = start;
  while (p < end) {
    const s = pageState(p);
    const k = orderOfState(s);
    const t = typeOfState(s);
    if (t == TYPE_FREE && k < order) { // fenced: not a destination
      if (movableRegion) fitOwn[k]--;
      else if (fallback) fitOther[k]--;
    } else if (t == TYPE_ALLOCATED && kindOfState(s) == KIND_MOVABLE && k < order) {
      needCounts[k]++;
    }
    p += <u32>1 << k;
  }
  for (let k: i32 = <i32>order - 1; k >= 0; k--) {
    for (let n: u32 = 0; n < needCounts[k]; n++) {
      let j = k;
      while (j < <i32>order && fitOwn[j] == 0) j++;
      if (j < <i32>order) {
        fitOwn[j]--;
        for (let m = j - 1; m >= k; m--) fitOwn[m]++; // the split's upper halves stay free
        continue;
      }
      j = <i32>order - 1;
      while (j >= k && fitOther[j] == 0) j--;
      if (j < k) return false;
      fitOther[j]--;
      for (let m = j - 1; m >= k; m--) fitOther[m]++;
    }
  }
  return true;
}

/**
 * Empties the region [start, start + 2^order); true when it became free. Blocks are migrated
 * largest first (the order destinationsFit() assumes).
 */
function evacuate(start: u32, order: u32, fallback: bool): bool {
  const end = start + (<u32>1 << order);
  lastBlocks = 0;
  lastPages = 0;
  // a. fence
  let p = start;
  while (p < end) {
    const s = pageState(p);
    const k = orderOfState(s);
    if (typeOfState(s) == TYPE_FREE) takeFreeBlock(p);
    p += <u32>1 << k;
  }
  // b. migrate, largest blocks first (destinations in unmovable pageblocks only with fallback)
  let ok = true;
  for (let want: i32 = <i32>order - 1; want >= 0 && ok; want--) {
    p = start;
    while (p < end) {
      const s = pageState(p);
      const k = orderOfState(s);
      if (typeOfState(s) == TYPE_ALLOCATED && kindOfState(s) == KIND_MOVABLE && <i32>k == want) {
        const destination = allocBlock(k, KIND_MOVABLE, order, fallback);
        if (destination == 0) {
          ok = false;
          lastStop = "no free hole smaller than a region left for destinations";
          break;
        }
        migrateMovable(p, destination, k);
        setKind(p, KIND_PLAIN); // now a hold
        lastBlocks++;
        lastPages += <u32>1 << k;
      }
      p += <u32>1 << k;
    }
  }
  // c. return the holds (fenced free blocks and migrated-from blocks)
  p = start;
  while (p < end) {
    const s = pageState(p);
    const k = orderOfState(s);
    if (typeOfState(s) == TYPE_ALLOCATED && kindOfState(s) == KIND_PLAIN) returnBlock(p, k);
    p += <u32>1 << k;
  }
  return ok;
}
