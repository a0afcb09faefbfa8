// The buddy allocator: power-of-two blocks of 4 KiB page frames, orders 0..MAX_ORDER
// (4 KiB .. 4 MiB), over the page-frame window [0, windowPages) of linear memory.
//
// Everything it knows lives in one metadata region of linear memory (carved out of the
// window by pages.ts at boot; a test puts it anywhere). Nothing is kept in globals except
// the region's address, so a snapshot of the region is a snapshot of the allocator.
//
//   meta + 0                    header (HEADER_BYTES): sizes, free-list heads, counters
//   meta + HEADER_BYTES         blockType: u8 per pageblock (2^MAX_ORDER pages), rounded to 8
//   then                        state:  u8  per page frame       (windowPages bytes, rounded to 8)
//   then                        next:   u32 per page frame       free-list link / owner data
//   then                        prev:   u32 per page frame       free-list link / owner data
//
// State byte of a page frame:
//
//    7   6   5   4   3   2   1   0
//   | type  | kind  |    order      |
//   type  00 INNER     inside a block whose head is another page (order/kind unused)
//         01 FREE      head of a free block of `order`, linked in freeHead[order]
//         10 ALLOCATED head of an allocated block of `order`, owned by `kind`
//         11 RESERVED  never managed (firmware, kernel image, holes, metadata, page 0)
//   kind  (allocated heads) 00 plain (allocPages), 01 slab, 10 movable, 11 large kmalloc
//
// Invariants (checkBuddy() verifies all of them; the model check runs it after every step):
//   - every non-reserved page lies in exactly one block; a block of order k starts at a page
//     index that is a multiple of 2^k and contains no reserved page;
//   - free blocks are maximal: the buddy of a free block of order k < MAX_ORDER is not a free
//     block of order k (coalescing is eager);
//   - the free lists hold exactly the free blocks (doubly linked through next/prev, 0
//     terminates: page 0 is always reserved); bit L of the non-empty mask is set iff list L
//     is non-empty, so the smallest usable order is one ctz (O(1));
//   - grouping by mobility (Linux's pageblock migrate types, reduced to two): each aligned
//     pageblock of 2^MAX_ORDER pages has a type, UNMOVABLE (0) or MOVABLE (1). A free block
//     of order k < MAX_ORDER is on list (type of its pageblock) * 16 + k; free blocks of order
//     MAX_ORDER (whole pageblocks) are on the shared list MAX_ORDER. An allocation takes the
//     smallest fitting block from its own type's lists or the shared list (splitting a whole
//     pageblock gives the pageblock its type); only when both are empty does it take the
//     largest fitting block of the other type. Movable allocations thus gather in movable
//     pageblocks, which compaction can empty;
//   - freePages = sum of the sizes of free blocks.
// For an allocated head, next/prev are free for the owner (movable.ts stores its owner id and
// relocation callback there; nothing else uses them).
//
// Errors: frees are checked against the state bytes, so a double free, a free of an address
// the allocator never handed out (reserved page, inside a block, wrong owner) or a free with
// the wrong order is refused with an error code and counted; the metadata is never touched.
import { EFAULT, EINVAL, ERANGE } from "../lib/errors";

export const MAX_ORDER: u32 = 10;
export const ORDERS: u32 = MAX_ORDER + 1;
export const PAGE_SHIFT: u32 = 12;

export const TYPE_INNER: u32 = 0x00;
export const TYPE_FREE: u32 = 0x40;
export const TYPE_ALLOCATED: u32 = 0x80;
export const TYPE_RESERVED: u32 = 0xc0;
const TYPE_MASK: u32 = 0xc0;
const KIND_MASK: u32 = 0x30;
const ORDER_MASK: u32 = 0x0f;
export const STATE_RESERVED: u8 = 0xff;

export const KIND_PLAIN: u32 = 0x00;
export const KIND_SLAB: u32 = 0x10;
export const KIND_MOVABLE: u32 = 0x20;
export const KIND_LARGE: u32 = 0x30;

/** Double free: the block (or the block around the page) is already free. */
export const ERR_DOUBLE_FREE: i32 = -EINVAL;
/** The address is no block the allocator handed out to this caller. */
export const ERR_FOREIGN: i32 = -EFAULT;
/** The address is an allocated block, but of another order. */
export const ERR_WRONG_ORDER: i32 = -ERANGE;

// ---- header layout (byte offsets from meta) ----
const H_WINDOW_PAGES: usize = 0; // u32
const H_NON_EMPTY: usize = 4; // u32 bit k: freeHead[k] != 0
const H_FREE_PAGES: usize = 8; // u32
const H_MANAGED_PAGES: usize = 12; // u32: pages ever given to the allocator (not reserved)
const H_STATE: usize = 16; // u32 offset of the state array from meta
const H_NEXT: usize = 20; // u32 offset of next[]
const H_PREV: usize = 24; // u32 offset of prev[]
const H_BLOCK_TYPE: usize = 28; // u32 offset of blockType[]
const H_FREE_HEAD: usize = 32; // u32[32] first free block of each list (type * 16 + order)
const H_FREE_BLOCKS: usize = 160; // u32[32] number of free blocks on each list
const H_COUNTERS: usize = 288; // u64[8]
export const HEADER_BYTES: usize = 512;
const LISTS: u32 = 32;
export const BLOCK_UNMOVABLE: u32 = 0;
export const BLOCK_MOVABLE: u32 = 1;

export namespace Counter {
  export const Allocations: i32 = 0;
  export const Frees: i32 = 1;
  export const Failures: i32 = 2;
  export const DoubleFrees: i32 = 3;
  export const ForeignFrees: i32 = 4;
  export const WrongOrderFrees: i32 = 5;
  export const Splits: i32 = 6;
  export const Merges: i32 = 7;
  export const COUNT: i32 = 8;
}

/** Address of the metadata region in use (0 before init). */
let meta: usize = 0;
// Cached array bases (derived from meta; restored by buddyAttach).
let stateBase: usize = 0;
let nextBase: usize = 0;
let prevBase: usize = 0;
let blockTypeBase: usize = 0;
let windowPagesCached: u32 = 0;

// @ts-ignore: decorator
@inline function pageblockCount(windowPages: u32): usize {
  return (<usize>windowPages + (<usize>1 << MAX_ORDER) - 1) >> MAX_ORDER;
}

/** Bytes of metadata for a window of `windowPages` page frames. */
export function metadataBytes(windowPages: u32): usize {
  return HEADER_BYTES + ((pageblockCount(windowPages) + 7) & ~<usize>7) +
    ((<usize>windowPages + 7) & ~<usize>7) + <usize>windowPages * 8;
}

/**
 * Starts an allocator with every page of [0, windowPages) reserved; addFreeRange() then
 * gives it memory. `metaAddr` must hold metadataBytes(windowPages) bytes, 8-aligned.
 */
export function buddyInit(windowPages: u32, metaAddr: usize): void {
  meta = metaAddr;
  memory.fill(meta, 0, HEADER_BYTES);
  store<u32>(meta + H_WINDOW_PAGES, windowPages);
  const typesBytes = (pageblockCount(windowPages) + 7) & ~<usize>7;
  const statesBytes = (<usize>windowPages + 7) & ~<usize>7;
  store<u32>(meta + H_BLOCK_TYPE, <u32>HEADER_BYTES);
  store<u32>(meta + H_STATE, <u32>(HEADER_BYTES + typesBytes));
  store<u32>(meta + H_NEXT, <u32>(HEADER_BYTES + typesBytes + statesBytes));
  store<u32>(meta + H_PREV, <u32>(HEADER_BYTES + typesBytes + statesBytes + <usize>windowPages * 4));
  buddyAttach(metaAddr);
  memory.fill(blockTypeBase, <u8>BLOCK_UNMOVABLE, typesBytes);
  memory.fill(stateBase, STATE_RESERVED, <usize>windowPages);
}

/** Makes the allocator whose metadata is at `metaAddr` the current one (tests restore snapshots). */
export function buddyAttach(metaAddr: usize): void {
  meta = metaAddr;
  stateBase = meta + <usize>load<u32>(meta + H_STATE);
  nextBase = meta + <usize>load<u32>(meta + H_NEXT);
  prevBase = meta + <usize>load<u32>(meta + H_PREV);
  blockTypeBase = meta + <usize>load<u32>(meta + H_BLOCK_TYPE);
  windowPagesCached = load<u32>(meta + H_WINDOW_PAGES);
}

export function buddyMetadataAddress(): usize {
  return meta;
}

// ---- small accessors ----
// @ts-ignore: decorator
@inline function stateOf(page: u32): u32 {
  return <u32>load<u8>(stateBase + <usize>page);
}
// @ts-ignore: decorator
@inline function setState(page: u32, s: u32): void {
  store<u8>(stateBase + <usize>page, <u8>s);
}
// @ts-ignore: decorator
@inline function nextOf(page: u32): u32 {
  return load<u32>(nextBase + (<usize>page << 2));
}
// @ts-ignore: decorator
@inline function setNext(page: u32, v: u32): void {
  store<u32>(nextBase + (<usize>page << 2), v);
}
// @ts-ignore: decorator
@inline function prevOf(page: u32): u32 {
  return load<u32>(prevBase + (<usize>page << 2));
}
// @ts-ignore: decorator
@inline function setPrev(page: u32, v: u32): void {
  store<u32>(prevBase + (<usize>page << 2), v);
}
// @ts-ignore: decorator
@inline function freeHeadOf(list: u32): u32 {
  return load<u32>(meta + H_FREE_HEAD + (<usize>list << 2));
}
// @ts-ignore: decorator
@inline function setFreeHead(list: u32, page: u32): void {
  store<u32>(meta + H_FREE_HEAD + (<usize>list << 2), page);
}
// @ts-ignore: decorator
@inline function addFreeBlocks(list: u32, delta: i32): void {
  const a = meta + H_FREE_BLOCKS + (<usize>list << 2);
  store<u32>(a, <u32>(<i32>load<u32>(a) + delta));
}
// @ts-ignore: decorator
@inline function blockTypeOf(page: u32): u32 {
  return <u32>load<u8>(blockTypeBase + <usize>(page >> MAX_ORDER));
}
/** The free list a free block of `order` at `page` belongs on. */
// @ts-ignore: decorator
@inline function listOf(page: u32, order: u32): u32 {
  return order >= MAX_ORDER ? MAX_ORDER : (blockTypeOf(page) << 4) | order;
}
// @ts-ignore: decorator
@inline function addFreePages(delta: i32): void {
  store<u32>(meta + H_FREE_PAGES, <u32>(<i32>load<u32>(meta + H_FREE_PAGES) + delta));
}
// @ts-ignore: decorator
@inline function bump(counter: i32): void {
  const a = meta + H_COUNTERS + (<usize>counter << 3);
  store<u64>(a, load<u64>(a) + 1);
}

export function typeOfState(s: u32): u32 { return s & TYPE_MASK; }
export function kindOfState(s: u32): u32 { return s & KIND_MASK; }
export function orderOfState(s: u32): u32 { return s & ORDER_MASK; }

// ---- free lists (LIFO, doubly linked); `list` = listOf(page, order) ----
function listPush(page: u32, list: u32): void {
  const head = freeHeadOf(list);
  setNext(page, head);
  setPrev(page, 0);
  if (head != 0) setPrev(head, page);
  setFreeHead(list, page);
  addFreeBlocks(list, 1);
  store<u32>(meta + H_NON_EMPTY, load<u32>(meta + H_NON_EMPTY) | (<u32>1 << list));
}

function listRemove(page: u32, list: u32): void {
  const n = nextOf(page);
  const p = prevOf(page);
  if (p != 0) setNext(p, n);
  else setFreeHead(list, n);
  if (n != 0) setPrev(n, p);
  addFreeBlocks(list, -1);
  if (freeHeadOf(list) == 0) store<u32>(meta + H_NON_EMPTY, load<u32>(meta + H_NON_EMPTY) & ~(<u32>1 << list));
}

// ---- allocation ----

/**
 * Allocates a block of 2^order pages owned by `kind`; returns its first page index, or 0
 * when no block is free (counted as a failure) or order > MAX_ORDER. With `below` < ORDERS
 * only free blocks of order < below are used (compaction: never split a block as large as
 * the region being emptied). With fallback = false the other type's pageblocks are never
 * used (compaction's destinations stay in movable pageblocks, as Linux's free scanner does).
 */
export function allocBlock(order: u32, kind: u32, below: u32 = ORDERS, fallback: bool = true): u32 {
  if (order > MAX_ORDER) {
    bump(Counter.Failures);
    return 0;
  }
  const type: u32 = kind == KIND_MOVABLE ? BLOCK_MOVABLE : BLOCK_UNMOVABLE;
  const nonEmpty = load<u32>(meta + H_NON_EMPTY);
  const fits = (<u32>0xffffffff << order) & (below >= ORDERS ? <u32>0xffffffff : (<u32>1 << below) - 1);
  // own type's lists (orders 0..MAX_ORDER-1) plus the shared MAX_ORDER list
  const own = (((nonEmpty >> (type << 4)) & ((<u32>1 << MAX_ORDER) - 1)) | (nonEmpty & (<u32>1 << MAX_ORDER))) & fits;
  let k: u32;
  let list: u32;
  if (own != 0) {
    k = ctz<u32>(own); // the smallest order with a free block: O(1)
    list = k == MAX_ORDER ? MAX_ORDER : (type << 4) | k;
  } else {
    const other = fallback ? (nonEmpty >> ((type ^ 1) << 4)) & ((<u32>1 << MAX_ORDER) - 1) & fits : 0;
    if (other == 0) {
      bump(Counter.Failures);
      return 0;
    }
    k = 31 - clz<u32>(other); // fall back: the largest block of the other type
    list = ((type ^ 1) << 4) | k;
  }
  const head = freeHeadOf(list);
  listRemove(head, list);
  if (k == MAX_ORDER && order < MAX_ORDER) {
    store<u8>(blockTypeBase + <usize>(head >> MAX_ORDER), <u8>type); // the pageblock becomes ours
  }
  while (k > order) { // split, keeping the lower half, freeing the upper
    k--;
    const buddy = head + (<u32>1 << k);
    setState(buddy, TYPE_FREE | k);
    listPush(buddy, listOf(buddy, k));
    bump(Counter.Splits);
  }
  setState(head, TYPE_ALLOCATED | kind | order);
  addFreePages(-(<i32>1 << order));
  bump(Counter.Allocations);
  return head;
}

/**
 * Head page of the block containing `page`, or 0xffffffff when the page is reserved or
 * outside the window. O(MAX_ORDER).
 */
export function blockHeadOf(page: u32): u32 {
  if (page >= windowPagesCached) return 0xffffffff;
  const s = stateOf(page);
  const t = s & TYPE_MASK;
  if (t == TYPE_RESERVED) return 0xffffffff;
  if (t != TYPE_INNER) return page;
  for (let k: u32 = 1; k <= MAX_ORDER; k++) {
    const h = page & ~((<u32>1 << k) - 1);
    const hs = stateOf(h);
    const ht = hs & TYPE_MASK;
    if ((ht == TYPE_FREE || ht == TYPE_ALLOCATED) && (hs & ORDER_MASK) >= k) return h;
  }
  return 0xffffffff; // not reached while the invariants hold
}

/**
 * Checks that `page` is the head of an allocated block of `order` owned by one of the kinds
 * in `kindMask` (bit (kind >> 4)); returns 0 or an ERR_* code (and counts the error).
 */
export function checkFree(page: u32, order: u32, kindMask: u32): i32 {
  if (page == 0 || page >= windowPagesCached) return refuse(ERR_FOREIGN);
  const s = stateOf(page);
  const t = s & TYPE_MASK;
  if (t == TYPE_ALLOCATED) {
    if ((kindMask & (<u32>1 << ((s & KIND_MASK) >> 4))) == 0) return refuse(ERR_FOREIGN);
    if ((s & ORDER_MASK) != order) return refuse(ERR_WRONG_ORDER);
    return 0;
  }
  if (t == TYPE_FREE) return refuse(ERR_DOUBLE_FREE);
  if (t == TYPE_RESERVED) return refuse(ERR_FOREIGN);
  // inside a block: inside a free one means it was freed already (and merged)
  const h = blockHeadOf(page);
  if (h != 0xffffffff && (stateOf(h) & TYPE_MASK) == TYPE_FREE) return refuse(ERR_DOUBLE_FREE);
  return refuse(ERR_FOREIGN);
}

function refuse(code: i32): i32 {
  if (code == ERR_DOUBLE_FREE) bump(Counter.DoubleFrees);
  else if (code == ERR_WRONG_ORDER) bump(Counter.WrongOrderFrees);
  else bump(Counter.ForeignFrees);
  return code;
}

/** Frees an allocated block after checkFree() said yes; coalesces with free buddies. */
export function releaseBlock(page: u32, order: u32): void {
  addFreePages(<i32>1 << order);
  bump(Counter.Frees);
  insertFree(page, order);
}

/** Puts block [page, page + 2^order) on the free lists, merging with free buddies. */
function insertFree(page: u32, order: u32): void {
  let head = page;
  let k = order;
  while (k < MAX_ORDER) {
    const buddy = head ^ (<u32>1 << k);
    if (buddy >= windowPagesCached || stateOf(buddy) != (TYPE_FREE | k)) break;
    listRemove(buddy, listOf(buddy, k));
    if (buddy < head) {
      setState(head, TYPE_INNER);
      head = buddy;
    } else {
      setState(buddy, TYPE_INNER);
    }
    k++;
    bump(Counter.Merges);
  }
  setState(head, TYPE_FREE | k);
  listPush(head, listOf(head, k));
}

/** Frees after checking the address, owner kind and order; returns 0 or an ERR_* code. */
export function freeBlock(page: u32, order: u32, kindMask: u32): i32 {
  if (order > MAX_ORDER) return refuse(ERR_WRONG_ORDER);
  const r = checkFree(page, order, kindMask);
  if (r != 0) return r;
  releaseBlock(page, order);
  return 0;
}

/**
 * Gives the reserved pages [start, start + count) to the allocator (boot: usable memory
 * ranges). Pages already managed, page 0 and pages outside the window are skipped.
 * Returns the number of pages added.
 */
export function addFreeRange(start: u32, count: u32): u32 {
  let p: u32 = start == 0 ? 1 : start;
  const end64 = <u64>start + <u64>count;
  const end = end64 > <u64>windowPagesCached ? windowPagesCached : <u32>end64;
  let added: u32 = 0;
  while (p < end) {
    // the largest aligned block that starts at p, fits before end, and is all reserved
    if (stateOf(p) != <u32>STATE_RESERVED) { p++; continue; }
    let k: u32 = 0;
    while (k < MAX_ORDER) {
      const size = <u32>1 << (k + 1);
      if ((p & (size - 1)) != 0 || <u64>p + <u64>size > <u64>end) break;
      k++;
    }
    // shrink if any page inside is already managed (ranges may overlap)
    while (k > 0 && !allReserved(p, <u32>1 << k)) k--;
    const size = <u32>1 << k;
    memory.fill(stateBase + <usize>p, <u8>TYPE_INNER, <usize>size);
    store<u32>(meta + H_MANAGED_PAGES, load<u32>(meta + H_MANAGED_PAGES) + size);
    addFreePages(<i32>size);
    insertFree(p, k);
    added += size;
    p += size;
  }
  return added;
}

function allReserved(p: u32, n: u32): bool {
  if ((p & 7) == 0 && (n & 7) == 0 && (stateBase & 7) == 0) { // 8 state bytes per load (boot time)
    for (let i: u32 = 0; i < n; i += 8) if (load<u64>(stateBase + <usize>(p + i)) != 0xffffffffffffffff) return false;
    return true;
  }
  for (let i: u32 = 0; i < n; i++) if (stateOf(p + i) != <u32>STATE_RESERVED) return false;
  return true;
}

// ---- queries ----
export function windowPages(): u32 { return windowPagesCached; }
export function freePageCount(): u32 { return load<u32>(meta + H_FREE_PAGES); }
export function managedPageCount(): u32 { return load<u32>(meta + H_MANAGED_PAGES); }
export function freeBlocksOfOrder(order: u32): u32 {
  if (order > MAX_ORDER) return 0;
  if (order == MAX_ORDER) return load<u32>(meta + H_FREE_BLOCKS + (<usize>MAX_ORDER << 2));
  return load<u32>(meta + H_FREE_BLOCKS + (<usize>order << 2)) + load<u32>(meta + H_FREE_BLOCKS + (<usize>(16 | order) << 2));
}
/** Free blocks of `order` < MAX_ORDER on the lists of pageblock type `type` (BLOCK_*). */
export function freeBlocksOfType(order: u32, type: u32): u32 {
  if (order >= MAX_ORDER || type > 1) return 0;
  return load<u32>(meta + H_FREE_BLOCKS + (<usize>((type << 4) | order) << 2));
}
/** Bit k set iff some free block of order k exists (any type). */
export function nonEmptyOrders(): u32 {
  const m = load<u32>(meta + H_NON_EMPTY);
  return (m & ((<u32>1 << (MAX_ORDER + 1)) - 1)) | ((m >> 16) & ((<u32>1 << MAX_ORDER) - 1));
}
/** The order of the largest free block, or -1 when nothing is free. */
export function largestFreeOrder(): i32 {
  const m = nonEmptyOrders();
  return m == 0 ? -1 : 31 - <i32>clz<u32>(m);
}
/** Type of the pageblock holding `page`: BLOCK_UNMOVABLE or BLOCK_MOVABLE. */
export function pageblockType(page: u32): u32 {
  return page < windowPagesCached ? blockTypeOf(page) : BLOCK_UNMOVABLE;
}
export function counter(which: i32): u64 {
  return load<u64>(meta + H_COUNTERS + (<usize>which << 3));
}
export function pageState(page: u32): u32 {
  return page < windowPagesCached ? stateOf(page) : <u32>STATE_RESERVED;
}
/** A free block of `order` (0 when none), of either type. */
export function firstFreeBlock(order: u32): u32 {
  if (order >= MAX_ORDER) return order == MAX_ORDER ? freeHeadOf(MAX_ORDER) : 0;
  const a = freeHeadOf(order);
  return a != 0 ? a : freeHeadOf(16 | order);
}
export function nextFreeBlock(page: u32): u32 { return nextOf(page); }

// Owner data of allocated heads (movable.ts): two u32 words per allocated block.
export function ownerWord0(page: u32): u32 { return nextOf(page); }
export function ownerWord1(page: u32): u32 { return prevOf(page); }
export function setOwnerWords(page: u32, w0: u32, w1: u32): void {
  setNext(page, w0);
  setPrev(page, w1);
}
/** Changes the owner kind of an allocated head (compaction holds a migrated-from block). */
export function setKind(page: u32, kind: u32): void {
  const s = stateOf(page);
  setState(page, (s & ~KIND_MASK) | kind);
}

/**
 * Takes the free block whose head is `page` off its free list and marks it allocated
 * (kind plain). Used by compaction to fence off a region. Returns its order, or -1 when
 * `page` is not a free head.
 */
export function takeFreeBlock(page: u32): i32 {
  const s = pageState(page);
  if ((s & TYPE_MASK) != TYPE_FREE) return -1;
  const k = s & ORDER_MASK;
  listRemove(page, listOf(page, k));
  setState(page, TYPE_ALLOCATED | KIND_PLAIN | k);
  addFreePages(-(<i32>1 << k));
  return <i32>k;
}

/** Returns a block taken with takeFreeBlock() (or held by compaction) without counting a free. */
export function returnBlock(page: u32, order: u32): void {
  addFreePages(<i32>1 << order);
  insertFree(page, order);
}

/**
 * Verifies every invariant in the header comment; returns "" or a description of the first
 * violation. O(windowPages).
 */
export function checkBuddy(): string {
  const n = windowPagesCached;
  if (n == 0) return "";
  if (stateOf(0) != <u32>STATE_RESERVED) return "page 0 is not reserved";
  let freeSum: u32 = 0;
  let managed: u32 = 0;
  const blocksSeen = new StaticArray<u32>(ORDERS);
  let p: u32 = 0;
  while (p < n) {
    const s = stateOf(p);
    const t = s & TYPE_MASK;
    if (t == TYPE_RESERVED) {
      if (s != <u32>STATE_RESERVED) return "page " + p.toString() + ": bad reserved state " + s.toString();
      p++;
      continue;
    }
    if (t == TYPE_INNER) return "page " + p.toString() + " is inside no block";
    const k = s & ORDER_MASK;
    if (k > MAX_ORDER) return "page " + p.toString() + ": order " + k.toString() + " too large";
    const size = <u32>1 << k;
    if ((p & (size - 1)) != 0) return "block at " + p.toString() + " of order " + k.toString() + " is misaligned";
    if (<u64>p + <u64>size > <u64>n) return "block at " + p.toString() + " runs past the window";
    for (let i: u32 = 1; i < size; i++) {
      if (stateOf(p + i) != TYPE_INNER) return "page " + (p + i).toString() + " inside block " + p.toString() + " is not inner";
    }
    managed += size;
    if (t == TYPE_FREE) {
      if ((s & KIND_MASK) != 0) return "free block " + p.toString() + " has a kind";
      freeSum += size;
      blocksSeen[k]++;
      if (k < MAX_ORDER) {
        const buddy = p ^ size;
        if (buddy < n && stateOf(buddy) == (TYPE_FREE | k)) return "free buddies " + p.toString() + " and " + buddy.toString() + " not merged";
      }
    }
    p += size;
  }
  if (freeSum != freePageCount()) return "free pages " + freePageCount().toString() + " but blocks hold " + freeSum.toString();
  if (managed != managedPageCount()) return "managed pages " + managedPageCount().toString() + " but blocks cover " + managed.toString();
  let mask: u32 = 0;
  const listed = new StaticArray<u32>(ORDERS);
  for (let list: u32 = 0; list < LISTS; list++) {
    const k = list & 15;
    const valid = k < MAX_ORDER || list == MAX_ORDER;
    let count: u32 = 0;
    let prev: u32 = 0;
    let q = freeHeadOf(list);
    if (!valid && (q != 0 || load<u32>(meta + H_FREE_BLOCKS + (<usize>list << 2)) != 0)) return "list " + list.toString() + " should not exist";
    while (q != 0) {
      if (q >= n || stateOf(q) != (TYPE_FREE | k)) return "free list " + list.toString() + " holds " + q.toString() + " which is no free block of that order";
      if (listOf(q, k) != list) return "free block " + q.toString() + " is on list " + list.toString() + ", not on its pageblock type's list";
      if (prevOf(q) != prev) return "free list " + list.toString() + ": bad back link at " + q.toString();
      count++;
      if (count > blocksSeen[k]) return "free list " + list.toString() + " is longer than the free blocks (cycle?)";
      prev = q;
      q = nextOf(q);
    }
    if (count != load<u32>(meta + H_FREE_BLOCKS + (<usize>list << 2))) return "free block count of list " + list.toString() + " is wrong";
    if (count > 0) mask |= <u32>1 << list;
    if (valid) listed[k] += count;
  }
  for (let k: u32 = 0; k < ORDERS; k++) {
    if (listed[k] != blocksSeen[k]) return "free lists hold " + listed[k].toString() + " blocks of order " + k.toString() + ", memory has " + blocksSeen[k].toString();
  }
  if (mask != load<u32>(meta + H_NON_EMPTY)) return "non-empty list bitmap is wrong";
  const types = pageblockCount(n);
  for (let b: usize = 0; b < types; b++) {
    if (load<u8>(blockTypeBase + b) > <u8>BLOCK_MOVABLE) return "pageblock " + b.toString() + " has a bad type";
  }
  return "";
}
