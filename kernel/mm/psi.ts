// Memory pressure stall information, modelled on Linux PSI (Documentation/accounting/psi.rst):
// the share of time tasks spent stalled waiting for memory, here = inside direct reclaim
// (reclaim.ts: emptying slabs, shrinking caches, light compaction) of a request whose first
// attempt failed.
//
//   some   share of time at least one task was stalled
//   full   share of time every runnable task was stalled at once. The kernel runs one task at a
//          time and direct reclaim is synchronous, so a stall is "full" unless another task was
//          runnable meanwhile (it was waiting for the CPU, not for memory): the scheduler tells
//          through setOtherRunnableProbe (kernel/init.ts installs it; without it every stall is
//          full).
//
// Cumulative stall time (psi.someUs / psi.fullUs) grows inside reclaim.ts. Averages over 10 s
// and 60 s are exponentially decaying like Linux's avg10 / avg60, updated from each interval's
// share: avg += (share - avg) * (1 - exp(-dt / window)). The live averages advance with every
// 100 ms memory sample (stats.ts calls psiUpdate); an OOM episode (kernel/ai/oom/episodes.ts)
// keeps its own PsiAverages in its time base (one 100 ms slot per workload step; the share is
// the step's counted stall cost over its counted work, see "COUNTED STALL COST" below).
//
// COUNTED STALL COST (issue 21). Measured stall time depends on the machine and its load, so an
// evaluation that fed it to the model gave different results on every run (false-positive episodes
// 9% once, 16-24% on reruns of the same seeds). Episodes therefore account stalls in a counted
// unit instead: one unit = one allocator operation of the workload (an allocation, a free, a
// failed attempt). A direct reclaim costs
//   STALL_COST_ENTRY                        the failed attempt, the slab walk and the retry
//   + STALL_COST_PER_PAGE * pages freed     empty slab pages returned, cache pages shrunk
//   + STALL_COST_PER_COMPACTION             a direct compaction's region search (when it ran)
//   + STALL_COST_PER_MIGRATED * pages moved copying 4 KiB and updating the owner
// and a slot's stall share is its stall units / (its operations + its stall units): the same
// ratio as stall time / step time, but the same numbers on any machine and every run. The
// weights were scaled once so that the counted share's mean over training episodes matches the
// measured one in Node: over seeds 1..200 (99,854 slots) 0.0080 counted against 0.0085 measured
// (tests/unit/ai/oom.entry.ts stallCalibration). The live kernel's PSI keeps measured time.

export const STALL_COST_ENTRY: u64 = 16;
export const STALL_COST_PER_PAGE: u64 = 2;
export const STALL_COST_PER_COMPACTION: u64 = 128;
export const STALL_COST_PER_MIGRATED: u64 = 8;

/** Counted cost of one direct reclaim (see the header). */
export function stallCost(pagesFreed: u64, compacted: bool, pagesMigrated: u64): u64 {
  return STALL_COST_ENTRY + STALL_COST_PER_PAGE * pagesFreed + (compacted ? STALL_COST_PER_COMPACTION : 0) +
    STALL_COST_PER_MIGRATED * pagesMigrated;
}

export class PsiAverages {
  some10: f64 = 0;
  some60: f64 = 0;
  full10: f64 = 0;
  full60: f64 = 0;

  reset(): void {
    this.some10 = 0;
    this.some60 = 0;
    this.full10 = 0;
    this.full60 = 0;
  }

  /** One interval of `seconds` with the given stall shares (0..1). */
  update(someShare: f64, fullShare: f64, seconds: f64): void {
    const s = clampShare(someShare);
    const f = clampShare(fullShare);
    const a10 = 1 - Math.exp(-seconds / 10.0);
    const a60 = 1 - Math.exp(-seconds / 60.0);
    this.some10 += (s - this.some10) * a10;
    this.some60 += (s - this.some60) * a60;
    this.full10 += (f - this.full10) * a10;
    this.full60 += (f - this.full60) * a60;
  }
}

function clampShare(x: f64): f64 {
  return x < 0 ? 0 : (x > 1 ? 1 : x);
}

export class PsiTotals {
  /** Stall time since boot, microseconds. */
  someUs: u64 = 0;
  fullUs: u64 = 0;
  /** Direct reclaims that stalled (entered reclaim.ts's slow path). */
  stalls: u64 = 0;
  /** The live averages (updated by psiUpdate). */
  avg: PsiAverages = new PsiAverages();
  lastUpdateUs: u64 = 0;
  lastSomeUs: u64 = 0;
  lastFullUs: u64 = 0;
}

export const psi = new PsiTotals();

let otherRunnable: (() => bool) | null = null;

/** The scheduler's answer to "is another task runnable now?" (full vs some). */
export function setOtherRunnableProbe(probe: () => bool): void {
  otherRunnable = probe;
}

/** reclaim.ts: a task was stalled for `us` microseconds. */
export function psiRecordStall(us: u64): void {
  psi.stalls++;
  psi.someUs += us;
  const probe = otherRunnable;
  if (probe == null || !probe()) psi.fullUs += us;
}

/** Advances the live averages to `nowUs` (the 100 ms sampler calls it). */
export function psiUpdate(nowUs: u64): void {
  if (psi.lastUpdateUs == 0 || nowUs <= psi.lastUpdateUs) {
    psi.lastUpdateUs = nowUs;
    psi.lastSomeUs = psi.someUs;
    psi.lastFullUs = psi.fullUs;
    return;
  }
  const dt = <f64>(nowUs - psi.lastUpdateUs);
  psi.avg.update(<f64>(psi.someUs - psi.lastSomeUs) / dt, <f64>(psi.fullUs - psi.lastFullUs) / dt, dt / 1e6);
  psi.lastUpdateUs = nowUs;
  psi.lastSomeUs = psi.someUs;
  psi.lastFullUs = psi.fullUs;
}
