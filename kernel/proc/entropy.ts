// Random bytes for AT_RANDOM and getrandom(): xorshift64* seeded from the counter, with the
// counter mixed in again on every draw (timing jitter under emulation). Not cryptographic:
// there is no hardware RNG on this machine model; documented in README.md.
import { Random } from "../lib/random";
import { counter } from "../platform/imports";

let rng: Random | null = null;

export function randomU64(): u64 {
  if (rng == null) rng = new Random(counter());
  return rng!.next() ^ Random.mix(counter());
}

/** Fills [dst, dst + length) with random bytes. */
export function fillRandom(dst: usize, length: usize): void {
  let i: usize = 0;
  while (i + 8 <= length) { store<u64>(dst + i, randomU64()); i += 8; }
  if (i < length) {
    let r = randomU64();
    while (i < length) { store<u8>(dst + i, <u8>r); r >>= 8; i++; }
  }
}
