// The memory subsystem on Node (kernel/mm compiled to wasm with a 64 MiB page-frame window):
// boot-time construction from a UEFI memory map, allocPages/freePages, kmalloc/kfree,
// movable blocks and compaction, statistics and the 100 ms sampler, the stress workload,
// the benchmark code, and the shell commands.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";
import { HostPlatform, COUNTER_HZ } from "../../host/platform.ts";
import { ENTRY, MEMORY_BASE, loadMm } from "./model.ts";
import { xorshift32 as xorshift } from "../../host/rng.ts";

const WINDOW_PAGES = MEMORY_BASE / 4096;
const RAM = 0x40000000n;
const MIB = 1n << 20n;


describe("page allocator: built from the UEFI memory map", function () {
  this.timeout(60000);
  // conventional, loader data (ours), boot-services data, runtime code, conventional, a hole,
  // conventional running past the window, and RAM below the window
  const map = [
    { type: 7, start: RAM, pages: 8192n },
    { type: 2, start: RAM + 32n * MIB, pages: 1024n },
    { type: 4, start: RAM + 36n * MIB, pages: 1024n },
    { type: 5, start: RAM + 40n * MIB, pages: 256n },
    { type: 3, start: RAM + 41n * MIB, pages: 768n },
    { type: 7, start: RAM + 48n * MIB, pages: 2048n },
    { type: 7, start: RAM + 60n * MIB, pages: 4096n }, // 4 MiB of it inside the window
    { type: 7, start: 0x30000000n, pages: 256n },
  ];
  let k: KernelModule<any>;
  before(async () => {
    const platform = new HostPlatform();
    platform.memmap = map;
    platform.customMemmap = true;
    k = await loadKernelModule(ENTRY, { memoryBase: MEMORY_BASE }, platform);
    k.exports.memInit();
  });

  it("manages exactly the usable pages inside the window, minus page 0 and its metadata", () => {
    const e = k.exports;
    // usable in the window: 8192 + 1024 (boot data) + 768 (boot code) + 2048 + 1024 (clipped)
    const usable = 8192 + 1024 + 768 + 2048 + 1024;
    const metadataPages = Math.ceil(e.memMetadataBytes() / 4096);
    assert.equal(e.memMetadata(), 4096, "metadata sits right above page 0");
    assert.equal(metadataPages, Math.ceil((512 + 8 + WINDOW_PAGES + WINDOW_PAGES * 8) / 4096));
    assert.equal(e.memManaged(), usable - 1 - metadataPages);
    assert.equal(e.memFreePages(), e.memManaged());
    assert.equal(e.memCheck(), "");
  });

  it("hands out only pages the map calls usable, until none is left", () => {
    const e = k.exports;
    const got: number[] = [];
    for (;;) {
      const a = e.memAlloc(0);
      if (a === 0) break;
      got.push(a);
    }
    assert.equal(got.length, e.memManaged());
    const inRange = (a: number) => {
      const phys = RAM + BigInt(a);
      return map.some((r) => [7, 4, 3].includes(r.type) && phys >= r.start && phys < r.start + r.pages * 4096n);
    };
    const metaEnd = e.memMetadata() + e.memMetadataBytes();
    for (const a of got) {
      assert.ok(a > 0 && a % 4096 === 0 && a < MEMORY_BASE);
      assert.ok(inRange(a), `page 0x${a.toString(16)} is not usable RAM`);
      assert.ok(a >= metaEnd, `page 0x${a.toString(16)} overlaps the metadata`);
    }
    assert.equal(new Set(got).size, got.length, "no page handed out twice");
    for (const a of got) assert.equal(e.memFree(a, 0), 0);
    assert.equal(e.memFreePages(), e.memManaged());
    assert.equal(e.memCheck(), "");
  });
});

describe("page allocator: allocPages / freePages", function () {
  this.timeout(60000);
  let k: KernelModule<any>;
  before(async () => {
    k = await loadMm();
    k.exports.memInit();
  });

  it("returns blocks aligned to their size for orders 0..10, and 0 beyond", () => {
    const e = k.exports;
    for (let order = 0; order <= 10; order++) {
      const a = e.memAlloc(order);
      assert.notEqual(a, 0);
      assert.equal(a % (4096 << order), 0, `order ${order} at 0x${a.toString(16)}`);
      assert.equal(e.memFree(a, order), 0);
    }
    for (const order of [11, 12, 31, 32, 0xffffffff]) assert.equal(e.memAlloc(order), 0);
    assert.equal(e.memCheck(), "");
  });

  it("allocPagesZeroed and kzalloc hand out zeros even where memory was dirty", () => {
    const e = k.exports;
    const a = e.memAlloc(1);
    new Uint8Array(k.memory.buffer).fill(0xee, a, a + 8192);
    assert.equal(e.memFree(a, 1), 0);
    const z = e.memAllocZeroed(1);
    assert.equal(z, a, "the same (dirty) block comes back");
    assert.ok(new Uint8Array(k.memory.buffer, z, 8192).every((b) => b === 0));
    assert.equal(e.memFree(z, 1), 0);
    const o = e.slabAlloc(100);
    new Uint8Array(k.memory.buffer).fill(0xee, o, o + 100);
    assert.equal(e.slabFree(o), 0);
    const oz = e.slabAllocZeroed(100);
    assert.equal(oz, o);
    assert.ok(new Uint8Array(k.memory.buffer, oz, 100).every((b) => b === 0));
    assert.equal(e.slabFree(oz), 0);
    e.slabRelease();
    assert.equal(e.memFreePages(), e.memManaged());
  });

  it("refuses double frees, foreign addresses and wrong orders with an error, changing nothing", () => {
    const e = k.exports;
    const free0 = e.memFreePages();
    const a = e.memAlloc(2);
    assert.equal(e.memFree(a, 2), 0);
    assert.equal(e.memFree(a, 2), -22, "double free");
    assert.equal(e.memFree(a + 4096, 0), -22, "a page inside a freed block");
    const b = e.memAlloc(3);
    assert.equal(e.memFree(b, 2), -34, "wrong order");
    assert.equal(e.memFree(b + 8192, 0), -14, "inside a live block");
    assert.equal(e.memFree(b + 1, 3), -14, "unaligned");
    assert.equal(e.memFree(0, 0), -14, "page 0");
    assert.equal(e.memFree(MEMORY_BASE, 0), -14, "outside the window");
    assert.equal(e.memFree(e.memMetadata(), 0), -14, "the allocator's own metadata");
    assert.equal(e.memFree(b, 11), -34, "order out of range");
    const s = e.slabAlloc(64);
    assert.equal(e.memFree(s & ~4095, 0), -14, "a slab page is not the caller's");
    assert.equal(e.slabFree(s), 0);
    assert.equal(e.memFree(b, 3), 0);
    e.slabRelease(); // the emptied slab was cached
    assert.equal(e.memFreePages(), free0);
    assert.equal(e.memCheck(), "");
    e.shellRun("memctl stats");
    assert.match(k.platform.takeOutput(), /refused frees: +page double 2, foreign 6, wrong order 2/);
  });
});

describe("slab allocator: kmalloc / kfree", function () {
  this.timeout(60000);
  let k: KernelModule<any>;
  before(async () => {
    k = await loadMm();
    k.exports.memInit();
  });

  it("serves 1..2048 bytes from size classes 16..2048, aligned to the class size", () => {
    const e = k.exports;
    const ptrs: number[] = [];
    for (let size = 1; size <= 2048; size += 37) {
      const p = e.slabAlloc(size);
      const cls = Math.max(16, 1 << Math.ceil(Math.log2(size)));
      assert.equal(p % cls, 0, `kmalloc(${size}) at 0x${p.toString(16)} not aligned to ${cls}`);
      ptrs.push(p);
    }
    for (const p of ptrs) assert.equal(e.slabFree(p), 0);
    assert.equal(e.memCheck(), "");
  });

  it("reuses the object freed last (LIFO)", () => {
    const e = k.exports;
    const keep = e.slabAlloc(64);
    const a = e.slabAlloc(64);
    const b = e.slabAlloc(64);
    assert.equal(e.slabFree(a), 0);
    assert.equal(e.slabAlloc(64), a);
    assert.equal(e.slabFree(b), 0);
    assert.equal(e.slabAlloc(64), b);
    for (const p of [a, b, keep]) assert.equal(e.slabFree(p), 0);
  });

  it("detects double frees and foreign pointers without corrupting anything", () => {
    const e = k.exports;
    const p = e.slabAlloc(128);
    const q = e.slabAlloc(128);
    assert.equal(e.slabFree(p), 0);
    assert.equal(e.slabFree(p), -22, "double free");
    assert.equal(e.slabFree(q + 8), -14, "inside an object");
    assert.equal(e.slabFree(q & ~4095), -14, "the slab header");
    const page = e.memAlloc(0);
    assert.equal(e.slabFree(page), -14, "a page from allocPages");
    assert.equal(e.slabFree(MEMORY_BASE + 4096), -14, "the AS heap");
    assert.equal(e.slabFree(0), 0, "kfree(0) is a no-op");
    assert.equal(e.slabDoubleFrees(), 1n);
    assert.equal(e.slabForeignFrees(), 4n);
    assert.equal(e.slabFree(q), 0);
    assert.equal(e.memFree(page, 0), 0);
    assert.equal(e.memCheck(), "");
  });

  it("falls through to the buddy allocator above 2048 bytes", () => {
    const e = k.exports;
    const free0 = e.memFreePages();
    const p = e.slabAlloc(2049);
    assert.equal(p % 4096, 0);
    assert.equal(e.memFreePages(), free0 - 1);
    const big = e.slabAlloc(5 * 4096);
    assert.equal(big % (8 * 4096), 0, "5 pages round up to an order-3 block");
    assert.equal(e.memFreePages(), free0 - 9);
    assert.equal(e.slabAlloc(5 << 20), 0, "more than 4 MiB fails cleanly");
    assert.equal(e.slabFree(big + 4096), -14);
    assert.equal(e.slabFree(p), 0);
    assert.equal(e.slabFree(big), 0);
    assert.equal(e.slabFree(big), -22);
    assert.equal(e.memFreePages(), free0);
  });

  it("moves slabs between partial, full and empty lists and keeps metadata under 10%", () => {
    const e = k.exports;
    e.slabRelease();
    const objs: number[] = [];
    for (let i = 0; i < 63 * 3; i++) objs.push(e.slabAlloc(64)); // 3 full slabs of 63
    assert.equal(e.slabList(2, 1), 3, "three full slabs");
    assert.equal(e.slabList(2, 0), 0);
    assert.equal(e.slabFree(objs.pop()), 0);
    assert.equal(e.slabList(2, 0), 1, "one partial after a free");
    for (const p of objs) assert.equal(e.slabFree(p), 0);
    assert.equal(e.slabList(2, 2), 2, "two empty slabs kept");
    assert.equal(e.slabSlabs(2), 2, "the third went back to the buddy allocator");
    assert.equal(e.slabInUse(2), 0n);
    for (let c = 0; c < 8; c++) assert.ok(e.slabOverheadOf(c) < 0.1, `class ${c} overhead ${e.slabOverheadOf(c)}`);
    assert.ok(e.slabHit(2) > 0.9, `hit rate ${e.slabHit(2)}`);
    assert.equal(e.memCheck(), "");
  });

  it("randomized: 200,000 kmalloc/kfree keep every object's contents and give all pages back", () => {
    const e = k.exports;
    e.slabRelease();
    const free0 = e.memFreePages();
    const rnd = xorshift(7);
    const live = new Map<number, [number, number]>(); // ptr -> [size, fill byte]
    const ptrs: number[] = [];
    let mem = new Uint8Array(k.memory.buffer);
    for (let op = 0; op < 200000; op++) {
      if (rnd() % 100 < 55 || ptrs.length === 0) {
        const size = 1 + (rnd() % (rnd() & 1 ? 256 : 4096));
        const p = e.slabAlloc(size);
        assert.notEqual(p, 0);
        assert.ok(!live.has(p), "an object handed out twice");
        const fill = op & 255;
        mem = new Uint8Array(k.memory.buffer);
        mem.fill(fill, p, p + size);
        live.set(p, [size, fill]);
        ptrs.push(p);
      } else {
        const i = rnd() % ptrs.length;
        const p = ptrs[i];
        const [size, fill] = live.get(p)!;
        mem = new Uint8Array(k.memory.buffer);
        for (let j = 0; j < size; j += 61) if (mem[p + j] !== fill) assert.fail(`object 0x${p.toString(16)} overwritten`);
        if (mem[p + size - 1] !== fill) assert.fail(`object 0x${p.toString(16)} overwritten at its end`);
        assert.equal(e.slabFree(p), 0);
        live.delete(p);
        ptrs[i] = ptrs[ptrs.length - 1];
        ptrs.pop();
      }
      if (op % 20000 === 0) assert.equal(e.memCheck(), "");
    }
    for (const p of ptrs) assert.equal(e.slabFree(p), 0);
    e.slabRelease();
    assert.equal(e.slabPages(), 0);
    assert.equal(e.memFreePages(), free0);
    assert.equal(e.memCheck(), "");
  });
});

describe("compaction and movable blocks", function () {
  this.timeout(60000);
  let k: KernelModule<any>;
  before(async () => {
    k = await loadMm();
    k.exports.memInit();
  });

  it("migrates scattered movable pages into fewer regions: the largest free block grows, contents survive", () => {
    const e = k.exports;
    const rnd = xorshift(99);
    const owners: number[] = [];
    for (let owner = 0; ; owner++) {
      if (e.movAlloc(0, owner) === 0) break;
      owners.push(owner);
    }
    // free 85% at random: every region keeps a few pages
    const kept: number[] = [];
    for (const o of owners) {
      if (rnd() % 100 < 85) assert.equal(e.movFree(o, 0), 0);
      else kept.push(o);
    }
    const pinned = e.memAlloc(0); // an unmovable page: its region cannot be emptied
    const before = e.statsLargest();
    assert.ok(before < 1024, `memory is fragmented (largest block ${before} pages)`);
    const fields = e.compact(1 << 20).split(",");
    const [largestBefore, largestAfter, , blocks, pages, regions, order] = fields.map(Number);
    assert.equal(largestBefore, before);
    assert.equal(largestAfter, 1024, `largest free block after compaction: ${largestAfter}`);
    assert.ok(regions > 0 && blocks > 0 && pages === blocks);
    assert.equal(order, 10);
    assert.ok(Number(fields[9]) < Number(fields[8]), "fragmentation went down");
    assert.equal(e.movRelocations(), blocks, "the owner was told about every migration");
    assert.equal(e.movRelocationErrors(), 0);
    for (const o of kept) assert.equal(e.movCorrupt(o, 0), false, `owner ${o}'s page lost its contents`);
    assert.equal(e.memCheck(), "");
    for (const o of kept) assert.equal(e.movFree(o, 0), 0, "blocks are freed at their new address");
    assert.equal(e.memFree(pinned, 0), 0);
    assert.equal(e.memFreePages(), e.memManaged());
  });

  it("respects the page budget and returns empty slabs", () => {
    const e = k.exports;
    const objs: number[] = [];
    for (let i = 0; i < 2000; i++) objs.push(e.slabAlloc(256));
    for (const p of objs) e.slabFree(p);
    assert.ok(e.slabPages() > 0, "empty slabs are cached");
    for (let o = 0; o < 3000; o++) e.movAlloc(0, o);
    for (let o = 0; o < 3000; o++) if (o % 8 !== 0) e.movFree(o, 0);
    const relocationsBefore = e.movRelocations();
    const fields = e.compact(10).split(",");
    assert.ok(Number(fields[2]) > 0, "slab pages released");
    assert.equal(e.slabPages(), 0);
    assert.ok(Number(fields[4]) <= 10, `budget of 10 pages, migrated ${fields[4]}`);
    assert.equal(e.movRelocations() - relocationsBefore, Number(fields[3]));
    assert.equal(e.memCheck(), "");
    for (let o = 0; o < 3000; o += 8) assert.equal(e.movFree(o, 0), 0);
    assert.equal(e.memFreePages(), e.memManaged());
  });
});

describe("memory statistics", function () {
  this.timeout(60000);
  let k: KernelModule<any>;
  before(async () => {
    k = await loadMm();
    k.exports.memInit();
  });

  it("defines fragmentation as the share of free memory outside order-10 blocks", () => {
    const e = k.exports;
    const free = e.memFreePages();
    assert.ok(Math.abs(e.statsFragmentation() - (1 - (e.bFreeBlocks(10) * 1024) / free)) < 1e-12);
    // take two whole pageblocks, give back every other page: free memory outside big blocks grows
    const pages: number[] = [];
    for (let i = 0; i < 2048; i++) pages.push(e.memAlloc(0));
    const before = e.statsFragmentation();
    for (let i = 0; i < 2048; i += 2) assert.equal(e.memFree(pages[i], 0), 0);
    const after = e.statsFragmentation();
    assert.ok(after > before, `fragmentation ${before} -> ${after}`);
    assert.ok(Math.abs(after - (1 - (e.bFreeBlocks(10) * 1024) / e.memFreePages())) < 1e-12);
    for (let i = 1; i < 2048; i += 2) assert.equal(e.memFree(pages[i], 0), 0);
    assert.ok(Math.abs(e.statsFragmentation() - before) < 0.2);
  });

  it("samples every 100 ms from a periodic kernel task into a ring of 600 (60 s)", () => {
    const e = k.exports;
    const p = k.platform;
    const tick = (ms: number) => (p.fixedCounter = (p.fixedCounter ?? 0n) + (COUNTER_HZ * BigInt(ms)) / 1000n);
    p.fixedCounter = COUNTER_HZ * 1000n;
    e.loopPollers(); // memInit started the sampler as the periodic task "memstat" (as kernel/init.ts does)
    const n0 = e.statsHistoryLength();
    for (let i = 0; i < 10; i++) {
      tick(50);
      e.loopPollers();
    }
    assert.equal(e.statsHistoryLength() - n0, 5, "one sample per 100 ms");
    // allocations per second: 200 allocations (and 200 frees) in one 100 ms interval
    const held: number[] = [];
    for (let i = 0; i < 200; i++) held.push(e.memAlloc(0));
    tick(100);
    e.loopPollers();
    const last = e.statsHistory(e.statsHistoryLength() - 1).split(",");
    assert.equal(Number(last[5]), 2000, "200 allocations in 0.1 s = 2000/s");
    assert.equal(Number(last[1]), e.memFreePages());
    for (const a of held) e.memFree(a, 0);
    for (let i = 0; i < 700; i++) {
      tick(100);
      e.loopPollers();
    }
    assert.equal(e.statsHistoryLength(), 600);
    const first = Number(e.statsHistory(0).split(",")[0]);
    const newest = Number(e.statsHistory(599).split(",")[0]);
    assert.equal(newest - first, 59_900_000, "60 s of history, oldest first");
    const snap = e.statsSnapshot().split(",");
    assert.equal(Number(snap[0]), e.memManaged());
    p.fixedCounter = null;
  });
});

describe("stress workload (kernel/mm/stress.ts)", function () {
  this.timeout(60000);
  let k: KernelModule<any>;
  before(async () => {
    k = await loadMm();
    k.exports.memInit();
  });

  function run(seed: bigint, pressure: number, steps: number, keep = false): string[] {
    const e = k.exports;
    assert.equal(e.stStart(seed, pressure), 0);
    for (let i = 0; i < steps; i++) e.stStep();
    e.stStop(keep);
    return e.stStats().split(",");
  }

  it("high pressure runs memory to allocation failure and gives every page back", () => {
    const e = k.exports;
    const s = run(1n, 1, 400);
    const [ops, allocs, frees, failures, corrupt, freeErrors, , , start, end] = s.map(Number);
    assert.equal(ops, 400 * 256);
    assert.ok(failures > 10, `failures ${failures}`);
    assert.equal(allocs, frees);
    assert.equal(corrupt, 0);
    assert.equal(freeErrors, 0);
    assert.equal(end, start, "free pages return to the starting value");
    assert.equal(e.memCheck(), "");
  });

  it("is reproducible: the same seed gives the same run, another seed another", () => {
    const a = run(42n, 1, 200);
    const b = run(42n, 1, 200);
    const c = run(43n, 1, 200);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it("low pressure stays around half of memory with no failures", () => {
    const s = run(5n, 0, 400).map(Number);
    assert.equal(s[3], 0);
    const peak = s[10];
    assert.ok(peak < s[8] * 0.6 && peak > s[8] * 0.3, `peak ${peak} of ${s[8]} pages`);
  });

  it("kept allocations can be compacted (contents checked) and released", () => {
    const e = k.exports;
    const s = run(9n, 1, 300, true).map(Number);
    assert.ok(e.stLive() > 0);
    const before = e.statsLargest();
    const fields = e.compact(1 << 20).split(",").map(Number);
    assert.ok(fields[1] > before, `largest ${before} -> ${fields[1]}`);
    assert.equal(e.stVerify(), 0, "migrated allocations kept their tags");
    const after = e.stStats().split(",").map(Number);
    assert.equal(after[6], fields[3], "the workload saw every migration");
    assert.equal(after[7], 0);
    assert.ok(e.stRelease() > 0);
    const done = e.stStats().split(",").map(Number);
    assert.equal(done[9], s[8], "all pages back");
    assert.equal(done[4], 0);
    assert.equal(e.memCheck(), "");
  });
});

describe("memory shell commands (on Node)", function () {
  this.timeout(60000);
  let k: KernelModule<any>;
  before(async () => {
    k = await loadMm();
    k.exports.memInit();
  });
  const run = (line: string) => {
    const status = k.exports.shellRun(line);
    return { status, out: k.platform.takeOutput() };
  };
  const oneError = (line: string) => {
    const { status, out } = run(line);
    assert.equal(status, 1, line);
    assert.equal(out.split("\r\n").filter(Boolean).length, 1, `'${line}' printed: ${out}`);
    assert.match(out, /^error: /, line);
  };

  it("memctl stats, slab, check, history and compact report the allocator", () => {
    let r = run("memctl stats");
    assert.equal(r.status, 0);
    assert.match(r.out, /managed: +63\.\d+ MiB \(\d+ pages\), 99\.\d% of RAM/);
    assert.match(r.out, /largest free: +4\.00 MiB \(1024 pages\), order 10/);
    assert.match(r.out, /fragmentation: +0\.\d{3}/);
    r = run("memctl slab");
    assert.match(r.out, /^size +obj\/slab +in use/);
    assert.match(r.out, /^16 +252 /m);
    assert.match(r.out, /^2048 +31 /m);
    assert.match(run("memctl check").out, /consistent/);
    assert.match(run("memctl history --last 3").out, /samples kept, one every 100 ms/);
    r = run("memctl compact");
    assert.equal(r.status, 0);
    assert.match(r.out, /largest free block: .* -> /);
    assert.match(r.out, /migrated: +\d+ blocks/);
    assert.match(run("meminfo").out, /managed by the page allocator: 63\.\d+ MiB \(99\.\d% of RAM\)/);
  });

  it("stresstest mem prints progress and a summary and returns every page", () => {
    const r = run("stresstest mem --pressure high --seconds 1 --seed 3");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /\[ +1 s\] free +\d+ pages, largest block +\d+, fragmentation \d\.\d{3}, failures \d+/);
    assert.match(r.out, /summary: \d+ operations/);
    assert.match(r.out, /data check: 0 corrupt/);
    assert.match(r.out, /free pages: (\d+) at the start, \1 at the end \(all returned\)/);
  });

  it("bench mem prints one JSON line per benchmark", () => {
    const r = run("bench mem --samples 10");
    assert.equal(r.status, 0);
    const lines = r.out.split("\r\n").filter(Boolean).map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.name), ["buddy_order0_alloc_free", "buddy_order3_alloc_free",
      "buddy_order0_alloc_free_split10", "slab_16_alloc_free", "slab_64_alloc_free", "slab_256_alloc_free", "slab_1024_alloc_free"]);
    for (const l of lines) {
      assert.equal(l.unit, "ns");
      assert.equal(l.batch, 64);
      assert.equal(l.n, 10);
      assert.ok(l.p50 > 0 && l.p99 >= l.p50 && l.mean > 0);
    }
    assert.equal(k.exports.memFreePages(), k.exports.memManaged(), "the benchmark leaves nothing allocated");
  });

  it("bad arguments give one error line", () => {
    for (const line of ["memctl", "memctl frob", "memctl stats now", "memctl compact --max-pages x",
      "memctl history --last 0", "stresstest mem --pressure medium", "stresstest mem --seconds 0",
      "stresstest mem --seconds 601", "stresstest mem --seed -3", "stresstest mem --bogus", "stresstest mem extra",
      "stresstest mem --release --seed 1", "bench mem --samples 1", "bench mem now"]) {
      oneError(line);
    }
  });
});
