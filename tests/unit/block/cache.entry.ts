// Test entry for the block layer: the buffer cache over a RAM disk that logs every device
// operation ("R5", "W9", "F") and can be told to fail, plus the benchmark engine and lsblk.
import { BlockDevice, SECTOR_SIZE, registerBlockDevice } from "../../../kernel/block/device";
import { BlockCache, CachedBlock, readBytes, blockCaches } from "../../../kernel/block/cache";
import { BlockBenchConfig, runBlockBench } from "../../../kernel/block/bench";
import { EIO, EINVAL } from "../../../kernel/lib/errors";
import { consoleShell } from "../../../kernel/shell/shell";
import "../../../kernel/shell/commands/lsblk";

/** 4 KiB-block view of the log: "R2 W7 F" (block numbers for 8-sector requests). */
class RamDisk extends BlockDevice {
  data: usize;
  log: string = "";
  failReads: bool = false;
  failWrites: bool = false;

  constructor(name: string, sectors: u64) {
    super(name, sectors, false);
    this.data = heap.alloc(<usize>(sectors * <u64>SECTOR_SIZE));
    memory.fill(this.data, 0, <usize>(sectors * <u64>SECTOR_SIZE));
  }

  private note(op: string, lba: u64): void {
    this.log += (this.log.length > 0 ? " " : "") + op + (lba / 8).toString();
  }

  read(lba: u64, count: u32, buffer: usize): i32 {
    if (lba + <u64>count > this.sectorCount) return -EINVAL;
    this.note("R", lba);
    if (this.failReads) return -EIO;
    memory.copy(buffer, this.data + <usize>(lba * 512), <usize>count * 512);
    this.stats.reads++;
    return 0;
  }

  write(lba: u64, count: u32, buffer: usize): i32 {
    if (lba + <u64>count > this.sectorCount) return -EINVAL;
    this.note("W", lba);
    if (this.failWrites) return -EIO;
    memory.copy(this.data + <usize>(lba * 512), buffer, <usize>count * 512);
    this.stats.writes++;
    return 0;
  }

  flush(): i32 {
    this.log += (this.log.length > 0 ? " " : "") + "F";
    return 0;
  }
}

let disk = new RamDisk("ram0", 1024); // 128 blocks of 4 KiB
registerBlockDevice(disk);
let cache = new BlockCache(disk, 4096, 4);
const pinned = new Map<u64, CachedBlock>();

export function reset(capacity: i32): void {
  cache.close();
  disk = new RamDisk("ram0", 1024);
  cache = new BlockCache(disk, 4096, capacity);
  pinned.clear();
  for (let b: u64 = 0; b < 128; b++) store<u32>(disk.data + <usize>(b * 4096), <u32>(1000 + b));
}

export function takeLog(): string {
  const s = disk.log;
  disk.log = "";
  return s;
}
export function setFailures(reads: bool, writes: bool): void {
  disk.failReads = reads;
  disk.failWrites = writes;
}

/** Gets block n, returns its first word (or the error), releasing it unless `keepPinned`. */
export function get(n: u64, keepPinned: bool): i64 {
  const b = cache.get(n);
  if (b == null) return <i64>cache.lastError;
  const v = <i64>load<u32>(b.data);
  if (keepPinned) pinned.set(n, b);
  else cache.release(b);
  return v;
}

/** Overwrites block n's first word and marks it dirty; optionally held for the journal. */
export function put(n: u64, value: u32, hold: bool): i32 {
  const b = cache.getForOverwrite(n);
  if (b == null) return cache.lastError;
  store<u32>(b.data, value);
  cache.markDirty(b);
  if (hold) cache.hold(b);
  cache.release(b);
  return 0;
}

export function unhold(n: u64): void {
  const b = cache.peek(n);
  if (b != null) cache.unhold(b);
}
export function releasePinned(n: u64): void {
  if (pinned.has(n)) {
    cache.release(pinned.get(n));
    pinned.delete(n);
  }
}
export function sync(): i32 { return cache.sync(); }
export function close(): i32 { return cache.close(); }
export function drop(n: u64): void { cache.drop(n); }
export function isCached(n: u64): bool { return cache.peek(n) != null; }
export function cachedBlocks(): i32 { return cache.cachedBlocks; }
export function dirtyBlocks(): i32 { return cache.dirtyBlocks; }
export function hits(): u64 { return cache.stats.hits; }
export function misses(): u64 { return cache.stats.misses; }
export function evictions(): u64 { return cache.stats.evictions; }
export function writebacks(): u64 { return cache.stats.writebacks; }
export function overCapacity(): u64 { return cache.stats.overCapacity; }
export function liveCaches(): i32 { return blockCaches().length; }
export function diskWord(n: u64): u32 { return load<u32>(disk.data + <usize>(n * 4096)); }
export function hitRate(): f64 { return cache.hitRate; }

/** readBytes across blocks: returns the sum of the bytes read, or the error. */
export function readBytesSum(offset: u64, length: u32): i64 {
  const buf = heap.alloc(length);
  const r = readBytes(cache, offset, length, buf);
  if (r < 0) return r;
  let sum: i64 = 0;
  for (let i: u32 = 0; i < length; i++) sum += <i64>load<u8>(buf + i);
  heap.free(buf);
  return sum;
}
export function poke(offset: u64, value: u8): void { store<u8>(disk.data + <usize>offset, value); }

export function bench(random: bool, write: bool, qd: i32, kib: u32, mb: u64): string {
  const c = new BlockBenchConfig();
  c.random = random;
  c.write = write;
  c.queueDepth = qd;
  c.requestBytes = kib * 1024;
  c.totalBytes = mb << 20;
  const r = runBlockBench(disk, c);
  return r.requests.toString() + " " + r.bytes.toString() + " " + r.errors.toString() + " " + r.firstError.toString() +
    " " + r.latencyNs.length.toString();
}

export function shellRun(line: string): i32 { return consoleShell.execute(line); }
