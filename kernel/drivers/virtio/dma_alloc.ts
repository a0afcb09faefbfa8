// DMA memory for virtio rings, request headers and bounce buffers: the ONE place that
// decides where device-visible memory comes from.
//
// It comes from the kernel allocators (kernel/mm): kzalloc for small blocks (a slab object
// is aligned to its power-of-two class size, so asking for max(bytes, align) gives the
// alignment) and whole zeroed pages above 2048 bytes. Before the page allocator is up (and
// in Node tests that never start it) it falls back to the AssemblyScript heap, which is
// also physically contiguous (kernel/platform/dma.ts).
//
// Invariants: a block from allocDma is zero-filled, `align` is a power of two up to 4096,
// and the block never crosses the 1 GiB window boundary.
import { dmaAddress } from "../../platform/dma";
import { memoryReady } from "../../mm/pages";
import { kzalloc, kfree } from "../../mm/slab";

const heapRawOf = new Map<usize, usize>(); // heap fallback: aligned -> raw
const sizeOf = new Map<usize, usize>();
let bytesInUse: usize = 0;

/** Zeroed memory of `bytes`, aligned to `align`; 0 when out of memory. */
export function allocDma(bytes: usize, align: usize): usize {
  if (bytes == 0 || align == 0 || (align & (align - 1)) != 0 || align > 4096) return 0;
  let ptr: usize = 0;
  if (memoryReady()) {
    ptr = kzalloc(max(bytes, align));
    if (ptr == 0) return 0;
  } else {
    const raw = heap.alloc(bytes + align);
    if (raw == 0) return 0;
    ptr = (raw + align - 1) & ~(align - 1);
    memory.fill(ptr, 0, bytes);
    heapRawOf.set(ptr, raw);
  }
  sizeOf.set(ptr, bytes);
  bytesInUse += bytes;
  return ptr;
}

export function freeDma(ptr: usize): void {
  if (ptr == 0 || !sizeOf.has(ptr)) return;
  if (heapRawOf.has(ptr)) {
    heap.free(heapRawOf.get(ptr));
    heapRawOf.delete(ptr);
  } else {
    kfree(ptr);
  }
  bytesInUse -= sizeOf.get(ptr);
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
