// memctl: the page and slab allocators from the shell: statistics, slab classes,
// compaction, a consistency check, the 100 ms sample history.
import { registerFamily, registerSubcommand } from "../families";
import { Options, noArgs } from "../args";
import { printable } from "../shell";
import { println, printError } from "../../platform/console";
import { totalRamBytes } from "../../platform/memmap";
import { bytes, fixed, table } from "../../lib/format";
import { memoryReady, metadataAddress, metadataBytesUsed, initMemoryMicros, PAGE_SIZE } from "../../mm/pages";
import {
  MAX_ORDER, freeBlocksOfOrder, counter, Counter, checkBuddy, largestFreeOrder,
} from "../../mm/buddy";
import {
  SLAB_CLASSES, slabObjectSize, slabObjectsPerSlab, slabPagesPerSlab, slabListLength, slabObjectsInUse,
  slabAllocations, slabHitRate, slabOverhead, slabCount, slabNewSlabs, slabReleasedSlabs,
  LIST_PARTIAL, LIST_FULL, LIST_EMPTY, kfreeDoubleFrees, kfreeForeign, largeAllocations,
  largePagesInUse, checkSlabs, slabTotalPages, slabTotalObjects, slabTotalBytesInUse,
} from "../../mm/slab";
import { memorySnapshot, historyLength, historySample, RING_SAMPLES, SAMPLE_INTERVAL_US } from "../../mm/stats";
import { compactMemory, DEFAULT_COMPACT_BUDGET_PAGES } from "../../mm/compact";
import { migratedBlocks, migratedPages } from "../../mm/movable";
import { printTable } from "../output";

const USAGE = "memctl stats | slab | compact [--max-pages N] | check | history [--last N]\n" +
  "  stats    free pages, largest free block, fragmentation, failures, allocation rate\n" +
  "  slab     per size class: objects in use, slabs, hit rate, metadata overhead\n" +
  "  compact  return empty slabs, migrate movable pages into fewer regions; prints the\n" +
  "           largest free block before and after. --max-pages N caps the pages copied\n" +
  "           (default " + DEFAULT_COMPACT_BUDGET_PAGES.toString() + ")\n" +
  "  check    verify the buddy and slab allocators' invariants\n" +
  "  history  the last N (default 10) of the 100 ms samples (" + RING_SAMPLES.toString() + " kept)";

registerFamily("memctl", "page/slab allocator statistics, compaction and checks", USAGE);
registerSubcommand("memctl", "stats", "free pages, largest free block, fragmentation, failures, allocation rate",
  "memctl stats\n  Free pages, largest free block, fragmentation, failures, allocation rate.",
  (rest: Array<string>): i32 => (ready() && noArgs("memctl stats", rest) ? stats() : 1));
registerSubcommand("memctl", "slab", "per size class: objects in use, slabs, hit rate, metadata overhead",
  "memctl slab\n  Per size class: objects in use, slabs, hit rate, metadata overhead.",
  (rest: Array<string>): i32 => (ready() && noArgs("memctl slab", rest) ? slab() : 1));
registerSubcommand("memctl", "compact", "return empty slabs, migrate movable pages into fewer regions",
  "memctl compact [--max-pages N]\n  Returns empty slabs and migrates movable pages into fewer regions; prints the largest\n" +
  "  free block before and after. --max-pages N caps the pages copied (default " + DEFAULT_COMPACT_BUDGET_PAGES.toString() + ").",
  (rest: Array<string>): i32 => (ready() ? compact(rest) : 1));
registerSubcommand("memctl", "check", "verify the buddy and slab allocators' invariants",
  "memctl check\n  Verifies the buddy and slab allocators' invariants.",
  (rest: Array<string>): i32 => (ready() && noArgs("memctl check", rest) ? check() : 1));
registerSubcommand("memctl", "history", "the last N of the 100 ms samples",
  "memctl history [--last N]\n  The last N (default 10) of the 100 ms samples (" + RING_SAMPLES.toString() + " kept).",
  (rest: Array<string>): i32 => (ready() ? history(rest) : 1));

/** The allocator is up (else one error line). */
function ready(): bool {
  if (memoryReady()) return true;
  printError("the page allocator is not initialised");
  return false;
}

function pages(n: u64): string {
  return bytes(n * <u64>PAGE_SIZE) + " (" + n.toString() + (n == 1 ? " page)" : " pages)");
}

function stats(): i32 {
  const s = memorySnapshot();
  const ram = totalRamBytes();
  const managedBytes = <u64>s.managedPages * <u64>PAGE_SIZE;
  println("managed:        " + pages(s.managedPages) + ", " + fixed(<f64>managedBytes * 100 / <f64>ram, 1) + "% of RAM");
  println("free:           " + pages(s.freePages));
  println("largest free:   " + pages(s.largestFreeBlockPages) + ", order " + largestFreeOrder().toString());
  println("fragmentation:  " + fixed(s.fragmentation, 3) + " (share of free memory outside order-" + MAX_ORDER.toString() + " blocks)");
  println("allocations:    " + s.allocations.toString() + " since boot, " + fixed(s.allocationsPerSecond, 1) + "/s over the last sample");
  println("failures:       " + s.allocationFailures.toString() + " allocations failed");
  println("refused frees:  page double " + counter(Counter.DoubleFrees).toString() + ", foreign " +
    counter(Counter.ForeignFrees).toString() + ", wrong order " + counter(Counter.WrongOrderFrees).toString() +
    "; kfree double " + kfreeDoubleFrees.toString() + ", foreign " + kfreeForeign.toString());
  println("slab:           " + pages(s.slabPages) + ", " + s.slabObjects.toString() + " objects, " + bytes(s.slabBytesInUse) + " in use");
  println("large kmalloc:  " + largeAllocations.toString() + " since boot, " + pages(largePagesInUse) + " in use");
  println("migrated:       " + migratedBlocks.toString() + " blocks, " + migratedPages.toString() + " pages by compaction since boot");
  let orders = "";
  for (let k: u32 = 0; k <= MAX_ORDER; k++) orders += (k == 0 ? "" : " ") + k.toString() + ":" + freeBlocksOfOrder(k).toString();
  println("free blocks:    " + orders);
  println("buddy work:     " + counter(Counter.Splits).toString() + " splits, " + counter(Counter.Merges).toString() + " merges");
  println("metadata:       " + bytes(<u64>metadataBytesUsed()) + " at linear 0x" + metadataAddress().toString(16) +
    ", built in " + fixed(<f64>initMemoryMicros() / 1000, 2) + " ms at boot");
  const n = historyLength();
  if (n > 0) {
    let minFree: u32 = 0xffffffff;
    let maxFree: u32 = 0;
    let minLargest: u32 = 0xffffffff;
    let maxFrag: f64 = 0;
    for (let i = 0; i < n; i++) {
      const h = historySample(i)!;
      if (h.freePages < minFree) minFree = h.freePages;
      if (h.freePages > maxFree) maxFree = h.freePages;
      if (h.largestFreeBlockPages < minLargest) minLargest = h.largestFreeBlockPages;
      if (h.fragmentation > maxFrag) maxFrag = h.fragmentation;
    }
    const span = historySample(n - 1)!.timeUs - historySample(0)!.timeUs;
    println("history:        " + n.toString() + " samples over " + fixed(<f64>span / 1e6, 1) + " s: free " +
      minFree.toString() + ".." + maxFree.toString() + " pages, smallest largest-block " + minLargest.toString() +
      " pages, max fragmentation " + fixed(maxFrag, 3));
  }
  return 0;
}

function slab(): i32 {
  const rows = new Array<Array<string>>(0);
  rows.push(["size", "obj/slab", "in use", "slabs", "partial", "full", "empty", "pages", "allocs", "hit rate", "overhead"]);
  for (let c = 0; c < SLAB_CLASSES; c++) {
    rows.push([
      slabObjectSize(c).toString(), slabObjectsPerSlab(c).toString(), slabObjectsInUse(c).toString(),
      slabCount(c).toString(), slabListLength(c, LIST_PARTIAL).toString(), slabListLength(c, LIST_FULL).toString(),
      slabListLength(c, LIST_EMPTY).toString(), (slabCount(c) * slabPagesPerSlab(c)).toString(),
      slabAllocations(c).toString(), fixed(slabHitRate(c) * 100, 1) + "%", fixed(slabOverhead(c) * 100, 1) + "%",
    ]);
  }
  printTable(rows);
  let created: u64 = 0;
  let released: u64 = 0;
  for (let c = 0; c < SLAB_CLASSES; c++) {
    created += slabNewSlabs(c);
    released += slabReleasedSlabs(c);
  }
  println("total: " + pages(slabTotalPages()) + " in slabs, " + slabTotalObjects().toString() + " objects (" +
    bytes(slabTotalBytesInUse()) + "); slabs created " + created.toString() + ", returned " + released.toString());
  println("hit rate = allocations served without a new slab; overhead = slab header / slab size");
  return 0;
}

function compact(rest: Array<string>): i32 {
  const o = new Options(rest, ["--max-pages"], []);
  if (!o.ok) {
    printError(o.error + " (usage: memctl compact [--max-pages N])");
    return 1;
  }
  if (o.positionals.length > 0) {
    printError("memctl compact takes no positional arguments");
    return 1;
  }
  const budget = o.integer("--max-pages", DEFAULT_COMPACT_BUDGET_PAGES, 0, 1 << 30);
  if (budget < 0) return 1;
  const r = compactMemory(<u32>budget);
  println("largest free block: " + pages(r.largestBefore) + " -> " + pages(r.largestAfter));
  println("fragmentation:      " + fixed(r.fragmentationBefore, 3) + " -> " + fixed(r.fragmentationAfter, 3));
  println("free pages:         " + r.freeBefore.toString() + " -> " + r.freeAfter.toString() +
    " (pages freed: " + r.slabPagesReleased.toString() + " from empty slabs)");
  println("migrated:           " + r.blocksMigrated.toString() + " blocks, " + r.pagesMigrated.toString() +
    " pages; emptied " + r.regionsEmptied.toString() + " regions of order " +
    (r.targetOrder < 0 ? "-" : r.targetOrder.toString()) + " in " + fixed(<f64>r.timeUs / 1000, 1) + " ms (" + r.stoppedBy + ")");
  return 0;
}

function check(): i32 {
  const b = checkBuddy();
  if (b.length > 0) {
    printError("buddy allocator: " + b);
    return 1;
  }
  const s = checkSlabs();
  if (s.length > 0) {
    printError("slab allocator: " + s);
    return 1;
  }
  println("buddy and slab allocators consistent");
  return 0;
}

function history(rest: Array<string>): i32 {
  const o = new Options(rest, ["--last"], []);
  if (!o.ok || o.positionals.length > 0) {
    printError((o.ok ? "unexpected argument '" + printable(o.positionals[0], 40) + "'" : o.error) + " (usage: memctl history [--last N])");
    return 1;
  }
  const last = o.integer("--last", 10, 1, RING_SAMPLES);
  if (last < 0) return 1;
  const n = historyLength();
  const from = n > <i32>last ? n - <i32>last : 0;
  const rows = new Array<Array<string>>(0);
  rows.push(["time s", "free pages", "largest", "frag", "failures", "allocs/s", "slab pages"]);
  for (let i = from; i < n; i++) {
    const h = historySample(i)!;
    rows.push([fixed(<f64>h.timeUs / 1e6, 1), h.freePages.toString(), h.largestFreeBlockPages.toString(),
      fixed(h.fragmentation, 3), h.allocationFailures.toString(), fixed(h.allocationsPerSecond, 0), h.slabPages.toString()]);
  }
  printTable(rows);
  println(n.toString() + " samples kept, one every " + (SAMPLE_INTERVAL_US / 1000).toString() + " ms");
  return 0;
}
