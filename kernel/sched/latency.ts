// LatencyRing: the last CAPACITY durations (counter ticks) of something, with percentiles.
// Used for scheduler decision latency; cheap to record (no allocation). Each sample can carry
// what was true of it (how many candidates the pick chose among, whether an interrupt landed
// inside the timed window), so every figure derived from a ring (p50/p99, mean candidates,
// interrupted picks) describes the same window: the last `count` samples.
import { ticksToNs } from "../platform/time";
import { rankIndex } from "../lib/stats";

export class LatencyRing {
  private samples: StaticArray<u64>;
  private candidates: StaticArray<u16>;
  private interrupted: StaticArray<u8>;
  private next: i32 = 0;
  /** Samples in the window (at most capacity). */
  count: i32 = 0;
  /** Samples recorded since boot (not since clear()). */
  total: u64 = 0;

  constructor(public capacity: i32 = 4096) {
    this.samples = new StaticArray<u64>(capacity);
    this.candidates = new StaticArray<u16>(capacity);
    this.interrupted = new StaticArray<u8>(capacity);
  }

  /** One sample: `ticks`, the candidates it chose among, whether an interrupt landed inside it. */
  record(ticks: u64, candidates: i32 = 0, interrupted: bool = false): void {
    const i = this.next;
    unchecked(this.samples[i] = ticks);
    unchecked(this.candidates[i] = <u16>(candidates > 65535 ? 65535 : candidates < 0 ? 0 : candidates));
    unchecked(this.interrupted[i] = interrupted ? 1 : 0);
    this.next = (i + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    this.total++;
  }

  /** The k-th most recent sample in ticks (k = 0 newest, k < count). */
  recent(k: i32): u64 {
    return unchecked(this.samples[(this.next - 1 - k + 2 * this.capacity) % this.capacity]);
  }

  clear(): void {
    this.count = 0;
    this.next = 0;
  }

  /** Index in the arrays of the i-th sample of the window (any order). */
  // @ts-ignore: decorator
  @inline private slot(i: i32): i32 {
    return this.count < this.capacity ? i : (this.next + i) % this.capacity;
  }

  /** Nearest-rank percentile (0..100) in microseconds over the window; NaN when empty. */
  percentileUs(p: f64): f64 {
    return this.percentileOf(p, false);
  }

  /** The same over the window's samples with no interrupt inside; NaN when none. */
  percentileUsNoIrq(p: f64): f64 {
    return this.percentileOf(p, true);
  }

  private percentileOf(p: f64, noIrq: bool): f64 {
    const sorted = new Array<u64>(0);
    for (let i = 0; i < this.count; i++) {
      const s = this.slot(i);
      if (noIrq && this.interrupted[s] != 0) continue;
      sorted.push(this.samples[s]);
    }
    if (sorted.length == 0) return NaN;
    sorted.sort();
    return <f64>ticksToNs(sorted[rankIndex(sorted.length, p)]) / 1000.0;
  }

  /** Samples of the window with an interrupt inside the timed interval. */
  interruptedCount(): i32 {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.interrupted[this.slot(i)] != 0) n++;
    return n;
  }

  /** Mean number of candidates per sample over the window; NaN when empty. */
  candidatesMean(): f64 {
    if (this.count == 0) return NaN;
    let sum: f64 = 0;
    for (let i = 0; i < this.count; i++) sum += <f64>this.candidates[this.slot(i)];
    return sum / <f64>this.count;
  }
}
