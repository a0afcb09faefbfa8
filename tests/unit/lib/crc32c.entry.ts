// Test entry for kernel/lib/crc32c.ts: the dispatching crc32cUpdate (platform import from
// 64 bytes) against the table version, over a seeded buffer.
import { crc32cUpdate, crc32cSoftware, crc32c } from "../../../kernel/lib/crc32c";

const buf = new ArrayBuffer(4096 + 16);
let seed: u32 = 12345;
for (let i = 0; i < buf.byteLength; i++) {
  seed = seed * 1103515245 + 12345;
  store<u8>(changetype<usize>(buf) + <usize>i, <u8>(seed >>> 16));
}
export function viaUpdate(crc: u32, offset: i32, length: i32): u32 {
  return crc32cUpdate(crc, changetype<usize>(buf) + <usize>offset, <usize>length);
}
export function viaSoftware(crc: u32, offset: i32, length: i32): u32 {
  return crc32cSoftware(crc, changetype<usize>(buf) + <usize>offset, <usize>length);
}
/** The standard CRC-32C of `n` copies of "123456789". */
export function standardOfRepeats(n: i32): u32 {
  const s = String.UTF8.encode("123456789".repeat(n), false);
  return crc32c(changetype<usize>(s), <usize>s.byteLength);
}
