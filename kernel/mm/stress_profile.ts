// Profiled episodes of kernel/mm/stress.ts (split out of stress.ts): the OOM episodes of
// kernel/ai/oom/episodes.ts. See stress.ts's header, "PROFILED EPISODES" and "TASKS": a target-
// tracking service (task 0) plus the workload tasks the episode driver adds (stressAllocFor /
// stressFreeTask), requests through the direct-reclaim path, the pool pinned to poolPages.
import { freePagesNow, MAX_ORDER } from "./pages";
import { kmallocBlockOrder } from "./slab";
import { allocPagesReclaim, allocMovablePagesReclaim, kmallocReclaim, reclaim } from "./reclaim";
import { firstFreeBlock, takeFreeBlock, returnBlock } from "./buddy";
import { EBUSY } from "../lib/errors";
import {
  stress, live, stressActive, stressKept, tableBegin, nextRandom, seedRandom, entryInfo, permAt, sizeOf, commit, noteOom, freeOne,
  observe, releaseAll, stressRelocate, STRESS_CAPACITY, STRESS_TASKS, TASK_SHIFT, T_MOVABLE, T_UNMOVABLE, T_KMALLOC, PRESSURE_PROFILE,
} from "./stress_table";


/** Parameters of a profiled episode (see the header). */
export class StressProfile {
  /** > 0: pin all free memory but this many pages for the episode. */
  poolPages: u32 = 0;
  opsPerStep: i32 = 32;
  startLevel: f64 = 0.3;
  endLevel: f64 = 0.8;
  rampSteps: i32 = 300;
  burstAmplitude: f64 = 0;
  burstPeriod: i32 = 100;
  /** Requests per 100 000 that are high-order: minLargeOrder..maxOrder (uniform). */
  largePer100k: i32 = 10;
  minLargeOrder: u32 = 5;
  maxOrder: u32 = 8;
  /** Percent of the high-order requests that are unmovable (the others movable). */
  largeUnmovablePercent: i32 = 20;
  /** The other requests: movable pages (order 0..3), unmovable pages (0..2), the rest kmalloc. */
  movablePercent: i32 = 75;
  unmovablePercent: i32 = 10;
  /** Percent of frees that spare an unmovable victim and free another (longer-lived unmovable pages). */
  unmovableSparePercent: i32 = 0;
  /** Named in the OOM log. */
  requester: string = "stress";
  /** Shape of the ramp: 1 linear, 2 accelerating (allocation rate rising, frees lagging). */
  rampPower: f64 = 1.0;
}

let profile: StressProfile | null = null;
/** Pinned blocks of a profiled episode: page | order << 27. */
const pinned = new Array<u32>(0);

/** A profiled episode is running. */
export function profileRunning(): bool { return profile != null; }

/** stress.ts's stressStart: no profile (a FILL/DRAIN workload). */
export function clearProfile(): void { profile = null; }

/**
 * Starts a profiled episode (see stress.ts's header): like stressStart, then pins all free memory
 * except p.poolPages pages (when > 0). stress.startFreePages is the pool: the free pages
 * after pinning. Returns 0, -EBUSY or -ENOMEM.
 */
export function stressStartProfile(seed: u64, p: StressProfile): i32 {
  // what `stresstest mem --keep` kept is the user's: a profiled episode never frees it
  if (stressKept() || stressActive()) return -EBUSY;
  profile = null;
  const r = tableBegin(seed, PRESSURE_PROFILE);
  if (r < 0) return r;
  profile = p;
  stress.systemFreePages = stress.startFreePages;
  if (p.poolPages > 0) pinAllBut(p.poolPages);
  stress.startFreePages = freePagesNow();
  stress.minFreePages = 0xffffffff;
  stress.minLargestBlock = 0xffffffff;
  stress.maxFragmentation = 0;
  observe();
  return 0;
}

/**
 * Replaces the random source of the running episode (its state so far is kept): the OOM
 * predictor's oracle (kernel/ai/oom/oracle.ts) resamples an episode's future this way.
 */
export function stressReseed(seed: u64): void {
  seedRandom(seed);
}

/** True when the episode's last request was an OOM event (the episode is over). */
export function stressOom(): bool { return stress.oom; }

function pinAllBut(poolPages: u32): void {
  pinned.length = 0;
  for (let k: u32 = 0; k < MAX_ORDER; k++) {
    let page = firstFreeBlock(k);
    while (page != 0) {
      if (takeFreeBlock(page) >= 0) pin(page, k);
      page = firstFreeBlock(k);
    }
  }
  // every free 4 MiB block, then the lowest-addressed ones back as the pool, in address order:
  // the pool and its free-list order are then the same whatever earlier episodes freed last
  // (the lists are LIFO; episodes must not depend on their history)
  const blocks = new Array<u32>(0);
  let page = firstFreeBlock(MAX_ORDER);
  while (page != 0) {
    if (takeFreeBlock(page) < 0) break;
    blocks.push(page);
    page = firstFreeBlock(MAX_ORDER);
  }
  blocks.sort((a: u32, b: u32): i32 => (a < b ? -1 : (a > b ? 1 : 0)));
  const keep = min<i32>(blocks.length, <i32>(poolPages >> MAX_ORDER));
  for (let i = keep - 1; i >= 0; i--) returnBlock(blocks[i], MAX_ORDER);
  for (let i = keep; i < blocks.length; i++) pin(blocks[i], MAX_ORDER);
}

function pin(page: u32, order: u32): void {
  pinned.push(page | (order << 27));
  stress.pinnedPages += <u32>1 << order;
}

function unpinAll(): void {
  for (let i = 0; i < pinned.length; i++) {
    const w = pinned[i];
    returnBlock(w & ((<u32>1 << 27) - 1), w >> 27);
  }
  pinned.length = 0;
}

/** One step of a profiled episode: opsPerStep operations tracking the target level. */
export function profileStep(p: StressProfile): void {
  if (stress.oom) return;
  const t = <f64>stress.steps;
  let ramp = p.rampSteps > 0 ? min(1.0, t / <f64>p.rampSteps) : 1.0;
  if (p.rampPower != 1.0) ramp = Math.pow(ramp, p.rampPower);
  let target = p.startLevel + (p.endLevel - p.startLevel) * ramp;
  if (p.burstAmplitude > 0 && p.burstPeriod > 0) {
    target += p.burstAmplitude * Math.sin(2 * Math.PI * t / <f64>p.burstPeriod);
  }
  stress.target = target;
  const pool = <f64>max<u32>(stress.startFreePages, 1);
  for (let i = 0; i < p.opsPerStep; i++) {
    stress.operations++;
    const held = <f64>unchecked(stress.taskBytes[0]) / 4096.0 / pool;
    let pAlloc = 0.5 + 4.0 * (target - held);
    pAlloc = pAlloc < 0.1 ? 0.1 : (pAlloc > 0.9 ? 0.9 : pAlloc);
    if (stress.throttled && pAlloc > 0.5) pAlloc = 0.5;
    const r = <f64>(nextRandom() % 10000) / 10000.0;
    if (r < pAlloc || live == 0) {
      if (live >= STRESS_CAPACITY) stress.tableFull++; // not a failure of the allocator
      else allocateProfiled(p);
      if (stress.oom) {
        stress.oomStep = stress.steps;
        break;
      }
    } else {
      const victim = pickTask0Victim(p);
      if (victim >= 0) freeOne(<u32>victim);
    }
  }
}

/** A random live allocation of task 0 (a few tries), or -1. */
function pickTask0Victim(p: StressProfile): i64 {
  for (let tries = 0; tries < 8; tries++) {
    const victim = nextRandom() % live;
    const info = entryInfo(permAt(victim));
    if ((info >> TASK_SHIFT) != 0) continue;
    if (p.unmovableSparePercent > 0 && (info & 3) == T_UNMOVABLE && <i32>(nextRandom() % 100) < p.unmovableSparePercent) continue;
    return <i64>victim;
  }
  return -1;
}

/** Ends the step of a profiled episode (the driver calls it after its own tasks' requests). */
export function stressEndStep(): void {
  stress.steps++;
  observe();
}

/** Starts a step of a profiled episode: clears the per-step request and stall masks. */
export function stressBeginStep(): void {
  stress.requestMask = 0;
  stress.stallMask = 0;
}

/** Throttles task 0 (see StressStats.throttled). */
export function stressThrottle(on: bool): void {
  stress.throttled = on;
}

/**
 * One request of `task` through the direct-reclaim path: `order` pages (movable or not), or
 * kmalloc of `bytes` when bytes > 0. False when it failed: an OOM event, the episode is over.
 */
export function stressAllocFor(task: u32, order: u32, movable: bool, bytes: u32): bool {
  if (!stressActive() || profile == null || stress.oom || task >= <u32>STRESS_TASKS) return false;
  if (live >= STRESS_CAPACITY) {
    stress.tableFull++;
    return false;
  }
  const p = profile!;
  const id = permAt(live);
  const stallsBefore = reclaim.episodeStalls;
  stress.requestMask |= <u32>1 << task;
  let addr: usize;
  let info: u32;
  if (bytes > 0) {
    info = T_KMALLOC | (bytes << 8);
    addr = kmallocReclaim(<usize>bytes, p.requester);
  } else {
    info = (movable ? T_MOVABLE : T_UNMOVABLE) | (order << 2);
    addr = movable ? allocMovablePagesReclaim(order, stressRelocate, id, p.requester) : allocPagesReclaim(order, p.requester);
  }
  if (reclaim.episodeStalls != stallsBefore) stress.stallMask |= <u32>1 << task;
  stress.operations++;
  if (addr == 0) {
    stress.failures++;
    stress.pageFailures++;
    noteOom(bytes > 0 ? kmallocBlockOrder(<usize>bytes) : order);
    stress.oomStep = stress.steps;
    return false;
  }
  if (bytes > 0) stress.kmallocBytesHeld += <u64>bytes;
  else stress.pagesHeld += <u64>1 << order;
  commit(id, info | (task << TASK_SHIFT), addr);
  return true;
}

/** Frees up to `maxPages` pages' worth of `task`'s allocations, newest first; returns the pages freed. */
export function stressFreeTask(task: u32, maxPages: u32): u32 {
  if (!stressActive() || profile == null) return 0;
  let freedBytes: u64 = 0;
  const limit = <u64>maxPages * 4096;
  let i: i64 = <i64>live - 1;
  while (i >= 0 && freedBytes < limit) {
    const info = entryInfo(permAt(<u32>i));
    if ((info >> TASK_SHIFT) == task) {
      freedBytes += <u64>sizeOf(info);
      freeOne(<u32>i);
    }
    i--;
  }
  return <u32>(freedBytes / 4096);
}

/** Pages' worth held by `task` now. */
export function stressTaskPages(task: u32): u32 {
  return task < <u32>STRESS_TASKS ? <u32>(unchecked(stress.taskBytes[task]) / 4096) : 0;
}

/** Task 0's operations of this step (a profiled episode). */
export function stressStepTask0(): void {
  if (stressActive() && profile != null && !stress.oom) {
    const stallsBefore = reclaim.episodeStalls;
    if (profile!.opsPerStep > 0) stress.requestMask |= 1;
    profileStep(profile!);
    if (reclaim.episodeStalls != stallsBefore) stress.stallMask |= 1;
  }
}

/**
 * One request of a profiled episode, through the direct-reclaim path: largePer100k of
 * requests are high-order (minLargeOrder..maxOrder, uniform; unmovable with
 * largeUnmovablePercent, else movable); the others are movable pages of order 0..3 (P(k) =
 * 2^-(k+1), order 3 takes the rest), unmovable pages of order 0..2, or kmalloc of 1 B..8 KiB,
 * by the profile's mix. A failure is an OOM event and ends the episode.
 */
function allocateProfiled(p: StressProfile): bool {
  const id = permAt(live);
  let info: u32;
  let addr: usize;
  let order: u32 = 0;
  let kind: u32 = T_MOVABLE;
  if (<i32>(nextRandom() % 100000) < p.largePer100k && p.maxOrder >= p.minLargeOrder) {
    order = p.minLargeOrder + nextRandom() % (p.maxOrder - p.minLargeOrder + 1);
    kind = <i32>(nextRandom() % 100) < p.largeUnmovablePercent ? T_UNMOVABLE : T_MOVABLE;
  } else {
    const r = <i32>(nextRandom() % 100);
    if (r < p.movablePercent) {
      order = ctz<u32>(nextRandom() | 0x8);
    } else if (r < p.movablePercent + p.unmovablePercent) {
      order = ctz<u32>(nextRandom() | 0x4);
      kind = T_UNMOVABLE;
    } else {
      kind = T_KMALLOC;
    }
  }
  if (kind == T_KMALLOC) {
    const shift = nextRandom() % 13;
    const size = (<u32>1 << shift) + (nextRandom() & ((<u32>1 << shift) - 1));
    info = T_KMALLOC | (size << 8);
    addr = kmallocReclaim(<usize>size, p.requester);
    if (addr == 0) {
      stress.failures++;
      stress.kmallocFailures++;
      noteOom(kmallocBlockOrder(<usize>size));
      return false;
    }
    stress.kmallocBytesHeld += <u64>size;
  } else {
    info = kind | (order << 2);
    addr = kind == T_MOVABLE ? allocMovablePagesReclaim(order, stressRelocate, id, p.requester) : allocPagesReclaim(order, p.requester);
    if (addr == 0) {
      stress.failures++;
      stress.pageFailures++;
      if (order >= 4 && <u64>freePagesNow() >= (<u64>1 << order)) stress.highOrderFailures++;
      noteOom(order);
      return false;
    }
    stress.pagesHeld += <u64>1 << order;
  }
  commit(id, info, addr);
  return true;
}

/** Ends a profiled episode: frees everything it took and unpins the rest of memory. */
export function profileStop(): void {
  releaseAll(); // a profiled episode never keeps its memory
  unpinAll();
  profile = null;
  stress.endFreePages = freePagesNow();
}

/** The running profile (profileRunning() must be true). */
export function currentProfile(): StressProfile { return profile!; }
