// Shared by the buddy model check and the differential test: a test arena for the kernel's
// buddy allocator (kernel/mm/buddy.ts compiled to wasm through mm.entry.ts), and a simple
// reference model of what any correct page allocator must do.
//
// The reference model knows only pages: reserved, free or allocated (with the head, order
// and kind of each live allocation). It does not know buddy blocks, free lists or
// pageblock types. It says:
//   - alloc(order) may fail only when no aligned run of 2^order free pages exists (with
//     eager coalescing, a free aligned run is always inside one free buddy block);
//   - a returned block is aligned to its size, inside the arena, made of free pages;
//   - free(page, order) is accepted iff page is the head of a live allocation of that
//     order; otherwise the error is double free (-EINVAL) if the page is free, wrong order
//     (-ERANGE) if it is a live head of another order, foreign (-EFAULT) otherwise.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";

export const ENTRY = "tests/unit/mm/mm.entry.ts";
export const MEMORY_BASE = 64 << 20;
export const MAX_ORDER = 10;
export const KIND_PLAIN = 0x00;
export const KIND_MOVABLE = 0x20;
export const ERR_DOUBLE_FREE = -22;
export const ERR_FOREIGN = -14;
export const ERR_WRONG_ORDER = -34;
/** buddy.ts header: the u64 error/operation counters at [288, 352) change on refused frees. */
export const COUNTERS_START = 288;
export const COUNTERS_END = 288 + 8 * 8;

export async function loadMm(): Promise<KernelModule<any>> {
  return loadKernelModule(ENTRY, { memoryBase: MEMORY_BASE });
}

export const RESERVED = 0;
export const FREE = 1;
export const ALLOCATED = 2;

export interface Live { order: number; kind: number }

export class ReferenceModel {
  status: Uint8Array;
  live = new Map<number, Live>();
  owner: Int32Array; // head of the live allocation holding each allocated page, else -1
  freePages = 0;
  /** fullyFree[k] = number of aligned 2^k runs made only of free pages; runFree[k][i] = free pages in run i. */
  private runFree: Uint16Array[] = [];
  private fullyFree: number[] = [];

  constructor(public windowPages: number, usable: [number, number][]) {
    this.status = new Uint8Array(windowPages);
    this.owner = new Int32Array(windowPages).fill(-1);
    for (let k = 0; k <= MAX_ORDER; k++) {
      this.runFree.push(new Uint16Array(Math.ceil(windowPages / (1 << k))));
      this.fullyFree.push(0);
    }
    for (const [start, end] of usable) for (let p = Math.max(1, start); p < Math.min(end, windowPages); p++) {
      if (this.status[p] !== FREE) this.setFree(p, true);
    }
  }

  private setFree(p: number, free: boolean): void {
    this.status[p] = free ? FREE : ALLOCATED;
    this.freePages += free ? 1 : -1;
    for (let k = 0; k <= MAX_ORDER; k++) {
      const i = p >> k;
      const full = 1 << k;
      if (this.runFree[k][i] === full) this.fullyFree[k]--;
      this.runFree[k][i] += free ? 1 : -1;
      if (this.runFree[k][i] === full) this.fullyFree[k]++;
    }
  }

  canAllocate(order: number): boolean {
    return order <= MAX_ORDER && this.fullyFree[order] > 0;
  }

  /** Checks a block the allocator returned and records it. */
  allocated(page: number, order: number, kind: number): void {
    const size = 1 << order;
    assert.ok(page > 0, `allocation at page ${page}`);
    assert.equal(page % size, 0, `order-${order} block at page ${page} is not aligned to its size`);
    assert.ok(page + size <= this.windowPages, `block ${page}+${size} runs past the arena`);
    for (let p = page; p < page + size; p++) {
      assert.equal(this.status[p], FREE, `allocated page ${p} was not free (overlap or reserved)`);
      this.setFree(p, false);
      this.owner[p] = page;
    }
    this.live.set(page, { order, kind });
  }

  freed(page: number): void {
    const l = this.live.get(page)!;
    for (let p = page; p < page + (1 << l.order); p++) {
      this.setFree(p, true);
      this.owner[p] = -1;
    }
    this.live.delete(page);
  }

  /**
   * The result a correct allocator gives for free(page, order) when the caller may free
   * blocks of the kinds in `kinds` (what freePages() allows: plain and movable).
   */
  expectedFree(page: number, order: number, kinds: number[] = [KIND_PLAIN, KIND_MOVABLE]): number {
    if (order > MAX_ORDER) return ERR_WRONG_ORDER;
    if (page <= 0 || page >= this.windowPages) return ERR_FOREIGN;
    const l = this.live.get(page);
    if (l) {
      if (!kinds.includes(l.kind)) return ERR_FOREIGN;
      return l.order === order ? 0 : ERR_WRONG_ORDER;
    }
    if (this.status[page] === FREE) return ERR_DOUBLE_FREE;
    return ERR_FOREIGN;
  }

  livePages(): number {
    let n = 0;
    for (const l of this.live.values()) n += 1 << l.order;
    return n;
  }
}

/** A buddy allocator on a small arena, with its metadata far from the arena pages. */
export class Arena {
  readonly metaAddr: number;
  readonly metaBytes: number;
  constructor(public k: KernelModule<any>, public windowPages: number, public usable: [number, number][],
    metaAddr = 32 << 20) {
    this.metaAddr = metaAddr;
    this.metaBytes = k.exports.bMetadataBytes(windowPages);
    const mem = this.bytes();
    // canaries: the guard bytes around the metadata and a word at each end of every arena page
    mem.fill(0xa5, metaAddr - 64, metaAddr);
    mem.fill(0xa5, metaAddr + this.metaBytes, metaAddr + this.metaBytes + 64);
    for (let p = 0; p < windowPages; p++) {
      new DataView(mem.buffer).setUint32(p * 4096, 0xc0ffee00 + p, true);
      new DataView(mem.buffer).setUint32(p * 4096 + 4092, 0xc0ffee00 + p, true);
    }
    k.exports.bInit(windowPages, metaAddr);
    for (const [s, e] of usable) k.exports.bAddRange(s, e - s);
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.k.memory.buffer);
  }

  snapshot(): Uint8Array {
    return this.bytes().slice(this.metaAddr, this.metaAddr + this.metaBytes);
  }

  restore(snap: Uint8Array): void {
    this.bytes().set(snap, this.metaAddr);
  }

  /** The allocator touched nothing outside its metadata: guard bytes and arena canaries intact. */
  assertNoStrayWrites(): void {
    const mem = this.bytes();
    for (let i = this.metaAddr - 64; i < this.metaAddr; i++) assert.equal(mem[i], 0xa5, `guard byte before metadata at ${i} changed`);
    for (let i = this.metaAddr + this.metaBytes; i < this.metaAddr + this.metaBytes + 64; i++) {
      assert.equal(mem[i], 0xa5, `guard byte after metadata at ${i} changed`);
    }
    const view = new DataView(mem.buffer);
    for (let p = 0; p < this.windowPages; p++) {
      assert.equal(view.getUint32(p * 4096, true), 0xc0ffee00 + p, `arena page ${p} was written`);
      assert.equal(view.getUint32(p * 4096 + 4092, true), 0xc0ffee00 + p, `arena page ${p} was written`);
    }
  }

  /** Metadata equal to `snap` except the statistics counters. */
  sameExceptCounters(snap: Uint8Array): boolean {
    const now = this.bytes();
    for (let i = 0; i < this.metaBytes; i++) {
      if (i >= COUNTERS_START && i < COUNTERS_END) continue;
      if (now[this.metaAddr + i] !== snap[i]) return false;
    }
    return true;
  }
}
