// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320; the one zlib and `crc32` compute), for
// checking large transfers end to end (`blkctl sum`) against the host's copy of a disk image.
// Not ext4's crc32c (a different polynomial, in the file system's own module).

const table = new StaticArray<u32>(256);
let tableReady = false;

function buildTable(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xedb88320 ^ (c >> 1) : c >> 1;
    unchecked(table[n] = c);
  }
  tableReady = true;
}

/** Continues a CRC-32 over `length` bytes at `ptr`; start with crc = 0. */
export function crc32(crc: u32, ptr: usize, length: usize): u32 {
  if (!tableReady) buildTable();
  let c = ~crc;
  for (let i: usize = 0; i < length; i++) c = unchecked(table[(c ^ <u32>load<u8>(ptr + i)) & 0xff]) ^ (c >> 8);
  return ~c;
}
