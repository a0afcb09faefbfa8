// The tasks of the stress workloads: CPU-bound, I/O-bound and interactive.
//
// All randomness comes from a per-task generator derived from (workload seed, task index),
// so a seed gives the same tasks, the same burst lengths and the same disk addresses
// whatever the interleaving. CPU work is real computation (an xorshift mixing loop whose
// result is kept), done in chunks of CHUNK_ROUNDS rounds with the quantum checked between
// chunks (task.ts: the quantum contract). Amounts of CPU work are CPU time measured with the
// counter, so a task's demand does not depend on the machine's speed.
import { Task, StepResult } from "./task";
import { Random } from "../lib/random";
import { BlockDevice, BlockRequest, BlockOp, SECTOR_SIZE } from "../block/device";
import { nowTicks, usToTicks } from "../platform/time";

const CHUNK_ROUNDS: i32 = 256;

/** A chunk of real CPU work; returns the new mixing state. */
export function workChunk(state: u64): u64 {
  let x = state;
  for (let i = 0; i < CHUNK_ROUNDS; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

/**
 * Does CPU work until `untilTicks` of CPU have been spent in this step or the quantum ends.
 * Returns the ticks spent.
 */
function workFor(task: Task, budgetTicks: u64): u64 {
  const start = nowTicks();
  let now = start;
  let x = task.checksum | 1;
  while (now - start < budgetTicks && now < task.sliceDeadline) {
    x = workChunk(x);
    task.workChunks++;
    now = nowTicks();
  }
  task.checksum = x;
  return now - start;
}

/** CPU-bound: needs `budgetUs` of CPU, uses every quantum fully, never blocks. */
export class CpuTask extends Task {
  budgetTicks: u64;

  constructor(name: string, public budgetUs: u64) {
    super(name, "cpu");
    this.budgetTicks = usToTicks(budgetUs);
  }

  step(): StepResult {
    const used = this.cpuTicks;
    const left = this.budgetTicks > used ? this.budgetTicks - used : 0;
    if (left > 0) workFor(this, left);
    if (this.cpuTicksNow() >= this.budgetTicks) return this.exit(0);
    return StepResult.Yield;
  }

  progress(): string {
    const pct = this.budgetTicks > 0 ? (this.cpuTicks * 100) / this.budgetTicks : 100;
    return min(pct, 100).toString() + "% of " + (this.budgetUs / 1000).toString() + " ms CPU";
  }
}

/**
 * I/O-bound: `ops` cycles of (a short CPU burst: 20..200 us, then one 4 KiB request at a
 * random address, waiting for its completion). Writes only when `allowWrites` (RAM disk):
 * half the requests then write the buffer back, the others read.
 */
export class IoTask extends Task {
  opsDone: i32 = 0;
  errors: i32 = 0;
  private buffer: usize;
  private request: BlockRequest;
  private rng: Random;
  private awaiting: bool = false;
  private burstLeftTicks: u64 = 0;
  private regionSectors: u64;

  constructor(name: string, public device: BlockDevice, public ops: i32, seed: u64, stream: u64,
    public allowWrites: bool) {
    super(name, "io");
    this.rng = Random.derive(seed, stream);
    const buffer = heap.alloc(4096);
    memory.fill(buffer, <u8>stream, 4096);
    this.buffer = buffer;
    this.request = new BlockRequest(BlockOp.Read, 0, 8, buffer);
    this.regionSectors = device.sectorCount >= 8 ? device.sectorCount - 8 : 0;
    this.newBurst();
  }

  private newBurst(): void {
    this.burstLeftTicks = usToTicks(20 + this.rng.below(181));
  }

  step(): StepResult {
    if (this.awaiting) {
      this.awaiting = false;
      if (this.request.status < 0) this.errors++;
      this.opsDone++;
      if (this.opsDone >= this.ops) return this.exit(this.errors > 0 ? 1 : 0);
      this.newBurst();
    }
    if (this.burstLeftTicks > 0) {
      const spent = workFor(this, this.burstLeftTicks);
      this.burstLeftTicks = spent >= this.burstLeftTicks ? 0 : this.burstLeftTicks - spent;
      if (this.burstLeftTicks > 0) return StepResult.Yield; // quantum expired mid-burst
    }
    // submit the next request
    const lba = this.regionSectors > 0 ? (this.rng.below(this.regionSectors / 8 + 1) * 8) % this.regionSectors : 0;
    const write = this.allowWrites && (this.rng.next() & 1) == 1;
    const r = this.request;
    r.op = write ? BlockOp.Write : BlockOp.Read;
    r.lba = lba;
    r.count = 4096 / SECTOR_SIZE;
    r.status = 0;
    r.done = false;
    r.completedAt = 0;
    this.awaiting = true;
    const status = this.device.submit(r);
    if (status < 0) {
      // refused: count it as a failed operation and carry on
      r.status = status;
      r.done = true;
    }
    return this.waitForRequest(r);
  }

  onExit(): void {
    if (this.buffer != 0) heap.free(this.buffer);
    this.buffer = 0;
  }

  progress(): string {
    return this.opsDone.toString() + "/" + this.ops.toString() + " I/O ops";
  }
}

/**
 * Interactive: `bursts` cycles of (a CPU burst of 0.2..2 ms, then a think time of
 * 5..30 ms asleep). Its response time is wake-up -> end of the burst.
 */
export class InteractiveTask extends Task {
  burstsDone: i32 = 0;
  private rng: Random;
  private burstLeftTicks: u64 = 0;

  constructor(name: string, public bursts: i32, seed: u64, stream: u64) {
    super(name, "interactive");
    this.rng = Random.derive(seed, stream);
    this.newBurst();
  }

  private newBurst(): void {
    this.burstLeftTicks = usToTicks(200 + this.rng.below(1801));
  }

  step(): StepResult {
    const spent = workFor(this, this.burstLeftTicks);
    this.burstLeftTicks = spent >= this.burstLeftTicks ? 0 : this.burstLeftTicks - spent;
    if (this.burstLeftTicks > 0) return StepResult.Yield;
    this.burstsDone++;
    if (this.burstsDone >= this.bursts) return this.exit(0);
    this.newBurst();
    return this.sleepForUs(5000 + this.rng.below(25001));
  }

  progress(): string {
    return this.burstsDone.toString() + "/" + this.bursts.toString() + " bursts";
  }
}

/**
 * Periodic interactive (a workload with structure, for the burst predictors): `bursts` cycles
 * of (a CPU burst, then 5..30 ms asleep) whose lengths repeat a per-task pattern of PERIOD
 * lengths (each 0.2..4 ms, log-uniform), +-10% noise; halfway through, the pattern is drawn
 * again (a phase change). Counted as an interactive task (its response time is measured).
 */
export const PERIOD: i32 = 3;
export class PeriodicTask extends Task {
  burstsDone: i32 = 0;
  private rng: Random;
  private burstLeftTicks: u64 = 0;
  private pattern: StaticArray<f64> = new StaticArray<f64>(PERIOD);

  constructor(name: string, public bursts: i32, seed: u64, stream: u64) {
    super(name, "interactive");
    this.rng = Random.derive(seed, stream);
    this.drawPattern();
    this.newBurst();
  }

  private drawPattern(): void {
    for (let i = 0; i < PERIOD; i++) this.pattern[i] = 200 * Math.pow(20, this.rng.uniform(0, 1));
  }

  private newBurst(): void {
    const us = this.pattern[this.burstsDone % PERIOD] * this.rng.uniform(0.9, 1.1);
    this.burstLeftTicks = usToTicks(<u64>us);
  }

  step(): StepResult {
    const spent = workFor(this, this.burstLeftTicks);
    this.burstLeftTicks = spent >= this.burstLeftTicks ? 0 : this.burstLeftTicks - spent;
    if (this.burstLeftTicks > 0) return StepResult.Yield;
    this.burstsDone++;
    if (this.burstsDone >= this.bursts) return this.exit(0);
    if (this.burstsDone == this.bursts / 2) this.drawPattern();
    this.newBurst();
    return this.sleepForUs(5000 + this.rng.below(25001));
  }

  progress(): string {
    return this.burstsDone.toString() + "/" + this.bursts.toString() + " bursts (periodic)";
  }
}
