// make bench-linux's comparison and the Linux guest's initramfs, without QEMU: the parsers
// read real SIS output lines, ratios point the right way for "higher" and "lower" rows, the
// table and chart carry every measured row, the cpio archive has the layout the kernel reads,
// and the module load order puts dependencies first.
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { blkctlFigure, jsonField, compareRows, ratio, median, markdownTable, ratioChartSvg, verdict, WORKLOADS } from "../../../bench/linux/compare.ts";
import { cpioNewc, modinfo, loadOrder } from "../../../bench/linux/initramfs.ts";

describe("bench: Linux comparison", function () {
  it("reads blkctl bench and bench fs output", function () {
    const blk = "vdb: sequential read, 1 MiB requests, queue depth 1: 64 MiB in 0.061 s\n  throughput 1096.2 MB/s, 1045 IOPS\n";
    assert.equal(blkctlFigure(blk, "MB/s"), 1096.2);
    assert.equal(blkctlFigure(blk, "IOPS"), 1045);
    assert.equal(blkctlFigure("error: vdb: no such device", "MB/s"), null);
    const fsOut = '{"name":"fs.create_small_file","unit":"us","n":1000,"p50":300}\n{"name":"fs.create_files_per_s","unit":"files/s","n":1000,"p50":1369.9}\n';
    assert.equal(jsonField(fsOut, "fs.create_files_per_s", "p50"), 1369.9);
    assert.equal(jsonField(fsOut, "fs.missing", "p50"), null);
    const create = WORKLOADS.find((w) => w.name === "ext4_create_1000_sync")!;
    assert.ok(Math.abs(create.sis!(fsOut)! - 1000 / 1369.9) < 1e-9);
    const fsync = WORKLOADS.find((w) => w.name === "ext4_append_4k_fsync_p50")!;
    assert.equal(fsync.sis!('{"name":"fs.fsync_after_4k_append","unit":"us","p50":1460}'), 1.46);
  });

  it("reads procbench's lines the same way for both kernels (process start rows)", function () {
    const out = '{"name":"proc.getpid","unit":"ns","p50":2031,"p99":94276,"n":20000}\n' +
      '{"name":"proc.fork_exec_wait_hello","unit":"us","p50":608.2,"p99":5716.4,"n":20}\n' +
      '{"name":"proc.busybox_sh_c_true","unit":"us","p50":1325.8,"p99":158256.4,"n":20}\n';
    const bb = WORKLOADS.find((w) => w.name === "proc_busybox_sh_c_true")!;
    assert.equal(bb.linux, "procbench 20");
    assert.deepEqual(bb.sisCommands, ["exec /bin/procbench 20"]);
    const near = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${a} != ${b}`);
    near(bb.sis!(out), 1.3258);
    near(bb.linuxValue!(out), 1.3258);
    near(WORKLOADS.find((w) => w.name === "proc_getpid")!.linuxValue!(out), 2.031);
    near(WORKLOADS.find((w) => w.name === "proc_fork_exec_wait_hello")!.sis!(out), 0.6082);
    assert.equal(bb.sis!("procbench: /bin/hello failed\n"), null);
    assert.equal(ratio(bb.better, 5, 1.3258)! > 1, true); // faster than Linux: SIS ahead
  });

  it("ratio above 1 means SIS ahead for both directions", function () {
    assert.equal(ratio("higher", 100, 200), 2);
    assert.equal(ratio("lower", 0.53, 0.73)! < 1, true); // SIS slower on a time row
    assert.equal(ratio("lower", 2, 1), 2);
    assert.equal(ratio("higher", null, 3), null);
    assert.equal(ratio("higher", 0, 3), null);
    assert.equal(verdict(0.5), "SIS 2.00x behind");
    assert.equal(verdict(1.5), "SIS 1.50x ahead");
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
  });

  it("rows, table and chart", function () {
    const rows = compareRows([
      { name: "rand_read_4k_qd1", linux: [4885, 5000, 4700], sis: [11284, 11000, 12000] },
      { name: "ext4_create_1000_sync", linux: [0.53], sis: [0.73] },
    ]);
    assert.equal(rows.length, WORKLOADS.length);
    const rand = rows.find((r) => r.name === "rand_read_4k_qd1")!;
    assert.deepEqual([rand.linux, rand.sis, rand.better], [4885, 11284, "higher"]);
    assert.ok(Math.abs(rand.ratio! - 11284 / 4885) < 1e-12);
    const create = rows.find((r) => r.name === "ext4_create_1000_sync")!;
    assert.ok(Math.abs(create.ratio! - 0.53 / 0.73) < 1e-12);
    const unmeasured = rows.find((r) => r.name === "seq_read_1m_qd1")!;
    assert.equal(unmeasured.ratio, null);
    const table = markdownTable(rows);
    assert.match(table, /\| rand_read_4k_qd1 \| IOPS \| 4,885 \| 11,284 \| 2\.31 \| SIS 2\.31x ahead \| higher \|/);
    assert.match(table, /\| ext4_create_1000_sync \| s \| 0\.530 \| 0\.730 \| 0\.73 \| SIS 1\.38x behind \| lower \|/);
    const svg = ratioChartSvg(rows, "t");
    assert.equal((svg.match(/<rect x=/g) ?? []).length, 2); // one bar per measured row
    assert.match(svg, /fill="#3a3"/); // ahead: green
    assert.match(svg, /fill="#c33"/); // behind: red
  });
});

describe("bench: Linux guest initramfs", function () {
  it("writes a newc cpio archive the kernel can unpack", function () {
    const a = cpioNewc([{ name: "bin", mode: 0o040755 }, { name: "init", mode: 0o100755, data: Buffer.from("#!/bin/sh\n") },
      { name: "bin/sh", mode: 0o120777, target: "busybox" }]);
    assert.equal(a.length % 4, 0);
    // parse it back: magic, sizes, 4-byte alignment of names and bodies
    const names: string[] = [];
    let at = 0;
    for (;;) {
      assert.equal(a.subarray(at, at + 6).toString(), "070701");
      const field = (i: number) => parseInt(a.subarray(at + 6 + i * 8, at + 14 + i * 8).toString(), 16);
      const size = field(6), nameLen = field(11);
      const name = a.subarray(at + 110, at + 110 + nameLen - 1).toString();
      names.push(name);
      at = Math.ceil((at + 110 + nameLen) / 4) * 4;
      if (name === "init") assert.equal(a.subarray(at, at + size).toString(), "#!/bin/sh\n");
      if (name === "bin/sh") assert.equal(a.subarray(at, at + size).toString(), "busybox");
      at = Math.ceil((at + size) / 4) * 4;
      if (name === "TRAILER!!!") break;
    }
    assert.deepEqual(names, ["bin", "init", "bin/sh", "TRAILER!!!"]);
    assert.equal(at, a.length);
    assert.ok(zlib.gunzipSync(zlib.gzipSync(a)).equals(a));
  });

  it("orders modules by their .modinfo depends and softdep", function () {
    const ko = (info: string) => Buffer.from("\x7fELF junk\0" + info.split(";").join("\0") + "\0more");
    const mods: Record<string, Buffer> = {
      ext4: ko("license=GPL;depends=jbd2,mbcache,crc16;softdep=pre: crypto-crc32c"),
      jbd2: ko("depends=;softdep=pre: crypto-crc32c"),
      mbcache: ko("depends="), crc16: ko("depends="), crc32c_generic: ko("depends="),
      virtio_blk: ko("depends="), virtio_mmio: ko("xdepends=ext4;depends="),
    };
    const find = (n: string) => mods[n] ?? null;
    assert.deepEqual(modinfo(mods.ext4, "depends"), ["jbd2,mbcache,crc16"]);
    assert.deepEqual(modinfo(mods.virtio_mmio, "depends"), [""]); // "xdepends=" is another key
    const order = loadOrder(["virtio_mmio", "virtio_blk", "ext4"], find);
    assert.deepEqual(order, ["virtio_mmio", "virtio_blk", "crc32c_generic", "jbd2", "mbcache", "crc16", "ext4"]);
    assert.throws(() => loadOrder(["nosuch"], find), /module nosuch not found/);
  });
});
