// Byte-order helpers, the Internet checksum (RFC 1071) and address formatting shared by the
// protocol files. Packets are Uint8Arrays; every reader here is bounds-checked by the caller
// (each protocol checks its lengths before it reads a field), so a short frame is a drop,
// never a trap.

export function get16(b: Uint8Array, o: i32): u32 {
  return (<u32>b[o] << 8) | <u32>b[o + 1];
}

export function get32(b: Uint8Array, o: i32): u32 {
  return (<u32>b[o] << 24) | (<u32>b[o + 1] << 16) | (<u32>b[o + 2] << 8) | <u32>b[o + 3];
}

export function put16(b: Uint8Array, o: i32, v: u32): void {
  b[o] = <u8>(v >> 8);
  b[o + 1] = <u8>v;
}

export function put32(b: Uint8Array, o: i32, v: u32): void {
  b[o] = <u8>(v >> 24);
  b[o + 1] = <u8>(v >> 16);
  b[o + 2] = <u8>(v >> 8);
  b[o + 3] = <u8>v;
}

/** 48-bit MAC from 6 bytes at `o`. */
export function getMac(b: Uint8Array, o: i32): u64 {
  let m: u64 = 0;
  for (let i = 0; i < 6; i++) m = (m << 8) | <u64>b[o + i];
  return m;
}

export function putMac(b: Uint8Array, o: i32, mac: u64): void {
  for (let i = 0; i < 6; i++) b[o + i] = <u8>(mac >> <u64>(8 * (5 - i)));
}

/**
 * Ones'-complement sum of `len` bytes at `off`, added to `sum` (not yet folded).
 *
 * Eight bytes per step: the ones'-complement sum does not depend on byte order (RFC 1071
 * section 2 (B)), so the 16-bit words are summed as they lie in memory (little-endian loads,
 * two 32-bit halves into a 64-bit accumulator whose carries are folded back at the end) and the
 * folded result is byte-swapped once. sumBytesReference is the byte-at-a-time definition the
 * unit tests compare it with.
 */
export function sumBytes(b: Uint8Array, off: i32, len: i32, sum: u32): u32 {
  let s: u64 = <u64>sum;
  const p = b.dataStart + <usize>off;
  let i = 0;
  if (len >= 8) {
    let le: u64 = 0;
    for (; i + 8 <= len; i += 8) {
      const w = load<u64>(p + <usize>i);
      le += (w & 0xffffffff) + (w >> 32);
    }
    while (le >> 16 != 0) le = (le & 0xffff) + (le >> 16);
    s += ((le & 0xff) << 8) | (le >> 8);
  }
  for (; i + 1 < len; i += 2) s += (<u64>load<u8>(p + <usize>i) << 8) | <u64>load<u8>(p + <usize>i + 1);
  if (i < len) s += <u64>load<u8>(p + <usize>i) << 8;
  while (s >> 32 != 0) s = (s & 0xffffffff) + (s >> 32);
  return <u32>s;
}

/** The byte-at-a-time sum sumBytes must equal (after finishChecksum). */
export function sumBytesReference(b: Uint8Array, off: i32, len: i32, sum: u32): u32 {
  let s: u64 = <u64>sum;
  let i = 0;
  for (; i + 1 < len; i += 2) s += (<u64>b[off + i] << 8) | <u64>b[off + i + 1];
  if (i < len) s += <u64>b[off + i] << 8;
  while (s >> 32 != 0) s = (s & 0xffffffff) + (s >> 32);
  return <u32>s;
}

/** Folds a sum to 16 bits and complements it: the checksum field value. */
export function finishChecksum(sum: u32): u32 {
  let s = sum;
  while (s >> 16 != 0) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

/** The sum of the TCP/UDP pseudo-header (RFC 9293 3.1). */
export function pseudoHeaderSum(src: u32, dst: u32, protocol: u32, length: u32): u32 {
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + protocol + length;
}

export function ipToString(ip: u32): string {
  return (ip >> 24).toString() + "." + ((ip >> 16) & 255).toString() + "." + ((ip >> 8) & 255).toString() + "." +
    (ip & 255).toString();
}

/** "a.b.c.d" -> address; -1 when malformed. */
export function parseIp(s: string): i64 {
  const parts = s.split(".");
  if (parts.length != 4) return -1;
  let ip: u32 = 0;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (p.length == 0 || p.length > 3) return -1;
    let v: u32 = 0;
    for (let j = 0; j < p.length; j++) {
      const c = p.charCodeAt(j);
      if (c < 48 || c > 57) return -1;
      v = v * 10 + <u32>(c - 48);
    }
    if (v > 255) return -1;
    ip = (ip << 8) | v;
  }
  return <i64>ip;
}

export function macToString(mac: u64): string {
  let s = "";
  for (let i = 0; i < 6; i++) {
    const b = <u32>((mac >> <u64>(8 * (5 - i))) & 0xff);
    s += (i > 0 ? ":" : "") + (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

/** Sequence-number comparisons modulo 2^32 (RFC 9293 3.4). */
@inline export function seqLt(a: u32, b: u32): bool {
  return <i32>(a - b) < 0;
}
@inline export function seqLe(a: u32, b: u32): bool {
  return <i32>(a - b) <= 0;
}
@inline export function seqGt(a: u32, b: u32): bool {
  return <i32>(a - b) > 0;
}
@inline export function seqGe(a: u32, b: u32): bool {
  return <i32>(a - b) >= 0;
}

/** Bytes of an ASCII/Latin-1 string (HTTP heads, JSON bodies are built as strings). */
export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = <u8>s.charCodeAt(i);
  return out;
}

/** A string of `len` bytes at `off`, one character per byte. */
export function bytesToAscii(b: Uint8Array, off: i32, len: i32): string {
  let s = "";
  for (let i = 0; i < len; i++) s += String.fromCharCode(<i32>b[off + i]);
  return s;
}
