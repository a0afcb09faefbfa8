// virtio-blk (virtio 1.x, section 5.2) on the mmio transport: a BlockDevice with one
// request queue, many requests in flight, completion by interrupt or by polling.
//
// A request on the ring is one chain:
//   header (device reads, 16 bytes)   data segments (device reads for OUT,   status (device
//   +---------+----------+---------+   writes for IN; split at the 1 GiB      writes, 1 byte)
//   | type u32| rsvd u32 | sector  |   window boundary, the only place        0 OK, 1 IOERR,
//   |         |          |   u64   |   linear memory is discontiguous)        2 UNSUPP
//   +---------+----------+---------+
// Headers and status bytes live in DMA memory indexed by the chain's head descriptor, so a
// completion finds its request with no search. Requests above 1 MiB go as several parts.
//
// Ordering (the flush barrier the journal relies on): a FLUSH is posted only when nothing
// is in flight, and nothing behind it is posted until it completed. Everything else may be
// reordered by the device.
//
// Completion: service() takes this slot's interrupt (ACK InterruptStatus first, so nothing
// that completes meanwhile is lost), pops the used ring, completes requests, posts waiting
// ones, and re-enables the GIC line. Synchronous callers loop { service; sleep in wfi } with
// an interrupt armed (EVENT_IDX: used_event) for the completions they wait for. In polling
// mode the device is asked not to interrupt and waiters spin on the used ring.
import { BlockDevice, BlockRequest, BlockOp, completeBlockRequest, SECTOR_SIZE } from "../../block/device";
import { irq_enable, irq_disable, wait_for_interrupt } from "../../platform/imports";
import { buddyWindowBytes } from "../../platform/dma";
import { nowTicks, usToTicks } from "../../platform/time";
import { EINVAL, EIO, ENODEV, ENOMEM, EROFS, EFAULT, EOPNOTSUPP, ETIMEDOUT, EBUSY } from "../../lib/errors";
import { MmioTransport, Status, Interrupt } from "./mmio";
import { Virtqueue, MAX_CHAIN } from "./virtqueue";
import { allocDma, freeDma, deviceAddress } from "./dma_alloc";
import { takeSlotInterrupt } from "./irq";
import * as F from "./features";

export const VIRTIO_BLK_T_IN: u32 = 0;
export const VIRTIO_BLK_T_OUT: u32 = 1;
export const VIRTIO_BLK_T_FLUSH: u32 = 4;
export const VIRTIO_BLK_S_OK: u8 = 0;
export const VIRTIO_BLK_S_IOERR: u8 = 1;
export const VIRTIO_BLK_S_UNSUPP: u8 = 2;

/** Largest queue we ask for (the device may offer more). */
export const MAX_QUEUE_SIZE: i32 = 256;
/** Largest request part: 1 MiB. */
export const MAX_PART_SECTORS: u32 = 2048;
/** A device that completes nothing for this long is declared dead (requests fail, -ETIMEDOUT). */
export let completionTimeoutUs: u64 = 30_000_000;

export function setCompletionTimeoutUs(us: u64): void {
  completionTimeoutUs = us;
}

/** Features this driver understands and will accept when offered. */
const BASE_FEATURES: u64 = F.bit(F.VIRTIO_F_VERSION_1) | F.bit(F.VIRTIO_BLK_F_RO) | F.bit(F.VIRTIO_BLK_F_BLK_SIZE) |
  F.bit(F.VIRTIO_BLK_F_FLUSH) | F.bit(F.VIRTIO_BLK_F_SEG_MAX) | F.bit(F.VIRTIO_BLK_F_SIZE_MAX);

// config space offsets (virtio_blk_config)
const CFG_CAPACITY: u64 = 0;
const CFG_SIZE_MAX: u64 = 8;
const CFG_SEG_MAX: u64 = 12;
const CFG_BLK_SIZE: u64 = 20;

/** Every device that initialised: a waiter services all of them, so one disk's sync wait
 *  does not hold back another disk's completions (their interrupts share one mask). */
const liveDevices = new Array<VirtioBlk>(0);

/** Services every virtio block device (the event loop's poller, and every wait loop). */
export function serviceAllVirtioBlk(): void {
  for (let i = 0; i < liveDevices.length; i++) liveDevices[i].service();
}

export class VirtioBlk extends BlockDevice {
  readonly transport: MmioTransport;
  queue: Virtqueue | null = null;
  offered: u64 = 0;
  negotiated: u64 = 0;
  ready: bool = false;
  /** "ready", or why not ("failed: ..."). */
  state: string = "not initialised";
  /** Logical block size the device reports (BLK_SIZE); I/O is still addressed in 512-byte sectors. */
  logicalBlockSize: u32 = 512;
  segMax: u32 = 0;
  sizeMax: u32 = 0;
  partSectors: u32 = MAX_PART_SECTORS;
  wantEventIdx: bool;
  wantIndirect: bool;
  pollMode: bool = false;
  // statistics (interrupts and notifies are in this.stats)
  spuriousInterrupts: u64 = 0;
  completions: u64 = 0;
  deviceErrors: u64 = 0;

  private maxDataSegments: i32 = MAX_CHAIN - 2;
  private headers: usize = 0;
  private statuses: usize = 0;
  private headRequest: Array<BlockRequest | null> = new Array<BlockRequest | null>(0);
  private waiting: Array<BlockRequest> = new Array<BlockRequest>(0);
  private waitingFirst: i32 = 0;
  private chainsInFlight: i32 = 0;
  private flushInFlight: bool = false;
  private lineMasked: bool = false;
  private plugged: i32 = 0;

  constructor(name: string, slot: i32, useEventIdx: bool = true, useIndirect: bool = true) {
    super(name, 0, false);
    this.transport = new MmioTransport(slot);
    this.wantEventIdx = useEventIdx;
    this.wantIndirect = useIndirect;
  }

  get slot(): i32 {
    return this.transport.slot;
  }

  get eventIdx(): bool {
    return F.hasFeature(this.negotiated, F.VIRTIO_RING_F_EVENT_IDX);
  }

  get indirect(): bool {
    return F.hasFeature(this.negotiated, F.VIRTIO_RING_F_INDIRECT_DESC);
  }

  get hasFlush(): bool {
    return F.hasFeature(this.negotiated, F.VIRTIO_BLK_F_FLUSH);
  }

  get inFlight(): i32 {
    return this.chainsInFlight;
  }

  get idle(): bool {
    return this.chainsInFlight == 0 && this.waitingFirst == this.waiting.length;
  }

  describe(): string {
    const q = this.queue;
    return "virtio-blk slot " + this.slot.toString() + ", irq " + this.transport.intid.toString() +
      (q != null ? ", queue " + q.size.toString() : "") + (this.ready ? "" : ", " + this.state);
  }

  // ---- initialisation (virtio 1.x, 3.1.1) ----

  /** Resets and initialises the device; 0, or a negative error with `state` saying why. */
  init(): i32 {
    this.ready = false;
    const t = this.transport;
    t.reset();
    t.status = Status.Acknowledge;
    t.addStatus(Status.Driver);
    this.offered = t.deviceFeatures();
    if (!F.hasFeature(this.offered, F.VIRTIO_F_VERSION_1)) return this.fail("device does not offer VERSION_1", -ENODEV);
    let wanted = BASE_FEATURES;
    if (this.wantEventIdx) wanted |= F.bit(F.VIRTIO_RING_F_EVENT_IDX);
    if (this.wantIndirect) wanted |= F.bit(F.VIRTIO_RING_F_INDIRECT_DESC);
    this.negotiated = this.offered & wanted;
    t.setDriverFeatures(this.negotiated);
    t.addStatus(Status.FeaturesOk);
    if ((t.status & Status.FeaturesOk) == 0) return this.fail("device refused the feature set (FEATURES_OK not kept)", -ENODEV);

    this.readConfig();
    const maxSize = <i32>t.selectQueue(0);
    if (maxSize == 0) return this.fail("device has no request queue", -ENODEV);
    if (t.queueReady()) return this.fail("queue 0 already in use", -EBUSY);
    let size = 1;
    while (size * 2 <= maxSize && size * 2 <= MAX_QUEUE_SIZE) size *= 2;
    const q = Virtqueue.create(size, this.eventIdx, this.indirect);
    if (q == null) return this.fail("out of memory for the ring", -ENOMEM);
    this.headers = allocDma(<usize>size * 16, 16);
    this.statuses = allocDma(<usize>size, 4);
    if (this.headers == 0 || this.statuses == 0) {
      q.release();
      this.releaseRequestMemory();
      return this.fail("out of memory for request headers", -ENOMEM);
    }
    this.queue = q;
    this.headRequest = new Array<BlockRequest | null>(size);
    this.chainsInFlight = 0;
    this.flushInFlight = false;
    t.activateQueue(<u32>size, q.descAddress, q.availAddress, q.usedAddress);

    if (this.pollMode) {
      q.disableInterrupts();
      irq_disable(t.intid);
    } else {
      q.enableInterrupts(1);
      irq_enable(t.intid);
    }
    this.lineMasked = false;
    t.addStatus(Status.DriverOk);
    if ((t.status & Status.DeviceNeedsReset) != 0) return this.fail("device needs reset after DRIVER_OK", -EIO);
    this.ready = true;
    this.state = "ready";
    if (!liveDevices.includes(this)) liveDevices.push(this);
    return 0;
  }

  private readConfig(): void {
    const t = this.transport;
    this.sectorCount = t.config64(CFG_CAPACITY);
    this.readOnly = F.hasFeature(this.negotiated, F.VIRTIO_BLK_F_RO);
    this.logicalBlockSize = F.hasFeature(this.negotiated, F.VIRTIO_BLK_F_BLK_SIZE) ? t.config32(CFG_BLK_SIZE) : 512;
    this.segMax = F.hasFeature(this.negotiated, F.VIRTIO_BLK_F_SEG_MAX) ? t.config32(CFG_SEG_MAX) : 0;
    this.sizeMax = F.hasFeature(this.negotiated, F.VIRTIO_BLK_F_SIZE_MAX) ? t.config32(CFG_SIZE_MAX) : 0;
    let segments = MAX_CHAIN - 2;
    if (this.segMax > 0 && <i32>this.segMax < segments) segments = <i32>this.segMax;
    this.maxDataSegments = segments;
    let part = MAX_PART_SECTORS;
    if (this.sizeMax >= SECTOR_SIZE) {
      // room for a split at the window boundary: one segment may be short
      const fit = segments > 1 ? (<u64>(segments - 1) * <u64>this.sizeMax) / <u64>SECTOR_SIZE : <u64>this.sizeMax / <u64>SECTOR_SIZE;
      if (fit < <u64>part) part = <u32>max<u64>(fit, 1);
    }
    this.partSectors = part;
  }

  private fail(why: string, code: i32): i32 {
    this.transport.addStatus(Status.Failed);
    this.state = "failed: " + why;
    this.ready = false;
    return code;
  }

  private releaseRequestMemory(): void {
    freeDma(this.headers);
    freeDma(this.statuses);
    this.headers = 0;
    this.statuses = 0;
  }

  /**
   * Re-initialises with other ring features (EVENT_IDX / indirect on or off). Only when
   * idle; the device is reset first, so it no longer reads the old rings when they are freed.
   */
  reinit(useEventIdx: bool, useIndirect: bool): i32 {
    if (!this.idle) return -EBUSY;
    this.transport.reset();
    if (this.queue != null) this.queue!.release();
    this.queue = null;
    this.releaseRequestMemory();
    this.wantEventIdx = useEventIdx;
    this.wantIndirect = useIndirect;
    return this.init();
  }

  /** Switches between interrupt-driven completion and polling. */
  setPollMode(on: bool): void {
    this.pollMode = on;
    const q = this.queue;
    if (!this.ready || q == null) return;
    if (on) {
      q.disableInterrupts();
      irq_disable(this.transport.intid);
    } else {
      const st = this.transport.interruptStatus();
      if (st != 0) this.transport.acknowledgeInterrupt(st);
      q.enableInterrupts(1);
      this.lineMasked = false;
      irq_enable(this.transport.intid);
    }
  }

  // ---- requests ----

  /** Checks a request; 0 or the error it would fail with. */
  validate(request: BlockRequest): i32 {
    if (!this.ready) return -ENODEV;
    if (request.op == BlockOp.Flush) return 0;
    if (request.op != BlockOp.Read && request.op != BlockOp.Write) return -EINVAL;
    if (request.count == 0) return -EINVAL;
    if (request.lba >= this.sectorCount || <u64>request.count > this.sectorCount - request.lba) return -EINVAL;
    const bytes = <u64>request.count * <u64>SECTOR_SIZE;
    const end = <u64>request.buffer + bytes;
    if (request.buffer == 0 || end > (<u64>memory.size() << 16)) return -EFAULT;
    if (request.op == BlockOp.Write && this.readOnly) return -EROFS;
    return 0;
  }

  submit(request: BlockRequest): i32 {
    const r = this.validate(request);
    if (r < 0) return r;
    request.done = false;
    request.status = 0;
    request.partsPosted = 0;
    request.partsDone = 0;
    request.partsTotal = request.op == BlockOp.Flush ? 1 : (request.count + this.partSectors - 1) / this.partSectors;
    request.submittedAt = nowTicks();
    request.completedAt = 0;
    this.waiting.push(request);
    this.pump(this.plugged == 0);
    return 0;
  }

  plug(): void {
    this.plugged++;
  }

  unplug(): void {
    if (this.plugged > 0) this.plugged--;
    if (this.plugged == 0) this.pump(true);
  }

  /**
   * Posts waiting requests while the ring has room, honouring the flush barrier. With `kick`,
   * publishes everything posted so far and notifies the device once (if the ring says so).
   */
  private pump(kick: bool): void {
    const q = this.queue;
    if (q == null || !this.ready) return;
    while (this.waitingFirst < this.waiting.length) {
      const r = this.waiting[this.waitingFirst];
      if (this.flushInFlight) break;
      if (r.op == BlockOp.Flush && this.chainsInFlight > 0) break;
      const result = this.postPart(r, q);
      if (result == 0) break; // no room
      if (r.partsPosted == r.partsTotal) this.waitingFirst++;
    }
    if (this.waitingFirst == this.waiting.length && this.waitingFirst > 0) {
      this.waiting.length = 0;
      this.waitingFirst = 0;
    }
    if (kick && q.kickNeeded()) {
      this.transport.notify(0);
      this.stats.notifies++;
    }
  }

  /** Puts the next part of `r` on the ring: 1 posted, 0 no room, -1 finished without the device. */
  private postPart(r: BlockRequest, q: Virtqueue): i32 {
    if (r.op == BlockOp.Flush && !this.hasFlush) {
      // no volatile write cache to flush: everything before it has completed (the barrier)
      r.partsPosted = 1;
      r.partsDone = 1;
      this.finish(r);
      return -1;
    }
    let lba = r.lba;
    let address: usize = 0;
    let bytes: u32 = 0;
    let type = VIRTIO_BLK_T_FLUSH;
    if (r.op != BlockOp.Flush) {
      const first = r.partsPosted * this.partSectors;
      const sectors = min(this.partSectors, r.count - first);
      lba = r.lba + <u64>first;
      address = r.buffer + <usize>first * <usize>SECTOR_SIZE;
      bytes = sectors * SECTOR_SIZE;
      type = r.op == BlockOp.Read ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT;
    }
    // data segments: split where linear memory is discontiguous and at size_max
    const window = <usize>buddyWindowBytes();
    let segments = 0;
    if (bytes > 0) {
      segments = this.countSegments(address, bytes, window);
      if (segments > this.maxDataSegments) {
        // cannot happen with partSectors chosen by readConfig; refuse rather than corrupt
        if (r.status == 0) r.status = -EFAULT;
        r.partsTotal = r.partsPosted; // no further parts; finished when the posted ones are
        if (r.partsDone == r.partsTotal) this.finish(r);
        return -1;
      }
    }
    if (!q.hasRoomFor(segments + 2)) return 0;
    const head = q.nextHead();
    const header = this.headers + <usize>head * 16;
    store<u32>(header, type);
    store<u32>(header, 0, 4);
    store<u64>(header, type == VIRTIO_BLK_T_FLUSH ? 0 : lba, 8);
    store<u8>(this.statuses + <usize>head, 0xff);
    q.beginChain();
    q.addSegment(deviceAddress(header), 16, false);
    let at = address;
    let left = bytes;
    while (left > 0) {
      const n = this.segmentLength(at, left, window);
      q.addSegment(deviceAddress(at), n, r.op == BlockOp.Read);
      at += <usize>n;
      left -= n;
    }
    q.addSegment(deviceAddress(this.statuses + <usize>head), 1, true);
    const added = q.addChain();
    if (added != head) abort("virtqueue head mismatch");
    this.headRequest[head] = r;
    this.chainsInFlight++;
    r.partsPosted++;
    if (r.op == BlockOp.Flush) this.flushInFlight = true;
    return 1;
  }

  private segmentLength(address: usize, left: u32, window: usize): u32 {
    let n = left;
    if (address < window && <u64>address + <u64>n > <u64>window) n = <u32>(window - address);
    if (this.sizeMax > 0 && n > this.sizeMax) n = this.sizeMax;
    return n;
  }

  private countSegments(address: usize, bytes: u32, window: usize): i32 {
    let n = 0;
    let at = address;
    let left = bytes;
    while (left > 0) {
      const len = this.segmentLength(at, left, window);
      at += <usize>len;
      left -= len;
      n++;
    }
    return n;
  }

  /** Takes this device's interrupt, completes what the device finished, posts what waits. */
  service(): i32 {
    const q = this.queue;
    if (!this.ready || q == null) return 0;
    if (takeSlotInterrupt(this.slot)) {
      this.stats.interrupts++;
      this.lineMasked = true;
      const st = this.transport.interruptStatus();
      if (st != 0) this.transport.acknowledgeInterrupt(st); // before popping: nothing is lost
      else this.spuriousInterrupts++;
      if ((st & Interrupt.ConfigChange) != 0) this.sectorCount = this.transport.config64(CFG_CAPACITY);
    }
    let completed = 0;
    while (true) {
      const head = q.popUsed();
      if (head == -1) break;
      if (head == -2) {
        this.deviceBroken("device returned an unknown descriptor id", -EIO);
        return completed;
      }
      this.completePart(head);
      completed++;
    }
    this.pump(true);
    if (this.pollMode) q.disableInterrupts();
    else if (this.lineMasked) {
      this.lineMasked = false;
      irq_enable(this.transport.intid);
    }
    return completed;
  }

  poll(): void {
    this.service();
  }

  private completePart(head: i32): void {
    const r = this.headRequest[head];
    this.headRequest[head] = null;
    this.chainsInFlight--;
    this.completions++;
    if (r == null) return;
    const status = load<u8>(this.statuses + <usize>head);
    if (status != VIRTIO_BLK_S_OK) {
      this.deviceErrors++;
      if (r.status == 0) r.status = status == VIRTIO_BLK_S_UNSUPP ? -EOPNOTSUPP : -EIO;
    }
    if (r.op == BlockOp.Flush) this.flushInFlight = false;
    r.partsDone++;
    if (r.partsDone == r.partsTotal) this.finish(r);
  }

  private finish(r: BlockRequest): void {
    r.completedAt = nowTicks();
    const s = this.stats;
    if (r.status < 0) s.errors++;
    else if (r.op == BlockOp.Read) { s.reads++; s.sectorsRead += <u64>r.count; }
    else if (r.op == BlockOp.Write) { s.writes++; s.sectorsWritten += <u64>r.count; }
    else s.flushes++;
    completeBlockRequest(r, r.status);
  }

  /** Resets a device that misbehaves and fails everything it held. */
  private deviceBroken(why: string, code: i32): void {
    this.transport.reset();
    this.ready = false;
    this.state = "failed: " + why;
    for (let i = 0; i < this.headRequest.length; i++) {
      const r = this.headRequest[i];
      if (r == null) continue;
      this.headRequest[i] = null;
      if (r.done) continue;
      r.partsDone = r.partsTotal;
      if (r.status == 0) r.status = code;
      this.finish(r);
    }
    this.chainsInFlight = 0;
    this.flushInFlight = false;
    for (let i = this.waitingFirst; i < this.waiting.length; i++) {
      const r = this.waiting[i];
      if (r.done) continue;
      if (r.status == 0) r.status = code;
      r.partsDone = r.partsTotal;
      this.finish(r);
    }
    this.waiting.length = 0;
    this.waitingFirst = 0;
  }

  // ---- waiting ----

  /** Sleeps (or spins, in polling mode) until `request` is done. */
  wait(request: BlockRequest): void {
    let lastCount = this.completions;
    let lastProgress = nowTicks();
    const timeout = usToTicks(completionTimeoutUs);
    while (!request.done) {
      serviceAllVirtioBlk();
      if (request.done) break;
      if (!this.ready) break;
      const now = nowTicks();
      if (this.completions != lastCount) {
        lastCount = this.completions;
        lastProgress = now;
      } else if (now - lastProgress > timeout) {
        this.deviceBroken("no completion for " + (completionTimeoutUs / 1_000_000).toString() + " s", -ETIMEDOUT);
        break;
      }
      if (this.pollMode) continue;
      if (this.queue!.enableInterrupts(1)) continue;
      wait_for_interrupt();
    }
  }

  /**
   * Sleeps until at least `count` more chains completed (or nothing is in flight), asking for
   * a single interrupt for the lot when EVENT_IDX is on. For batch submitters (benchmarks).
   */
  waitForCompletions(count: i32): void {
    const target = this.completions + <u64>count;
    let lastCount = this.completions;
    let lastProgress = nowTicks();
    const timeout = usToTicks(completionTimeoutUs);
    while (this.completions < target && this.chainsInFlight > 0 && this.ready) {
      serviceAllVirtioBlk();
      if (this.completions >= target || this.chainsInFlight == 0) break;
      const now = nowTicks();
      if (this.completions != lastCount) {
        lastCount = this.completions;
        lastProgress = now;
      } else if (now - lastProgress > timeout) {
        this.deviceBroken("no completion for " + (completionTimeoutUs / 1_000_000).toString() + " s", -ETIMEDOUT);
        break;
      }
      if (this.pollMode) continue;
      const want = <i32>min<u64>(target - this.completions, <u64>this.chainsInFlight);
      if (this.queue!.enableInterrupts(want)) continue;
      wait_for_interrupt();
    }
    if (!this.pollMode && this.ready) this.queue!.enableInterrupts(1);
  }

  /** Submits and waits: the synchronous calls of BlockDevice. */
  private run(request: BlockRequest): i32 {
    const r = this.submit(request);
    if (r < 0) return r;
    this.wait(request);
    return request.done ? request.status : -EIO;
  }

  read(lba: u64, count: u32, buffer: usize): i32 {
    return this.run(new BlockRequest(BlockOp.Read, lba, count, buffer));
  }

  write(lba: u64, count: u32, buffer: usize): i32 {
    return this.run(new BlockRequest(BlockOp.Write, lba, count, buffer));
  }

  flush(): i32 {
    return this.run(new BlockRequest(BlockOp.Flush, 0, 0, 0));
  }
}
