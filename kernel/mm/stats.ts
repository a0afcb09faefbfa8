// Memory statistics every subsystem can read: a snapshot computed on demand, and a ring
// buffer of samples taken every 100 ms (the crash/OOM predictor reads the history).
//
// Definitions:
//   free pages              pages on the buddy free lists
//   largest free block      pages in the largest free buddy block (at most 2^MAX_ORDER = 1024)
//   fragmentation ratio     1 - (free pages in blocks of order MAX_ORDER) / free pages:
//                           the share of free memory that is NOT in 4 MiB blocks. 0 = all free
//                           memory is in the largest blocks the allocator has; 1 = none of it
//                           (e.g. every 4 MiB region holds at least one allocated page). 0 when
//                           nothing is free. (1 - largest/total would be ~1 always, since a
//                           single block is at most 4 MiB of ~950 MiB.)
//   allocation failures     allocPages/allocBlock calls that returned nothing, since boot
//                           (kmalloc failures are counted there too: a slab or large kmalloc
//                           fails only when the buddy allocator does)
//   allocations/s           buddy block allocations + slab object allocations per second over
//                           the last sample interval
//
// The ring holds RING_SAMPLES samples (60 s). pollMemoryStats() runs as the periodic kernel
// task "memstat" (kernel/sched/periodic.ts) and calls sampleMemoryStats() when 100 ms have
// passed; long synchronous work (stresstest) calls pollMemoryStats() itself so the history
// has no gap.
import { psiUpdate } from "./psi";
import {
  freePageCount, managedPageCount, largestFreeOrder, freeBlocksOfOrder, counter, Counter, MAX_ORDER,
} from "./buddy";
import { memoryReady } from "./pages";
import { slabTotalPages, slabTotalObjects, slabTotalBytesInUse, slabTotalAllocations } from "./slab";
import { nowUs } from "../platform/time";

export const SAMPLE_INTERVAL_US: u64 = 100_000;
export const RING_SAMPLES: i32 = 600;
/** A periodic task may wake a little early; a sample this close to its slot is on time. */
const SAMPLE_SLACK_US: u64 = 2_000;

export class MemorySnapshot {
  timeUs: u64 = 0;
  managedPages: u32 = 0;
  freePages: u32 = 0;
  largestFreeBlockPages: u32 = 0;
  fragmentation: f64 = 0;
  allocationFailures: u64 = 0;
  allocations: u64 = 0;
  allocationsPerSecond: f64 = 0;
  slabPages: u32 = 0;
  slabObjects: u64 = 0;
  slabBytesInUse: u64 = 0;
}

/** 1 - free pages in MAX_ORDER blocks / free pages (see the header). */
export function fragmentationRatio(): f64 {
  if (!memoryReady()) return 0;
  const free = freePageCount();
  if (free == 0) return 0;
  const big = <u64>freeBlocksOfOrder(MAX_ORDER) << MAX_ORDER;
  return 1.0 - <f64>big / <f64>free;
}

export function largestFreeBlockPages(): u32 {
  if (!memoryReady()) return 0;
  const k = largestFreeOrder();
  return k < 0 ? 0 : <u32>1 << <u32>k;
}

export function allocationFailures(): u64 {
  return memoryReady() ? counter(Counter.Failures) : 0;
}

/** Buddy block allocations + slab object allocations since boot. */
export function totalAllocations(): u64 {
  return (memoryReady() ? counter(Counter.Allocations) : 0) + slabTotalAllocations();
}

// ---- ring buffer (structure of arrays; allocation-free after start-up) ----
const ringTime = new StaticArray<u64>(RING_SAMPLES);
const ringFree = new StaticArray<u32>(RING_SAMPLES);
const ringLargest = new StaticArray<u32>(RING_SAMPLES);
const ringFragmentation = new StaticArray<f32>(RING_SAMPLES);
const ringFailures = new StaticArray<u64>(RING_SAMPLES);
const ringRate = new StaticArray<f32>(RING_SAMPLES);
const ringSlabPages = new StaticArray<u32>(RING_SAMPLES);
let ringNext: i32 = 0;
let ringCount: i32 = 0;
let lastSampleUs: u64 = 0;
let lastAllocations: u64 = 0;
let lastRate: f64 = 0;
let nextDueUs: u64 = 0;
export let samplesTaken: u64 = 0;

/** Takes one sample now (the 100 ms sampler; callable directly). */
export function sampleMemoryStats(): void {
  const now = nowUs();
  const allocs = totalAllocations();
  if (samplesTaken > 0 && now > lastSampleUs) {
    lastRate = <f64>(allocs - lastAllocations) * 1e6 / <f64>(now - lastSampleUs);
  }
  lastSampleUs = now;
  lastAllocations = allocs;
  const i = ringNext;
  ringTime[i] = now;
  ringFree[i] = memoryReady() ? freePageCount() : 0;
  ringLargest[i] = largestFreeBlockPages();
  ringFragmentation[i] = <f32>fragmentationRatio();
  ringFailures[i] = allocationFailures();
  ringRate[i] = <f32>lastRate;
  ringSlabPages[i] = slabTotalPages();
  ringNext = (i + 1) % RING_SAMPLES;
  if (ringCount < RING_SAMPLES) ringCount++;
  samplesTaken++;
  psiUpdate(now);
}

/** Event-loop hook: samples when SAMPLE_INTERVAL_US has passed since the last due time. */
export function pollMemoryStats(): void {
  const now = nowUs();
  if (now + SAMPLE_SLACK_US < nextDueUs) return;
  sampleMemoryStats();
  // stay on the 100 ms grid; after a long stall, restart from now instead of bursting
  nextDueUs = nextDueUs + SAMPLE_INTERVAL_US > now ? nextDueUs + SAMPLE_INTERVAL_US : now + SAMPLE_INTERVAL_US;
}

/** The current state (allocations/s from the last sample interval). */
export function memorySnapshot(): MemorySnapshot {
  const s = new MemorySnapshot();
  s.timeUs = nowUs();
  if (memoryReady()) {
    s.managedPages = managedPageCount();
    s.freePages = freePageCount();
  }
  s.largestFreeBlockPages = largestFreeBlockPages();
  s.fragmentation = fragmentationRatio();
  s.allocationFailures = allocationFailures();
  s.allocations = totalAllocations();
  s.allocationsPerSecond = lastRate;
  s.slabPages = slabTotalPages();
  s.slabObjects = slabTotalObjects();
  s.slabBytesInUse = slabTotalBytesInUse();
  return s;
}

/** Samples in the ring (at most RING_SAMPLES). */
export function historyLength(): i32 {
  return ringCount;
}

/** Sample i of the history, 0 = oldest; null when out of range. */
export function historySample(i: i32): MemorySnapshot | null {
  if (i < 0 || i >= ringCount) return null;
  const j = (ringNext - ringCount + i + RING_SAMPLES) % RING_SAMPLES;
  const s = new MemorySnapshot();
  s.timeUs = ringTime[j];
  s.managedPages = memoryReady() ? managedPageCount() : 0;
  s.freePages = ringFree[j];
  s.largestFreeBlockPages = ringLargest[j];
  s.fragmentation = <f64>ringFragmentation[j];
  s.allocationFailures = ringFailures[j];
  s.allocationsPerSecond = <f64>ringRate[j];
  s.slabPages = ringSlabPages[j];
  return s;
}
