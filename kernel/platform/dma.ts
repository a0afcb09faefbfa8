// Device (DMA) addresses of kernel memory.
//
// Linear memory is two physically contiguous pieces (boot/bootinfo.h):
//   [0, window)                -> linear_phys_base + offset   (RAM, owned by the page allocator)
//   [window, window + heap)    -> heap_phys + (offset - window)  (AssemblyScript heap)
// so any kernel buffer has a device address, and a buffer that does not cross the window
// boundary is contiguous for the device too.
import { boot_info, BootKey } from "./imports";

let linearPhysBase: u64 = 0;
let windowBytes: u64 = 0;
let heapPhys: u64 = 0;

function load(): void {
  linearPhysBase = boot_info(BootKey.LinearPhysBase);
  windowBytes = boot_info(BootKey.BuddyWindowBytes);
  heapPhys = boot_info(BootKey.HeapPhys);
}

export function dmaAddress(linear: usize): u64 {
  if (windowBytes == 0) load();
  const offset = <u64>linear;
  return offset < windowBytes ? linearPhysBase + offset : heapPhys + (offset - windowBytes);
}

/** Size of the page-allocator window: linear [0, this) mirrors RAM. */
export function buddyWindowBytes(): u64 {
  if (windowBytes == 0) load();
  return windowBytes;
}

export function ramPhysBase(): u64 {
  if (windowBytes == 0) load();
  return linearPhysBase;
}
