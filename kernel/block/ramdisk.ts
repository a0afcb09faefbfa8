// RamDisk: a BlockDevice whose sectors live in kernel memory (heap.alloc, zeroed).
//
// Used by Node tests and by `stresstest io` when no virtio disk is present. Data is really
// copied on every read and write. Requests go through the asynchronous interface:
//   - serviceTimeUs == 0: submit() completes the request before it returns (the default
//     synchronous path of BlockDevice).
//   - serviceTimeUs  > 0: submit() queues the request; a single FIFO "server" finishes one
//     request every serviceTimeUs (completion time = max(submit, previous completion) +
//     serviceTimeUs), and the copy plus completeBlockRequest() happen in the poller
//     (pollRamDisks(), run by the event loop) once that time has passed. This is a MODELED
//     latency that stands in for a real device's service time until an interrupt-driven
//     driver is available; every report that uses it says so.
//
// Invariants: requests complete in submission order; a request past the end of the disk is
// refused with -EINVAL at submit (no partial transfer); a queued request's buffer must stay
// valid until it completes (the scheduler keeps a killed task's buffer until then).
import { BlockDevice, BlockRequest, BlockOp, SECTOR_SIZE, completeBlockRequest } from "./device";
import { EINVAL, ENOMEM } from "../lib/errors";
import { counterHz, nowTicks } from "../platform/time";
import { registerPoller, wakeNoLaterThan } from "../kernel_loop";

export class RamDisk extends BlockDevice {
  /** Linear address of the sector storage (0 when the allocation failed). */
  storage: usize = 0;
  serviceTimeUs: u64 = 0;
  reads: u64 = 0;
  writes: u64 = 0;
  flushes: u64 = 0;
  private queue: Array<BlockRequest> = new Array<BlockRequest>(0);
  private dueTicks: Array<u64> = new Array<u64>(0);
  private lastDueTicks: u64 = 0;

  constructor(name: string, sectors: u64, serviceTimeUs: u64 = 0) {
    super(name, sectors, false);
    const size = sectors * <u64>SECTOR_SIZE;
    if (sectors > 0 && size <= 256 * 1024 * 1024) {
      this.storage = heap.alloc(<usize>size);
      memory.fill(this.storage, 0, <usize>size);
    }
    this.serviceTimeUs = serviceTimeUs;
    ramDisks.push(this);
  }

  private inRange(lba: u64, count: u32): bool {
    return this.storage != 0 && count > 0 && lba < this.sectorCount && <u64>count <= this.sectorCount - lba;
  }

  read(lba: u64, count: u32, buffer: usize): i32 {
    if (this.storage == 0) return -ENOMEM;
    if (!this.inRange(lba, count)) return -EINVAL;
    memory.copy(buffer, this.storage + <usize>(lba * <u64>SECTOR_SIZE), <usize>count * SECTOR_SIZE);
    this.reads++;
    return 0;
  }

  write(lba: u64, count: u32, buffer: usize): i32 {
    if (this.storage == 0) return -ENOMEM;
    if (!this.inRange(lba, count)) return -EINVAL;
    memory.copy(this.storage + <usize>(lba * <u64>SECTOR_SIZE), buffer, <usize>count * SECTOR_SIZE);
    this.writes++;
    return 0;
  }

  flush(): i32 {
    this.flushes++;
    return 0;
  }

  submit(request: BlockRequest): i32 {
    if (request.op != BlockOp.Flush && !this.inRange(request.lba, request.count)) return -EINVAL;
    request.submittedAt = nowTicks();
    if (this.serviceTimeUs == 0) {
      super.submit(request);
      request.completedAt = nowTicks();
      return 0;
    }
    const service = (this.serviceTimeUs * counterHz()) / 1_000_000;
    const start = max(request.submittedAt, this.lastDueTicks);
    this.lastDueTicks = start + service;
    request.expectedAt = this.lastDueTicks;
    this.queue.push(request);
    this.dueTicks.push(this.lastDueTicks);
    return 0;
  }

  /** Requests queued and not yet completed. */
  get inFlight(): i32 {
    return this.queue.length;
  }

  /** BlockDevice.poll(): completes what is due now. */
  poll(): void {
    this.completeDue(nowTicks());
  }

  /** Completes every queued request whose time has come (in order). */
  completeDue(now: u64): void {
    while (this.queue.length > 0 && this.dueTicks[0] <= now) {
      const request = this.queue.shift();
      this.dueTicks.shift();
      let status: i32 = 0;
      if (request.op == BlockOp.Read) status = this.read(request.lba, request.count, request.buffer);
      else if (request.op == BlockOp.Write) status = this.write(request.lba, request.count, request.buffer);
      else status = this.flush();
      request.completedAt = now;
      completeBlockRequest(request, status);
    }
    if (this.queue.length > 0) wakeNoLaterThan(this.dueTicks[0]);
  }
}

const ramDisks = new Array<RamDisk>(0);

/** Completes due requests of every RAM disk (registered as an event-loop poller). */
export function pollRamDisks(): void {
  if (ramDisks.length == 0) return;
  const now = nowTicks();
  for (let i = 0; i < ramDisks.length; i++) ramDisks[i].completeDue(now);
}

registerPoller(pollRamDisks);
