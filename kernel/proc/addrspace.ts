// A process's address space: its user pages, the translation tables that map them and the
// regions (VMAs) that say what may be mapped where.
//
// Tables are built here in TypeScript, in 4 KiB pages from kernel/mm. One level-2 table
// covers the whole user range [0, USER_TOP) (see layout.ts); each of its entries points to
// a level-3 table of 512 page descriptors:
//
//   L3 page descriptor (ARMv8-A, 4 KiB granule)
//   63..59 | 58 SW:none | 57..55 SW:prot | 54 UXN | 53 PXN | 47..12 phys | 11 nG | 10 AF |
//   9..8 SH | 7..6 AP (01 = EL0 read/write, 11 = EL0 read-only) | 4..2 AttrIndx | 1..0 = 11
//
// AF, SH and AttrIndx come from the platform (user_page_attributes: the MAIR index the
// kernel's own normal memory uses). PXN is always set: the kernel never executes user pages.
// A PROT_NONE page keeps its frame with bit 0 clear and bit 58 set.
//
// Pages are mapped lazily: a region reserves addresses and a fault inside it maps a zeroed
// page (stack growth, bss, brk, anonymous mmap). A program's read-only segments are frames
// of the program image cache (text_cache.ts), shared between processes and never freed or
// written here. fork shares those, and every other present page copy-on-write: parent and child
// map the same frame read-only (the descriptor keeps PROT_WRITE in its software bits), the frame
// counts its sharers (cowShares), and the first write fault copies it, or, when the writer is
// the last sharer left, makes it writable again in place. The kernel reads and writes user
// memory only through copyIn/copyOut and friends, which walk these tables, honour the EL0
// permissions (a bad pointer is EFAULT) and break copy-on-write sharing before writing.
import { allocPages, allocPagesZeroed, freePages } from "../mm/pages";
import { ramPhysBase } from "../platform/dma";
import { user_page_attributes, user_forget, user_tlb_invalidate } from "./user_imports";
import { PAGE, USER_BASE, USER_TOP } from "./layout";
import { ImageEntry, isSharedFrame } from "./text_cache";

export const PROT_READ: u32 = 1;
export const PROT_WRITE: u32 = 2;
export const PROT_EXEC: u32 = 4;

const DESC_VALID: u64 = 3; // table (L2) or page (L3)
const AP_EL0_RW: u64 = 1 << 6;
const AP_EL0_RO: u64 = 3 << 6;
const NG: u64 = 1 << 11;
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;
const SW_PROT_SHIFT: u64 = 55;
const SW_NONE: u64 = 1 << 58;
const PHYS_MASK: u64 = 0x0000fffffffff000;

const AP_MASK: u64 = 3 << 6;

/**
 * Frames shared copy-on-write by more than one address space: frame (linear address) ->
 * number of spaces mapping it. A frame not in the map has one owner.
 */
const cowShares = new Map<usize, i32>();
/** Frames currently shared copy-on-write (procctl stats, tests). */
export function cowSharedFrames(): i32 { return cowShares.size; }
/** Write faults on copy-on-write pages: resolved by a copy / by taking the frame back alone. */
export let cowCopies: u64 = 0;
export let cowReclaims: u64 = 0;

/** A reserved range of user addresses and what may be done there. */
export class Region {
  constructor(public start: u64, public end: u64, public prot: u32, public name: string) {}
}

function physOf(linear: usize): u64 { return ramPhysBase() + <u64>linear; }
function linearOf(phys: u64): usize { return <usize>((phys & PHYS_MASK) - ramPhysBase()); }

export class AddressSpace {
  /** Linear address of the level-2 table (0 when out of memory at creation). */
  l2: usize = 0;
  regions: Array<Region> = new Array<Region>(0);
  /** User pages currently present (not counting tables). */
  pages: i32 = 0;
  tables: i32 = 0;
  brkStart: u64 = 0;
  brk: u64 = 0;
  mmapNext: u64 = 0;
  /** Set when pages were written that may hold code: the next entry syncs the I-cache. */
  codeChanged: bool = true;
  /**
   * Set when a present descriptor was changed or removed: the TLB may hold the old
   * translation, so the next entry to EL0 flushes it (see arch-aarch64/user.c).
   */
  tlbStale: bool = false;
  /** Descriptor writes that made the TLB stale (tests and `procctl stats`). */
  staleWrites: i32 = 0;
  /** Program images whose shared frames this space may map (each holds one use). */
  images: Array<ImageEntry> = new Array<ImageEntry>(0);

  constructor() {
    this.l2 = allocPagesZeroed(0);
    if (this.l2 != 0) this.tables = 1;
  }

  l2Phys(): u64 { return physOf(this.l2); }

  /** Takes a use of a cached program image, given back by destroy(). */
  holdImage(e: ImageEntry): void {
    e.users++;
    this.images.push(e);
  }

  /** Maps the shared, read-only cache frame `frame` at `va`; false when out of memory. */
  mapShared(va: u64, frame: usize, prot: u32): bool {
    if ((prot & PROT_WRITE) != 0) return false; // a shared frame is never writable
    const slot = this.slotOf(va, true);
    if (slot == 0) return false;
    const existing = load<u64>(slot);
    if ((existing & PHYS_MASK) != 0) this.releaseFrame(linearOf(existing));
    else this.pages++;
    this.setSlot(slot, this.descriptor(physOf(frame), prot));
    if ((prot & PROT_EXEC) != 0) this.codeChanged = true;
    return true;
  }

  /** Gives the page at `va` a private copy if it maps a shared frame; false when out of memory. */
  private makePrivate(slot: usize): bool {
    const e = load<u64>(slot);
    if ((e & PHYS_MASK) == 0) return true;
    const frame = linearOf(e);
    if (!isSharedFrame(frame) && !cowShares.has(frame)) return true;
    const copy = allocPages(0);
    if (copy == 0) return false;
    memory.copy(copy, frame, <usize>PAGE);
    this.releaseFrame(frame);
    this.setSlot(slot, (e & ~PHYS_MASK) | physOf(copy));
    return true;
  }

  /**
   * Frees a frame this space owns (a shared frame belongs to the image cache); a frame shared
   * copy-on-write loses one sharer and is freed only by the last.
   */
  private releaseFrame(frame: usize): void {
    if (isSharedFrame(frame)) return;
    if (cowShares.has(frame)) {
      const n = cowShares.get(frame) - 1;
      if (n <= 1) cowShares.delete(frame);
      else cowShares.set(frame, n);
      return;
    }
    freePages(frame, 0);
  }

  /** True when the descriptor is a present page that may be written but is mapped read-only: copy-on-write. */
  private static isCow(e: u64): bool {
    return (e & 1) != 0 && ((e >> SW_PROT_SHIFT) & <u64>PROT_WRITE) != 0 && (e & AP_MASK) == AP_EL0_RO;
  }

  /**
   * Makes the copy-on-write page in `slot` (at `va`) writable for this space: a private copy
   * while others share the frame, the frame itself when this space is the last sharer.
   * False when out of memory.
   */
  private breakCow(slot: usize, va: u64): bool {
    const e = load<u64>(slot);
    const frame = linearOf(e);
    const prot = <u32>((e >> SW_PROT_SHIFT) & 7);
    let phys = e & PHYS_MASK;
    if (isSharedFrame(frame) || cowShares.has(frame)) {
      const copy = allocPages(0);
      if (copy == 0) return false;
      memory.copy(copy, frame, <usize>PAGE);
      this.releaseFrame(frame);
      phys = physOf(copy);
      cowCopies++;
    } else {
      cowReclaims++;
    }
    // read-only -> writable: only this page's translation can be stale (no full flush)
    store<u64>(slot, this.descriptor(phys, prot));
    user_tlb_invalidate(this.l2Phys(), va);
    return true;
  }

  /** A write fault on a present page at `va`: true when it was copy-on-write and is writable now. */
  handleWriteFault(va: u64): bool {
    if (va >= USER_TOP) return false;
    const slot = this.slotOf(va, false);
    if (slot == 0 || !AddressSpace.isCow(load<u64>(slot))) return false;
    return this.breakCow(slot, va & ~(PAGE - 1));
  }

  // ---- regions ----
  findRegion(va: u64): Region | null {
    for (let i = 0; i < this.regions.length; i++) {
      const r = this.regions[i];
      if (va >= r.start && va < r.end) return r;
    }
    return null;
  }

  /** True when [start, end) touches no region. */
  isFree(start: u64, end: u64): bool {
    for (let i = 0; i < this.regions.length; i++) {
      const r = this.regions[i];
      if (start < r.end && r.start < end) return false;
    }
    return true;
  }

  addRegion(start: u64, end: u64, prot: u32, name: string): Region {
    const r = new Region(start, end, prot, name);
    this.regions.push(r);
    return r;
  }

  /** Removes [start, end) from every region (splitting them) and unmaps its pages. */
  removeRange(start: u64, end: u64): void {
    const kept = new Array<Region>(0);
    for (let i = 0; i < this.regions.length; i++) {
      const r = this.regions[i];
      if (end <= r.start || r.end <= start) { kept.push(r); continue; }
      if (r.start < start) kept.push(new Region(r.start, start, r.prot, r.name));
      if (end < r.end) kept.push(new Region(end, r.end, r.prot, r.name));
    }
    this.regions = kept;
    for (let va = start; va < end; va += PAGE) this.unmapPage(va);
  }

  /** Sets the protection of [start, end): regions are split, present pages updated. */
  protectRange(start: u64, end: u64, prot: u32): void {
    const out = new Array<Region>(0);
    for (let i = 0; i < this.regions.length; i++) {
      const r = this.regions[i];
      if (end <= r.start || r.end <= start) { out.push(r); continue; }
      if (r.start < start) out.push(new Region(r.start, start, r.prot, r.name));
      const a = r.start > start ? r.start : start, b = r.end < end ? r.end : end;
      out.push(new Region(a, b, prot, r.name));
      if (end < r.end) out.push(new Region(end, r.end, r.prot, r.name));
    }
    this.regions = out;
    for (let va = start; va < end; va += PAGE) {
      const slot = this.slotOf(va, false);
      if (slot == 0) continue;
      if ((prot & PROT_WRITE) != 0 && !this.makePrivate(slot)) continue; // no memory: stays read-only
      const e = load<u64>(slot);
      if ((e & PHYS_MASK) == 0) continue;
      this.setSlot(slot, this.descriptor(e & PHYS_MASK, prot));
    }
    if ((prot & PROT_EXEC) != 0) this.codeChanged = true;
  }

  // ---- tables ----
  /** Every write of an L3 descriptor goes through here: replacing a valid one marks the TLB stale. */
  private setSlot(slot: usize, value: u64): void {
    const old = load<u64>(slot);
    if ((old & 1) != 0 && old != value) { this.tlbStale = true; this.staleWrites++; }
    store<u64>(slot, value);
  }

  /** The L3 descriptor of a page; `cow` maps a writable page read-only (copy-on-write). */
  private descriptor(phys: u64, prot: u32, cow: bool = false): u64 {
    const sw = (<u64>prot & 7) << SW_PROT_SHIFT;
    if ((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0) return (phys & PHYS_MASK) | sw | SW_NONE;
    let d = (phys & PHYS_MASK) | DESC_VALID | user_page_attributes() | NG | PXN | sw;
    d |= (prot & PROT_WRITE) != 0 && !cow ? AP_EL0_RW : AP_EL0_RO;
    if ((prot & PROT_EXEC) == 0) d |= UXN;
    return d;
  }

  /** Linear address of the L3 slot for `va` (0 when the table is missing and !create). */
  private slotOf(va: u64, create: bool): usize {
    if (va >= USER_TOP || this.l2 == 0) return 0;
    const l2slot = this.l2 + <usize>(((va >> 21) & 511) << 3);
    let e = load<u64>(l2slot);
    if ((e & 3) != 3) {
      if (!create) return 0;
      const t = allocPagesZeroed(0);
      if (t == 0) return 0;
      this.tables++;
      e = physOf(t) | DESC_VALID;
      store<u64>(l2slot, e);
    }
    return linearOf(e) + <usize>(((va >> 12) & 511) << 3);
  }

  /** The page frame (linear address) mapped at `va`, 0 when none. */
  frameOf(va: u64): usize {
    const slot = this.slotOf(va, false);
    if (slot == 0) return 0;
    const e = load<u64>(slot);
    if ((e & PHYS_MASK) == 0) return 0;
    return linearOf(e);
  }

  /** Protection of the page at `va` as mapped, or -1 when none is present. */
  pageProt(va: u64): i32 {
    const slot = this.slotOf(va, false);
    if (slot == 0) return -1;
    const e = load<u64>(slot);
    if ((e & PHYS_MASK) == 0) return -1;
    return <i32>((e >> SW_PROT_SHIFT) & 7);
  }

  /** Maps a zeroed page at `va` (page aligned) with `prot`; returns its frame, 0 when out of memory. */
  mapNewPage(va: u64, prot: u32): usize {
    const slot = this.slotOf(va, true);
    if (slot == 0) return 0;
    const existing = load<u64>(slot);
    if ((existing & PHYS_MASK) != 0) return linearOf(existing);
    const frame = allocPagesZeroed(0);
    if (frame == 0) return 0;
    this.setSlot(slot, this.descriptor(physOf(frame), prot));
    this.pages++;
    if ((prot & PROT_EXEC) != 0) this.codeChanged = true;
    return frame;
  }

  unmapPage(va: u64): void {
    const slot = this.slotOf(va, false);
    if (slot == 0) return;
    const e = load<u64>(slot);
    if ((e & PHYS_MASK) == 0) return;
    this.setSlot(slot, 0);
    this.releaseFrame(linearOf(e));
    this.pages--;
  }

  /**
   * A fault at `va` (write or not): maps the page if a region allows the access and it is
   * not present yet. Returns true when the access can be retried.
   */
  handleFault(va: u64, write: bool): bool {
    if (va < USER_BASE || va >= USER_TOP) return false;
    const r = this.findRegion(va);
    if (r == null) return false;
    if (write && (r.prot & PROT_WRITE) == 0) return false;
    if ((r.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0) return false;
    if (this.frameOf(va) != 0) return false; // present: a real permission fault
    return this.mapNewPage(va & ~(PAGE - 1), r.prot) != 0;
  }

  /**
   * Linear address of user byte `va` for an access by the kernel on the process's behalf,
   * mapping it first when a region allows; 0 when the process could not access it itself.
   */
  userByte(va: u64, write: bool): usize {
    if (va < USER_BASE || va >= USER_TOP) return 0;
    const page = va & ~(PAGE - 1);
    let prot = this.pageProt(page);
    if (prot < 0) {
      if (!this.handleFault(page, write)) return 0;
      prot = this.pageProt(page);
    }
    if ((prot & (PROT_READ | PROT_WRITE)) == 0) return 0;
    if (write && (prot & PROT_WRITE) == 0) return 0;
    if (write) {
      const slot = this.slotOf(page, false);
      if (AddressSpace.isCow(load<u64>(slot)) && !this.breakCow(slot, page)) return 0;
    }
    return this.frameOf(page) + <usize>(va & (PAGE - 1));
  }

  /** Copies `length` bytes from user `va` to kernel `dst`; false (nothing promised) on a bad pointer. */
  copyIn(dst: usize, va: u64, length: u64): bool {
    return this.copyUser(va, dst, length, false);
  }

  /** Copies kernel bytes to user `va`; false on a bad or read-only pointer. */
  copyOut(va: u64, src: usize, length: u64): bool {
    return this.copyUser(va, src, length, true);
  }

  /** Page by page between user `va` and kernel `kernel`; `toUser` needs writable pages. */
  private copyUser(va: u64, kernel: usize, length: u64, toUser: bool): bool {
    if (length == 0) return true;
    if (va + length < va || va + length > USER_TOP) return false;
    let done: u64 = 0;
    while (done < length) {
      const a = va + done;
      const p = this.userByte(a, toUser);
      if (p == 0) return false;
      const inPage = PAGE - (a & (PAGE - 1));
      const n = length - done < inPage ? length - done : inPage;
      if (toUser) memory.copy(p, kernel + <usize>done, <usize>n);
      else memory.copy(kernel + <usize>done, p, <usize>n);
      done += n;
    }
    return true;
  }

  /** Writes kernel bytes into user pages regardless of their protection (loading a program). */
  fill(va: u64, src: usize, length: u64): bool {
    let done: u64 = 0;
    while (done < length) {
      const a = va + done;
      const slot = this.slotOf(a & ~(PAGE - 1), false);
      if (slot != 0 && !this.makePrivate(slot)) return false;
      let frame = this.frameOf(a & ~(PAGE - 1));
      if (frame == 0) {
        const r = this.findRegion(a);
        if (r == null) return false;
        frame = this.mapNewPage(a & ~(PAGE - 1), r.prot);
        if (frame == 0) return false;
      }
      const inPage = PAGE - (a & (PAGE - 1));
      const n = length - done < inPage ? length - done : inPage;
      memory.copy(frame + <usize>(a & (PAGE - 1)), src + <usize>done, <usize>n);
      done += n;
    }
    this.codeChanged = true;
    return true;
  }

  readU64(va: u64, ok: StaticArray<bool>): u64 {
    const tmp = memory.data(8);
    if (!this.copyIn(tmp, va, 8)) { ok[0] = false; return 0; }
    return load<u64>(tmp);
  }

  writeU64(va: u64, value: u64): bool {
    const tmp = memory.data(8);
    store<u64>(tmp, value);
    return this.copyOut(va, tmp, 8);
  }

  /** A NUL-terminated user string of at most `max` bytes, or null (bad pointer or too long). */
  readString(va: u64, max: i32): string | null {
    const buf = heap.alloc(<usize>max);
    let n = 0;
    while (n < max) {
      const p = this.userByte(va + <u64>n, false);
      if (p == 0) { heap.free(buf); return null; }
      const c = load<u8>(p);
      if (c == 0) {
        const s = String.UTF8.decodeUnsafe(buf, <usize>n, false);
        heap.free(buf);
        return s;
      }
      store<u8>(buf + <usize>n, c);
      n++;
    }
    heap.free(buf);
    return null;
  }

  /**
   * A copy of this address space: same regions, image frames shared, every other present page
   * shared copy-on-write (both sides map it read-only until one writes).
   */
  fork(): AddressSpace | null {
    const child = new AddressSpace();
    if (child.l2 == 0) return null;
    for (let i = 0; i < this.regions.length; i++) {
      const r = this.regions[i];
      child.regions.push(new Region(r.start, r.end, r.prot, r.name));
    }
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    child.mmapNext = this.mmapNext;
    for (let i = 0; i < this.images.length; i++) child.holdImage(this.images[i]);
    for (let i: u64 = 0; i < 512; i++) {
      const e2 = load<u64>(this.l2 + <usize>(i << 3));
      if ((e2 & 3) != 3) continue;
      const l3 = linearOf(e2);
      for (let j: u64 = 0; j < 512; j++) {
        const e = load<u64>(l3 + <usize>(j << 3));
        if ((e & PHYS_MASK) == 0) continue;
        const va = (i << 21) | (j << 12);
        const prot = <u32>((e >> SW_PROT_SHIFT) & 7);
        const frame = linearOf(e);
        if (isSharedFrame(frame)) {
          if (!child.mapShared(va, frame, prot)) { child.destroy(); return null; }
          continue;
        }
        const childSlot = child.slotOf(va, true);
        if (childSlot == 0) { child.destroy(); return null; }
        const shared = (e & 1) != 0 ? this.descriptor(e & PHYS_MASK, prot, true) : e; // PROT_NONE stays as it is
        cowShares.set(frame, (cowShares.has(frame) ? cowShares.get(frame) : 1) + 1);
        this.setSlot(l3 + <usize>(j << 3), shared); // writable -> read-only: the parent's TLB is stale
        store<u64>(childSlot, shared);
        child.pages++;
      }
    }
    return child;
  }

  /** Frees every page and table. The space is empty (and unusable) afterwards. */
  destroy(): void {
    if (this.l2 == 0) return;
    for (let i: u64 = 0; i < 512; i++) {
      const e2 = load<u64>(this.l2 + <usize>(i << 3));
      if ((e2 & 3) != 3) continue;
      const l3 = linearOf(e2);
      for (let j: u64 = 0; j < 512; j++) {
        const e = load<u64>(l3 + <usize>(j << 3));
        if ((e & PHYS_MASK) != 0) { this.releaseFrame(linearOf(e)); this.pages--; }
      }
      freePages(l3, 0);
      this.tables--;
    }
    user_forget(this.l2Phys()); // before the table can be handed out again
    freePages(this.l2, 0);
    this.tables--;
    this.l2 = 0;
    this.regions = new Array<Region>(0);
    for (let i = 0; i < this.images.length; i++) this.images[i].users--;
    this.images = new Array<ImageEntry>(0);
  }
}
