// LatencyRing: the last CAPACITY durations (counter ticks) of something, with percentiles.
// Used for scheduler decision latency; cheap to record (no allocation).
import { ticksToNs } from "../platform/time";
import { rankIndex } from "../lib/stats";

export class LatencyRing {
  private samples: StaticArray<u64>;
  private next: i32 = 0;
  count: i32 = 0;
  total: u64 = 0;

  constructor(public capacity: i32 = 4096) {
    this.samples = new StaticArray<u64>(capacity);
  }

  record(ticks: u64): void {
    unchecked(this.samples[this.next] = ticks);
    this.next = (this.next + 1) % this.capacity;
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

  /** Nearest-rank percentile (0..100) in microseconds; NaN when empty. */
  percentileUs(p: f64): f64 {
    if (this.count == 0) return NaN;
    const sorted = new Array<u64>(this.count);
    for (let i = 0; i < this.count; i++) sorted[i] = this.samples[i];
    sorted.sort();
    return <f64>ticksToNs(sorted[rankIndex(this.count, p)]) / 1000.0;
  }
}
