// The buffer cache on Node over a RAM disk that logs device operations: hits and misses,
// LRU eviction (clean before dirty), pins, the journal's hold, sync order and the flush
// barrier, error paths, bounded memory, statistics in lsblk, and the benchmark engine.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";

const ENTRY = "tests/unit/block/cache.entry.ts";
let m: KernelModule<any>;
let k: any;

before(async () => {
  m = await loadKernelModule(ENTRY);
  k = m.exports;
});

describe("block cache", () => {
  beforeEach(() => {
    k.reset(4);
    k.takeLog();
  });

  it("reads a block once: a miss, then hits", () => {
    assert.equal(k.get(3n, false), 1003n);
    assert.equal(k.get(3n, false), 1003n);
    assert.equal(k.get(3n, false), 1003n);
    assert.equal(k.takeLog(), "R3");
    assert.equal(k.misses(), 1n);
    assert.equal(k.hits(), 2n);
    assert.ok(Math.abs(k.hitRate() - 2 / 3) < 1e-9);
  });

  it("evicts the least recently used block when full", () => {
    for (const n of [0n, 1n, 2n, 3n]) k.get(n, false);
    k.get(0n, false); // 1 is now the oldest
    k.get(4n, false);
    assert.equal(k.isCached(1n), false);
    assert.equal(k.isCached(0n), true);
    assert.equal(k.cachedBlocks(), 4);
    assert.equal(k.evictions(), 1n);
  });

  it("prefers evicting a clean block over writing back an older dirty one", () => {
    k.put(0n, 7, false); // dirty, oldest
    k.get(1n, false);
    k.get(2n, false);
    k.get(3n, false);
    k.takeLog();
    k.get(4n, false);
    assert.equal(k.takeLog(), "R4", "no write-back was needed");
    assert.equal(k.isCached(0n), true);
    assert.equal(k.isCached(1n), false);
  });

  it("writes a dirty block back when it is the only candidate", () => {
    k.reset(2);
    k.put(0n, 7, false);
    k.put(1n, 8, false);
    k.takeLog();
    k.get(2n, false);
    assert.equal(k.takeLog(), "W0 R2");
    assert.equal(k.diskWord(0n), 7);
    assert.equal(k.writebacks(), 1n);
  });

  it("never evicts pinned blocks; grows past capacity only when all are pinned, then shrinks", () => {
    for (const n of [0n, 1n, 2n, 3n]) k.get(n, true);
    k.get(4n, false);
    assert.equal(k.cachedBlocks(), 5);
    assert.equal(k.overCapacity(), 1n);
    for (const n of [0n, 1n, 2n, 3n]) assert.equal(k.isCached(n), true);
    for (const n of [0n, 1n, 2n, 3n]) k.releasePinned(n);
    k.get(5n, false);
    assert.equal(k.cachedBlocks(), 4, "back within capacity");
  });

  it("keeps a held block away from its home location (eviction and sync) until unhold", () => {
    k.put(9n, 42, true);
    for (const n of [10n, 11n, 12n, 13n, 14n]) k.get(n, false);
    assert.equal(k.isCached(9n), true, "held blocks are not evicted");
    k.takeLog();
    assert.equal(k.sync(), 0);
    assert.equal(k.takeLog(), "F", "sync skips the held block but still flushes");
    assert.equal(k.diskWord(9n), 1009);
    k.unhold(9n);
    assert.equal(k.sync(), 0);
    assert.equal(k.takeLog(), "W9 F");
    assert.equal(k.diskWord(9n), 42);
  });

  it("sync writes dirty blocks in block order, then the flush barrier", () => {
    k.reset(8);
    for (const n of [12n, 5n, 9n]) k.put(n, 1, false);
    k.get(3n, false);
    k.takeLog();
    assert.equal(k.sync(), 0);
    assert.equal(k.takeLog(), "W5 W9 W12 F");
    assert.equal(k.dirtyBlocks(), 0);
  });

  it("reports a failed write-back from sync and keeps the block dirty", () => {
    k.put(6n, 1, false);
    k.setFailures(false, true);
    assert.equal(k.sync(), -5);
    assert.equal(k.dirtyBlocks(), 1);
    k.setFailures(false, false);
    assert.equal(k.sync(), 0);
    assert.equal(k.dirtyBlocks(), 0);
  });

  it("returns the read error and caches nothing when the device fails", () => {
    k.setFailures(true, false);
    assert.equal(k.get(2n, false), -5n);
    assert.equal(k.isCached(2n), false);
    k.setFailures(false, false);
    assert.equal(k.get(2n, false), 1002n);
    assert.equal(k.get(128n, false), -22n, "past the end");
  });

  it("drop forgets a block without writing it", () => {
    k.put(4n, 99, false);
    k.drop(4n);
    assert.equal(k.isCached(4n), false);
    assert.equal(k.sync(), 0);
    assert.equal(k.takeLog(), "F");
    assert.equal(k.diskWord(4n), 1004);
  });

  it("readBytes crosses block boundaries", () => {
    k.poke(4095n, 3);
    k.poke(4096n + 5n, 4);
    // bytes 4090..4106: the 3, then the 4 bytes of 1001 (0xe9 0x03 0 0), then the 4
    assert.equal(k.readBytesSum(4090n, 16), 3n + 0xe9n + 3n + 4n);
  });

  it("close writes back, empties the cache and removes it from the list lsblk shows", () => {
    k.put(1n, 5, false);
    assert.equal(k.liveCaches(), 1);
    m.platform.takeOutput();
    k.shellRun("lsblk");
    const out = m.platform.takeOutput().replace(/\r\n/g, "\n");
    assert.match(out, /^  ram0 +512\.0 KiB +1024 +no +- +-$/m);
    assert.match(out, /^  DEVICE +BLOCK +CACHED +CAPACITY +MEMORY +DIRTY +HITS +MISSES +HIT% +EVICTIONS +WRITEBACKS +OVER$/m);
    assert.match(out, /^  ram0 +4096 +1 +4 +4\.00 KiB +1 +0 +0 +0\.0 +0 +0 +0$/m);
    assert.equal(k.close(), 0);
    assert.equal(k.diskWord(1n), 5);
    assert.equal(k.cachedBlocks(), 0);
    assert.equal(k.liveCaches(), 0);
  });
});

describe("block benchmark engine", () => {
  beforeEach(() => k.reset(4));

  it("runs the requested number of requests at any queue depth on a queue-less device", () => {
    assert.equal(k.bench(false, false, 1, 4, 1n), "256 1048576 0 0 256");
    assert.equal(k.bench(true, true, 32, 64, 2n), "32 2097152 0 0 32");
  });

  it("reports device errors and refusals", () => {
    k.setFailures(true, false);
    assert.equal(k.bench(false, false, 4, 4, 1n).split(" ").slice(2, 4).join(" "), "256 -5");
    k.setFailures(false, false);
    assert.equal(k.bench(false, false, 4, 1024, 1n), "0 0 0 -22 0", "1 MiB requests do not fit a 512 KiB disk");
  });
});
