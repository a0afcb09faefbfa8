// The buffer cache: fixed-size blocks of one device kept in memory, least recently used
// evicted first, dirty blocks written back on eviction, on sync() or when asked.
//
//   get(n)              pinned block n, read from the device if not cached (null on error)
//   getForOverwrite(n)  pinned block n without reading it (the caller fills all of it)
//   markDirty / release every get is paired with a release; only unpinned blocks are evicted
//   hold(b)             the journal's rule: a held block is never written to its home location
//                       (not by eviction, not by sync) until unhold(); ordered-mode metadata
//                       stays in memory until its transaction has committed
//   sync()              writes every dirty unheld block in block order, then flush(): the
//                       barrier. Data written by sync() is durable when it returns 0.
//
// Memory: at most `capacity` blocks are cached. Eviction takes the least recently used block
// that is unpinned and unheld, preferring a clean one among the oldest EVICTION_WINDOW (no
// write needed) over writing back a dirty one. Only when every block is pinned or held does
// the cache grow past capacity (counted in stats.overCapacity) rather than fail the caller;
// it shrinks back as blocks are released. Live caches are listed by blockCaches() (lsblk).
//
// Errors are negative codes (kernel/lib/errors.ts); lastError keeps the one behind a null.
import { BlockDevice, BlockRequest, BlockOp, SECTOR_SIZE, completeBlockRequest } from "./device";
import { EINVAL, EIO, ENOMEM } from "../lib/errors";

export class CachedBlock {
  data: usize = 0;
  valid: bool = false;
  dirty: bool = false;
  held: bool = false;
  pins: i32 = 0;
  newer: CachedBlock | null = null; // towards the most recently used end
  older: CachedBlock | null = null;
  constructor(public block: u64) {}
}

export class CacheStats {
  hits: u64 = 0;
  misses: u64 = 0;
  evictions: u64 = 0;
  writebacks: u64 = 0;
  readErrors: u64 = 0;
  writeErrors: u64 = 0;
  syncs: u64 = 0;
  /** Lookups that found every block pinned or held and grew the cache past capacity. */
  overCapacity: u64 = 0;
}

/** Among this many least recently used blocks, a clean one is evicted before a dirty one. */
const EVICTION_WINDOW: i32 = 8;

const liveCaches = new Array<BlockCache>(0);

/** Every cache created and not yet closed (lsblk shows their statistics). */
export function blockCaches(): Array<BlockCache> {
  return liveCaches;
}

export class BlockCache {
  readonly sectorsPerBlock: u32;
  readonly blockCount: u64;
  stats: CacheStats = new CacheStats();
  lastError: i32 = 0;
  private blocks: Map<u64, CachedBlock> = new Map<u64, CachedBlock>();
  private newest: CachedBlock | null = null;
  private oldest: CachedBlock | null = null;

  constructor(public device: BlockDevice, public blockSize: u32, public capacity: i32) {
    this.sectorsPerBlock = blockSize / SECTOR_SIZE;
    this.blockCount = device.sectorCount / <u64>this.sectorsPerBlock;
    liveCaches.push(this);
  }

  /** Memory the cached blocks take now. */
  get cachedBytes(): u64 {
    return <u64>this.blocks.size * <u64>this.blockSize;
  }

  /** Hits over lookups, 0..1 (0 before the first lookup). */
  get hitRate(): f64 {
    const total = this.stats.hits + this.stats.misses;
    return total == 0 ? 0 : <f64>this.stats.hits / <f64>total;
  }

  get cachedBlocks(): i32 {
    return this.blocks.size;
  }

  get dirtyBlocks(): i32 {
    let n = 0;
    const values = this.blocks.values();
    for (let i = 0; i < values.length; i++) if (values[i].dirty) n++;
    return n;
  }

  /** Block `n`, pinned, read from the device when not cached. Null on error (see lastError). */
  get(n: u64): CachedBlock | null {
    const b = this.lookup(n);
    if (b == null) return null;
    if (!b.valid) {
      this.stats.misses++;
      const r = this.device.read(n * <u64>this.sectorsPerBlock, this.sectorsPerBlock, b.data);
      if (r < 0) {
        this.stats.readErrors++;
        this.lastError = r;
        b.pins--;
        if (b.pins == 0) this.forget(b); // another holder keeps its (invalid) block
        return null;
      }
      b.valid = true;
    } else {
      this.stats.hits++;
    }
    return b;
  }

  /** Block `n`, pinned, without reading it: the caller overwrites all of it and marks it dirty. */
  getForOverwrite(n: u64): CachedBlock | null {
    const b = this.lookup(n);
    if (b == null) return null;
    if (!b.valid) {
      memory.fill(b.data, 0, this.blockSize);
      b.valid = true;
    }
    return b;
  }

  release(b: CachedBlock): void {
    if (b.pins > 0) b.pins--;
  }

  markDirty(b: CachedBlock): void {
    b.dirty = true;
  }

  hold(b: CachedBlock): void {
    b.held = true;
  }

  unhold(b: CachedBlock): void {
    b.held = false;
  }

  /** Is block n cached (without touching the LRU order)? */
  peek(n: u64): CachedBlock | null {
    return this.blocks.has(n) ? this.blocks.get(n) : null;
  }

  /** Writes one dirty block to its home location now (even if held: the caller decides). */
  writeBack(b: CachedBlock): i32 {
    if (!b.dirty) return 0;
    const r = this.device.write(b.block * <u64>this.sectorsPerBlock, this.sectorsPerBlock, b.data);
    if (r < 0) {
      this.stats.writeErrors++;
      this.lastError = r;
      return r;
    }
    b.dirty = false;
    this.stats.writebacks++;
    return 0;
  }

  /**
   * Writes every dirty, unheld block, then issues the device flush barrier. The writes are
   * submitted in block order as one batch (the device may complete them in any order); the
   * flush is issued only after all of them completed, and returns when they are durable.
   */
  sync(): i32 {
    const dirty = new Array<CachedBlock>(0);
    const values = this.blocks.values();
    for (let i = 0; i < values.length; i++) if (values[i].dirty && !values[i].held) dirty.push(values[i]);
    dirty.sort((a: CachedBlock, b: CachedBlock): i32 => (a.block < b.block ? -1 : a.block > b.block ? 1 : 0));
    let result = 0;
    const requests = new Array<BlockRequest>(dirty.length);
    const device = this.device;
    device.plug();
    for (let i = 0; i < dirty.length; i++) {
      const b = dirty[i];
      const r = new BlockRequest(BlockOp.Write, b.block * <u64>this.sectorsPerBlock, this.sectorsPerBlock, b.data);
      requests[i] = r;
      const e = device.submit(r);
      if (e < 0) completeBlockRequest(r, e); // refused: record it like a failed write
    }
    device.unplug();
    for (let i = 0; i < dirty.length; i++) {
      while (!requests[i].done) device.waitForCompletions(1);
      const r = requests[i];
      if (r.status < 0) {
        this.stats.writeErrors++;
        this.lastError = r.status;
        if (result == 0) result = r.status;
      } else {
        dirty[i].dirty = false;
        this.stats.writebacks++;
      }
    }
    const f = this.device.flush(); // the barrier: the writes above are durable when it returns 0
    this.stats.syncs++;
    return result < 0 ? result : f;
  }

  /** Forgets block n without writing it (it was freed, or its contents no longer matter). */
  drop(n: u64): void {
    if (!this.blocks.has(n)) return;
    const b = this.blocks.get(n);
    if (b.pins == 0) this.forget(b);
    else {
      b.dirty = false;
      b.valid = false;
    }
  }

  /**
   * Writes back and empties the cache (unmount). Returns the first error. A cache left with
   * blocks it could not write stays listed by blockCaches(), so the loss is visible.
   */
  close(): i32 {
    const r = this.sync();
    const values = this.blocks.values();
    for (let i = 0; i < values.length; i++) {
      if (!values[i].dirty) this.forget(values[i]);
    }
    if (this.blocks.size == 0) {
      const at = liveCaches.indexOf(this);
      if (at >= 0) liveCaches.splice(at, 1);
    }
    return r;
  }

  private lookup(n: u64): CachedBlock | null {
    if (n >= this.blockCount) {
      this.lastError = -EINVAL;
      return null;
    }
    if (this.blocks.has(n)) {
      const b = this.blocks.get(n);
      b.pins++;
      this.touch(b);
      return b;
    }
    while (this.blocks.size >= this.capacity) {
      if (!this.evictOne()) {
        this.stats.overCapacity++;
        break;
      }
    }
    const b = new CachedBlock(n);
    b.data = heap.alloc(this.blockSize);
    if (b.data == 0) {
      this.lastError = -ENOMEM;
      return null;
    }
    b.pins = 1;
    this.blocks.set(n, b);
    this.linkNewest(b);
    return b;
  }

  /**
   * Evicts the least recently used block that is unpinned and unheld: a clean one among the
   * oldest EVICTION_WINDOW candidates if there is one, else the oldest dirty one that writes
   * back without error. False when nothing can be evicted.
   */
  private evictOne(): bool {
    let seen = 0;
    let b = this.oldest;
    while (b != null && seen < EVICTION_WINDOW) {
      if (b.pins == 0 && !b.held) {
        if (!b.dirty) {
          this.forget(b);
          this.stats.evictions++;
          return true;
        }
        seen++;
      }
      b = b.newer;
    }
    b = this.oldest;
    while (b != null) {
      const next = b.newer;
      if (b.pins == 0 && !b.held && (!b.dirty || this.writeBack(b) == 0)) {
        this.forget(b);
        this.stats.evictions++;
        return true;
      }
      b = next;
    }
    return false;
  }

  private forget(b: CachedBlock): void {
    this.unlink(b);
    this.blocks.delete(b.block);
    if (b.data != 0) heap.free(b.data);
    b.data = 0;
  }

  private touch(b: CachedBlock): void {
    if (this.newest === b) return;
    this.unlink(b);
    this.linkNewest(b);
  }

  private linkNewest(b: CachedBlock): void {
    b.older = this.newest;
    b.newer = null;
    if (this.newest != null) this.newest!.newer = b;
    this.newest = b;
    if (this.oldest == null) this.oldest = b;
  }

  private unlink(b: CachedBlock): void {
    if (b.newer != null) b.newer!.older = b.older;
    else if (this.newest === b) this.newest = b.older;
    if (b.older != null) b.older!.newer = b.newer;
    else if (this.oldest === b) this.oldest = b.newer;
    b.newer = null;
    b.older = null;
  }
}

/** Reads into `buffer` through the cache; for callers that want bytes, not blocks. */
export function readBytes(cache: BlockCache, offset: u64, length: u32, buffer: usize): i32 {
  const bs = <u64>cache.blockSize;
  let done: u32 = 0;
  while (done < length) {
    const pos = offset + <u64>done;
    const b = cache.get(pos / bs);
    if (b == null) return cache.lastError < 0 ? cache.lastError : -EIO;
    const within = <u32>(pos % bs);
    const n = min(length - done, cache.blockSize - within);
    memory.copy(buffer + done, b.data + within, n);
    cache.release(b);
    done += n;
  }
  return 0;
}
