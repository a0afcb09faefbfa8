// SHA-256 (FIPS 180-4), streaming: update() any number of times, then digestHex().
// Used by `sha256sum` to check file contents against the host's copy without holding the
// file in memory. The 64-byte block buffer and the state are fixed; update() never allocates.

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

export class Sha256 {
  private h: StaticArray<u32> = new StaticArray<u32>(8);
  private w: StaticArray<u32> = new StaticArray<u32>(64);
  private block: StaticArray<u8> = new StaticArray<u8>(64);
  private used: i32 = 0;
  private total: u64 = 0;

  constructor() {
    this.reset();
  }

  /** Becomes a copy of `other` (to take the digest of a prefix and keep hashing). */
  copyFrom(other: Sha256): void {
    memory.copy(changetype<usize>(this.h), changetype<usize>(other.h), 32);
    memory.copy(changetype<usize>(this.block), changetype<usize>(other.block), 64);
    this.used = other.used;
    this.total = other.total;
  }

  reset(): void {
    const h = this.h;
    h[0] = 0x6a09e667; h[1] = 0xbb67ae85; h[2] = 0x3c6ef372; h[3] = 0xa54ff53a;
    h[4] = 0x510e527f; h[5] = 0x9b05688c; h[6] = 0x1f83d9ab; h[7] = 0x5be0cd19;
    this.used = 0;
    this.total = 0;
  }

  /** Adds `length` bytes at `ptr`. */
  update(ptr: usize, length: usize): void {
    this.total += <u64>length;
    let p = ptr;
    let n = length;
    const blockPtr = changetype<usize>(this.block);
    if (this.used > 0) {
      const take = min(<usize>(64 - this.used), n);
      memory.copy(blockPtr + <usize>this.used, p, take);
      this.used += <i32>take;
      p += take;
      n -= take;
      if (this.used < 64) return;
      this.compress(blockPtr);
      this.used = 0;
    }
    while (n >= 64) {
      this.compress(p);
      p += 64;
      n -= 64;
    }
    if (n > 0) {
      memory.copy(blockPtr, p, n);
      this.used = <i32>n;
    }
  }

  /** Finishes and returns the digest as 64 lowercase hex digits; the object is then reset. */
  digestHex(): string {
    const bits = this.total * 8;
    const blockPtr = changetype<usize>(this.block);
    store<u8>(blockPtr + <usize>this.used, 0x80);
    this.used++;
    if (this.used > 56) {
      memory.fill(blockPtr + <usize>this.used, 0, <usize>(64 - this.used));
      this.compress(blockPtr);
      this.used = 0;
    }
    memory.fill(blockPtr + <usize>this.used, 0, <usize>(56 - this.used));
    store<u64>(blockPtr + 56, bswap<u64>(bits));
    this.compress(blockPtr);
    let out = "";
    for (let i = 0; i < 8; i++) {
      let s = this.h[i].toString(16);
      while (s.length < 8) s = "0" + s;
      out += s;
    }
    this.reset();
    return out;
  }

  private compress(p: usize): void {
    const w = this.w;
    for (let i = 0; i < 16; i++) unchecked(w[i] = bswap<u32>(load<u32>(p + <usize>(i * 4))));
    for (let i = 16; i < 64; i++) {
      const w15 = unchecked(w[i - 15]);
      const w2 = unchecked(w[i - 2]);
      const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
      unchecked(w[i] = unchecked(w[i - 16]) + s0 + unchecked(w[i - 7]) + s1);
    }
    const h = this.h;
    let a = unchecked(h[0]), b = unchecked(h[1]), c = unchecked(h[2]), d = unchecked(h[3]);
    let e = unchecked(h[4]), f = unchecked(h[5]), g = unchecked(h[6]), hh = unchecked(h[7]);
    for (let i = 0; i < 64; i++) {
      const S1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = hh + S1 + ch + unchecked(K[i]) + unchecked(w[i]);
      const S0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = S0 + maj;
      hh = g; g = f; f = e; e = d + t1;
      d = c; c = b; b = a; a = t1 + t2;
    }
    unchecked(h[0] = h[0] + a); unchecked(h[1] = h[1] + b); unchecked(h[2] = h[2] + c); unchecked(h[3] = h[3] + d);
    unchecked(h[4] = h[4] + e); unchecked(h[5] = h[5] + f); unchecked(h[6] = h[6] + g); unchecked(h[7] = h[7] + hh);
  }
}
