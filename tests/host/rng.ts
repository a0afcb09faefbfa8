// The tests' seeded random source: xorshift32 (shifts 13, 17, 5), so a seed reruns a test
// exactly. (tests/crash/rng.ts seeds the same generator differently, like kernel/fs/stress.ts.)

/** Integers 0 .. 2^32-1 from `seed` (0 becomes 1). */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

/** The same sequence as fractions in [0, 1). */
export function xorshift32Fraction(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 4294967296;
}
