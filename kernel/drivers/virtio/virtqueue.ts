// A split virtqueue (virtio 1.x, section 2.7): the descriptor table, the driver ("avail")
// ring and the device ("used") ring, in DMA memory from dma_alloc.ts.
//
//   descriptor table, 16-byte aligned, N entries       indirect tables, one per head:
//   +------------+---------+----------+----------+      N x MAX_CHAIN descriptors, used
//   | addr u64   | len u32 | flags u16| next u16 |      when INDIRECT_DESC is negotiated:
//   +------------+---------+----------+----------+      the head then points at its table
//   flags: NEXT 1 (chain continues at next), WRITE 2 (device writes), INDIRECT 4
//
//   avail (driver area), 2-byte aligned        used (device area), 4-byte aligned
//   +-----------+---------+-------------+      +-----------+---------+--------------------+
//   | flags u16 | idx u16 | ring[N] u16 |      | flags u16 | idx u16 | ring[N] {id, len}  |
//   +-----------+---------+-------------+      +-----------+---------+--------------------+
//   | used_event u16 (EVENT_IDX)        |      | avail_event u16 (EVENT_IDX)            |
//
// Indices are free-running u16 counters (they wrap at 65536); ring slot = idx % N, N a power
// of two. Invariants: a descriptor is either on the free list (kept in `nextFree`, private to
// the driver: the device never sees or changes it) or part of exactly one chain whose head is
// marked in `headInUse`; a used entry naming anything else is a device error (popUsed -> -2).
//
// Notification suppression: without EVENT_IDX, used.flags NO_NOTIFY and avail.flags
// NO_INTERRUPT; with it, avail_event / used_event and vring_need_event().
import { dma_barrier } from "../../platform/imports";
import { allocDma, freeDma, deviceAddress } from "./dma_alloc";

export const DESC_F_NEXT: u16 = 1;
export const DESC_F_WRITE: u16 = 2;
export const DESC_F_INDIRECT: u16 = 4;
const AVAIL_F_NO_INTERRUPT: u16 = 1;
const USED_F_NO_NOTIFY: u16 = 1;

/** Most segments one chain may have (header + data segments + status for a block request). */
export const MAX_CHAIN: i32 = 16;
const DESC_BYTES: usize = 16;

/** vring_need_event: has `newIdx` just passed `eventIdx` (coming from `oldIdx`)? */
// @ts-ignore: decorator
@inline export function needEvent(eventIdx: u16, newIdx: u16, oldIdx: u16): bool {
  return <u16>(newIdx - eventIdx - 1) < <u16>(newIdx - oldIdx);
}

export class Virtqueue {
  readonly desc: usize;
  readonly avail: usize;
  readonly used: usize;
  readonly indirectTables: usize;
  numFree: i32;
  /** Notifications sent to the device, and those the ring said it did not need. */
  notifies: u64 = 0;
  notifiesSuppressed: u64 = 0;
  chainsAdded: u64 = 0;
  indirectChains: u64 = 0;
  /** `len` of the used entry popUsed() returned last (bytes the device wrote). */
  lastUsedLength: u32 = 0;

  private freeHead: i32 = 0;
  private nextFree: StaticArray<u16>;
  private headInUse: StaticArray<bool>;
  private chainLength: StaticArray<u16>;
  private availShadow: u16 = 0; // avail idx including chains not yet published
  private availPublished: u16 = 0; // avail idx the device can see
  private availKicked: u16 = 0; // avail idx at the last notify decision
  private lastUsed: u16 = 0;
  // the chain being built
  private segAddress: StaticArray<u64> = new StaticArray<u64>(MAX_CHAIN);
  private segLength: StaticArray<u32> = new StaticArray<u32>(MAX_CHAIN);
  private segWritable: StaticArray<bool> = new StaticArray<bool>(MAX_CHAIN);
  private segCount: i32 = 0;

  /** Ring memory for `size` entries (a power of two); null when out of memory. */
  static create(size: i32, eventIdx: bool, indirect: bool): Virtqueue | null {
    if (size <= 0 || size > 32768 || (size & (size - 1)) != 0) return null;
    const n = <usize>size;
    const desc = allocDma(n * DESC_BYTES, 16);
    const avail = allocDma(6 + 2 * n, 2);
    const used = allocDma(6 + 8 * n, 4);
    const tables = indirect ? allocDma(n * <usize>MAX_CHAIN * DESC_BYTES, 16) : 1;
    if (desc == 0 || avail == 0 || used == 0 || tables == 0) {
      freeDma(desc);
      freeDma(avail);
      freeDma(used);
      if (indirect) freeDma(tables);
      return null;
    }
    return new Virtqueue(size, desc, avail, used, indirect ? tables : 0, eventIdx);
  }

  private constructor(public readonly size: i32, desc: usize, avail: usize, used: usize, tables: usize,
    public readonly eventIdx: bool) {
    this.desc = desc;
    this.avail = avail;
    this.used = used;
    this.indirectTables = tables;
    this.numFree = size;
    this.nextFree = new StaticArray<u16>(size);
    this.headInUse = new StaticArray<bool>(size);
    this.chainLength = new StaticArray<u16>(size);
    for (let i = 0; i < size; i++) unchecked(this.nextFree[i] = <u16>(i + 1));
  }

  get indirect(): bool {
    return this.indirectTables != 0;
  }

  /** Device addresses for the transport's QueueDesc / QueueDriver / QueueDevice registers. */
  get descAddress(): u64 { return deviceAddress(this.desc); }
  get availAddress(): u64 { return deviceAddress(this.avail); }
  get usedAddress(): u64 { return deviceAddress(this.used); }

  /** Chains handed to the device and not yet returned. */
  get inFlight(): i32 {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (unchecked(this.headInUse[i])) n++;
    return n;
  }

  /** Releases the ring memory. Only after the device was reset (it may still read it). */
  release(): void {
    freeDma(this.desc);
    freeDma(this.avail);
    freeDma(this.used);
    if (this.indirectTables != 0) freeDma(this.indirectTables);
  }

  // ---- building and adding chains ----

  beginChain(): void {
    this.segCount = 0;
  }

  /** Adds one buffer (device address) to the chain being built; false when the chain is full. */
  addSegment(address: u64, length: u32, deviceWrites: bool): bool {
    if (this.segCount >= MAX_CHAIN) return false;
    const i = this.segCount++;
    unchecked(this.segAddress[i] = address);
    unchecked(this.segLength[i] = length);
    unchecked(this.segWritable[i] = deviceWrites);
    return true;
  }

  /** Descriptors the chain being built will take from the table. */
  private descriptorsNeeded(): i32 {
    return this.indirectTables != 0 && this.segCount > 1 ? 1 : this.segCount;
  }

  /** Can a chain of `segments` buffers be added now? */
  hasRoomFor(segments: i32): bool {
    const needed = this.indirectTables != 0 && segments > 1 ? 1 : segments;
    return needed <= this.numFree;
  }

  /** The head index the next addChain() will use (for per-request memory indexed by head). */
  nextHead(): i32 {
    return this.numFree > 0 ? this.freeHead : -1;
  }

  /**
   * Puts the chain being built into the descriptor table and the avail ring (not yet visible
   * to the device: publish() does that). Returns its head, or -1 when there is no room.
   */
  addChain(): i32 {
    const count = this.segCount;
    if (count == 0) return -1;
    const needed = this.descriptorsNeeded();
    if (needed > this.numFree) return -1;
    const head = this.freeHead;
    if (needed == 1 && count > 1) {
      // indirect: the head points at its own table of `count` descriptors
      const table = this.indirectTables + <usize>head * <usize>MAX_CHAIN * DESC_BYTES;
      for (let i = 0; i < count; i++) {
        this.writeDescriptor(table, i, unchecked(this.segAddress[i]), unchecked(this.segLength[i]),
          (unchecked(this.segWritable[i]) ? DESC_F_WRITE : 0) | (i + 1 < count ? DESC_F_NEXT : 0), <u16>(i + 1));
      }
      this.freeHead = <i32>unchecked(this.nextFree[head]);
      this.writeDescriptor(this.desc, head, deviceAddress(table), <u32>(<usize>count * DESC_BYTES), DESC_F_INDIRECT, 0);
      this.indirectChains++;
    } else {
      let d = head;
      for (let i = 0; i < count; i++) {
        const next = <i32>unchecked(this.nextFree[d]);
        const last = i + 1 == count;
        this.writeDescriptor(this.desc, d, unchecked(this.segAddress[i]), unchecked(this.segLength[i]),
          (unchecked(this.segWritable[i]) ? DESC_F_WRITE : 0) | (last ? 0 : DESC_F_NEXT), last ? 0 : <u16>next);
        d = next;
      }
      this.freeHead = d;
    }
    this.numFree -= needed;
    unchecked(this.headInUse[head] = true);
    unchecked(this.chainLength[head] = <u16>needed);
    store<u16>(this.avail + 4 + 2 * <usize>(<i32>this.availShadow & (this.size - 1)), <u16>head);
    this.availShadow++;
    this.chainsAdded++;
    this.segCount = 0;
    return head;
  }

  private writeDescriptor(table: usize, index: i32, address: u64, length: u32, flags: u16, next: u16): void {
    const d = table + <usize>index * DESC_BYTES;
    store<u64>(d, address);
    store<u32>(d, length, 8);
    store<u16>(d, flags, 12);
    store<u16>(d, next, 14);
  }

  /** Makes every added chain visible to the device (one idx store for the whole batch). */
  publish(): void {
    if (this.availPublished == this.availShadow) return;
    dma_barrier(); // descriptors and ring entries before the index
    store<u16>(this.avail + 2, this.availShadow);
    this.availPublished = this.availShadow;
  }

  /**
   * Publishes, then tells whether the device must be notified of what was added since the
   * last decision (EVENT_IDX: avail_event; otherwise used.flags NO_NOTIFY). The caller
   * writes QueueNotify when this says so.
   */
  kickNeeded(): bool {
    this.publish();
    if (this.availKicked == this.availPublished) return false;
    dma_barrier(); // the index store before reading the device's suppression field
    const old = this.availKicked;
    this.availKicked = this.availPublished;
    let need: bool;
    if (this.eventIdx) {
      const availEvent = load<u16>(this.used + 4 + 8 * <usize>this.size);
      need = needEvent(availEvent, this.availPublished, old);
    } else {
      need = (load<u16>(this.used) & USED_F_NO_NOTIFY) == 0;
    }
    if (need) this.notifies++;
    else this.notifiesSuppressed++;
    return need;
  }

  // ---- taking completions ----

  /** Is a used entry waiting? */
  hasUsed(): bool {
    dma_barrier();
    return load<u16>(this.used + 2) != this.lastUsed;
  }

  /**
   * The head of the next completed chain (its descriptors are free again), -1 when none,
   * -2 when the device returned an id that is not an in-flight head (device error).
   */
  popUsed(): i32 {
    dma_barrier();
    const usedIdx = load<u16>(this.used + 2);
    if (usedIdx == this.lastUsed) return -1;
    dma_barrier(); // the index before the entry it covers
    const entry = this.used + 4 + 8 * <usize>(<i32>this.lastUsed & (this.size - 1));
    const id = load<u32>(entry);
    this.lastUsedLength = load<u32>(entry, 4);
    this.lastUsed++;
    if (id >= <u32>this.size || !unchecked(this.headInUse[<i32>id])) return -2;
    this.freeChain(<i32>id);
    return <i32>id;
  }

  private freeChain(head: i32): void {
    unchecked(this.headInUse[head] = false);
    const count = <i32>unchecked(this.chainLength[head]);
    // the chain's descriptors were taken from the free list in order: walk our own copy
    let last = head;
    for (let i = 1; i < count; i++) last = <i32>unchecked(this.nextFree[last]);
    unchecked(this.nextFree[last] = <u16>this.freeHead);
    this.freeHead = head;
    this.numFree += count;
  }

  // ---- interrupt suppression ----

  /**
   * Asks for an interrupt once `after` more chains are used (EVENT_IDX), or at every used
   * chain (without it). Returns true when enough are already waiting: the caller must look
   * again instead of sleeping, since the device may not interrupt for those.
   */
  enableInterrupts(after: i32): bool {
    const n = after < 1 ? 1 : after;
    if (this.eventIdx) store<u16>(this.avail + 4 + 2 * <usize>this.size, <u16>(<i32>this.lastUsed + n - 1));
    else store<u16>(this.avail, 0);
    dma_barrier();
    return <i32><u16>(load<u16>(this.used + 2) - this.lastUsed) >= n;
  }

  /** Asks the device not to interrupt (polling). With EVENT_IDX, call again after popping. */
  disableInterrupts(): void {
    if (this.eventIdx) store<u16>(this.avail + 4 + 2 * <usize>this.size, <u16>(this.lastUsed - 1));
    else store<u16>(this.avail, AVAIL_F_NO_INTERRUPT);
  }

  /** Used-ring index the driver has consumed up to (tests, statistics). */
  get usedIndex(): u16 {
    return this.lastUsed;
  }

  get availIndex(): u16 {
    return this.availPublished;
  }
}
