// The harness's seeded choices (which cut, which subset) and the workloads' generator (model.ts):
// xorshift32 seeded like kernel/fs/stress.ts, so a seed reruns them.
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (Math.imul(seed >>> 0, 2654435761) >>> 0) || 1;
  }
  next(): number {
    let x = this.state;
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    this.state = x;
    return x;
  }
  /** 0 .. n-1 */
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
  /** [0, 1) */
  fraction(): number {
    return this.next() / 4294967296;
  }
}
