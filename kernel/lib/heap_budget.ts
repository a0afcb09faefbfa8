// The heap budget: how much of the AssemblyScript heap structures a user can grow may hold.
//
// The heap is 48 MiB (toolchain/layout.ts) and running out of it is a trap (memory.grow fails
// inside the allocator), so it must never be reachable from a shell command. Every structure
// whose size follows user input and that lives in the heap (tmpfs inodes and names, the
// pages maps of tmpfs files, ...) charges its bytes here first, with a cost per item that is
// an upper bound of what the heap really spends on it (tests/unit/fs/heap-budget.test.ts
// measures it); a refused charge becomes ENOSPC/ENOMEM for that one request. Bulk data
// (tmpfs file pages, caches) lives in pages from kernel/mm instead.
//
//   [ statics | kernel's own structures ... | user-growable structures <= USER_HEAP_BUDGET ]

/** Bytes of heap that all user-growable structures together may hold. */
export const USER_HEAP_BUDGET: u64 = 16 << 20;

let limitBytes: u64 = USER_HEAP_BUDGET;
let usedBytes: u64 = 0;
let refusals: u64 = 0;

/** Reserves `bytes` of heap for a user-grown structure; false (counted) when over budget. */
export function heapReserve(bytes: u64): bool {
  if (usedBytes + bytes > limitBytes) {
    refusals++;
    return false;
  }
  usedBytes += bytes;
  return true;
}

/** Gives back what heapReserve() took. */
export function heapRelease(bytes: u64): void {
  usedBytes = bytes > usedBytes ? 0 : usedBytes - bytes;
}

/** True when `bytes` more could be reserved now. */
export function heapCanReserve(bytes: u64): bool {
  return usedBytes + bytes <= limitBytes;
}

export function heapBudgetUsed(): u64 { return usedBytes; }
export function heapBudgetLimit(): u64 { return limitBytes; }
export function heapBudgetRefusals(): u64 { return refusals; }

/** Tests: a smaller (or the default) limit. */
export function setHeapBudgetLimit(bytes: u64): void {
  limitBytes = bytes;
}

// ------------------------------------------------------------------ measuring the real heap
// AssemblyScript's TLSF keeps one contiguous run of blocks after its root structure, each with a
// one-word header (size | FREE | LEFTFREE), ending in a zero-size tail block. Walking it gives
// the bytes in use (live objects and garbage not yet collected) and free: what the tests check
// the per-item charges against, and what `meminfo` reports.
import { ROOT } from "rt/tlsf";

// @ts-ignore: decorator
@inline const TLSF_ROOT_SIZE: usize = 1572; // flMap, 23 second-level maps, 23x16 heads, tail
// @ts-ignore: decorator
@inline const BLOCK_HEADER: usize = sizeof<usize>();
// @ts-ignore: decorator
@inline const ALIGN_MASK: usize = 15;

let lastFreeBytes: u64 = 0;

/** Bytes of heap blocks in use now (objects, live or not yet collected), with their headers. */
export function heapUsedBytes(): u64 {
  const root = changetype<usize>(ROOT);
  if (root == 0) return 0;
  const tail = load<usize>(root, TLSF_ROOT_SIZE - sizeof<usize>());
  let block = ((root + TLSF_ROOT_SIZE + BLOCK_HEADER + ALIGN_MASK) & ~ALIGN_MASK) - BLOCK_HEADER;
  let used: u64 = 0;
  let free: u64 = 0;
  while (block < tail) {
    const info = load<usize>(block);
    const size = info & ~(<usize>3);
    if ((info & 1) != 0) free += <u64>(size + BLOCK_HEADER);
    else used += <u64>(size + BLOCK_HEADER);
    block += BLOCK_HEADER + size;
  }
  lastFreeBytes = free;
  return used;
}

/** Free bytes inside the heap's current memory, as of the last heapUsedBytes(). */
export function heapFreeBytesSeen(): u64 { return lastFreeBytes; }
