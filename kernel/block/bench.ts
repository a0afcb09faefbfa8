// The block benchmark behind `blkctl bench` and `bench blk`: keeps `queueDepth` requests in
// flight on one device through submit(), sequential or random, reads or writes, and measures
// throughput, IOPS, per-request latency (submit to completion seen by the kernel) and device
// interrupts and notifications per request.
//
// Requests go straight to the device (no cache). Buffers come from the heap; a write run
// fills them with a pattern first. The random pattern is a seeded LCG over the region, aligned
// to the request size, so a run is repeatable.
import { BlockDevice, BlockRequest, BlockOp, SECTOR_SIZE } from "./device";
import { nowTicks, ticksToNs } from "../platform/time";
import { EINVAL, ENOMEM, EROFS } from "../lib/errors";
import { rankIndex } from "../lib/stats";

/** Limits that keep a benchmark inside the kernel heap (bad options must not exhaust it). */
export const MAX_BENCH_BUFFER_BYTES: u64 = 16 << 20;
export const MAX_BENCH_REQUESTS: u64 = 262144;

export class BlockBenchConfig {
  random: bool = false;
  write: bool = false;
  queueDepth: i32 = 1;
  totalBytes: u64 = 64 << 20;
  requestBytes: u32 = 128 << 10;
  /** Wait for this many completions before refilling the queue (1 = refill at once). */
  batch: i32 = 1;
  seed: u32 = 1;
}

export class BlockBenchResult {
  requests: i32 = 0;
  bytes: u64 = 0;
  elapsedNs: u64 = 0;
  errors: i32 = 0;
  firstError: i32 = 0;
  /** Per-request latency in ns, sorted. */
  latencyNs: Array<u64> = new Array<u64>(0);
  interrupts: u64 = 0;
  notifies: u64 = 0;

  get megabytesPerSecond(): f64 {
    return this.elapsedNs == 0 ? 0 : (<f64>this.bytes / 1e6) / (<f64>this.elapsedNs / 1e9);
  }

  get iops(): f64 {
    return this.elapsedNs == 0 ? 0 : <f64>this.requests / (<f64>this.elapsedNs / 1e9);
  }

  /** Nearest-rank percentile (0..100) of the latencies, in ns. */
  latencyPercentile(p: f64): u64 {
    const n = this.latencyNs.length;
    if (n == 0) return 0;
    return this.latencyNs[rankIndex(n, p)];
  }

  get interruptsPerRequest(): f64 {
    return this.requests == 0 ? 0 : <f64>this.interrupts / <f64>this.requests;
  }

  get notifiesPerRequest(): f64 {
    return this.requests == 0 ? 0 : <f64>this.notifies / <f64>this.requests;
  }
}

let lcgState: u32 = 1;

function nextRandom(): u32 {
  lcgState = lcgState * 1664525 + 1013904223;
  return lcgState;
}

/** Runs one benchmark; `error` is set (and requests is 0) when it could not start. */
export function runBlockBench(device: BlockDevice, config: BlockBenchConfig): BlockBenchResult {
  const result = new BlockBenchResult();
  const sectorsPerRequest = config.requestBytes / SECTOR_SIZE;
  if (sectorsPerRequest == 0 || config.requestBytes % SECTOR_SIZE != 0 || config.queueDepth < 1 ||
    <u64>config.queueDepth * <u64>config.requestBytes > MAX_BENCH_BUFFER_BYTES ||
    config.totalBytes / <u64>config.requestBytes > MAX_BENCH_REQUESTS) {
    result.firstError = -EINVAL;
    return result;
  }
  if (config.write && device.readOnly) {
    result.firstError = -EROFS;
    return result;
  }
  const slots = <u64>device.sectorCount / <u64>sectorsPerRequest; // request-sized slots on the device
  if (slots == 0) {
    result.firstError = -EINVAL;
    return result;
  }
  const total = <i32>max<u64>(config.totalBytes / <u64>config.requestBytes, 1);
  const depth = min(config.queueDepth, total);
  const buffers = new Array<usize>(depth);
  const requests = new Array<BlockRequest>(depth);
  const reaped = new Array<bool>(depth);
  for (let i = 0; i < depth; i++) {
    const b = heap.alloc(config.requestBytes);
    if (b == 0) {
      for (let j = 0; j < i; j++) heap.free(buffers[j]);
      result.firstError = -ENOMEM;
      return result;
    }
    buffers[i] = b;
    if (config.write) {
      for (let k: u32 = 0; k < config.requestBytes; k += 4) store<u32>(b + <usize>k, 0x5a5a0000 | (k >> 2) ^ <u32>i);
    }
    requests[i] = new BlockRequest(config.write ? BlockOp.Write : BlockOp.Read, 0, sectorsPerRequest, b);
  }
  result.latencyNs = new Array<u64>(0);
  lcgState = config.seed;
  let nextSlot: u64 = 0;
  let issued = 0;
  let completed = 0;
  let inFlight = 0;
  const interruptsBefore = device.stats.interrupts;
  const notifiesBefore = device.stats.notifies;
  const started = nowTicks();

  // fill the queue (one notify for the batch), then refill slots as their requests complete
  device.plug();
  for (let i = 0; i < depth; i++) {
    const e = issue(device, requests[i], config, slots, sectorsPerRequest, nextSlot);
    if (e < 0) {
      reaped[i] = true;
      result.errors++;
      if (result.firstError == 0) result.firstError = e;
      continue;
    }
    nextSlot++;
    issued++;
    inFlight++;
    reaped[i] = false;
  }
  device.unplug();
  while (inFlight > 0) {
    device.waitForCompletions(min(config.batch, inFlight));
    device.plug();
    for (let i = 0; i < depth; i++) {
      const r = requests[i];
      if (reaped[i] || !r.done) continue;
      reaped[i] = true;
      inFlight--;
      completed++;
      if (r.status < 0) {
        result.errors++;
        if (result.firstError == 0) result.firstError = r.status;
      } else {
        result.bytes += <u64>config.requestBytes;
        result.latencyNs.push(ticksToNs(r.completedAt - r.submittedAt));
      }
      if (issued < total) {
        const e = issue(device, r, config, slots, sectorsPerRequest, nextSlot);
        if (e == 0) {
          nextSlot++;
          issued++;
          inFlight++;
          reaped[i] = false;
        } else {
          result.errors++;
          if (result.firstError == 0) result.firstError = e;
          issued = total; // stop issuing on a refused request
        }
      }
    }
    device.unplug();
  }
  result.elapsedNs = ticksToNs(nowTicks() - started);
  result.requests = completed;
  result.interrupts = device.stats.interrupts - interruptsBefore;
  result.notifies = device.stats.notifies - notifiesBefore;
  result.latencyNs.sort();
  for (let i = 0; i < depth; i++) heap.free(buffers[i]);
  return result;
}

function issue(device: BlockDevice, r: BlockRequest, config: BlockBenchConfig, slots: u64,
  sectorsPerRequest: u32, sequence: u64): i32 {
  const slot = config.random ? (<u64>nextRandom() * 65536 + <u64>(nextRandom() >> 16)) % slots : sequence % slots;
  r.lba = slot * <u64>sectorsPerRequest;
  r.count = sectorsPerRequest;
  r.op = config.write ? BlockOp.Write : BlockOp.Read;
  return device.submit(r);
}
