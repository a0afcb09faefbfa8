// Movable page allocations: blocks that compaction may migrate to another place.
//
// An owner allocates with allocMovablePages(order, relocate, ownerId). The allocator keeps
// the owner id and the callback's index beside the block (the buddy's per-page owner words).
// To move it, compaction allocates a new block, copies the contents, calls
//   relocate(ownerId, oldAddr, newAddr)
// and frees the old block. The callback must be a top-level function (no closures) that
// updates every reference the owner holds; it runs synchronously, so nothing else sees the
// block in between. The owner frees the block with freePages(addr, order) as usual.
import {
  allocBlock, KIND_MOVABLE, PAGE_SHIFT, ownerWord0, ownerWord1, setOwnerWords, pageState,
  typeOfState, kindOfState, TYPE_ALLOCATED,
} from "./buddy";
import { memoryReady } from "./pages";

export type RelocateFn = (ownerId: u32, oldAddr: usize, newAddr: usize) => void;

const relocators = new Array<RelocateFn>(0);
const MAX_RELOCATORS: i32 = 1024;

/** Migrations done since boot (compaction statistics). */
export let migratedBlocks: u64 = 0;
export let migratedPages: u64 = 0;

function relocatorIndex(fn: RelocateFn): i32 {
  for (let i = 0; i < relocators.length; i++) if (relocators[i] == fn) return i;
  if (relocators.length >= MAX_RELOCATORS) return -1;
  relocators.push(fn);
  return relocators.length - 1;
}

/**
 * Like allocPages(order), but compaction may move the block: it then calls
 * relocate(ownerId, oldAddr, newAddr). Returns the linear address or 0.
 */
export function allocMovablePages(order: u32, relocate: RelocateFn, ownerId: u32): usize {
  if (!memoryReady()) return 0;
  const index = relocatorIndex(relocate);
  if (index < 0) return 0;
  const page = allocBlock(order, KIND_MOVABLE);
  if (page == 0) return 0;
  setOwnerWords(page, ownerId, <u32>index);
  return <usize>page << PAGE_SHIFT;
}

/** Changes the owner id recorded for a movable block; 0 or -1 when `addr` is none. */
export function setMovableOwner(addr: usize, ownerId: u32): i32 {
  const page = <u32>(addr >> PAGE_SHIFT);
  const s = pageState(page);
  if (typeOfState(s) != TYPE_ALLOCATED || kindOfState(s) != KIND_MOVABLE) return -1;
  setOwnerWords(page, ownerId, ownerWord1(page));
  return 0;
}

/**
 * Moves the movable block at `fromPage` (2^order pages) to the allocated block at `toPage`
 * (already marked movable by the caller): copies, moves the owner words, calls the owner.
 */
export function migrateMovable(fromPage: u32, toPage: u32, order: u32): void {
  const from = <usize>fromPage << PAGE_SHIFT;
  const to = <usize>toPage << PAGE_SHIFT;
  memory.copy(to, from, <usize>1 << (PAGE_SHIFT + order));
  const ownerId = ownerWord0(fromPage);
  const index = ownerWord1(fromPage);
  setOwnerWords(toPage, ownerId, index);
  migratedBlocks++;
  migratedPages += <u64>1 << order;
  if (<i32>index < relocators.length) {
    const fn = relocators[<i32>index];
    fn(ownerId, from, to);
  }
}
