// Directory-name hashes of htree (dir_index) directories: legacy, half-MD4 and TEA, each in a
// signed and an unsigned variant (how the creating machine's `char` treated bytes >= 0x80;
// the superblock flags say which). Versions 0-2 signed, 3-5 unsigned, as on disk.
//
// The seed is s_hash_seed; an all-zero seed means the MD4 initial values. The major hash has
// its low bit cleared (the bit marks hash collisions continuing into the next leaf).

export const HASH_LEGACY: u32 = 0;
export const HASH_HALF_MD4: u32 = 1;
export const HASH_TEA: u32 = 2;
export const HASH_LEGACY_UNSIGNED: u32 = 3;
export const HASH_HALF_MD4_UNSIGNED: u32 = 4;
export const HASH_TEA_UNSIGNED: u32 = 5;

export class NameHash {
  major: u32 = 0;
  minor: u32 = 0;
}

const state = new StaticArray<u32>(4);
const input = new StaticArray<u32>(8);

// @ts-ignore: decorator
@inline function charAt(p: usize, i: i32, unsigned: bool): u32 {
  const b = <u32>load<u8>(p + <usize>i);
  return unsigned ? b : <u32><i32><i8>b;
}

/** Packs up to num*4 bytes of the name into `input`, padded as e2fsprogs str2hashbuf does. */
function packName(p: usize, len: i32, num: i32, unsigned: bool): void {
  let pad: u32 = <u32>len | (<u32>len << 8);
  pad |= pad << 16;
  let val = pad;
  const n = min(len, num * 4);
  let out = 0;
  let left = num;
  for (let i = 0; i < n; i++) {
    val = charAt(p, i, unsigned) + (val << 8);
    if ((i & 3) == 3) {
      unchecked(input[out++] = val);
      val = pad;
      left--;
    }
  }
  if (--left >= 0) unchecked(input[out++] = val);
  while (--left >= 0) unchecked(input[out++] = pad);
}

function teaTransform(): void {
  let sum: u32 = 0;
  let b0 = unchecked(state[0]);
  let b1 = unchecked(state[1]);
  const a = unchecked(input[0]), b = unchecked(input[1]), c = unchecked(input[2]), d = unchecked(input[3]);
  for (let n = 0; n < 16; n++) {
    sum += 0x9e3779b9;
    b0 += ((b1 << 4) + a) ^ (b1 + sum) ^ ((b1 >>> 5) + b);
    b1 += ((b0 << 4) + c) ^ (b0 + sum) ^ ((b0 >>> 5) + d);
  }
  unchecked(state[0] = state[0] + b0);
  unchecked(state[1] = state[1] + b1);
}

// @ts-ignore: decorator
@inline function F(x: u32, y: u32, z: u32): u32 { return z ^ (x & (y ^ z)); }
// @ts-ignore: decorator
@inline function G(x: u32, y: u32, z: u32): u32 { return (x & y) + ((x ^ y) & z); }
// @ts-ignore: decorator
@inline function H(x: u32, y: u32, z: u32): u32 { return x ^ y ^ z; }

const K2: u32 = 0x5a827999; // 013240474631
const K3: u32 = 0x6ed9eba1; // 015666365641

function halfMd4Transform(): void {
  let a = unchecked(state[0]), b = unchecked(state[1]), c = unchecked(state[2]), d = unchecked(state[3]);
  const x0 = unchecked(input[0]), x1 = unchecked(input[1]), x2 = unchecked(input[2]), x3 = unchecked(input[3]);
  const x4 = unchecked(input[4]), x5 = unchecked(input[5]), x6 = unchecked(input[6]), x7 = unchecked(input[7]);
  // round 1
  a = rotl<u32>(a + F(b, c, d) + x0, 3); d = rotl<u32>(d + F(a, b, c) + x1, 7);
  c = rotl<u32>(c + F(d, a, b) + x2, 11); b = rotl<u32>(b + F(c, d, a) + x3, 19);
  a = rotl<u32>(a + F(b, c, d) + x4, 3); d = rotl<u32>(d + F(a, b, c) + x5, 7);
  c = rotl<u32>(c + F(d, a, b) + x6, 11); b = rotl<u32>(b + F(c, d, a) + x7, 19);
  // round 2
  a = rotl<u32>(a + G(b, c, d) + x1 + K2, 3); d = rotl<u32>(d + G(a, b, c) + x3 + K2, 5);
  c = rotl<u32>(c + G(d, a, b) + x5 + K2, 9); b = rotl<u32>(b + G(c, d, a) + x7 + K2, 13);
  a = rotl<u32>(a + G(b, c, d) + x0 + K2, 3); d = rotl<u32>(d + G(a, b, c) + x2 + K2, 5);
  c = rotl<u32>(c + G(d, a, b) + x4 + K2, 9); b = rotl<u32>(b + G(c, d, a) + x6 + K2, 13);
  // round 3
  a = rotl<u32>(a + H(b, c, d) + x3 + K3, 3); d = rotl<u32>(d + H(a, b, c) + x7 + K3, 9);
  c = rotl<u32>(c + H(d, a, b) + x2 + K3, 11); b = rotl<u32>(b + H(c, d, a) + x6 + K3, 15);
  a = rotl<u32>(a + H(b, c, d) + x1 + K3, 3); d = rotl<u32>(d + H(a, b, c) + x5 + K3, 9);
  c = rotl<u32>(c + H(d, a, b) + x0 + K3, 11); b = rotl<u32>(b + H(c, d, a) + x4 + K3, 15);
  unchecked(state[0] = state[0] + a);
  unchecked(state[1] = state[1] + b);
  unchecked(state[2] = state[2] + c);
  unchecked(state[3] = state[3] + d);
}

function legacyHash(p: usize, len: i32, unsigned: bool): u32 {
  let hash0: u32 = 0x12a3fe2d;
  let hash1: u32 = 0x37abe8f9;
  for (let i = 0; i < len; i++) {
    const c = charAt(p, i, unsigned);
    let hash = hash1 + (hash0 ^ (c * 7152373));
    if ((hash & 0x80000000) != 0) hash -= 0x7fffffff;
    hash1 = hash0;
    hash0 = hash;
  }
  return hash0 << 1;
}

/**
 * Hashes the name (len bytes at p) with the given version; seed: 4 words (all zero = none).
 * Returns false for an unknown version.
 */
export function dirHash(version: u32, p: usize, len: i32, seed: StaticArray<u32>, out: NameHash): bool {
  unchecked(state[0] = 0x67452301);
  unchecked(state[1] = 0xefcdab89);
  unchecked(state[2] = 0x98badcfe);
  unchecked(state[3] = 0x10325476);
  if (seed[0] != 0 || seed[1] != 0 || seed[2] != 0 || seed[3] != 0) {
    for (let i = 0; i < 4; i++) unchecked(state[i] = seed[i]);
  }
  let major: u32 = 0;
  let minor: u32 = 0;
  const unsigned = version >= 3;
  const base = unsigned ? version - 3 : version;
  if (version > 5) return false;
  if (base == HASH_LEGACY) {
    major = legacyHash(p, len, unsigned);
  } else if (base == HASH_HALF_MD4) {
    let q = p;
    let left = len;
    while (left > 0) {
      packName(q, left, 8, unsigned);
      halfMd4Transform();
      left -= 32;
      q += 32;
    }
    major = unchecked(state[1]);
    minor = unchecked(state[2]);
  } else {
    let q = p;
    let left = len;
    while (left > 0) {
      packName(q, left, 4, unsigned);
      teaTransform();
      left -= 16;
      q += 16;
    }
    major = unchecked(state[0]);
    minor = unchecked(state[1]);
  }
  out.major = major & ~1;
  out.minor = minor;
  return true;
}
