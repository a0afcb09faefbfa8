// The slab allocator: kmalloc/kfree for small objects, in size classes
// 16, 32, 64, 128, 256, 512, 1024, 2048 bytes. Larger requests get whole buddy blocks.
//
// A slab is one buddy block (kind "slab") cut into equal slots. The first slots hold the
// header; the rest are objects:
//
//   slab base                                                     base + (4096 << slabOrder)
//   | header: magic class inUse freeHead nextUnused list next prev | bitmap | obj | obj | ... |
//   |<------------------- headerSlots * objectSize ------------------------>|
//
//   class   object  slab     slots  header slots  objects/slab  header overhead
//   0       16 B    4 KiB    256    4             252           1.6%
//   1       32 B    4 KiB    128    2             126           1.6%
//   2       64 B    4 KiB    64     1             63            1.6%
//   3       128 B   4 KiB    32     1             31            3.1%
//   4..7    256 B.. 8..64 KiB 32    1             31            3.1%
//
// Bitmap bit i = slot i holds a live object: kfree of a free slot is a detected double free.
// Free objects form a LIFO list through their first two bytes (slot numbers); slots never
// used yet are handed out from nextUnused, so a new slab is not touched beyond its header.
// Each class keeps three doubly linked lists of slabs: partial, full, empty. kmalloc takes
// from the head of partial (then empty, then a new slab); kfree moves the slab to the head
// of partial, so the object freed last is the next one handed out (LIFO reuse). At most
// EMPTY_KEEP empty slabs stay per class; more go back to the buddy allocator, and
// compaction (slabReleaseEmpty) returns all of them.
//
// Statistics per class: objects in use, slabs per list, hit rate = allocations served by an
// existing slab (no new buddy block needed) / allocations, overhead = header bytes / slab bytes.
import {
  allocBlock, freeBlock, blockHeadOf, pageState, typeOfState, kindOfState, orderOfState,
  KIND_SLAB, KIND_LARGE, TYPE_ALLOCATED, TYPE_FREE, PAGE_SHIFT, MAX_ORDER, windowPages,
} from "./buddy";
import { memoryReady } from "./pages";
import { EFAULT, EINVAL } from "../lib/errors";

export const SLAB_CLASSES: i32 = 8;
export const SLAB_MAX_OBJECT: usize = 2048;
const EMPTY_KEEP: u32 = 2;
const MAGIC: u32 = 0x51ab0000;
const NONE: u32 = 0xffff;

export const LIST_PARTIAL: i32 = 0;
export const LIST_FULL: i32 = 1;
export const LIST_EMPTY: i32 = 2;

// header field offsets
const F_MAGIC: usize = 0; // u32 MAGIC | class
const F_IN_USE: usize = 4; // u16
const F_FREE_HEAD: usize = 6; // u16 slot or NONE
const F_NEXT_UNUSED: usize = 8; // u16 first never-used slot
const F_LIST: usize = 10; // u8
const F_CLASS: usize = 11; // u8
const F_NEXT: usize = 12; // u32 linear address of the next slab in its list (0 = end)
const F_PREV: usize = 16; // u32
const F_BITMAP: usize = 24;

// geometry per class
const objectShift = new StaticArray<u32>(SLAB_CLASSES);
const slabOrder = new StaticArray<u32>(SLAB_CLASSES);
const slotCount = new StaticArray<u32>(SLAB_CLASSES);
const headerSlots = new StaticArray<u32>(SLAB_CLASSES);

// lists and statistics per class
const listHead = new StaticArray<usize>(SLAB_CLASSES * 3);
const listLength = new StaticArray<u32>(SLAB_CLASSES * 3);
const objectsInUse = new StaticArray<u64>(SLAB_CLASSES);
const allocCount = new StaticArray<u64>(SLAB_CLASSES);
const freeCount = new StaticArray<u64>(SLAB_CLASSES);
const hitCount = new StaticArray<u64>(SLAB_CLASSES);
const newSlabCount = new StaticArray<u64>(SLAB_CLASSES);
const releasedSlabCount = new StaticArray<u64>(SLAB_CLASSES);
const failureCount = new StaticArray<u64>(SLAB_CLASSES);

/** Errors seen by kfree and large-allocation counters. */
export let kfreeDoubleFrees: u64 = 0;
export let kfreeForeign: u64 = 0;
export let largeAllocations: u64 = 0;
export let largeFrees: u64 = 0;
export let largePagesInUse: u64 = 0;
export let largeFailures: u64 = 0;

for (let c = 0; c < SLAB_CLASSES; c++) {
  const shift = <u32>(4 + c);
  const order = c <= 3 ? <u32>0 : <u32>(c - 3);
  const slots = (<u32>4096 << order) >> shift;
  const headerBytes = <u32>F_BITMAP + slots / 8;
  objectShift[c] = shift;
  slabOrder[c] = order;
  slotCount[c] = slots;
  headerSlots[c] = (headerBytes + (<u32>1 << shift) - 1) >> shift;
}

/** Size class for `size` (1..2048), 0..7. */
// @ts-ignore: decorator
@inline function classFor(size: usize): i32 {
  if (size <= 16) return 0;
  return 32 - <i32>clz<u32>(<u32>size - 1) - 4;
}

// @ts-ignore: decorator
@inline function objectsPerSlab(c: i32): u32 {
  return slotCount[c] - headerSlots[c];
}

// ---- slab lists ----
function listPush(list: i32, c: i32, slab: usize): void {
  const i = list * SLAB_CLASSES + c;
  const head = listHead[i];
  store<u32>(slab + F_NEXT, <u32>head);
  store<u32>(slab + F_PREV, 0);
  if (head != 0) store<u32>(head + F_PREV, <u32>slab);
  listHead[i] = slab;
  listLength[i]++;
  store<u8>(slab + F_LIST, <u8>list);
}

function listRemove(c: i32, slab: usize): void {
  const list = <i32>load<u8>(slab + F_LIST);
  const i = list * SLAB_CLASSES + c;
  const next = <usize>load<u32>(slab + F_NEXT);
  const prev = <usize>load<u32>(slab + F_PREV);
  if (prev != 0) store<u32>(prev + F_NEXT, <u32>next);
  else listHead[i] = next;
  if (next != 0) store<u32>(next + F_PREV, <u32>prev);
  listLength[i]--;
}

function newSlab(c: i32): usize {
  const page = allocBlock(slabOrder[c], KIND_SLAB);
  if (page == 0) return 0;
  const slab = <usize>page << PAGE_SHIFT;
  store<u32>(slab + F_MAGIC, MAGIC | <u32>c);
  store<u16>(slab + F_IN_USE, 0);
  store<u16>(slab + F_FREE_HEAD, <u16>NONE);
  store<u16>(slab + F_NEXT_UNUSED, <u16>headerSlots[c]);
  store<u8>(slab + F_CLASS, <u8>c);
  memory.fill(slab + F_BITMAP, 0, <usize>(slotCount[c] >> 3));
  newSlabCount[c]++;
  listPush(LIST_PARTIAL, c, slab);
  return slab;
}

function releaseSlab(c: i32, slab: usize): void {
  listRemove(c, slab);
  store<u32>(slab + F_MAGIC, 0);
  freeBlock(<u32>(slab >> PAGE_SHIFT), slabOrder[c], <u32>1 << (KIND_SLAB >> 4));
  releasedSlabCount[c]++;
}

/**
 * Allocates `size` bytes: a slab object for size <= 2048 (aligned to its class size, at
 * least 16), whole pages above (page aligned). Returns the linear address or 0. The
 * contents are not zeroed (kzalloc does that).
 */
export function kmalloc(size: usize): usize {
  if (!memoryReady()) return 0;
  if (size > SLAB_MAX_OBJECT) return kmallocLarge(size);
  const c = classFor(size);
  let slab = unchecked(listHead[LIST_PARTIAL * SLAB_CLASSES + c]);
  if (slab != 0) {
    unchecked(hitCount[c]++);
  } else {
    slab = unchecked(listHead[LIST_EMPTY * SLAB_CLASSES + c]);
    if (slab != 0) {
      listRemove(c, slab);
      listPush(LIST_PARTIAL, c, slab);
      unchecked(hitCount[c]++);
    } else {
      slab = newSlab(c);
      if (slab == 0) {
        unchecked(failureCount[c]++);
        return 0;
      }
    }
  }
  const shift = unchecked(objectShift[c]);
  let slot = <u32>load<u16>(slab + F_FREE_HEAD);
  if (slot != NONE) {
    store<u16>(slab + F_FREE_HEAD, load<u16>(slab + (<usize>slot << shift)));
  } else {
    slot = <u32>load<u16>(slab + F_NEXT_UNUSED);
    store<u16>(slab + F_NEXT_UNUSED, <u16>(slot + 1));
  }
  const bits = slab + F_BITMAP + <usize>(slot >> 3);
  store<u8>(bits, load<u8>(bits) | <u8>(<u32>1 << (slot & 7)));
  const inUse = <u32>load<u16>(slab + F_IN_USE) + 1;
  store<u16>(slab + F_IN_USE, <u16>inUse);
  if (inUse == objectsPerSlab(c)) {
    listRemove(c, slab);
    listPush(LIST_FULL, c, slab);
  }
  unchecked(allocCount[c]++);
  unchecked(objectsInUse[c]++);
  return slab + (<usize>slot << shift);
}

/**
 * The buddy order kmalloc(size) needs when no slab has room: the slab order of its class
 * (size <= 2048) or the order of the large allocation (MAX_ORDER + 1 when too large).
 * Used by direct reclaim (reclaim.ts) to know which block to make.
 */
export function kmallocBlockOrder(size: usize): u32 {
  if (size <= SLAB_MAX_OBJECT) return slabOrder[classFor(size)];
  const pages = (size + 4095) >> PAGE_SHIFT;
  let order: u32 = 0;
  while (order <= MAX_ORDER && (<usize>1 << order) < pages) order++;
  return order;
}

/** kmalloc(size) filled with zeros. */
export function kzalloc(size: usize): usize {
  const p = kmalloc(size);
  if (p != 0) memory.fill(p, 0, size == 0 ? 1 : size);
  return p;
}

function kmallocLarge(size: usize): usize {
  const pages = (size + 4095) >> PAGE_SHIFT;
  let order: u32 = 0;
  while (order <= MAX_ORDER && (<usize>1 << order) < pages) order++;
  // order MAX_ORDER + 1 makes the buddy count the failure
  const page = allocBlock(order, KIND_LARGE);
  if (page == 0) {
    largeFailures++;
    return 0;
  }
  largeAllocations++;
  largePagesInUse += <u64>1 << order;
  return <usize>page << PAGE_SHIFT;
}

/**
 * Frees what kmalloc returned. 0 on success (also for ptr == 0); -EINVAL on a double free,
 * -EFAULT for a pointer kmalloc did not return. Errors are counted and change nothing.
 */
export function kfree(ptr: usize): i32 {
  if (ptr == 0) return 0;
  if (!memoryReady()) return foreign();
  const page = <u32>(ptr >> PAGE_SHIFT);
  if (ptr >> PAGE_SHIFT >= <usize>windowPages()) return foreign();
  const head = blockHeadOf(page);
  if (head == 0xffffffff) return foreign();
  const s = pageState(head);
  const t = typeOfState(s);
  if (t == TYPE_FREE) return doubleFree();
  if (t != TYPE_ALLOCATED) return foreign();
  const kind = kindOfState(s);
  if (kind == KIND_LARGE) {
    if (ptr != <usize>head << PAGE_SHIFT) return foreign();
    const order = orderOfState(s);
    freeBlock(head, order, <u32>1 << (KIND_LARGE >> 4));
    largeFrees++;
    largePagesInUse -= <u64>1 << order;
    return 0;
  }
  if (kind != KIND_SLAB) return foreign();
  const slab = <usize>head << PAGE_SHIFT;
  const c = <i32>load<u8>(slab + F_CLASS);
  if (c >= SLAB_CLASSES || load<u32>(slab + F_MAGIC) != (MAGIC | <u32>c)) return foreign();
  const shift = unchecked(objectShift[c]);
  const offset = ptr - slab;
  if ((offset & ((<usize>1 << shift) - 1)) != 0) return foreign();
  const slot = <u32>(offset >> shift);
  if (slot < unchecked(headerSlots[c]) || slot >= unchecked(slotCount[c])) return foreign();
  const bits = slab + F_BITMAP + <usize>(slot >> 3);
  const bit = <u8>(<u32>1 << (slot & 7));
  if ((load<u8>(bits) & bit) == 0) return doubleFree();
  store<u8>(bits, load<u8>(bits) & ~bit);
  store<u16>(ptr, load<u16>(slab + F_FREE_HEAD));
  store<u16>(slab + F_FREE_HEAD, <u16>slot);
  const inUse = <u32>load<u16>(slab + F_IN_USE) - 1;
  store<u16>(slab + F_IN_USE, <u16>inUse);
  unchecked(freeCount[c]++);
  unchecked(objectsInUse[c]--);
  if (inUse == 0) {
    listRemove(c, slab);
    if (listLength[LIST_EMPTY * SLAB_CLASSES + c] >= EMPTY_KEEP) {
      listPush(LIST_EMPTY, c, slab); // releaseSlab unlinks it again
      releaseSlab(c, slab);
    } else {
      listPush(LIST_EMPTY, c, slab);
    }
  } else if (unchecked(listHead[LIST_PARTIAL * SLAB_CLASSES + c]) != slab) {
    // to the head of partial: the next kmalloc of this class reuses this object (LIFO)
    listRemove(c, slab);
    listPush(LIST_PARTIAL, c, slab);
  }
  return 0;
}

function foreign(): i32 {
  kfreeForeign++;
  return -EFAULT;
}

function doubleFree(): i32 {
  kfreeDoubleFrees++;
  return -EINVAL;
}

/** Returns every empty slab to the buddy allocator; returns the number of pages freed. */
export function slabReleaseEmpty(): u32 {
  let pages: u32 = 0;
  for (let c = 0; c < SLAB_CLASSES; c++) {
    let slab = listHead[LIST_EMPTY * SLAB_CLASSES + c];
    while (slab != 0) {
      const next = <usize>load<u32>(slab + F_NEXT);
      releaseSlab(c, slab);
      pages += <u32>1 << slabOrder[c];
      slab = next;
    }
  }
  return pages;
}

// ---- statistics ----
export function slabObjectSize(c: i32): u32 { return <u32>1 << objectShift[c]; }
export function slabObjectsPerSlab(c: i32): u32 { return objectsPerSlab(c); }
export function slabPagesPerSlab(c: i32): u32 { return <u32>1 << slabOrder[c]; }
export function slabListLength(c: i32, list: i32): u32 { return listLength[list * SLAB_CLASSES + c]; }
export function slabCount(c: i32): u32 {
  return listLength[c] + listLength[SLAB_CLASSES + c] + listLength[2 * SLAB_CLASSES + c];
}
export function slabObjectsInUse(c: i32): u64 { return objectsInUse[c]; }
export function slabAllocations(c: i32): u64 { return allocCount[c]; }
export function slabFrees(c: i32): u64 { return freeCount[c]; }
export function slabHits(c: i32): u64 { return hitCount[c]; }
export function slabNewSlabs(c: i32): u64 { return newSlabCount[c]; }
export function slabReleasedSlabs(c: i32): u64 { return releasedSlabCount[c]; }
export function slabFailures(c: i32): u64 { return failureCount[c]; }
/** Hit rate: allocations that needed no new slab / allocations (1 when none yet). */
export function slabHitRate(c: i32): f64 {
  return allocCount[c] == 0 ? 1.0 : <f64>hitCount[c] / <f64>allocCount[c];
}
/** Header (metadata) bytes / slab bytes of a class. */
export function slabOverhead(c: i32): f64 {
  return <f64>(headerSlots[c] << objectShift[c]) / <f64>(<u32>4096 << slabOrder[c]);
}
/** Pages held by slabs of all classes. */
export function slabTotalPages(): u32 {
  let pages: u32 = 0;
  for (let c = 0; c < SLAB_CLASSES; c++) pages += slabCount(c) << slabOrder[c];
  return pages;
}
export function slabTotalObjects(): u64 {
  let n: u64 = 0;
  for (let c = 0; c < SLAB_CLASSES; c++) n += objectsInUse[c];
  return n;
}
export function slabTotalBytesInUse(): u64 {
  let n: u64 = 0;
  for (let c = 0; c < SLAB_CLASSES; c++) n += objectsInUse[c] << objectShift[c];
  return n;
}
export function slabTotalAllocations(): u64 {
  let n: u64 = 0;
  for (let c = 0; c < SLAB_CLASSES; c++) n += allocCount[c];
  return n;
}

/**
 * Checks every slab's header, bitmap and free list against its counters; "" or the first
 * problem found.
 */
export function checkSlabs(): string {
  for (let c = 0; c < SLAB_CLASSES; c++) {
    let inUseSum: u64 = 0;
    for (let list = 0; list < 3; list++) {
      let slab = listHead[list * SLAB_CLASSES + c];
      let prev: usize = 0;
      let n: u32 = 0;
      while (slab != 0) {
        if (++n > listLength[list * SLAB_CLASSES + c]) return "class " + c.toString() + " list " + list.toString() + " too long";
        const s = pageState(<u32>(slab >> PAGE_SHIFT));
        if (typeOfState(s) != TYPE_ALLOCATED || kindOfState(s) != KIND_SLAB || orderOfState(s) != slabOrder[c]) return "slab " + slab.toString() + " is not a slab block";
        if (load<u32>(slab + F_MAGIC) != (MAGIC | <u32>c)) return "slab " + slab.toString() + " bad magic";
        if (<i32>load<u8>(slab + F_LIST) != list) return "slab " + slab.toString() + " on the wrong list";
        if (<usize>load<u32>(slab + F_PREV) != prev) return "slab " + slab.toString() + " bad back link";
        const inUse = <u32>load<u16>(slab + F_IN_USE);
        let bitsSet: u32 = 0;
        for (let i: u32 = 0; i < slotCount[c] >> 3; i++) bitsSet += popcnt<u32>(<u32>load<u8>(slab + F_BITMAP + i));
        if (bitsSet != inUse) return "slab " + slab.toString() + " bitmap/inUse mismatch";
        const nextUnused = <u32>load<u16>(slab + F_NEXT_UNUSED);
        let freeListed: u32 = 0;
        let f = <u32>load<u16>(slab + F_FREE_HEAD);
        while (f != NONE) {
          if (f < headerSlots[c] || f >= nextUnused) return "slab " + slab.toString() + " free list holds a bad slot";
          if ((load<u8>(slab + F_BITMAP + (f >> 3)) & <u8>(<u32>1 << (f & 7))) != 0) return "slab " + slab.toString() + " free list holds a live object";
          if (++freeListed > slotCount[c]) return "slab " + slab.toString() + " free list cycles";
          f = <u32>load<u16>(slab + (<usize>f << objectShift[c]));
        }
        if (inUse + freeListed != nextUnused - headerSlots[c]) return "slab " + slab.toString() + " loses objects";
        const want = inUse == 0 ? LIST_EMPTY : inUse == objectsPerSlab(c) ? LIST_FULL : LIST_PARTIAL;
        if (want != list) return "slab " + slab.toString() + " with " + inUse.toString() + " objects on list " + list.toString();
        inUseSum += inUse;
        prev = slab;
        slab = <usize>load<u32>(slab + F_NEXT);
      }
      if (n != listLength[list * SLAB_CLASSES + c]) return "class " + c.toString() + " list length wrong";
    }
    if (inUseSum != objectsInUse[c]) return "class " + c.toString() + " objects in use wrong";
  }
  return "";
}
