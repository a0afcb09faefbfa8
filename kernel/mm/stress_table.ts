// The handle table and bookkeeping of kernel/mm/stress.ts's workloads (split out of stress.ts):
// the seeded random source (xorshift64*), the table of live allocations (id -> address, info;
// plus a permutation of ids whose first `live` entries are the live ones) in four buddy blocks
// of its own, the tags that check every allocation's data (first and last 4 bytes, derived from
// its id), the statistics of the running episode (`stress`), and the start / release of an
// episode's table. stress.ts (FILL/DRAIN) and stress_profile.ts (profiled OOM episodes) drive it.
import { allocPages, freePages, freePagesNow, PAGE_SIZE } from "./pages";
import { kfree, slabReleaseEmpty } from "./slab";
import { fragmentationRatio, largestFreeBlockPages } from "./stats";
import { ENOMEM } from "../lib/errors";

export const PRESSURE_LOW: i32 = 0;
export const PRESSURE_HIGH: i32 = 1;
/** stress.pressure of a profiled episode (stressStartProfile). */
export const PRESSURE_PROFILE: i32 = 2;

const CAPACITY_SHIFT: u32 = 17;
export const STRESS_CAPACITY: u32 = <u32>1 << CAPACITY_SHIFT;
const ARRAY_ORDER: u32 = CAPACITY_SHIFT + 2 - 12; // u32 per entry
export const T_MOVABLE: u32 = 1;
export const T_UNMOVABLE: u32 = 2;
export const T_KMALLOC: u32 = 3;
/** Workload tasks of a profiled episode (info bits 28..31). */
export const STRESS_TASKS: i32 = 8;
export const TASK_SHIFT: u32 = 28;

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
/** Live allocations: the first `live` ids of the permutation. */
export let live: u32 = 0;

export function stressActive(): bool { return active; }
export function stressKept(): bool { return kept; }
/** stress.ts: the running episode's allocations are kept (true) or were released (false). */
export function setKept(on: bool): void { kept = on; }
/** The episode is over (its table may still hold a kept workload). */
export function setInactive(): void { active = false; }

// ---- the random source: xorshift64* (deterministic from the seed) ----
export function nextRandom(): u32 {
  let x = rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng = x;
  return <u32>((x * 0x2545f4914f6cdd1d) >> 32);
}

/** Restarts the random source from `seed` (an episode's start; stressReseed). */
export function seedRandom(seed: u64): void {
  rng = seed * 0x9e3779b97f4a7c15 + 0x632be59bd9b4e019;
  if (rng == 0) rng = 1;
}

// @ts-ignore: decorator
@inline export function entryAddr(id: u32): usize { return <usize>load<u32>(addrTable + (<usize>id << 2)); }
// @ts-ignore: decorator
@inline export function entryInfo(id: u32): u32 { return load<u32>(infoTable + (<usize>id << 2)); }
// @ts-ignore: decorator
@inline export function permAt(i: u32): u32 { return load<u32>(permTable + (<usize>i << 2)); }
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

export function sizeOf(info: u32): usize {
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
 * Starts an episode's table and statistics (the caller checked that none is running): remembers
 * the free pages, seeds the random source, allocates the handle table. 0, or -ENOMEM.
 */
export function tableBegin(seed: u64, pressure: i32): i32 {
  slabReleaseEmpty(); // so that the end state is comparable with the start
  stress = new StressStats();
  stress.seed = seed;
  stress.pressure = pressure;
  stress.startFreePages = freePagesNow();
  seedRandom(seed);
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
  active = true;
  observe();
  return 0;
}

export function observe(): void {
  const free = freePagesNow();
  const largest = largestFreeBlockPages();
  const frag = fragmentationRatio();
  if (free < stress.minFreePages) stress.minFreePages = free;
  if (largest < stress.minLargestBlock) stress.minLargestBlock = largest;
  if (frag > stress.maxFragmentation) stress.maxFragmentation = frag;
  if (stress.pagesHeld > stress.peakPagesHeld) stress.peakPagesHeld = stress.pagesHeld;
  stress.live = live;
}

/** Records a new allocation in the table and tags it. */
export function commit(id: u32, info: u32, addr: usize): void {
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

export function noteOom(order: u32): void {
  stress.oom = true;
  stress.oomOrder = order;
  stress.oomFragmented = <u64>freePagesNow() >= (<u64>1 << order);
}

/** Frees the live allocation at permutation index i (< live). */
export function freeOne(i: u32): void {
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

export function releaseAll(): u32 {
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
