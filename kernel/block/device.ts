// The block-device interface: what file systems and the buffer cache see of a disk.
//
// ext4 never sees virtio: drivers implement BlockDevice (kernel/drivers/virtio/blk.ts on the
// target; a file-backed device on Node in tests), and register it by name (vda, vdb, ...).
// Addresses are in 512-byte sectors; buffers are linear-memory pointers. Every call returns
// 0 or a negative error code from kernel/lib/errors.ts; none of them traps on bad input.
//
// Synchronous calls (read/write/flush) submit and wait. Asynchronous users submit() requests
// (between plug() and unplug() for one device notification per batch) and are told through
// the completion hook; flush() / a Flush request is the ordering barrier: it completes after
// every write completed before it, and is durable on the medium.

export const SECTOR_SIZE: u32 = 512;

export enum BlockOp {
  Read = 0,
  Write = 1,
  Flush = 2,
}

/**
 * An asynchronous request. `submit()` queues it; when the device finishes, it sets `status`
 * (0 or a negative error), `done = true`, and calls the completion hook, which the scheduler
 * uses to wake the task waiting on `waiter`.
 */
export class BlockRequest {
  status: i32 = 0;
  done: bool = false;
  /** Who waits for this request (a task id; 0 = nobody, the submitter polls `done`). */
  waiter: i32 = 0;
  submittedAt: u64 = 0;
  completedAt: u64 = 0;
  /** When the device expects to complete it (counter ticks; 0 = unknown). The RAM disk knows; the scheduler preempts at it. */
  expectedAt: u64 = 0;
  /** Driver bookkeeping while queued: a large request goes to the device in parts. */
  partsTotal: u32 = 0;
  partsPosted: u32 = 0;
  partsDone: u32 = 0;
  constructor(public op: BlockOp, public lba: u64, public count: u32, public buffer: usize) {}
}

export type CompletionHook = (request: BlockRequest) => void;
let completionHook: CompletionHook | null = null;

/** The scheduler installs the hook that wakes tasks blocked on a request. */
export function setBlockCompletionHook(hook: CompletionHook): void {
  completionHook = hook;
}

/** Drivers call this when a request finishes. */
export function completeBlockRequest(request: BlockRequest, status: i32): void {
  request.status = status;
  request.done = true;
  if (completionHook != null) completionHook!(request);
}

/** What lsblk shows per device; drivers count, the interface only holds the numbers. */
export class BlockDeviceStats {
  reads: u64 = 0;
  writes: u64 = 0;
  flushes: u64 = 0;
  sectorsRead: u64 = 0;
  sectorsWritten: u64 = 0;
  errors: u64 = 0;
  /** Device interrupts taken and notifications sent (drivers with a queue). */
  interrupts: u64 = 0;
  notifies: u64 = 0;
}

export abstract class BlockDevice {
  constructor(
    public name: string,
    public sectorCount: u64,
    public readOnly: bool,
  ) {}

  /** Reads `count` sectors starting at `lba` into `buffer`. */
  abstract read(lba: u64, count: u32, buffer: usize): i32;
  /** Writes `count` sectors starting at `lba` from `buffer`. -EROFS on a read-only device. */
  abstract write(lba: u64, count: u32, buffer: usize): i32;
  /**
   * Barrier: returns once every write completed before the call is durable on the medium.
   * The journal orders data -> commit -> checkpoint with it.
   */
  abstract flush(): i32;

  /**
   * Queues a request; the device completes it later through completeBlockRequest(). This
   * default runs it synchronously (for devices with no queue, like a RAM disk); interrupt-
   * driven drivers override it. Returns 0 when queued, or a negative error when refused.
   */
  submit(request: BlockRequest): i32 {
    let r: i32 = 0;
    if (request.op == BlockOp.Read) r = this.read(request.lba, request.count, request.buffer);
    else if (request.op == BlockOp.Write) r = this.write(request.lba, request.count, request.buffer);
    else r = this.flush();
    completeBlockRequest(request, r);
    return 0;
  }

  get sizeBytes(): u64 {
    return this.sectorCount * <u64>SECTOR_SIZE;
  }

  /** Set by the VFS while a file system is mounted from this device. */
  mountedAt: string = "";

  stats: BlockDeviceStats = new BlockDeviceStats();

  /** One line about the driver behind the device, for lsblk ("virtio-blk slot 31"...). */
  describe(): string {
    return "";
  }

  /**
   * Runs device completions that are due (drivers with a queue override it). Waiters that
   * poll `request.done` call it in their loop; the event loop calls it through a poller.
   */
  poll(): void {}

  /**
   * Sleeps until at least `count` more of this device's requests completed, or none is in
   * flight. Devices without a queue complete in submit(): polling once is all there is to do.
   * A driver whose submit() completes later must override this (and poll()).
   */
  waitForCompletions(count: i32): void {
    this.poll();
  }

  /**
   * Batch submission: between plug() and unplug(), submit() queues requests without notifying
   * the device; unplug() notifies once for the whole batch. Nests. No-ops without a queue.
   */
  plug(): void {}
  unplug(): void {}

  /** Requests (or parts of requests) on the device now. */
  get inFlight(): i32 {
    return 0;
  }
}

const devices = new Array<BlockDevice>(0);

export function registerBlockDevice(device: BlockDevice): void {
  devices.push(device);
}

export function unregisterBlockDevice(device: BlockDevice): void {
  const i = devices.indexOf(device);
  if (i >= 0) devices.splice(i, 1);
}

export function findBlockDevice(name: string): BlockDevice | null {
  const bare = name.startsWith("/dev/") ? name.substring(5) : name;
  for (let i = 0; i < devices.length; i++) if (devices[i].name == bare) return devices[i];
  return null;
}

export function blockDevices(): Array<BlockDevice> {
  return devices;
}
