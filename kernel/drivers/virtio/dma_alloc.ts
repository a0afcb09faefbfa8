// DMA memory for virtio rings, request headers and bounce buffers: the ONE place that
// decides where device-visible memory comes from.
//
// Today it comes from the AssemblyScript heap (physically contiguous, see
// kernel/platform/dma.ts), over-allocated and aligned by hand. When the page allocator
// (kernel/mm/pages.ts: allocPages(order) / freePages(addr, order)) is merged, switch the two
// functions below to it; nothing else in the drivers knows.
//
// Invariants: a block from allocDma is zero-filled, `align` is a power of two up to 4096,
// and the block never crosses the 1 GiB window boundary (heap memory is above it).
import { dmaAddress } from "../../platform/dma";

const rawOf = new Map<usize, usize>();
let bytesInUse: usize = 0;
const sizeOf = new Map<usize, usize>();

/** Zeroed memory of `bytes`, aligned to `align`; 0 when out of memory. */
export function allocDma(bytes: usize, align: usize): usize {
  if (bytes == 0 || align == 0 || (align & (align - 1)) != 0 || align > 4096) return 0;
  const raw = heap.alloc(bytes + align);
  if (raw == 0) return 0;
  const aligned = (raw + align - 1) & ~(align - 1);
  memory.fill(aligned, 0, bytes);
  rawOf.set(aligned, raw);
  sizeOf.set(aligned, bytes);
  bytesInUse += bytes;
  return aligned;
}

export function freeDma(ptr: usize): void {
  if (ptr == 0 || !rawOf.has(ptr)) return;
  heap.free(rawOf.get(ptr));
  bytesInUse -= sizeOf.get(ptr);
  rawOf.delete(ptr);
  sizeOf.delete(ptr);
}

/** Bytes currently handed out (for lsdev / tests: a re-initialised device must not leak). */
export function dmaBytesInUse(): usize {
  return bytesInUse;
}

/** The address the device uses for linear address `ptr`. */
export function deviceAddress(ptr: usize): u64 {
  return dmaAddress(ptr);
}
