// Direct reclaim, and the definition of an OOM event.
//
// DEFINITION. An OOM (out-of-memory) event is an allocation request that the allocators
// cannot satisfy even after direct reclaim. A request made through this file goes:
//
//   1. the normal allocation: allocPages / allocMovablePages / kmalloc;
//   2. if that fails, direct reclaim:
//        a. every empty slab goes back to the buddy allocator (slabReleaseEmpty);
//        a'. the registered caches (registerShrinker: the buffer cache, an episode's file
//           cache) give back up to max(2^order, DIRECT_SHRINK_PAGES) pages, like Linux's
//           direct reclaim taking a batch of clean cache pages;
//        b. light direct compaction: compactForOrder(order, DIRECT_COMPACT_BUDGET_PAGES)
//           empties at most ONE region of the requested order, migrating at most 64 pages
//           (256 KiB). Like Linux's asynchronous direct compaction it gives up early rather
//           than stall the task that waits for memory; thorough compaction is the job of
//           `memctl compact` and of the OOM predictor (kernel/ai/oom), which compacts without
//           this bound before an OOM is expected;
//   3. one retry; if it fails too, the request is an OOM event: it is logged (time, order,
//      kind, requester, free pages, largest free block, cause), the caller gets 0 and must
//      fail cleanly. Nothing is killed; the kernel keeps running.
//
// cause = "fragmentation" when at least 2^order pages were free (the memory was there but not
// contiguous: compaction could have helped), "exhaustion" otherwise (no compaction helps).
//
// Only requests made through this file can become OOM events. Plain allocPages/kmalloc keep
// failing fast (an allocation failure, counted by the buddy allocator); `stresstest mem` uses
// them on purpose (its high-pressure mode fills memory to allocation failure by design).
// Step 1 failing counts as an allocation failure even when reclaim then succeeds: the
// failures feature of the OOM predictor sees these near misses.
//
// The log keeps the last OOM_LOG_CAPACITY events (a ring) and counts all of them.
//
// STALLS. The time a request spends in step 2 is a memory stall: psi.ts accounts it (some /
// full, 10 s and 60 s averages). proactiveReclaim() is the predictor's "reclaim" action: every
// empty slab and as much of the registered caches as they can give, before any request stalls.
import { allocPages, freePagesNow, memoryReady, MAX_ORDER } from "./pages";
import { allocMovablePages, RelocateFn } from "./movable";
import { kmalloc, kmallocBlockOrder, slabReleaseEmpty } from "./slab";
import { compactForOrder } from "./compact";
import { largestFreeBlockPages, fragmentationRatio } from "./stats";
import { nowUs, nowTicks, ticksToUs } from "../platform/time";
import { psiRecordStall, stallCost } from "./psi";

/** Most pages one direct compaction may migrate (256 KiB of copying), one region at most. */
export const DIRECT_COMPACT_BUDGET_PAGES: u32 = 64;
export const OOM_LOG_CAPACITY: i32 = 32;
/** Cache pages one direct reclaim asks the shrinkers for at least (Linux: SWAP_CLUSTER_MAX = 32). */
export const DIRECT_SHRINK_PAGES: u32 = 32;

/** A cache that can give pages back: asked for up to `pages`, returns the pages it freed. */
export type Shrinker = (pages: u32) => u32;
/** How many pages a cache could give back now. */
export type ShrinkerCount = () => u32;
const shrinkers = new Array<Shrinker>(0);
const shrinkerCounts = new Array<ShrinkerCount>(0);
const shrinkerNames = new Array<string>(0);

/** Registers a cache for direct and proactive reclaim (kernel/init.ts: the buffer cache; episodes: their file cache). */
export function registerShrinker(name: string, shrink: Shrinker, count: ShrinkerCount): void {
  for (let i = 0; i < shrinkerNames.length; i++) {
    if (shrinkerNames[i] == name) {
      shrinkers[i] = shrink;
      shrinkerCounts[i] = count;
      return;
    }
  }
  shrinkers.push(shrink);
  shrinkerCounts.push(count);
  shrinkerNames.push(name);
}

/** Asks the caches, in registration order, for up to `pages` pages; returns the pages freed. */
export function shrinkCaches(pages: u32): u32 {
  let freed: u32 = 0;
  for (let i = 0; i < shrinkers.length && freed < pages; i++) freed += shrinkers[i](pages - freed);
  return freed;
}

/** Pages the registered caches could give back now. */
export function reclaimablePages(): u32 {
  let n: u32 = 0;
  for (let i = 0; i < shrinkerCounts.length; i++) n += shrinkerCounts[i]();
  return n;
}

export const REQUEST_PAGES: i32 = 0;
export const REQUEST_MOVABLE: i32 = 1;
export const REQUEST_KMALLOC: i32 = 2;

export class OomEvent {
  /** 1, 2, 3 ... since boot. */
  seq: u64 = 0;
  timeUs: u64 = 0;
  order: u32 = 0;
  /** REQUEST_PAGES / REQUEST_MOVABLE / REQUEST_KMALLOC */
  kind: i32 = 0;
  /** kmalloc size in bytes (0 for page requests). */
  bytes: u32 = 0;
  requester: string = "";
  freePages: u32 = 0;
  largestFreePages: u32 = 0;
  fragmentation: f64 = 0;
  /** true: >= 2^order pages were free (fragmentation); false: exhaustion. */
  fragmented: bool = false;

  kindName(): string {
    return this.kind == REQUEST_MOVABLE ? "movable pages" : (this.kind == REQUEST_KMALLOC ? "kmalloc" : "pages");
  }

  causeName(): string {
    return this.fragmented ? "fragmentation" : "exhaustion";
  }
}

/** Counters since boot. */
export class ReclaimCounters {
  /** Requests whose first attempt failed (direct reclaim ran). */
  directReclaims: u64 = 0;
  /** ... of which the retry succeeded. */
  rescued: u64 = 0;
  slabPagesReleased: u64 = 0;
  compactions: u64 = 0;
  /** Direct compactions that made the requested block. */
  compactionsDone: u64 = 0;
  pagesMigrated: u64 = 0;
  compactTimeUs: u64 = 0;
  /** Cache pages direct reclaim took from the shrinkers. */
  cachePagesShrunk: u64 = 0;
  /** proactiveReclaim() calls and the pages they freed. */
  proactiveReclaims: u64 = 0;
  proactivePagesFreed: u64 = 0;
  /** Stall time of episode requests (kept apart from psi.ts like their OOM events). */
  episodeStallUs: u64 = 0;
  /** ... and their counted stall cost (psi.ts stallCost: what episodes' pressure is made of). */
  episodeStallCost: u64 = 0;
  episodeStalls: u64 = 0;
  oomEvents: u64 = 0;
  /** OOM events of training and evaluation episodes: counted apart, never in the log. */
  episodeOomEvents: u64 = 0;
}
export const reclaim = new ReclaimCounters();

const oomLog = new Array<OomEvent>(0);
let oomNext: i32 = 0;

/** Runs direct reclaim for a block of `order`; true when one is free afterwards. */
function directReclaim(order: u32): bool {
  const started = nowTicks();
  const freedBefore = reclaim.slabPagesReleased + reclaim.cachePagesShrunk;
  const compactionsBefore = reclaim.compactions;
  const migratedBefore = reclaim.pagesMigrated;
  const ok = directReclaimSteps(order);
  const us = ticksToUs(nowTicks() - started);
  if (inEpisode) {
    reclaim.episodeStallCost += stallCost(reclaim.slabPagesReleased + reclaim.cachePagesShrunk - freedBefore,
      reclaim.compactions != compactionsBefore, reclaim.pagesMigrated - migratedBefore);
    reclaim.episodeStallUs += us;
    reclaim.episodeStalls++;
  } else {
    psiRecordStall(us);
  }
  return ok;
}

function directReclaimSteps(order: u32): bool {
  reclaim.directReclaims++;
  reclaim.slabPagesReleased += <u64>slabReleaseEmpty();
  if (largestFreeBlockPages() >= (<u32>1 << order)) return true;
  const want = max<u32>(<u32>1 << order, DIRECT_SHRINK_PAGES);
  if (shrinkers.length > 0) reclaim.cachePagesShrunk += <u64>shrinkCaches(want);
  if (largestFreeBlockPages() >= (<u32>1 << order)) return true;
  if (order == 0) return false; // nothing free at all: compaction cannot make a page
  const r = compactForOrder(order, DIRECT_COMPACT_BUDGET_PAGES);
  if (r.targetOrder >= 0) {
    reclaim.compactions++;
    if (r.regionsEmptied > 0) reclaim.compactionsDone++;
    reclaim.pagesMigrated += <u64>r.pagesMigrated;
    reclaim.compactTimeUs += r.timeUs;
  }
  return largestFreeBlockPages() >= (<u32>1 << order);
}

let inEpisode: bool = false;

/**
 * Training and evaluation episodes (kernel/ai/oom/episodes.ts) exhaust a pool on purpose:
 * while `on`, their failed requests are counted in episodeOomEvents only, so the system's OOM
 * count, its log and the live predictor's labels (which read the log) stay about real events.
 */
export function setEpisodeAccounting(on: bool): void {
  inEpisode = on;
}

function recordOom(order: u32, kind: i32, bytes: u32, requester: string): void {
  if (inEpisode) {
    reclaim.episodeOomEvents++;
    return;
  }
  const e = new OomEvent();
  reclaim.oomEvents++;
  e.seq = reclaim.oomEvents;
  e.timeUs = nowUs();
  e.order = order;
  e.kind = kind;
  e.bytes = bytes;
  e.requester = requester;
  e.freePages = freePagesNow();
  e.largestFreePages = largestFreeBlockPages();
  e.fragmentation = fragmentationRatio();
  e.fragmented = <u64>e.freePages >= (<u64>1 << order);
  if (oomLog.length < OOM_LOG_CAPACITY) {
    oomLog.push(e);
  } else {
    oomLog[oomNext] = e;
  }
  oomNext = (oomNext + 1) % OOM_LOG_CAPACITY;
}

/**
 * allocPages(order) with direct reclaim; 0 after an OOM event (logged) or for order >
 * MAX_ORDER (an invalid request, not an OOM event).
 */
export function allocPagesReclaim(order: u32, requester: string): usize {
  if (!memoryReady() || order > MAX_ORDER) return 0;
  let addr = allocPages(order);
  if (addr != 0) return addr;
  directReclaim(order);
  addr = allocPages(order);
  if (addr != 0) {
    reclaim.rescued++;
    return addr;
  }
  recordOom(order, REQUEST_PAGES, 0, requester);
  return 0;
}

/** allocMovablePages with direct reclaim (see allocPagesReclaim). */
export function allocMovablePagesReclaim(order: u32, relocate: RelocateFn, ownerId: u32, requester: string): usize {
  if (!memoryReady() || order > MAX_ORDER) return 0;
  let addr = allocMovablePages(order, relocate, ownerId);
  if (addr != 0) return addr;
  directReclaim(order);
  addr = allocMovablePages(order, relocate, ownerId);
  if (addr != 0) {
    reclaim.rescued++;
    return addr;
  }
  recordOom(order, REQUEST_MOVABLE, 0, requester);
  return 0;
}

/** kmalloc with direct reclaim (see allocPagesReclaim); sizes above 4 MiB are invalid requests. */
export function kmallocReclaim(size: usize, requester: string): usize {
  if (!memoryReady()) return 0;
  const order = kmallocBlockOrder(size);
  if (order > MAX_ORDER) return 0;
  let addr = kmalloc(size);
  if (addr != 0) return addr;
  directReclaim(order);
  addr = kmalloc(size);
  if (addr != 0) {
    reclaim.rescued++;
    return addr;
  }
  recordOom(order, REQUEST_KMALLOC, <u32>size, requester);
  return 0;
}

/** OOM events since boot. */
export function oomEventCount(): u64 {
  return reclaim.oomEvents;
}

/** Events still in the log (at most OOM_LOG_CAPACITY). */
export function oomLogLength(): i32 {
  return oomLog.length;
}

/** Logged event i, 0 = oldest kept; null when out of range. */
export function oomLogEvent(i: i32): OomEvent | null {
  if (i < 0 || i >= oomLog.length) return null;
  const oldest = oomLog.length < OOM_LOG_CAPACITY ? 0 : oomNext;
  return oomLog[(oldest + i) % OOM_LOG_CAPACITY];
}

/** The newest event, or null when none happened. */
export function lastOomEvent(): OomEvent | null {
  return oomLog.length == 0 ? null : oomLogEvent(oomLog.length - 1);
}

/**
 * The predictor's reclaim action: every empty slab back to the buddy allocator and every page
 * the registered caches can give. Returns the pages freed.
 */
export function proactiveReclaim(): u32 {
  const freed = slabReleaseEmpty() + shrinkCaches(0xffffffff);
  reclaim.proactiveReclaims++;
  reclaim.proactivePagesFreed += <u64>freed;
  return freed;
}
