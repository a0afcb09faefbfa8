// A fake virtio-mmio bus with virtio-blk devices for the Node tests: the HostPlatform's MMIO
// handler. It implements the version-2 register file, reads the REAL descriptor table and
// avail ring from wasm memory, performs the requests on a JS buffer, writes the used ring,
// honours EVENT_IDX (used_event / avail_event) and the no-EVENT_IDX flags, and raises its
// level-triggered line through the platform the way arch-aarch64/trap.c does (mask the
// line, set the slot's pending bit).
//
// Device addresses are translated back to linear offsets: the test host maps linear
// [0, window) at 0x40000000 and the heap right after it (tests/host/compile.ts), so
// linear = device address - 0x40000000 for both.
//
// Knobs for tests: offered features, refuse FEATURES_OK, read-only, failing sectors (IOERR),
// queue size, deferred completion (work is done when the kernel sleeps, or by run()),
// completion order reversed, and a log of every request and status write.
import { HostPlatform } from "./platform.ts";

export const VIRTIO_BASE = 0x0a000000n;
export const SLOT_STRIDE = 0x200n;
export const RAM_BASE = 0x40000000n;
export const SECTOR = 512;

export const F = {
  SIZE_MAX: 1, SEG_MAX: 2, GEOMETRY: 4, RO: 5, BLK_SIZE: 6, FLUSH: 9, TOPOLOGY: 10, CONFIG_WCE: 11,
  INDIRECT_DESC: 28, EVENT_IDX: 29, VERSION_1: 32,
} as const;
export const bit = (n: number): bigint => 1n << BigInt(n);
/** What QEMU 7.2 offers for virtio-blk-device (minus MQ/DISCARD/WRITE_ZEROES details). */
export const QEMU_FEATURES = bit(F.SEG_MAX) | bit(F.GEOMETRY) | bit(F.BLK_SIZE) | bit(F.FLUSH) | bit(F.TOPOLOGY) |
  bit(F.CONFIG_WCE) | bit(F.INDIRECT_DESC) | bit(F.EVENT_IDX) | bit(F.VERSION_1) | bit(13) | bit(14);

export interface FakeRequest {
  type: number;
  sector: bigint;
  bytes: number;
  segments: number;
  indirect: boolean;
  head: number;
  status: number;
}

export interface FakeBlkOptions {
  sectors?: number;
  features?: bigint;
  readOnly?: boolean;
  queueNumMax?: number;
  /** Clear FEATURES_OK when the driver sets it (a device that refuses the feature set). */
  refuseFeatures?: boolean;
  /** Complete requests only in run() / when the kernel sleeps, not on notify. */
  deferred?: boolean;
  /** Complete each batch in reverse order. */
  reverse?: boolean;
  sizeMax?: number;
  segMax?: number;
  blkSize?: number;
  version?: number;
  /** Device type (2 = block; anything else is listed but does nothing). */
  deviceId?: number;
  /** Never complete anything (a hung device). */
  stuck?: boolean;
  /** At most this many completions each time the kernel sleeps (deferred mode). */
  completionsPerRun?: number;
}

const u16 = (v: number) => v & 0xffff;
const needEvent = (event: number, newIdx: number, old: number) => u16(newIdx - event - 1) < u16(newIdx - old);

export class FakeBlk {
  data: Buffer;
  features: bigint;
  readOnly: boolean;
  refuseFeatures: boolean;
  deferred: boolean;
  reverse: boolean;
  queueNumMax: number;
  version: number;
  sizeMax: number;
  segMax: number;
  blkSize: number;
  deviceId: number;
  stuck: boolean;
  completionsPerRun: number;
  /** Write this id into the next used entry instead of the real head (a buggy device). */
  corruptNextUsedId: number | null = null;
  /** Sectors whose reads and writes fail with VIRTIO_BLK_S_IOERR. */
  failingSectors = new Set<number>();
  status = 0;
  statusLog: number[] = [];
  deviceFeatureSel = 0;
  driverFeatureSel = 0;
  driverFeatures = 0n;
  queueSel = 0;
  queueNum = 0;
  queueReady = 0;
  desc = 0n;
  driverArea = 0n;
  deviceArea = 0n;
  interruptStatus = 0;
  lastAvail = 0; // next avail index to process
  usedIdx = 0;
  notifies = 0;
  interruptsRaised = 0;
  maxOutstanding = 0;
  requests: FakeRequest[] = [];
  flushes = 0;
  /** Order of completions by type, for barrier checks: "R", "W", "F". */
  completionLog: string[] = [];
  resets = 0;

  constructor(public bus: FakeVirtioBus, public slot: number, options: FakeBlkOptions = {}) {
    const sectors = options.sectors ?? 2048;
    this.data = Buffer.alloc(sectors * SECTOR);
    this.features = (options.features ?? QEMU_FEATURES) | (options.readOnly ? bit(F.RO) : 0n);
    this.readOnly = options.readOnly ?? false;
    this.refuseFeatures = options.refuseFeatures ?? false;
    this.deferred = options.deferred ?? false;
    this.reverse = options.reverse ?? false;
    this.queueNumMax = options.queueNumMax ?? 256;
    this.version = options.version ?? 2;
    this.sizeMax = options.sizeMax ?? 0;
    this.segMax = options.segMax ?? 254;
    this.blkSize = options.blkSize ?? 512;
    this.deviceId = options.deviceId ?? 2;
    this.stuck = options.stuck ?? false;
    this.completionsPerRun = options.completionsPerRun ?? Infinity;
  }

  get intid(): number {
    return 48 + this.slot;
  }

  get sectors(): number {
    return this.data.length / SECTOR;
  }

  get negotiated(): bigint {
    return this.driverFeatures;
  }

  private mem(): DataView {
    return new DataView(this.bus.platform.memory!.buffer);
  }

  /** Linear offset of a device address; throws on an address outside wasm memory. */
  linear(addr: bigint, len: number): number {
    const off = Number(addr - RAM_BASE);
    const size = this.bus.platform.memory!.buffer.byteLength;
    if (addr < RAM_BASE || off + len > size) throw new Error(`fake virtio: DMA outside memory: 0x${addr.toString(16)} + ${len}`);
    return off;
  }

  private reset(): void {
    this.status = 0;
    this.driverFeatures = 0n;
    this.queueReady = 0;
    this.queueNum = 0;
    this.desc = this.driverArea = this.deviceArea = 0n;
    this.interruptStatus = 0;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.resets++;
  }

  readReg(off: number, size: number): bigint {
    if (off >= 0x100) return this.readConfig(off - 0x100, size);
    switch (off) {
      case 0x000: return 0x74726976n;
      case 0x004: return BigInt(this.version);
      case 0x008: return BigInt(this.deviceId);
      case 0x00c: return 0x554d4551n;
      case 0x010: return (this.features >> BigInt(32 * this.deviceFeatureSel)) & 0xffffffffn;
      case 0x034: return this.queueSel === 0 ? BigInt(this.queueNumMax) : 0n;
      case 0x044: return this.queueSel === 0 ? BigInt(this.queueReady) : 0n;
      case 0x060: return BigInt(this.interruptStatus);
      case 0x070: return BigInt(this.status);
      case 0x0fc: return 0n;
      default: return 0n;
    }
  }

  private readConfig(off: number, size: number): bigint {
    const cfg = Buffer.alloc(64);
    cfg.writeBigUInt64LE(BigInt(this.sectors), 0);
    cfg.writeUInt32LE(this.sizeMax, 8);
    cfg.writeUInt32LE(this.segMax, 12);
    cfg.writeUInt32LE(this.blkSize, 20);
    if (off + size > cfg.length) return 0n;
    return size === 1 ? BigInt(cfg[off]) : size === 2 ? BigInt(cfg.readUInt16LE(off)) :
      size === 4 ? BigInt(cfg.readUInt32LE(off)) : cfg.readBigUInt64LE(off);
  }

  writeReg(off: number, value: bigint): void {
    const v = Number(value & 0xffffffffn);
    const keepHigh = (x: bigint) => x & ~0xffffffffn;
    const keepLow = (x: bigint) => x & 0xffffffffn;
    switch (off) {
      case 0x014: this.deviceFeatureSel = v; break;
      case 0x024: this.driverFeatureSel = v; break;
      case 0x020:
        if (this.driverFeatureSel === 0) this.driverFeatures = (this.driverFeatures & ~0xffffffffn) | BigInt(v);
        else if (this.driverFeatureSel === 1) this.driverFeatures = (this.driverFeatures & 0xffffffffn) | (BigInt(v) << 32n);
        break;
      case 0x030: this.queueSel = v; break;
      case 0x038: this.queueNum = v; break;
      case 0x044: this.queueReady = v; break;
      case 0x050: this.notify(); break;
      case 0x064:
        this.interruptStatus &= ~v;
        break;
      case 0x070: this.writeStatus(v); break;
      case 0x080: this.desc = keepHigh(this.desc) | BigInt(v); break;
      case 0x084: this.desc = keepLow(this.desc) | (BigInt(v) << 32n); break;
      case 0x090: this.driverArea = keepHigh(this.driverArea) | BigInt(v); break;
      case 0x094: this.driverArea = keepLow(this.driverArea) | (BigInt(v) << 32n); break;
      case 0x0a0: this.deviceArea = keepHigh(this.deviceArea) | BigInt(v); break;
      case 0x0a4: this.deviceArea = keepLow(this.deviceArea) | (BigInt(v) << 32n); break;
      default: break;
    }
  }

  private writeStatus(v: number): void {
    this.statusLog.push(v);
    if (v === 0) {
      this.reset();
      return;
    }
    if ((v & 8) && !(this.status & 8)) {
      const unknown = this.driverFeatures & ~this.features;
      const ok = !this.refuseFeatures && unknown === 0n && (this.driverFeatures & bit(F.VERSION_1)) !== 0n;
      this.status = ok ? v : v & ~8;
      return;
    }
    this.status = v;
  }

  private get eventIdx(): boolean {
    return (this.driverFeatures & bit(F.EVENT_IDX)) !== 0n;
  }

  private notify(): void {
    this.notifies++;
    if (!this.deferred) this.run();
  }

  /** Processes available requests (at most `limit`); returns how many completed. */
  run(limit = Infinity): number {
    if (this.stuck || this.deviceId !== 2 || !(this.status & 4) || !this.queueReady || this.queueNum === 0) return 0;
    const m = this.mem();
    const n = this.queueNum;
    const avail = this.linear(this.driverArea, 6 + 2 * n);
    const used = this.linear(this.deviceArea, 6 + 8 * n);
    const availIdx = m.getUint16(avail + 2, true);
    this.maxOutstanding = Math.max(this.maxOutstanding, u16(availIdx - this.usedIdx));
    const heads: number[] = [];
    while (this.lastAvail !== availIdx && heads.length < limit) {
      heads.push(m.getUint16(avail + 4 + 2 * (this.lastAvail % n), true));
      this.lastAvail = u16(this.lastAvail + 1);
    }
    if (this.eventIdx) m.setUint16(used + 4 + 8 * n, this.lastAvail, true); // avail_event
    if (heads.length === 0) return 0;
    if (this.reverse) heads.reverse();
    const oldUsed = this.usedIdx;
    for (const head of heads) {
      const len = this.perform(head);
      const e = used + 4 + 8 * (this.usedIdx % n);
      m.setUint32(e, this.corruptNextUsedId ?? head, true);
      this.corruptNextUsedId = null;
      m.setUint32(e + 4, len, true);
      this.usedIdx = u16(this.usedIdx + 1);
      m.setUint16(used + 2, this.usedIdx, true);
    }
    let interrupt: boolean;
    if (this.eventIdx) interrupt = needEvent(m.getUint16(avail + 4 + 2 * n, true), this.usedIdx, oldUsed);
    else interrupt = (m.getUint16(avail, true) & 1) === 0;
    if (interrupt) {
      this.interruptStatus |= 1;
      this.raise();
    }
    return heads.length;
  }

  /** Level-triggered line: delivered when enabled in the (fake) GIC, then masked, as trap.c does. */
  raise(): void {
    const p = this.bus.platform;
    if (this.interruptStatus === 0 || !p.enabledIrqs.has(this.intid)) return;
    p.enabledIrqs.delete(this.intid);
    p.virtioPending |= 1 << this.slot;
    this.interruptsRaised++;
  }

  private descriptor(table: number, i: number) {
    const m = this.mem();
    const d = table + 16 * i;
    return { addr: m.getBigUint64(d, true), len: m.getUint32(d + 8, true), flags: m.getUint16(d + 12, true), next: m.getUint16(d + 14, true) };
  }

  /** Executes one chain; returns the used length. */
  private perform(head: number): number {
    const n = this.queueNum;
    let table = this.linear(this.desc, 16 * n);
    let count = n;
    let first = this.descriptor(table, head);
    let index = head;
    let indirect = false;
    if (first.flags & 4) {
      if (!(this.driverFeatures & bit(F.INDIRECT_DESC))) throw new Error("fake virtio: indirect descriptor without INDIRECT_DESC");
      if (first.flags & 1) throw new Error("fake virtio: INDIRECT together with NEXT");
      count = first.len / 16;
      table = this.linear(first.addr, first.len);
      index = 0;
      indirect = true;
    }
    const chain: { addr: bigint; len: number; write: boolean }[] = [];
    for (let guard = 0; ; guard++) {
      if (guard > count) throw new Error("fake virtio: descriptor loop");
      const d = this.descriptor(table, index);
      if (d.flags & 4) throw new Error("fake virtio: nested indirect descriptor");
      chain.push({ addr: d.addr, len: d.len, write: (d.flags & 2) !== 0 });
      if (!(d.flags & 1)) break;
      index = d.next;
      if (index >= count) throw new Error("fake virtio: next out of range");
    }
    if (chain.length < 2) throw new Error("fake virtio: chain too short");
    const header = chain[0];
    const status = chain[chain.length - 1];
    if (header.write || header.len !== 16) throw new Error("fake virtio: bad request header descriptor");
    if (!status.write || status.len < 1) throw new Error("fake virtio: bad status descriptor");
    const mem = new Uint8Array(this.bus.platform.memory!.buffer);
    const h = this.linear(header.addr, 16);
    const dv = this.mem();
    const type = dv.getUint32(h, true);
    const sector = dv.getBigUint64(h + 8, true);
    const data = chain.slice(1, -1);
    const bytes = data.reduce((a, s) => a + s.len, 0);
    let st = 0;
    let written = 0;
    if (type === 0 || type === 1) {
      for (const s of data) {
        if (s.write !== (type === 0)) throw new Error(`fake virtio: data descriptor direction wrong for type ${type}`);
      }
      const start = Number(sector) * SECTOR;
      if (bytes % SECTOR !== 0 || start + bytes > this.data.length) st = 1;
      else if (type === 1 && this.readOnly) st = 1;
      else {
        for (let s = 0; s < bytes / SECTOR; s++) if (this.failingSectors.has(Number(sector) + s)) st = 1;
      }
      if (st === 0) {
        let pos = start;
        for (const s of data) {
          const off = this.linear(s.addr, s.len);
          if (type === 0) {
            mem.set(this.data.subarray(pos, pos + s.len), off);
            written += s.len;
          } else {
            this.data.set(mem.subarray(off, off + s.len), pos);
          }
          pos += s.len;
        }
      }
      this.completionLog.push(type === 0 ? "R" : "W");
    } else if (type === 4) {
      if (!(this.driverFeatures & bit(F.FLUSH))) st = 2;
      this.flushes++;
      this.completionLog.push("F");
    } else {
      st = 2;
      this.completionLog.push("?");
    }
    mem[this.linear(status.addr, 1)] = st;
    this.requests.push({ type, sector, bytes, segments: data.length, indirect, head, status: st });
    return written + 1;
  }
}

/** The 32 slots: fake block devices where a test put them, empty slots ("virt", id 0) elsewhere. */
export class FakeVirtioBus {
  devices = new Map<number, FakeBlk>();

  constructor(public platform: HostPlatform) {
    platform.mmio = {
      read: (addr, size) => this.read(addr, size),
      write: (addr, size, value) => this.write(addr, size, value),
    };
    platform.onWaitForInterrupt = () => {
      for (const d of this.devices.values()) if (d.deferred) d.run(d.completionsPerRun);
    };
    platform.onIrqEnable = (intid) => {
      const d = this.devices.get(intid - 48);
      if (d) d.raise();
    };
  }

  add(slot: number, options: FakeBlkOptions = {}): FakeBlk {
    const d = new FakeBlk(this, slot, options);
    this.devices.set(slot, d);
    return d;
  }

  private slotOf(addr: bigint): [number, number] {
    if (addr < VIRTIO_BASE || addr >= VIRTIO_BASE + 32n * SLOT_STRIDE) throw new Error(`MMIO outside virtio-mmio: 0x${addr.toString(16)}`);
    const rel = addr - VIRTIO_BASE;
    return [Number(rel / SLOT_STRIDE), Number(rel % SLOT_STRIDE)];
  }

  read(addr: bigint, size: number): bigint {
    const [slot, off] = this.slotOf(addr);
    const d = this.devices.get(slot);
    if (!d) return off === 0 ? 0x74726976n : off === 4 ? 2n : 0n;
    return d.readReg(off, size);
  }

  write(addr: bigint, size: number, value: bigint): void {
    const [slot, off] = this.slotOf(addr);
    const d = this.devices.get(slot);
    if (d) d.writeReg(off, value);
  }
}
