// Choosing the next token from the logits: greedy (temperature 0: the first largest logit),
// or softmax(logits / temperature) sampled with a seeded generator, optionally restricted to
// the smallest set of most likely tokens whose probabilities reach top_p (nucleus sampling).
// `pairs` is scratch of vocab x (f32 probability, i32 id) in the model's region.
import { Random } from "../lib/random";
import { softmax } from "./model";

export class Sampler {
  rng: Random;
  constructor(public vocab: i32, public temperature: f32, public topp: f32, seed: u64, public pairs: usize) {
    this.rng = new Random(seed);
  }

  sample(logits: usize): i32 {
    if (this.temperature == 0) return argmax(logits, this.vocab);
    const n = this.vocab;
    const inv: f32 = 1.0 / this.temperature;
    for (let i = 0; i < n; i++) { const a = logits + (<usize>i << 2); store<f32>(a, load<f32>(a) * inv); }
    softmax(logits, n);
    const coin = <f32>this.rng.nextFloat();
    if (this.topp <= 0 || this.topp >= 1) return sampleAll(logits, n, coin);
    return sampleTopP(logits, n, this.topp, coin, this.pairs);
  }
}

export function argmax(p: usize, n: i32): i32 {
  let best = 0;
  let max = load<f32>(p);
  for (let i = 1; i < n; i++) { const v = load<f32>(p + (<usize>i << 2)); if (v > max) { max = v; best = i; } }
  return best;
}

function sampleAll(p: usize, n: i32, coin: f32): i32 {
  let cdf: f32 = 0;
  for (let i = 0; i < n; i++) {
    cdf += load<f32>(p + (<usize>i << 2));
    if (coin < cdf) return i;
  }
  return n - 1; // rounding
}

function sampleTopP(p: usize, n: i32, topp: f32, coin: f32, pairs: usize): i32 {
  // tokens below (1 - topp) / (n - 1) cannot be in the nucleus: drop them before sorting
  const cutoff: f32 = (1.0 - topp) / <f32>(n - 1);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v >= cutoff) {
      store<f32>(pairs + (<usize>m << 3), v);
      store<i32>(pairs + (<usize>m << 3) + 4, i);
      m++;
    }
  }
  if (m == 0) return argmax(p, n);
  sortPairsDescending(pairs, 0, m - 1);
  let cum: f32 = 0;
  let last = m - 1;
  for (let i = 0; i < m; i++) {
    cum += load<f32>(pairs + (<usize>i << 3));
    if (cum > topp) { last = i; break; }
  }
  const r = coin * cum;
  let cdf: f32 = 0;
  for (let i = 0; i <= last; i++) {
    cdf += load<f32>(pairs + (<usize>i << 3));
    if (r < cdf) return load<i32>(pairs + (<usize>i << 3) + 4);
  }
  return load<i32>(pairs + (<usize>last << 3) + 4);
}

// @ts-ignore: decorator
@inline function probAt(pairs: usize, i: i32): f32 { return load<f32>(pairs + (<usize>i << 3)); }

function swapPairs(pairs: usize, i: i32, j: i32): void {
  const a = pairs + (<usize>i << 3), b = pairs + (<usize>j << 3);
  const t = load<u64>(a);
  store<u64>(a, load<u64>(b));
  store<u64>(b, t);
}

/** Quicksort by probability, largest first; recursion only on the smaller side. */
function sortPairsDescending(pairs: usize, lo: i32, hi: i32): void {
  while (lo < hi) {
    const pivot = probAt(pairs, lo + ((hi - lo) >> 1));
    let i = lo, j = hi;
    while (i <= j) {
      while (probAt(pairs, i) > pivot) i++;
      while (probAt(pairs, j) < pivot) j--;
      if (i <= j) { swapPairs(pairs, i, j); i++; j--; }
    }
    if (j - lo < hi - i) { sortPairsDescending(pairs, lo, j); lo = i; }
    else { sortPairsDescending(pairs, i, hi); hi = j; }
  }
}
