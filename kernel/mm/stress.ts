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
import { allocPages, freePages, freePagesNow, PAGE_SIZE, MAX_ORDER } from "./pages";
import { allocMovablePages } from "./movable";
import { kmalloc, kfree, slabReleaseEmpty, kmallocBlockOrder } from "./slab";
import { allocPagesReclaim, allocMovablePagesReclaim, kmallocReclaim, reclaim } from "./reclaim";
import { firstFreeBlock, takeFreeBlock, returnBlock } from "./buddy";
import { fragmentationRatio, largestFreeBlockPages } from "./stats";
import { EBUSY, ENOMEM } from "../lib/errors";

export const PRESSURE_LOW: i32 = 0;
export const PRESSURE_HIGH: i32 = 1;
/** stress.pressure of a profiled episode (stressStartProfile). */
export const PRESSURE_PROFILE: i32 = 2;
export const OPS_PER_STEP: i32 = 256;

const CAPACITY_SHIFT: u32 = 17;
export const STRESS_CAPACITY: u32 = <u32>1 << CAPACITY_SHIFT;
const ARRAY_ORDER: u32 = CAPACITY_SHIFT + 2 - 12; // u32 per entry
const KEEP_FILL_LIMIT: u32 = 4_000_000;
const T_MOVABLE: u32 = 1;
const T_UNMOVABLE: u32 = 2;
const T_KMALLOC: u32 = 3;
/** Workload tasks of a profiled episode (info bits 28..31). */
export const STRESS_TASKS: i32 = 8;
const TASK_SHIFT: u32 = 28;

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

export class StressStats {
  seed: u64 = 0;
  pressure: i32 = 0;
  cycles: u64 = 0; // FILL -> DRAIN turns
  steps: u64 = 0;
  operations: u64 = 0;
  allocations: u64 = 0;
  frees: u64 = 0;
  failures: u64 = 0;
  pageFailures: u64 = 0;
  kmallocFailures: u64 = 0;
  highOrderFailures: u64 = 0; // failures of order >= 4 while >= 2^order pages were free
  freeErrors: u64 = 0;
  corrupt: u64 = 0;
  relocations: u64 = 0;
  relocationErrors: u64 = 0;
  tableFull: u64 = 0;
  live: u32 = 0;
  pagesHeld: u64 = 0;
  peakPagesHeld: u64 = 0;
  kmallocBytesHeld: u64 = 0;
  startFreePages: u32 = 0;
  endFreePages: u32 = 0;
  minFreePages: u32 = 0xffffffff;
  minLargestBlock: u32 = 0xffffffff;
  maxFragmentation: f64 = 0;
  // profiled episodes
  /** Free pages before the episode took anything (stressStop gives back to this). */
  systemFreePages: u32 = 0;
  pinnedPages: u32 = 0;
  oom: bool = false;
  oomOrder: u32 = 0;
  oomStep: u64 = 0;
  /** The OOM request found >= 2^order pages free (fragmentation, not exhaustion). */
  oomFragmented: bool = false;
  /** Target share of the pool for the last step. */
  target: f64 = 0;
  /** Bytes held per workload task (pages * 4096 or kmalloc sizes). */
  taskBytes: StaticArray<u64> = new StaticArray<u64>(STRESS_TASKS);
  /** Per step: tasks that made a request, tasks whose request stalled in direct reclaim (bit masks). */
  requestMask: u32 = 0;
  stallMask: u32 = 0;
  /** Task 0 throttled: its allocations no longer outpace its frees (held level frozen). */
  throttled: bool = false;
}

export let stress: StressStats = new StressStats();
let active = false;
let kept = false;
let rng: u64 = 1;
let addrTable: usize = 0;
let infoTable: usize = 0;
let permTable: usize = 0;
let posTable: usize = 0;
let live: u32 = 0;
let filling = true;
let profile: StressProfile | null = null;
/** The task the next allocation belongs to. */
let currentTask: u32 = 0;
/** Pinned blocks of a profiled episode: page | order << 27. */
const pinned = new Array<u32>(0);

export function stressActive(): bool { return active; }
export function stressKept(): bool { return kept; }

// ---- the random source: xorshift64* (deterministic from the seed) ----
function nextRandom(): u32 {
  let x = rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng = x;
  return <u32>((x * 0x2545f4914f6cdd1d) >> 32);
}

// @ts-ignore: decorator
@inline function entryAddr(id: u32): usize { return <usize>load<u32>(addrTable + (<usize>id << 2)); }
// @ts-ignore: decorator
@inline function entryInfo(id: u32): u32 { return load<u32>(infoTable + (<usize>id << 2)); }
// @ts-ignore: decorator
@inline function permAt(i: u32): u32 { return load<u32>(permTable + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function setPerm(i: u32, id: u32): void {
  store<u32>(permTable + (<usize>i << 2), id);
  store<u32>(posTable + (<usize>id << 2), i);
}

function tagOf(id: u32, info: u32): u32 {
  let h = id * 0x9e3779b1 ^ info * 0x85ebca77 ^ <u32>stress.seed ^ 0x5a5a5a5a;
  h ^= h >> 15;
  h *= 0x2c1b3c6d;
  h ^= h >> 12;
  return h;
}

function sizeOf(info: u32): usize {
  const type = info & 3;
  if (type == T_KMALLOC) return <usize>((info >> 8) & 0xfffff); // bits 28.. are the task
  return PAGE_SIZE << ((info >> 2) & 15);
}

/** The relocation callback for the workload's movable blocks (movable.ts). */
export function stressRelocate(ownerId: u32, oldAddr: usize, newAddr: usize): void {
  if (addrTable != 0 && ownerId < STRESS_CAPACITY && entryAddr(ownerId) == oldAddr) {
    store<u32>(addrTable + (<usize>ownerId << 2), <u32>newAddr);
    stress.relocations++;
  } else {
    stress.relocationErrors++;
  }
}

/**
 * Starts an episode. Returns 0, -EBUSY when one is running, -ENOMEM when the handle table
 * cannot be allocated. Allocations kept by an earlier episode are freed first.
 */
export function stressStart(seed: u64, pressure: i32): i32 {
  if (active) return -EBUSY;
  if (kept) stressRelease();
  slabReleaseEmpty(); // so that the end state is comparable with the start
  profile = null;
  stress = new StressStats();
  stress.seed = seed;
  stress.pressure = pressure;
  stress.startFreePages = freePagesNow();
  rng = seed * 0x9e3779b97f4a7c15 + 0x632be59bd9b4e019;
  if (rng == 0) rng = 1;
  addrTable = allocPages(ARRAY_ORDER);
  infoTable = allocPages(ARRAY_ORDER);
  permTable = allocPages(ARRAY_ORDER);
  posTable = allocPages(ARRAY_ORDER);
  if (addrTable == 0 || infoTable == 0 || permTable == 0 || posTable == 0) {
    freeTables();
    return -ENOMEM;
  }
  for (let i: u32 = 0; i < STRESS_CAPACITY; i++) setPerm(i, i);
  live = 0;
  filling = true;
  active = true;
  observe();
  return 0;
}

/**
 * Starts a profiled episode (see the header): like stressStart, then pins all free memory
 * except p.poolPages pages (when > 0). stress.startFreePages is the pool: the free pages
 * after pinning. Returns 0, -EBUSY or -ENOMEM.
 */
export function stressStartProfile(seed: u64, p: StressProfile): i32 {
  // what `stresstest mem --keep` kept is the user's: a profiled episode never frees it
  if (kept) return -EBUSY;
  const r = stressStart(seed, PRESSURE_PROFILE);
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
function profileStep(p: StressProfile): void {
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
  currentTask = 0;
  for (let i = 0; i < p.opsPerStep; i++) {
    stress.operations++;
    const held = <f64>unchecked(stress.taskBytes[0]) / 4096.0 / pool;
    let pAlloc = 0.5 + 4.0 * (target - held);
    pAlloc = pAlloc < 0.1 ? 0.1 : (pAlloc > 0.9 ? 0.9 : pAlloc);
    if (stress.throttled && pAlloc > 0.5) pAlloc = 0.5;
    const r = <f64>(nextRandom() % 10000) / 10000.0;
    if (r < pAlloc || live == 0) {
      allocateOne();
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
  if (!active || profile == null || stress.oom || task >= <u32>STRESS_TASKS) return false;
  if (live >= STRESS_CAPACITY) {
    stress.tableFull++;
    return false;
  }
  const p = profile!;
  currentTask = task;
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
  currentTask = 0;
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
  if (!active || profile == null) return 0;
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
  if (active && profile != null && !stress.oom) {
    const stallsBefore = reclaim.episodeStalls;
    if (profile!.opsPerStep > 0) stress.requestMask |= 1;
    profileStep(profile!);
    if (reclaim.episodeStalls != stallsBefore) stress.stallMask |= 1;
  }
}

/** One tick of work: OPS_PER_STEP operations. */
export function stressStep(): void {
  if (!active) return;
  if (profile != null) {
    // a whole step of task 0 alone (episodes with more tasks call stressBeginStep,
    // stressStepTask0, their tasks' requests, then stressEndStep)
    stressBeginStep();
    profileStep(profile!);
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

function observe(): void {
  const free = freePagesNow();
  const largest = largestFreeBlockPages();
  const frag = fragmentationRatio();
  if (free < stress.minFreePages) stress.minFreePages = free;
  if (largest < stress.minLargestBlock) stress.minLargestBlock = largest;
  if (frag > stress.maxFragmentation) stress.maxFragmentation = frag;
  if (stress.pagesHeld > stress.peakPagesHeld) stress.peakPagesHeld = stress.pagesHeld;
  stress.live = live;
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
  if (profile != null) return allocateProfiled(profile!);
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

/** Records a new allocation in the table and tags it. */
function commit(id: u32, info: u32, addr: usize): void {
  // direct reclaim may have freed allocations of this workload (its file cache) while the
  // request was made, moving free ids around: put `id` back at the first free position
  const pos = load<u32>(posTable + (<usize>id << 2));
  if (pos != live) {
    const other = permAt(live);
    setPerm(pos, other);
    setPerm(live, id);
  }
  store<u32>(addrTable + (<usize>id << 2), <u32>addr);
  store<u32>(infoTable + (<usize>id << 2), info);
  const tag = tagOf(id, info);
  const size = sizeOf(info);
  store<u32>(addr, tag);
  if (size >= 8) store<u32>(addr + size - 4, tag);
  live++;
  stress.allocations++;
  const task = info >> TASK_SHIFT;
  unchecked(stress.taskBytes[task] += <u64>size);
}

function noteOom(order: u32): void {
  stress.oom = true;
  stress.oomOrder = order;
  stress.oomFragmented = <u64>freePagesNow() >= (<u64>1 << order);
}

/** Frees the live allocation at permutation index i (< live). */
function freeOne(i: u32): void {
  const id = permAt(i);
  const addr = entryAddr(id);
  const info = entryInfo(id);
  const size = sizeOf(info);
  const tag = tagOf(id, info);
  if (load<u32>(addr) != tag || (size >= 8 && load<u32>(addr + size - 4) != tag)) stress.corrupt++;
  const type = info & 3;
  let result: i32;
  if (type == T_KMALLOC) {
    result = kfree(addr);
    stress.kmallocBytesHeld -= <u64>size;
  } else {
    const order = (info >> 2) & 15;
    result = freePages(addr, order);
    stress.pagesHeld -= <u64>1 << order;
  }
  if (result != 0) stress.freeErrors++;
  const task = info >> TASK_SHIFT;
  unchecked(stress.taskBytes[task] -= <u64>size);
  // swap the last live id into slot i
  const lastId = permAt(live - 1);
  setPerm(i, lastId);
  setPerm(live - 1, id);
  live--;
  stress.frees++;
}

/** Checks every live allocation's tags; returns the number of mismatches (also added to corrupt). */
export function stressVerify(): u32 {
  let bad: u32 = 0;
  for (let i: u32 = 0; i < live; i++) {
    const id = permAt(i);
    const addr = entryAddr(id);
    const info = entryInfo(id);
    const size = sizeOf(info);
    const tag = tagOf(id, info);
    if (load<u32>(addr) != tag || (size >= 8 && load<u32>(addr + size - 4) != tag)) bad++;
  }
  stress.corrupt += <u64>bad;
  return bad;
}

/** Ends the episode: frees everything (keep = false) or leaves it allocated for later. */
export function stressStop(keep: bool): void {
  if (!active) return;
  active = false;
  observe();
  if (profile != null) {
    releaseAll(); // a profiled episode never keeps its memory
    unpinAll();
    profile = null;
    stress.endFreePages = freePagesNow();
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
    kept = true;
    return;
  }
  releaseAll();
}

/** Frees what a kept episode still holds; returns the number of allocations freed. */
export function stressRelease(): u32 {
  if (!kept) return 0;
  kept = false;
  return releaseAll();
}

function releaseAll(): u32 {
  const n = live;
  while (live > 0) freeOne(live - 1);
  freeTables();
  slabReleaseEmpty();
  stress.live = 0;
  stress.endFreePages = freePagesNow();
  return n;
}

function freeTables(): void {
  if (addrTable != 0) freePages(addrTable, ARRAY_ORDER);
  if (infoTable != 0) freePages(infoTable, ARRAY_ORDER);
  if (permTable != 0) freePages(permTable, ARRAY_ORDER);
  if (posTable != 0) freePages(posTable, ARRAY_ORDER);
  addrTable = 0;
  infoTable = 0;
  permTable = 0;
  posTable = 0;
}

/** Live allocations of the current (or kept) episode. */
export function stressLive(): u32 { return live; }
