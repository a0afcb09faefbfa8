// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of ext4's metadata_csum
// and of jbd2's csum v2/v3.
//
// crc32cUpdate() is the "raw" form ext4 and e2fsprogs use: no inversion on the way in or out,
// so checksums chain (crc32cUpdate(crc32cUpdate(seed, a), b) == crc32cUpdate(seed, a ++ b)).
// The standard CRC-32C of bytes is ~crc32cUpdate(0xffffffff, bytes) (crc32c() below).
//
// Buffers of HARDWARE_MIN bytes and more go to the platform (arch-aarch64/imports.c: the ARMv8
// crc32cx instruction, 8 bytes per instruction; the profiler found the table version at 39% of
// `bench fs create`). Shorter ones, and the u32/u64 mixers, use slicing-by-8 here: eight
// 256-entry tables (8 KiB), built at start-up, eight bytes per step.
import { crc32c_update } from "../platform/imports";

const HARDWARE_MIN: usize = 64;

const POLY: u32 = 0x82f63b78;
const tables = new StaticArray<u32>(8 * 256);

function buildTables(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
    unchecked(tables[i] = c);
  }
  for (let i = 0; i < 256; i++) {
    let c = unchecked(tables[i]);
    for (let t = 1; t < 8; t++) {
      c = unchecked(tables[c & 0xff]) ^ (c >>> 8);
      unchecked(tables[t * 256 + i] = c);
    }
  }
}
buildTables();

// @ts-ignore: decorator
@inline function T(t: i32, index: u32): u32 {
  return unchecked(tables[(t << 8) + <i32>index]);
}

/** Continues a raw CRC-32C over `length` bytes at `ptr`. */
export function crc32cUpdate(crc: u32, ptr: usize, length: usize): u32 {
  if (length >= HARDWARE_MIN) return crc32c_update(crc, ptr, length);
  return crc32cSoftware(crc, ptr, length);
}

/** The table version (exported for the tests that compare both). */
export function crc32cSoftware(crc: u32, ptr: usize, length: usize): u32 {
  let c = crc;
  let p = ptr;
  let n = length;
  while (n > 0 && (p & 7) != 0) {
    c = T(0, (c ^ <u32>load<u8>(p)) & 0xff) ^ (c >>> 8);
    p++;
    n--;
  }
  while (n >= 8) {
    const lo = load<u32>(p) ^ c;
    const hi = load<u32>(p, 4);
    c = T(7, lo & 0xff) ^ T(6, (lo >>> 8) & 0xff) ^ T(5, (lo >>> 16) & 0xff) ^ T(4, lo >>> 24) ^
      T(3, hi & 0xff) ^ T(2, (hi >>> 8) & 0xff) ^ T(1, (hi >>> 16) & 0xff) ^ T(0, hi >>> 24);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = T(0, (c ^ <u32>load<u8>(p)) & 0xff) ^ (c >>> 8);
    p++;
    n--;
  }
  return c;
}

/** Raw CRC-32C of a little-endian u32 (ext4 mixes inode numbers and generations in this way). */
export function crc32cU32(crc: u32, value: u32): u32 {
  let c = crc;
  let v = value;
  for (let i = 0; i < 4; i++) {
    c = T(0, (c ^ v) & 0xff) ^ (c >>> 8);
    v >>>= 8;
  }
  return c;
}

/** Raw CRC-32C of a little-endian u64. */
export function crc32cU64(crc: u32, value: u64): u32 {
  return crc32cU32(crc32cU32(crc, <u32>value), <u32>(value >>> 32));
}

/** Raw CRC-32C of a big-endian u32 (jbd2 mixes sequence numbers in this way). */
export function crc32cU32BE(crc: u32, value: u32): u32 {
  return crc32cU32(crc, bswap<u32>(value));
}

/** The standard CRC-32C (iSCSI): init ~0, final inversion. crc32c("123456789") == 0xe3069283. */
export function crc32c(ptr: usize, length: usize): u32 {
  return ~crc32cUpdate(0xffffffff, ptr, length);
}
