// A seeded memory workload that fragments memory and can run it to allocation failure:
// the engine behind `stresstest mem`, and later the source of OOM episodes for the
// predictor. One episode at a time:
//
//   stressStart(seed, pressure)   remembers the free pages, allocates its handle table
//   stressStep()                  one tick: OPS_PER_STEP random allocations and frees
//   stressStop(keep)              frees everything it took, or (keep = true) keeps it: high
//                                 pressure first fills on until the next allocation failure,
//                                 so memory is left full and fragmented (what compaction is
//                                 for); stressRelease() frees it later
//
// The same seed and pressure give the same sequence of requests (and, from the same
// starting state, the same results). Allocations are a mix of
//   movable pages (allocMovablePages: compaction may migrate them; stressRelocate updates
//   the table), unmovable pages (allocPages) and kmalloc objects of 1 B .. 8 KiB.
// Frees pick a random live allocation, which is what fragments memory. Each allocation
// carries a tag in its first and last 4 bytes, derived from its id; frees and
// stressVerify() check it, so a migration that lost data shows up as a corrupt count.
//
// The workload alternates two phases, which is what fragments memory: FILL (85% allocations)
// until the high mark, then DRAIN (85% frees of random live allocations) down to the low
// mark, leaving scattered holes that the next FILL only partly reuses.
//   low   marks 25% .. 50% of the pages free at the start, orders 0..3: few or no failures;
//   high  FILL runs until an allocation fails (orders 0..10, P(order k) = 2^-(k+1)), so every
//         cycle takes memory to allocation failure (counted, never fatal); DRAIN to 40%.
// Mix: 75% movable pages, 7% unmovable pages, 18% kmalloc.
//
// The handle table (id -> address, info; plus a permutation of ids whose first `live`
// entries are the live ones) lives in four buddy blocks of its own, not in the AS heap.
//
// FILES. This file: the FILL/DRAIN workload of `stresstest mem` and the episode's start / step /
// stop; stress_table.ts: the table, tags, random source and statistics; stress_profile.ts: the
// profiled episodes and their tasks. Everything is re-exported here, so users import this file.
//
// PROFILED EPISODES (stressStartProfile; the OOM episodes of kernel/ai/oom/episodes.ts).
// Instead of FILL/DRAIN, each operation allocates with probability
//   pAlloc = clamp(0.5 + 4 * (target(t) - held / pool), 0.1, 0.9)
// and otherwise frees a random live allocation, so the memory held tracks a target level
//   target(t) = start + (end - start) * min(1, t / rampSteps) + burst * sin(2 pi t / period)
// (t = steps so far), with the profile's mix of requests (allocateProfiled: a few per mille
// high-order, the rest small movable / unmovable pages and kmalloc objects). Requests go
// through the direct-reclaim path (reclaim.ts); the first one that fails there is an OOM
// event and ends the episode: stress.oom is set, stressStep() does nothing more, and the
// caller stops the episode (stressStop frees everything).
// TASKS. Every allocation of a profiled episode belongs to one of STRESS_TASKS workload tasks
// (bits 28..31 of its info word; stress.taskBytes per task). The target-tracking loop above is
// task 0 and frees only task 0's allocations; the episode driver (kernel/ai/oom/classes.ts) adds
// the others with stressAllocFor / stressFreeTask (a leaking task, batch tasks of a burst, a
// reclaimable file cache, a kernel worker) and throttles task 0 with stressThrottle.
// poolPages > 0 pins all free memory except poolPages pages for the episode (first every
// free block below 4 MiB, then whole 4 MiB blocks), so that an episode always starts from
// the same amount of free memory in whole 4 MiB blocks, whatever the machine's RAM: the pinned
// pages stand for the rest of the system. They are taken with takeFreeBlock (not counted as
// allocations) and returned by stressStop.
import { allocPages, freePagesNow } from "./pages";
import { allocMovablePages } from "./movable";
import { kmalloc } from "./slab";
import { EBUSY } from "../lib/errors";
import {
  stress, live, stressActive, stressKept, setKept, setInactive, tableBegin, nextRandom, permAt, commit, freeOne, observe,
  releaseAll, stressRelocate, STRESS_CAPACITY, T_MOVABLE, T_UNMOVABLE, T_KMALLOC, PRESSURE_HIGH,
} from "./stress_table";
import { profileRunning, clearProfile, profileStep, profileStop, stressBeginStep, stressEndStep, currentProfile } from "./stress_profile";

export {
  StressStats, stress, stressActive, stressKept, stressRelocate, stressVerify, stressLive, STRESS_CAPACITY, STRESS_TASKS,
  PRESSURE_LOW, PRESSURE_HIGH, PRESSURE_PROFILE,
} from "./stress_table";
export {
  StressProfile, stressStartProfile, stressReseed, stressOom, stressEndStep, stressBeginStep, stressThrottle, stressAllocFor,
  stressFreeTask, stressTaskPages, stressStepTask0,
} from "./stress_profile";

export const OPS_PER_STEP: i32 = 256;
const KEEP_FILL_LIMIT: u32 = 4_000_000;
let filling = true;

/**
 * Starts an episode. Returns 0, -EBUSY when one is running, -ENOMEM when the handle table
 * cannot be allocated. Allocations kept by an earlier episode are freed first.
 */
export function stressStart(seed: u64, pressure: i32): i32 {
  if (stressActive()) return -EBUSY;
  if (stressKept()) stressRelease();
  clearProfile();
  filling = true;
  return tableBegin(seed, pressure);
}

/** One tick of work: OPS_PER_STEP operations. */
export function stressStep(): void {
  if (!stressActive()) return;
  if (profileRunning()) {
    // a whole step of task 0 alone (episodes with more tasks call stressBeginStep,
    // stressStepTask0, their tasks' requests, then stressEndStep)
    stressBeginStep();
    profileStep(currentProfile());
    stressEndStep();
    return;
  }
  const high = stress.pressure == PRESSURE_HIGH;
  const start = <u64>stress.startFreePages;
  const highMark = (start * (high ? 100 : 50)) / 100;
  const lowMark = (start * (high ? 40 : 25)) / 100;
  for (let i = 0; i < OPS_PER_STEP; i++) {
    stress.operations++;
    const r = nextRandom() % 100;
    if ((filling && r < 85) || live == 0) {
      if (!allocateOne() && filling) {
        filling = false; // ran into allocation failure (or a full table): drain
        stress.cycles++;
      }
      if (filling && stress.pagesHeld >= highMark) {
        filling = false;
        stress.cycles++;
      }
    } else {
      freeOne(nextRandom() % live);
      if (!filling && stress.pagesHeld <= lowMark) filling = true;
    }
  }
  stress.steps++;
  observe();
}

function pickOrder(): u32 {
  const r = nextRandom();
  const k = ctz<u32>(r | 0x80000000);
  const cap: u32 = stress.pressure == PRESSURE_HIGH ? 10 : 3;
  return k < cap ? k : cap;
}

function allocateOne(): bool {
  if (live >= STRESS_CAPACITY) {
    stress.tableFull++; // not a failure of the allocator, but the fill ends here too
    return false;
  }
  const id = permAt(live);
  const r = nextRandom() % 100;
  let info: u32;
  let addr: usize;
  if (r < 82) {
    const order = pickOrder();
    const movable = r < 75;
    info = (movable ? T_MOVABLE : T_UNMOVABLE) | (order << 2);
    addr = movable ? allocMovablePages(order, stressRelocate, id) : allocPages(order);
    if (addr == 0) {
      stress.failures++;
      stress.pageFailures++;
      if (order >= 4 && <u64>freePagesNow() >= (<u64>1 << order)) stress.highOrderFailures++;
      return false;
    }
    stress.pagesHeld += <u64>1 << order;
  } else {
    const shift = nextRandom() % 13;
    const size = (<u32>1 << shift) + (nextRandom() & ((<u32>1 << shift) - 1));
    info = T_KMALLOC | (size << 8);
    addr = kmalloc(<usize>size);
    if (addr == 0) {
      stress.failures++;
      stress.kmallocFailures++;
      return false;
    }
    stress.kmallocBytesHeld += <u64>size;
  }
  commit(id, info, addr);
  return true;
}

/** Ends the episode: frees everything (keep = false) or leaves it allocated for later. */
export function stressStop(keep: bool): void {
  if (!stressActive()) return;
  setInactive();
  observe();
  if (profileRunning()) {
    profileStop(); // a profiled episode never keeps its memory
    return;
  }
  if (keep) {
    if (stress.pressure == PRESSURE_HIGH) {
      // fill (85% allocations) until an allocation fails: bounded by the table size
      for (let i: u32 = 0; i < KEEP_FILL_LIMIT; i++) {
        stress.operations++;
        if (nextRandom() % 100 < 85 || live == 0) {
          if (!allocateOne()) break;
        } else {
          freeOne(nextRandom() % live);
        }
      }
    }
    observe();
    setKept(true);
    return;
  }
  releaseAll();
}

/** Frees what a kept episode still holds; returns the number of allocations freed. */
export function stressRelease(): u32 {
  if (!stressKept()) return 0;
  setKept(false);
  return releaseAll();
}
