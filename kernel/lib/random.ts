// A small seeded pseudo-random generator for reproducible workloads and weight
// initialisation: xorshift64* (Vigna, 2016). Same seed -> same sequence on every build and
// on Node, so a stress test or benchmark can be rerun exactly. Not for cryptography.
//
// Invariant: the state is never 0 (a zero seed is replaced by a fixed non-zero constant).

const MULTIPLIER: u64 = 0x2545f4914f6cdd1d;
const ZERO_SEED_REPLACEMENT: u64 = 0x9e3779b97f4a7c15;

export class Random {
  private state: u64;

  constructor(seed: u64) {
    this.state = Random.mix(seed);
  }

  /** splitmix64 finaliser: spreads nearby seeds (1, 2, 3...) over the whole state space. */
  static mix(seed: u64): u64 {
    let z = seed + 0x9e3779b97f4a7c15;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    z = z ^ (z >> 31);
    return z == 0 ? ZERO_SEED_REPLACEMENT : z;
  }

  /** Next 64 random bits. */
  next(): u64 {
    let x = this.state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    this.state = x;
    return x * MULTIPLIER;
  }

  /** Uniform in [0, 1). */
  nextFloat(): f64 {
    return <f64>(this.next() >> 11) * (1.0 / 9007199254740992.0);
  }

  /** Uniform integer in [0, bound) (bound > 0; 0 when bound is 0). */
  below(bound: u64): u64 {
    if (bound == 0) return 0;
    return this.next() % bound;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: f64, hi: f64): f64 {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** A child generator whose sequence depends only on this seed and `stream`. */
  static derive(seed: u64, stream: u64): Random {
    return new Random(Random.mix(seed) ^ Random.mix(stream * 0x632be59bd9b4e019 + 1));
  }
}
