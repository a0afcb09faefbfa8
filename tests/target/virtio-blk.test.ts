// virtio-blk in QEMU: a scratch disk with a known pattern (vdb), a read-only disk (vdc) and a
// disk whose sector 100 fails in the host block layer (blkdebug, vdd) next to the system disk
// (vda). Reads are checked byte for byte and by CRC against the host file; writes go through
// the driver, are flushed, and after poweroff the host file holds exactly them.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { crc32 } from "node:zlib";
import { ROOT } from "../../host/qemu.ts";
import { bootForSuite, scratchCopy } from "./helpers.ts";

const SECTOR = 512;
const PATTERN_SECTORS = 4096; // 2 MiB

function patternImage(): Buffer {
  const b = Buffer.alloc(PATTERN_SECTORS * SECTOR);
  for (let s = 0; s < PATTERN_SECTORS; s++) {
    for (let i = 0; i < SECTOR; i++) b[s * SECTOR + i] = (s * 13 + i * 7) & 0xff;
    b.write(`sector ${String(s).padStart(6, "0")}`, s * SECTOR, "latin1");
  }
  return b;
}

/** Bytes back from `blkctl read -v` hex dump lines. */
function parseDump(out: string): Buffer {
  const bytes: number[] = [];
  for (const line of out.split("\n")) {
    const m = line.match(/^[0-9a-f]{8,}  ((?:[0-9a-f]{2}  ?){16})/);
    if (m) for (const h of m[1].trim().split(/\s+/)) bytes.push(parseInt(h, 16));
  }
  return Buffer.from(bytes);
}

describe("target: virtio-blk", function () {
  this.timeout(180000);
  const dir = fs.mkdtempSync(path.join(ROOT, "build", "scratch-"));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const original = patternImage();
  const patternDisk = path.join(dir, "pattern.img");
  fs.writeFileSync(patternDisk, original);
  const roDisk = path.join(dir, "ro.img");
  fs.writeFileSync(roDisk, Buffer.alloc(1 << 20, 0x77));
  const errDisk = path.join(dir, "err.img");
  fs.writeFileSync(errDisk, Buffer.alloc(1 << 20));
  const blkdebug = JSON.stringify({
    driver: "raw", "node-name": "errdisk",
    file: { driver: "blkdebug", "inject-error": [{ event: "read_aio", sector: 100, errno: 5 }], image: { driver: "file", filename: errDisk } },
  });
  const qemu = bootForSuite({
    systemDisk: scratchCopy(path.join(ROOT, "build/disk.img"), "disk.img"),
    disks: [patternDisk],
    extra: ["-drive", `if=none,id=ro0,format=raw,readonly=on,file=${roDisk}`, "-device", "virtio-blk-device,drive=ro0",
      "-blockdev", blkdebug, "-device", "virtio-blk-device,drive=errdisk"],
  });

  it("lists the disks in the banner in command-line order", () => {
    assert.match(qemu.get().serialLog, /disks: +vda 64\.0 MiB, vdb 2\.00 MiB, vdc 1\.00 MiB \(read-only\), vdd 1\.00 MiB \(virtio-mmio probed in \d+\.\d ms\)\r\n/);
  });

  it("lsdev shows slot, base, type, version 2, IRQ, state and negotiated features of each device", async () => {
    const out = await qemu.get().run("lsdev");
    assert.match(out, /^32 virtio-mmio slots scanned, 4 device\(s\)/);
    const rows = [[31, "0x0a003e00", 79, "vda"], [30, "0x0a003c00", 78, "vdb"], [29, "0x0a003a00", 77, "vdc"], [28, "0x0a003800", 76, "vdd"]];
    for (const [slot, base, irq, name] of rows) {
      assert.match(out, new RegExp(`^  ${slot} +${base} +block +2 +${irq} +${name} +ready, queue 256, interrupts$`, "m"));
    }
    assert.match(out, /negotiated: SEG_MAX BLK_SIZE FLUSH INDIRECT_DESC EVENT_IDX VERSION_1\n/);
    assert.match(out, /negotiated: SEG_MAX RO BLK_SIZE FLUSH INDIRECT_DESC EVENT_IDX VERSION_1\n/);
  });

  it("lsblk lists sizes and read-only flags", async () => {
    const out = await qemu.get().run("lsblk");
    assert.match(out, /^  vdb +2\.00 MiB +4096 +no +- +virtio-blk slot 30, irq 78, queue 256$/m);
    assert.match(out, /^  vdc +1\.00 MiB +2048 +yes /m);
  });

  it("reads the known pattern back byte for byte and by CRC over the whole disk", async () => {
    const s = qemu.get();
    for (const lba of [0, 5, 4095]) {
      const out = await s.run(`blkctl read vdb ${lba} -v`);
      assert.deepEqual(parseDump(out), original.subarray(lba * SECTOR, (lba + 1) * SECTOR), `sector ${lba}`);
    }
    const three = parseDump(await s.run("blkctl read vdb 1000 3 -v"));
    assert.deepEqual(three, original.subarray(1000 * SECTOR, 1003 * SECTOR));
    const crc = (crc32(original) >>> 0).toString(16).padStart(8, "0");
    assert.match(await s.run("blkctl sum vdb"), new RegExp(`^crc32 ${crc} over 4096 sectors \\(2\\.00 MiB\\) from LBA 0 of vdb`));
  });

  it("refuses out-of-range LBAs with a clear error", async () => {
    const s = qemu.get();
    assert.equal(await s.run("blkctl read vdb 4096"),
      "error: vdb: sectors 4096..4096 are past the end of the device (4096 sectors, last LBA 4095)\n");
    assert.match(await s.run("blkctl write vdb 4095 x --count 2"), /^error: vdb: sectors 4095\.\.4096 are past the end/);
    assert.match(await s.run("blkctl sum vdb 4000 200"), /^error: vdb: sectors 4000\.\.4199 are past the end/);
  });

  it("refuses writes to the read-only device and still reads it", async () => {
    const s = qemu.get();
    assert.equal(await s.run("blkctl write vdc 0 0x11"), "error: vdc is read-only\n");
    assert.match(await s.run("blkctl bench vdc seq write --mb 1"), /^error: vdc is read-only/);
    assert.match(await s.run("blkctl read vdc 0"), /^00000000  77 77 77 77/);
  });

  it("reports a device I/O error as one error line and keeps going", async () => {
    const s = qemu.get();
    assert.equal(await s.run("blkctl read vdd 100"), "error: vdd: read of 1 sector(s) at LBA 100 failed: input/output error\n");
    assert.match(await s.run("blkctl read vdd 101"), /^0000ca00  00 00/);
    assert.match(await s.run("lsblk -s"), /^  vdd +1 +512 B +0 +0 B +0 +1 /m);
  });

  it("completes requests by polling and with EVENT_IDX off as well", async () => {
    const s = qemu.get();
    assert.equal(await s.run("blkctl poll vdb on"), "vdb: polling (device interrupts off)\n");
    assert.match(await s.run("blkctl read vdb 7"), /^00000e00  73 65 63 74 6f 72 20 30  30 30 30 30 37/);
    assert.equal(await s.run("blkctl poll vdb off"), "vdb: interrupt-driven completion\n");
    assert.equal(await s.run("blkctl ring vdb --event-idx off"),
      "vdb: queue 256, EVENT_IDX off, indirect descriptors on, interrupts (ready)\n");
    assert.match(await s.run("lsdev"), /negotiated: SEG_MAX BLK_SIZE FLUSH INDIRECT_DESC VERSION_1\n/);
    const crc = (crc32(original) >>> 0).toString(16).padStart(8, "0");
    assert.match(await s.run("blkctl sum vdb"), new RegExp(`^crc32 ${crc} `));
    assert.match(await s.run("blkctl ring vdb --event-idx on --indirect off"), /EVENT_IDX on, indirect descriptors off/);
    assert.match(await s.run("blkctl sum vdb"), new RegExp(`^crc32 ${crc} `));
    assert.match(await s.run("blkctl ring vdb --indirect on"), /EVENT_IDX on, indirect descriptors on/);
  });

  it("refuses writes to a disk holding a mounted file system unless --force", async function () {
    const s = qemu.get();
    const lsblk = await s.run("lsblk");
    const mounted = lsblk.match(/^  (vd[a-z]) +\S+ \S+ +\d+ +(?:no|yes) +(\/\S*) /m);
    // booted with the system disk: vda is mounted at / (a failure, not a skip, when it is not)
    assert.ok(mounted, `no mounted file system in lsblk:\n${lsblk}`);
    const [, dev, at] = mounted!;
    assert.equal(await s.run(`blkctl write ${dev} 0 0x00`),
      `error: ${dev} holds the file system mounted at ${at}; writing under it corrupts it (use --force to write anyway)\n`);
  });

  it("writes through the driver, flushes, and the host file holds exactly the writes after poweroff", async () => {
    const s = qemu.get();
    assert.match(await s.run('blkctl write vdb 7 "hello from SIS "'), /^wrote 1 sector\(s\) \(512 B\) at LBA 7 of vdb/);
    assert.match(await s.run("blkctl write vdb 2000 0xa5 --count 3"), /^wrote 3 sector\(s\)/);
    assert.match(await s.run("blkctl write vdb 4095 0x5a"), /^wrote 1 sector/);
    assert.equal(await s.run("blkctl flush vdb"), "flushed vdb\n");
    s.type("poweroff\r");
    assert.equal(await s.waitExit(30000), 0);
    const expected = Buffer.from(original);
    expected.fill(Buffer.from("hello from SIS ", "latin1"), 7 * SECTOR, 8 * SECTOR);
    expected.fill(0xa5, 2000 * SECTOR, 2003 * SECTOR);
    expected.fill(0x5a, 4095 * SECTOR, 4096 * SECTOR);
    const actual = fs.readFileSync(patternDisk);
    assert.equal(actual.length, expected.length);
    assert.ok(actual.equals(expected), "the image differs from the expected writes");
  });
});
