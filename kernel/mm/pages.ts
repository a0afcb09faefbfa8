// The page allocator's public face: allocPages/freePages over the buddy allocator, and
// initMemory(), which builds it from the UEFI memory map at boot.
//
// Linear memory and who owns it (DESIGN.md section 3):
//
//   linear 0 .. buddyWindowBytes()                       | + 48 MiB
//   | page 0 | metadata | RAM, page for page from ramPhysBase() | AssemblyScript statics + GC heap
//   reserved  reserved   free into the buddy allocator iff the   (asc --memoryBase = window; its
//   (null)    (carved     UEFI map calls the page usable         TLSF never sees the window)
//              here)      (conventional, boot-services code/data)
//
// Pages the map calls anything else stay reserved for ever: firmware runtime code/data, our
// image (loader code), stack, page tables and the heap backing (all loader data), ACPI tables,
// holes with no RAM. Boot-services memory is free because by the time kmain runs we use our
// own page tables and stack (arch-aarch64/start.c) and the firmware is gone.
//
// The allocator's metadata (metadataBytes(windowPages): a state byte and two u32 links per page
// frame, ~2.25 MiB for 1 GiB) is carved from the first usable range that holds it, right above
// page 0, so the AS heap stays small and the high-order blocks stay whole.
//
// Every address here is a linear address (a wasm pointer); dmaAddress() gives the device view.
import { buddyWindowBytes, ramPhysBase } from "../platform/dma";
import { memoryMap, isUsable } from "../platform/memmap";
import { nowTicks, ticksToUs } from "../platform/time";
import {
  buddyInit, addFreeRange, allocBlock, freeBlock, metadataBytes, freePageCount, managedPageCount,
  KIND_PLAIN, KIND_MOVABLE, PAGE_SHIFT, ERR_FOREIGN, MAX_ORDER, buddyMetadataAddress, checkFree,
} from "./buddy";

export const PAGE_SIZE: usize = 4096;
export { MAX_ORDER };

let ready = false;
let initUs: u64 = 0;
let metadataStart: usize = 0;
let metadataLength: usize = 0;
let windowBytesCached: usize = 0;

/** kindMask bits for freeBlock(): what freePages() may free. */
const FREE_PAGES_KINDS: u32 = (<u32>1 << (KIND_PLAIN >> 4)) | (<u32>1 << (KIND_MOVABLE >> 4));

/** Builds the page allocator from the UEFI memory map. Idempotent; call early in kmain. */
export function initMemory(): void {
  if (ready) return;
  const started = nowTicks();
  const windowBytes = <u64>buddyWindowBytes();
  const base = ramPhysBase();
  const windowPages = <u32>(windowBytes >> PAGE_SHIFT);
  windowBytesCached = <usize>windowBytes;

  // usable ranges as linear page ranges, clipped to the window, pages inward
  const map = memoryMap();
  const starts = new Array<u32>(0);
  const ends = new Array<u32>(0);
  for (let i = 0; i < map.length; i++) {
    const r = map[i];
    if (!isUsable(r.type) || r.pages == 0) continue;
    const physEnd = r.start + r.pages * <u64>PAGE_SIZE;
    if (physEnd <= base || r.start >= base + windowBytes) continue;
    const lo = r.start < base ? <u64>0 : r.start - base;
    const hi = physEnd - base > windowBytes ? windowBytes : physEnd - base;
    const first = <u32>((lo + <u64>PAGE_SIZE - 1) >> PAGE_SHIFT);
    const last = <u32>(hi >> PAGE_SHIFT);
    if (last > first) {
      starts.push(first);
      ends.push(last);
    }
  }

  // metadata: the lowest usable run (above page 0) big enough
  const metaPages = <u32>((metadataBytes(windowPages) + PAGE_SIZE - 1) >> PAGE_SHIFT);
  let metaPage: u32 = 0;
  let best: u32 = 0xffffffff;
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i] == 0 ? <u32>1 : starts[i];
    if (ends[i] > s && ends[i] - s >= metaPages && s < best) best = s;
  }
  if (best == 0xffffffff) return; // no usable RAM big enough: the allocator stays empty
  metaPage = best;
  metadataStart = <usize>metaPage << PAGE_SHIFT;
  metadataLength = <usize>metaPages << PAGE_SHIFT;
  buddyInit(windowPages, metadataStart);

  for (let i = 0; i < starts.length; i++) {
    const s = starts[i];
    const e = ends[i];
    const metaEnd = metaPage + metaPages;
    if (e <= metaPage || s >= metaEnd) {
      addFreeRange(s, e - s);
    } else {
      if (s < metaPage) addFreeRange(s, metaPage - s);
      if (e > metaEnd) addFreeRange(metaEnd, e - metaEnd);
    }
  }
  ready = true;
  initUs = ticksToUs(nowTicks() - started);
}

/** True once initMemory() built the allocator. */
export function memoryReady(): bool {
  return ready;
}

/**
 * 2^order contiguous pages, aligned to their size; returns the linear address, or 0 when
 * none is free or order > MAX_ORDER (counted as an allocation failure). Never traps.
 * The contents are whatever the pages held before (not zeroed: see allocPagesZeroed).
 */
export function allocPages(order: u32): usize {
  if (!ready) return 0;
  return <usize>allocBlock(order, KIND_PLAIN) << PAGE_SHIFT;
}

/** allocPages(order) with the block filled with zeros. */
export function allocPagesZeroed(order: u32): usize {
  const addr = allocPages(order);
  if (addr != 0) memory.fill(addr, 0, PAGE_SIZE << order);
  return addr;
}

/**
 * Frees a block from allocPages() (or allocMovablePages()). Returns 0, or a negative error
 * (counted): -EINVAL double free, -EFAULT an address that is no such block, -ERANGE wrong order.
 */
export function freePages(addr: usize, order: u32): i32 {
  if (!ready) return ERR_FOREIGN;
  if ((addr & (PAGE_SIZE - 1)) != 0 || addr >= windowBytesCached) {
    return checkFree(0, order, FREE_PAGES_KINDS); // counts the foreign free
  }
  return freeBlock(<u32>(addr >> PAGE_SHIFT), order, FREE_PAGES_KINDS);
}

/** Pages the allocator manages (free + allocated); excludes reserved and metadata pages. */
export function managedPages(): u32 {
  return ready ? managedPageCount() : 0;
}

export function freePagesNow(): u32 {
  return ready ? freePageCount() : 0;
}

/** Time initMemory() took, in microseconds. */
export function initMemoryMicros(): u64 {
  return initUs;
}

export function metadataAddress(): usize {
  return ready ? buddyMetadataAddress() : 0;
}

export function metadataBytesUsed(): usize {
  return metadataLength;
}

export function windowBytes(): usize {
  return windowBytesCached;
}
