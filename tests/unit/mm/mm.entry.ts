// Test entry for kernel/mm: the buddy core on a test arena (model check, differential test),
// and the whole memory subsystem over the test window (pages, slab, movable, compaction,
// statistics, stress, benchmarks, shell commands). Compiled with memoryBase = 64 MiB, so
// linear [0, 64 MiB) is the page-frame window.
import * as buddy from "../../../kernel/mm/buddy";
import { initMemory, allocPages, allocPagesZeroed, freePages, managedPages, freePagesNow, metadataAddress, metadataBytesUsed, initMemoryMicros, memoryReady } from "../../../kernel/mm/pages";
import { kmalloc, kzalloc, kfree, checkSlabs, slabReleaseEmpty, slabObjectsInUse, slabCount, slabHitRate, slabOverhead, slabTotalPages, slabListLength, kfreeDoubleFrees, kfreeForeign } from "../../../kernel/mm/slab";
import { allocMovablePages } from "../../../kernel/mm/movable";
import { compactMemory } from "../../../kernel/mm/compact";
import { memorySnapshot, sampleMemoryStats, pollMemoryStats, SAMPLE_INTERVAL_US, historyLength, historySample, fragmentationRatio, largestFreeBlockPages } from "../../../kernel/mm/stats";
import { stressStart, stressStep, stressStop, stressRelease, stressVerify, stressLive, stress } from "../../../kernel/mm/stress";
import { runMemoryBenchmarks } from "../../../kernel/mm/bench";
import { runPollers } from "../../../kernel/kernel_loop";
import { runScheduler } from "../../../kernel/sched/scheduler";
import { registerPeriodicTask } from "../../../kernel/sched/periodic";
import { consoleShell } from "../../../kernel/shell/shell";
import "../../../kernel/shell/commands/help";
import "../../../kernel/shell/commands/meminfo";
import "../../../kernel/shell/commands/stresstest";
import "../../../kernel/shell/commands/bench";
import "../../../kernel/shell/commands/memctl";
import "../../../kernel/shell/commands/mem_stresstest";
import "../../../kernel/shell/commands/mem_bench";

// ---- buddy core on an arbitrary arena ----
export function bMetadataBytes(windowPages: u32): u32 { return <u32>buddy.metadataBytes(windowPages); }
export function bInit(windowPages: u32, metaAddr: u32): void { buddy.buddyInit(windowPages, metaAddr); }
export function bAttach(metaAddr: u32): void { buddy.buddyAttach(metaAddr); }
export function bAddRange(start: u32, count: u32): u32 { return buddy.addFreeRange(start, count); }
export function bAlloc(order: u32, kind: u32): u32 { return buddy.allocBlock(order, kind); }
/** kindMask 5 = plain and movable: what freePages() accepts. */
export function bFree(page: u32, order: u32): i32 { return buddy.freeBlock(page, order, 5); }
export function bCheck(): string { return buddy.checkBuddy(); }
export function bFreePages(): u32 { return buddy.freePageCount(); }
export function bManagedPages(): u32 { return buddy.managedPageCount(); }
export function bLargestOrder(): i32 { return buddy.largestFreeOrder(); }
export function bCounter(i: i32): u64 { return buddy.counter(i); }
export function bState(page: u32): u32 { return buddy.pageState(page); }
export function bFreeBlocks(order: u32): u32 { return buddy.freeBlocksOfOrder(order); }

// ---- the kernel's allocator over the test window ----
let memstatStarted = false;
/** initMemory() and the "memstat" sampler task, as kernel/init.ts boots them. */
export function memInit(): void {
  initMemory();
  if (!memstatStarted && memoryReady()) registerPeriodicTask("memstat", SAMPLE_INTERVAL_US, pollMemoryStats);
  if (memoryReady()) memstatStarted = true;
}
export function memReady(): bool { return memoryReady(); }
export function memInitMicros(): u64 { return initMemoryMicros(); }
export function memAlloc(order: u32): u32 { return <u32>allocPages(order); }
export function memAllocZeroed(order: u32): u32 { return <u32>allocPagesZeroed(order); }
export function memFree(addr: u32, order: u32): i32 { return freePages(addr, order); }
export function memManaged(): u32 { return managedPages(); }
export function memFreePages(): u32 { return freePagesNow(); }
export function memMetadata(): u32 { return <u32>metadataAddress(); }
export function memMetadataBytes(): u32 { return <u32>metadataBytesUsed(); }
export function memCheck(): string {
  const b = buddy.checkBuddy();
  return b.length > 0 ? "buddy: " + b : checkSlabs();
}

export function slabAlloc(size: u32): u32 { return <u32>kmalloc(size); }
export function slabAllocZeroed(size: u32): u32 { return <u32>kzalloc(size); }
export function slabFree(ptr: u32): i32 { return kfree(ptr); }
export function slabRelease(): u32 { return slabReleaseEmpty(); }
export function slabInUse(c: i32): u64 { return slabObjectsInUse(c); }
export function slabSlabs(c: i32): u32 { return slabCount(c); }
export function slabList(c: i32, list: i32): u32 { return slabListLength(c, list); }
export function slabHit(c: i32): f64 { return slabHitRate(c); }
export function slabOverheadOf(c: i32): f64 { return slabOverhead(c); }
export function slabPages(): u32 { return slabTotalPages(); }
export function slabDoubleFrees(): u64 { return kfreeDoubleFrees; }
export function slabForeignFrees(): u64 { return kfreeForeign; }

// movable blocks with a test owner: owner id -> current address, updated by the callback
const movTable = new StaticArray<u32>(65536);
let relocations: u32 = 0;
let relocationErrors: u32 = 0;
function testRelocate(ownerId: u32, oldAddr: usize, newAddr: usize): void {
  relocations++;
  if (ownerId < 65536 && movTable[ownerId] == <u32>oldAddr) movTable[ownerId] = <u32>newAddr;
  else relocationErrors++;
}
/** Allocates a movable block for `owner` (< 65536) and writes the owner id into every word. */
export function movAlloc(order: u32, owner: u32): u32 {
  const a = allocMovablePages(order, testRelocate, owner);
  if (a != 0) {
    movTable[owner] = <u32>a;
    const words = (<usize>4096 << order) >> 2;
    for (let i: usize = 0; i < words; i++) store<u32>(a + (i << 2), owner);
  }
  return <u32>a;
}
export function movAddr(owner: u32): u32 { return movTable[owner]; }
/** Owner ids whose block no longer holds the owner id in every word. */
export function movCorrupt(owner: u32, order: u32): bool {
  const a = <usize>movTable[owner];
  const words = (<usize>4096 << order) >> 2;
  for (let i: usize = 0; i < words; i++) if (load<u32>(a + (i << 2)) != owner) return true;
  return false;
}
export function movFree(owner: u32, order: u32): i32 { return freePages(movTable[owner], order); }
export function movRelocations(): u32 { return relocations; }
export function movRelocationErrors(): u32 { return relocationErrors; }

/** Compacts; returns the result's fields joined by commas. */
export function compact(budget: u32): string {
  const r = compactMemory(budget);
  return [r.largestBefore.toString(), r.largestAfter.toString(), r.slabPagesReleased.toString(),
    r.blocksMigrated.toString(), r.pagesMigrated.toString(), r.regionsEmptied.toString(), r.targetOrder.toString(),
    r.stoppedBy, r.fragmentationBefore.toString(), r.fragmentationAfter.toString()].join(",");
}

export function statsSnapshot(): string {
  const s = memorySnapshot();
  return [s.managedPages.toString(), s.freePages.toString(), s.largestFreeBlockPages.toString(),
    s.fragmentation.toString(), s.allocationFailures.toString(), s.allocations.toString(),
    s.allocationsPerSecond.toString(), s.slabPages.toString(), s.slabObjects.toString()].join(",");
}
export function statsSample(): void { sampleMemoryStats(); }
export function statsPoll(): void { pollMemoryStats(); }
export function statsHistoryLength(): i32 { return historyLength(); }
export function statsHistory(i: i32): string {
  const s = historySample(i);
  if (s == null) return "";
  return [s.timeUs.toString(), s.freePages.toString(), s.largestFreeBlockPages.toString(),
    s.fragmentation.toString(), s.allocationFailures.toString(), s.allocationsPerSecond.toString()].join(",");
}
export function statsFragmentation(): f64 { return fragmentationRatio(); }
export function statsLargest(): u32 { return largestFreeBlockPages(); }
/** One pass of the event loop's work: pollers, then every task that is due. */
export function loopPollers(): void {
  runPollers();
  for (let i = 0; i < 16 && runScheduler(); i++) {}
}

export function stStart(seed: u64, pressure: i32): i32 { return stressStart(seed, pressure); }
export function stStep(): void { stressStep(); }
export function stStop(keep: bool): void { stressStop(keep); }
export function stRelease(): u32 { return stressRelease(); }
export function stVerify(): u32 { return stressVerify(); }
export function stLive(): u32 { return stressLive(); }
export function stStats(): string {
  const s = stress;
  return [s.operations.toString(), s.allocations.toString(), s.frees.toString(), s.failures.toString(),
    s.corrupt.toString(), s.freeErrors.toString(), s.relocations.toString(), s.relocationErrors.toString(),
    s.startFreePages.toString(), s.endFreePages.toString(), s.peakPagesHeld.toString(), s.minLargestBlock.toString(),
    s.pagesHeld.toString()].join(",");
}

export function bench(samples: i32): string { return runMemoryBenchmarks(samples, "node").join("\n"); }

export function shellRun(line: string): i32 { return consoleShell.execute(line); }
