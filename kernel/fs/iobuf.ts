// One shared I/O buffer for the shell's file commands (cat, sha256sum, cp...): 64 KiB from
// the heap, allocated on first use and kept, so streaming a big file allocates nothing.
export const IO_BUFFER_SIZE: u32 = 64 << 10;
let buffer: usize = 0;

export function ioBuffer(): usize {
  if (buffer == 0) buffer = heap.alloc(IO_BUFFER_SIZE);
  return buffer;
}
