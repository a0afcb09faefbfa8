// The memory subsystem in QEMU (1 GiB): the page allocator manages >= 90% of RAM, the slab
// allocator reports its classes, compaction makes the largest free block larger after a
// fragmenting stresstest, a high-pressure stresstest runs into allocation failure and the
// shell keeps answering, bad arguments give one error line.
import assert from "node:assert/strict";
import { bootForSuite } from "./helpers.ts";

describe("target: memory (buddy, slab, compaction, stresstest)", function () {
  this.timeout(180000);
  const qemu = bootForSuite({ systemDisk: null });

  it("the page allocator manages at least 90% of the 1 GiB, built in well under 100 ms", async () => {
    const banner = qemu.get().serialLog.match(/memory: +1\.00 GiB RAM found, [\d.]+ MiB usable, ([\d.]+) MiB managed by the page allocator \(built in ([\d.]+) ms\)/);
    assert.ok(banner, "banner shows the managed amount");
    console.log(`      banner: ${banner![1]} MiB managed, allocator built in ${banner![2]} ms`);
    assert.ok(Number(banner![2]) < 100);
    const meminfo = await qemu.get().run("meminfo");
    const m = meminfo.match(/managed by the page allocator: ([\d.]+) MiB \(([\d.]+)% of RAM\)/);
    assert.ok(m, meminfo);
    assert.ok(Number(m![2]) >= 90, `${m![2]}% managed`);
    const stats = await qemu.get().run("memctl stats");
    const s = stats.match(/managed: +[\d.]+ MiB \((\d+) pages\), ([\d.]+)% of RAM/);
    assert.ok(s, stats);
    assert.ok(Number(s![1]) >= 0.9 * 262144, `${s![1]} pages managed`);
    assert.match(stats, /largest free: +4\.00 MiB \(1024 pages\), order 10/);
    assert.match(await qemu.get().run("memctl check"), /^buddy and slab allocators consistent\n$/);
  });

  it("memctl slab lists the eight size classes with hit rate and overhead", async () => {
    const out = await qemu.get().run("memctl slab");
    for (const size of [16, 32, 64, 128, 256, 512, 1024, 2048]) assert.match(out, new RegExp(`^${size} +\\d+ +\\d+ `, "m"));
    assert.match(out, /hit rate +overhead/);
    assert.match(out, /^total: /m);
  });

  it("memctl compact makes the largest free block larger after a fragmenting stresstest", async () => {
    const s = qemu.get();
    const stress = await s.run("stresstest mem --pressure high --seconds 3 --seed 7 --keep", 120000);
    assert.match(stress, /\[ +1 s\] free +\d+ pages, largest block/);
    assert.match(stress, /kept \d+ allocations/);
    const compact = await s.run("memctl compact", 120000);
    const m = compact.match(/largest free block: .* \((\d+) pages?\) -> .* \((\d+) pages?\)/);
    assert.ok(m, compact);
    const [before, after] = [Number(m![1]), Number(m![2])];
    console.log(`      largest free block ${before} -> ${after} pages; ${compact.match(/migrated: +(.*)/)![1]}`);
    assert.ok(before < 1024, "the kept workload left memory fragmented");
    assert.ok(after > before, `compaction: ${before} -> ${after}`);
    assert.match(await s.run("memctl check"), /consistent/);
    const release = await s.run("stresstest mem --release", 120000);
    const r = release.match(/\((\d+) corrupt\); free pages (\d+) at the start, (\d+) now/);
    assert.ok(r, release);
    assert.equal(r![1], "0", "migrated allocations kept their contents");
    assert.equal(r![2], r![3], "every page came back");
  });

  it("stresstest mem --pressure high runs into allocation failure, frees everything, and the shell answers", async () => {
    const s = qemu.get();
    const out = await s.run("stresstest mem --pressure high --seconds 3 --seed 11", 120000);
    assert.equal((out.match(/^\[ +\d+ s\] free/gm) ?? []).length, 3, "progress every second");
    const failures = Number(out.match(/allocator failure counter \+(\d+)/)![1]);
    assert.ok(failures > 0, "allocations failed");
    assert.match(out, /data check: 0 corrupt allocations; refused frees 0/);
    assert.match(out, /free pages: (\d+) at the start, \1 at the end \(all returned\)/);
    assert.equal(await s.run("echo still here"), "still here\n");
    const stats = await s.run("memctl stats");
    assert.match(stats, new RegExp(`failures: +\\d+ allocations failed`));
    assert.match(stats, /history: +\d+ samples over/);
  });

  it("bench mem prints JSON lines", async () => {
    const out = await qemu.get().run("bench mem --samples 20", 120000);
    const lines = out.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 7);
    for (const l of lines) assert.equal(l.where, "qemu");
  });

  it("bad arguments give one error line and change nothing", async () => {
    const s = qemu.get();
    for (const line of ["memctl", "memctl bogus", "memctl compact --max-pages -1", "stresstest mem --pressure extreme",
      "stresstest mem --seconds 9999", "stresstest mem --seed x", "bench mem --samples 0"]) {
      const out = await s.run(line);
      assert.equal(out.split("\n").filter(Boolean).length, 1, `${line}: ${out}`);
      assert.match(out, /^error: /, line);
    }
    assert.match(await s.run("memctl check"), /consistent/);
  });
});
