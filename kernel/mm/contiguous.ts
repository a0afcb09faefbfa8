// Physically contiguous runs of pages larger than one buddy block (for language-model
// weights and KV caches, which are flat f32 arrays of up to hundreds of MiB).
//
//   n <= 1024 pages: one buddy block of order ceil(log2 n) (at most 2x the request).
//   n >  1024 pages: ceil(n / 1024) whole free pageblocks (order-10 blocks, 4 MiB each) that
//                    sit next to each other, taken off the free lists in one pass; the tail of
//                    the last pageblock is unused (at most 4 MiB - 4 KiB).
//
// The shape of an allocation follows from n alone, so freeContiguousPages(addr, n) needs no
// record. contiguousPagesAvailable(n) answers "would this fit" without taking anything, so a
// caller can refuse before it allocates.
import { MAX_ORDER, PAGE_SHIFT, TYPE_FREE, pageState, takeFreeBlock, windowPages, largestFreeOrder } from "./buddy";
import { allocPages, freePages, memoryReady } from "./pages";

const PAGEBLOCK_PAGES: u32 = 1 << MAX_ORDER;
const FREE_PAGEBLOCK_STATE: u32 = TYPE_FREE | MAX_ORDER; // free head, kind bits 0, order 10

/** The buddy order that holds n pages (n <= 1024). */
function orderFor(n: u32): u32 {
  let k: u32 = 0;
  while ((<u32>1 << k) < n) k++;
  return k;
}

/** Pages an allocation of n pages really takes from the allocator. */
export function contiguousFootprintPages(n: u32): u32 {
  if (n == 0) return 0;
  if (n <= PAGEBLOCK_PAGES) return <u32>1 << orderFor(n);
  return ((n + PAGEBLOCK_PAGES - 1) / PAGEBLOCK_PAGES) * PAGEBLOCK_PAGES;
}

/** First page of a run of `count` adjacent free pageblocks, or -1. */
function findFreePageblockRun(count: u32): i64 {
  const total = windowPages();
  let runStart: u32 = 0;
  let run: u32 = 0;
  for (let p: u32 = 0; p + PAGEBLOCK_PAGES <= total; p += PAGEBLOCK_PAGES) {
    if ((pageState(p) & 0xcf) == FREE_PAGEBLOCK_STATE) {
      if (run == 0) runStart = p;
      run++;
      if (run == count) return <i64>runStart;
    } else {
      run = 0;
    }
  }
  return -1;
}

/** Largest run of adjacent free pageblocks, in pages (0 when none). */
export function largestContiguousFreePages(): u32 {
  if (!memoryReady()) return 0;
  const total = windowPages();
  let best: u32 = 0;
  let run: u32 = 0;
  for (let p: u32 = 0; p + PAGEBLOCK_PAGES <= total; p += PAGEBLOCK_PAGES) {
    if ((pageState(p) & 0xcf) == FREE_PAGEBLOCK_STATE) {
      run++;
      if (run > best) best = run;
    } else {
      run = 0;
    }
  }
  if (best > 0) return best * PAGEBLOCK_PAGES;
  const k = largestFreeOrder();
  return k < 0 ? 0 : <u32>1 << <u32>k;
}

/** True when allocContiguousPages(n) would succeed now. Takes nothing. */
export function contiguousPagesAvailable(n: u32): bool {
  if (!memoryReady() || n == 0) return false;
  if (n <= PAGEBLOCK_PAGES) return largestFreeOrder() >= <i32>orderFor(n);
  return findFreePageblockRun((n + PAGEBLOCK_PAGES - 1) / PAGEBLOCK_PAGES) >= 0;
}

/** n physically contiguous pages (not zeroed); returns the linear address or 0. */
export function allocContiguousPages(n: u32): usize {
  if (!memoryReady() || n == 0) return 0;
  if (n <= PAGEBLOCK_PAGES) return allocPages(orderFor(n));
  const count = (n + PAGEBLOCK_PAGES - 1) / PAGEBLOCK_PAGES;
  const start = findFreePageblockRun(count);
  if (start < 0) return 0;
  for (let i: u32 = 0; i < count; i++) takeFreeBlock(<u32>start + i * PAGEBLOCK_PAGES);
  return <usize>start << PAGE_SHIFT;
}

/** Frees what allocContiguousPages(n) returned. 0, or the first error of freePages(). */
export function freeContiguousPages(addr: usize, n: u32): i32 {
  if (n == 0) return 0;
  if (n <= PAGEBLOCK_PAGES) return freePages(addr, orderFor(n));
  const count = (n + PAGEBLOCK_PAGES - 1) / PAGEBLOCK_PAGES;
  let status: i32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const r = freePages(addr + (<usize>i << (PAGE_SHIFT + MAX_ORDER)), MAX_ORDER);
    if (r != 0 && status == 0) status = r;
  }
  return status;
}
