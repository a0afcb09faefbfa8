// virtio-mmio transport, split virtqueue and virtio-blk on Node, against the fake devices of
// tests/host/virtio-fake.ts (which read the real rings from wasm memory): discovery and
// naming, the init sequence and feature negotiation, chains and indirect descriptors, ring
// index wrap-around, many requests in flight, EVENT_IDX, the flush barrier, errors, and the
// shell commands on top.
import assert from "node:assert/strict";
import { loadKernelModule } from "../../host/compile.ts";
import { HostPlatform } from "../../host/platform.ts";
import { FakeVirtioBus, FakeBlk, FakeBlkOptions, F, bit, QEMU_FEATURES, SECTOR } from "../../host/virtio-fake.ts";

const ENTRY = "tests/unit/drivers/virtio.entry.ts";
const WINDOW = 1 << 20; // linear [0, 1 MiB) plays the page-allocator window
const PAGES = (WINDOW + (40 << 20)) / 65536;
const READ = 0, WRITE = 1, FLUSH = 2;
const EINVAL = -22, EIO = -5, EROFS = -30, EFAULT = -14, ENODEV = -19, ETIMEDOUT = -110;

interface Rig { k: any; bus: FakeVirtioBus; p: HostPlatform; }

async function boot(devices: [number, FakeBlkOptions][], probe = true): Promise<Rig> {
  const p = new HostPlatform();
  const bus = new FakeVirtioBus(p);
  for (const [slot, o] of devices) bus.add(slot, o);
  const m = await loadKernelModule(ENTRY, { memoryBase: WINDOW, pages: PAGES }, p);
  if (probe) m.exports.probe();
  return { k: m.exports, bus, p };
}

/** Fills a fake disk so that the first 4 bytes of every sector are its LBA. */
function lbaPattern(d: FakeBlk): void {
  for (let s = 0; s < d.sectors; s++) {
    for (let i = 0; i < SECTOR; i++) d.data[s * SECTOR + i] = (s * 31 + i * 7) & 0xff;
    d.data.writeUInt32LE(s, s * SECTOR);
  }
}

const mem = (r: Rig, ptr: number, len: number) => Buffer.from(new Uint8Array(r.p.memory!.buffer, ptr, len));
function run(r: Rig, line: string): { status: number; out: string } {
  r.p.takeOutput();
  const status = r.k.shellRun(line);
  return { status, out: r.p.takeOutput().replace(/\r\n/g, "\n") };
}

describe("virtio-mmio discovery and initialisation", function () {
  this.timeout(60000);

  it("scans slots from 31 down, names block devices vda, vdb in that order and skips empty slots", async () => {
    const r = await boot([[31, { sectors: 4096 }], [30, { sectors: 2048, readOnly: true }], [3, { deviceId: 4 }], [7, { sectors: 1024 }]]);
    assert.equal(r.k.deviceNames(), "vda,vdb,vdc");
    assert.equal(r.k.slotCount(), 4);
    assert.deepEqual([0, 1, 2, 3].map((i) => r.k.slotNumber(i)), [31, 30, 7, 3]);
    assert.equal(r.k.sectorCount("vda"), 4096n);
    assert.equal(r.k.readOnly("vdb"), true);
    const lsdev = run(r, "lsdev");
    assert.equal(lsdev.status, 0);
    assert.match(lsdev.out, /^32 virtio-mmio slots scanned, 4 device\(s\)/);
    assert.match(lsdev.out, /^  31 +0x0a003e00 +block +2 +79 +vda +ready, queue 256, interrupts$/m);
    assert.match(lsdev.out, /^  30 +0x0a003c00 +block +2 +78 +vdb +ready/m);
    assert.match(lsdev.out, /^  3 +0x0a000600 +entropy +2 +51 +- +no driver$/m);
    assert.match(lsdev.out, /negotiated: SEG_MAX RO BLK_SIZE FLUSH INDIRECT_DESC EVENT_IDX VERSION_1/);
    const lsblk = run(r, "lsblk");
    assert.match(lsblk.out, /^  vda +2\.00 MiB +4096 +no +- +virtio-blk slot 31, irq 79, queue 256$/m);
    assert.match(lsblk.out, /^  vdb +1\.00 MiB +2048 +yes /m);
  });

  it("runs the init sequence: reset, ACKNOWLEDGE, DRIVER, FEATURES_OK (checked), queue, DRIVER_OK", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    assert.deepEqual(d.statusLog, [0, 1, 3, 11, 15]);
    assert.equal(d.queueNum, 256);
    assert.equal(d.queueReady, 1);
    // only what the driver understands: no GEOMETRY, TOPOLOGY, CONFIG_WCE, DISCARD, WRITE_ZEROES
    const want = bit(F.VERSION_1) | bit(F.EVENT_IDX) | bit(F.INDIRECT_DESC) | bit(F.FLUSH) | bit(F.BLK_SIZE) | bit(F.SEG_MAX);
    assert.equal(d.negotiated, want);
    assert.equal(r.k.negotiated("vda"), want);
    assert.ok(r.p.enabledIrqs.has(79), "the slot's interrupt is enabled in the GIC");
  });

  it("takes the largest power-of-two queue up to 256 that the device allows", async () => {
    const r = await boot([[31, { queueNumMax: 100 }], [30, { queueNumMax: 1024 }]]);
    assert.equal(r.k.queueSize("vda"), 64);
    assert.equal(r.k.queueSize("vdb"), 256);
  });

  it("marks a device that refuses FEATURES_OK as failed, keeps its name, and brings up the next", async () => {
    const r = await boot([[31, { refuseFeatures: true }], [30, {}]]);
    assert.equal(r.k.deviceNames(), "vdb");
    assert.match(r.k.state("vda"), /^failed: device refused the feature set/);
    const d = r.bus.devices.get(31)!;
    assert.ok(d.statusLog.at(-1)! & 0x80, "FAILED status set");
    assert.equal(d.statusLog.some((s) => s & 4), false, "DRIVER_OK never set");
    assert.match(run(r, "lsdev").out, /vda +failed: device refused the feature set/);
    assert.match(run(r, "blkctl read vda 0").out, /^error: no block device 'vda'/);
  });

  it("refuses a device without VERSION_1 and a legacy (version 1) interface", async () => {
    const r = await boot([[31, { features: bit(F.FLUSH) }], [30, { version: 1 }]]);
    assert.equal(r.k.deviceNames(), "");
    assert.match(r.k.state("vda"), /failed: device does not offer VERSION_1/);
    assert.match(r.k.state("vdb"), /failed: legacy virtio-mmio \(version 1\)/);
  });
});

describe("virtio-blk requests", function () {
  this.timeout(60000);

  it("reads and writes through one chain: header, data, status; direct without INDIRECT_DESC", async () => {
    const r = await boot([[31, { features: QEMU_FEATURES & ~bit(F.INDIRECT_DESC) }]]);
    const d = r.bus.devices.get(31)!;
    lbaPattern(d);
    const buf = r.k.alloc(4096);
    assert.equal(r.k.devRead("vda", 8n, 8, buf), 0);
    assert.deepEqual(mem(r, buf, 4096), d.data.subarray(8 * SECTOR, 16 * SECTOR));
    const req = d.requests.at(-1)!;
    assert.deepEqual([req.type, req.sector, req.bytes, req.segments, req.indirect], [0, 8n, 4096, 1, false]);
    mem(r, buf, 4096).fill(0); // (a copy) -- write through wasm memory instead:
    new Uint8Array(r.p.memory!.buffer, buf, 4096).fill(0xab);
    assert.equal(r.k.devWrite("vda", 100n, 8, buf), 0);
    assert.ok(d.data.subarray(100 * SECTOR, 108 * SECTOR).every((b) => b === 0xab));
    assert.equal(d.requests.at(-1)!.type, 1);
    assert.equal(r.k.devFlush("vda"), 0);
    assert.equal(d.flushes, 1);
  });

  it("uses indirect descriptors when the device offers them", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    lbaPattern(d);
    const buf = r.k.alloc(512);
    assert.equal(r.k.devRead("vda", 5n, 1, buf), 0);
    assert.equal(mem(r, buf, 4).readUInt32LE(0), 5);
    assert.equal(d.requests.at(-1)!.indirect, true);
  });

  it("splits a buffer that crosses the 1 GiB window boundary into two segments", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    // a write (the device only reads memory): 512 bytes below the window end, 512 above
    assert.equal(r.k.devWrite("vda", 40n, 2, WINDOW - 512), 0);
    const req = d.requests.at(-1)!;
    assert.equal(req.segments, 2);
    assert.deepEqual(d.data.subarray(40 * SECTOR, 42 * SECTOR), mem(r, WINDOW - 512, 1024));
  });

  it("sends requests over 1 MiB in parts and completes the request once", async () => {
    const r = await boot([[31, { sectors: 8192 }]]);
    const d = r.bus.devices.get(31)!;
    lbaPattern(d);
    const buf = r.k.alloc(3000 * SECTOR);
    const before = r.k.completionHookCalls();
    assert.equal(r.k.devRead("vda", 100n, 3000, buf), 0);
    assert.deepEqual(d.requests.slice(-2).map((q) => [q.sector, q.bytes]), [[100n, 2048 * SECTOR], [2148n, 952 * SECTOR]]);
    assert.deepEqual(mem(r, buf, 3000 * SECTOR), d.data.subarray(100 * SECTOR, 3100 * SECTOR));
    assert.equal(r.k.completionHookCalls() - before, 1);
  });

  it("keeps working when ring indices wrap past 65535 (70000 requests)", async () => {
    const r = await boot([[31, { sectors: 4096 }]]);
    const d = r.bus.devices.get(31)!;
    lbaPattern(d);
    const buf = r.k.alloc(512);
    assert.equal(r.k.readLoop("vda", 70000, 4096n, buf), 0);
    assert.equal(d.requests.length, 70000);
    assert.equal(r.k.availIndex("vda"), 70000 % 65536);
    assert.equal(d.usedIdx, 70000 % 65536);
    assert.equal(r.k.inFlight("vda"), 0);
  });

  it("keeps many requests in flight and notifies once per batch", async () => {
    const r = await boot([[31, { deferred: true, sectors: 4096 }]]);
    const d = r.bus.devices.get(31)!;
    lbaPattern(d);
    const buf = r.k.alloc(200 * SECTOR);
    r.k.plug("vda");
    const handles: number[] = [];
    for (let i = 0; i < 200; i++) handles.push(r.k.submit("vda", READ, BigInt(i * 3), 1, buf + i * SECTOR));
    assert.equal(d.notifies, 0, "no notify while plugged");
    r.k.unplug("vda");
    assert.equal(d.notifies, 1, "one notify for the batch");
    assert.equal(r.k.inFlight("vda"), 200);
    assert.equal(handles.some((h) => r.k.requestDone(h)), false);
    d.run();
    assert.equal(d.maxOutstanding, 200);
    r.k.pollAll(); // the event loop's poller completes them
    for (let i = 0; i < 200; i++) {
      assert.equal(r.k.requestDone(handles[i]), true);
      assert.equal(r.k.requestStatus(handles[i]), 0);
      assert.equal(mem(r, buf + i * SECTOR, 4).readUInt32LE(0), i * 3);
    }
    assert.equal(r.k.completionHookCalls(), 200);
  });

  it("queues requests beyond the ring's capacity and posts them as slots free up", async () => {
    const r = await boot([[31, { deferred: true, queueNumMax: 16, features: QEMU_FEATURES & ~bit(F.INDIRECT_DESC) }]]);
    const d = r.bus.devices.get(31)!;
    lbaPattern(d);
    const buf = r.k.alloc(40 * SECTOR);
    const hs: number[] = [];
    for (let i = 0; i < 40; i++) hs.push(r.k.submit("vda", READ, BigInt(i), 1, buf + i * SECTOR));
    assert.equal(r.k.inFlight("vda"), 5, "16 descriptors hold 5 chains of 3");
    r.k.waitRequest("vda", hs[39]);
    assert.ok(hs.every((h) => r.k.requestDone(h) && r.k.requestStatus(h) === 0));
    for (let i = 0; i < 40; i++) assert.equal(mem(r, buf + i * SECTOR, 4).readUInt32LE(0), i);
  });

  it("EVENT_IDX: one interrupt for a batch the driver waits for; one per device pass without it", async () => {
    const counts: number[] = [];
    for (const eventIdx of [true, false]) {
      const features = eventIdx ? QEMU_FEATURES : QEMU_FEATURES & ~bit(F.EVENT_IDX);
      const r = await boot([[31, { deferred: true, completionsPerRun: 4, features }]]);
      const d = r.bus.devices.get(31)!;
      const buf = r.k.alloc(32 * SECTOR);
      r.k.plug("vda");
      for (let i = 0; i < 32; i++) r.k.submit("vda", READ, BigInt(i), 1, buf + i * SECTOR);
      r.k.unplug("vda");
      r.k.waitForCompletions("vda", 32);
      assert.equal(r.k.inFlight("vda"), 0);
      counts.push(Number(r.k.interrupts("vda")));
      assert.equal(counts.at(-1), d.interruptsRaised);
    }
    assert.deepEqual(counts, [1, 8]);
  });

  it("EVENT_IDX: no notify while avail_event says the device has not caught up", async () => {
    const r = await boot([[31, { deferred: true }]]);
    const d = r.bus.devices.get(31)!;
    const buf = r.k.alloc(3 * SECTOR);
    r.k.submit("vda", READ, 0n, 1, buf);
    r.k.submit("vda", READ, 1n, 1, buf + SECTOR);
    assert.equal(d.notifies, 1);
    assert.equal(r.k.notifiesSuppressed("vda"), 1n);
    d.run();
    r.k.submit("vda", READ, 2n, 1, buf + 2 * SECTOR);
    assert.equal(d.notifies, 2, "the device asked to be told about index 2");
  });

  it("treats flush as a barrier: posted after earlier writes complete, later requests after it", async () => {
    const r = await boot([[31, { deferred: true, reverse: true }]]);
    const d = r.bus.devices.get(31)!;
    const buf = r.k.alloc(SECTOR);
    const w1 = r.k.submit("vda", WRITE, 1n, 1, buf);
    const w2 = r.k.submit("vda", WRITE, 2n, 1, buf);
    const f = r.k.submit("vda", FLUSH, 0n, 0, 0);
    const w3 = r.k.submit("vda", WRITE, 3n, 1, buf);
    assert.equal(r.k.inFlight("vda"), 2, "flush and what follows wait");
    d.run();
    r.k.pollAll();
    assert.ok(r.k.requestDone(w1) && r.k.requestDone(w2));
    assert.equal(r.k.inFlight("vda"), 1, "now the flush alone");
    d.run();
    r.k.pollAll();
    assert.ok(r.k.requestDone(f));
    d.run();
    r.k.pollAll();
    assert.ok(r.k.requestDone(w3));
    assert.deepEqual(d.completionLog, ["W", "W", "F", "W"]);
  });

  it("a synchronous wait on one disk also completes another disk's requests (shared interrupt mask)", async () => {
    const r = await boot([[31, { deferred: true }], [30, { deferred: true }]]);
    const buf = r.k.alloc(2 * SECTOR);
    const h = r.k.submit("vdb", READ, 3n, 1, buf + SECTOR);
    assert.equal(r.k.requestDone(h), false);
    assert.equal(r.k.devRead("vda", 0n, 1, buf), 0);
    assert.equal(r.k.requestDone(h), true, "vdb's completion was taken while waiting for vda");
    assert.equal(r.k.requestStatus(h), 0);
    assert.ok(r.p.enabledIrqs.has(78) && r.p.enabledIrqs.has(79), "both lines re-enabled");
  });

  it("a buffer cache sync writes its dirty blocks as one batch, then the flush", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    assert.equal(r.k.cacheSync("vda", 20), 0);
    assert.deepEqual(d.completionLog, [...Array(20).fill("W"), "F"]);
    assert.equal(d.maxOutstanding, 20, "all 20 writes were on the ring together");
    assert.equal(d.notifies, 2, "one notify for the writes, one for the flush");
    for (let i = 0; i < 20; i++) assert.equal(d.data.readUInt32LE(i * 4096), 5000 + i);
    d.failingSectors.add(8 * 3);
    assert.equal(r.k.cacheSync("vda", 5), EIO);
  });

  it("reports the device's IOERR status as -EIO to sync and async callers and to the shell", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    d.failingSectors.add(10);
    const buf = r.k.alloc(4 * SECTOR);
    assert.equal(r.k.devRead("vda", 10n, 1, buf), EIO);
    assert.equal(r.k.devRead("vda", 8n, 4, buf), EIO);
    assert.equal(r.k.devRead("vda", 11n, 1, buf), 0, "other sectors still work");
    const h = r.k.submit("vda", WRITE, 10n, 1, buf);
    assert.equal(r.k.waitRequest("vda", h), EIO);
    const out = run(r, "blkctl read vda 10");
    assert.equal(out.status, 1);
    assert.equal(out.out, "error: vda: read of 1 sector(s) at LBA 10 failed: input/output error\n");
    assert.match(run(r, "lsblk -s").out, /^  vda +1 +512 B +0 +0 B +0 +4 /m);
  });

  it("refuses writes to a read-only device before the device sees them", async () => {
    const r = await boot([[31, { readOnly: true }]]);
    const d = r.bus.devices.get(31)!;
    const buf = r.k.alloc(SECTOR);
    assert.equal(r.k.devWrite("vda", 0n, 1, buf), EROFS);
    assert.equal(r.k.submit("vda", WRITE, 0n, 1, buf), EROFS);
    assert.equal(r.k.devRead("vda", 0n, 1, buf), 0);
    assert.equal(r.k.devFlush("vda"), 0);
    assert.equal(d.requests.filter((q) => q.type === 1).length, 0);
    assert.equal(run(r, "blkctl write vda 0 0xff").out, "error: vda is read-only\n");
  });

  it("refuses out-of-range LBAs, empty requests and bad buffers without asking the device", async () => {
    const r = await boot([[31, { sectors: 2048 }]]);
    const d = r.bus.devices.get(31)!;
    const buf = r.k.alloc(2 * SECTOR);
    assert.equal(r.k.devRead("vda", 2048n, 1, buf), EINVAL);
    assert.equal(r.k.devRead("vda", 2047n, 2, buf), EINVAL);
    assert.equal(r.k.devRead("vda", 0xffffffffffffffffn, 2, buf), EINVAL);
    assert.equal(r.k.devRead("vda", 0n, 0, buf), EINVAL);
    assert.equal(r.k.devRead("vda", 0n, 1, 0), EFAULT);
    assert.equal(r.k.devRead("vda", 0n, 2, r.k.memoryBytes() - 512), EFAULT);
    assert.equal(r.k.devRead("vda", 2047n, 1, buf), 0);
    assert.equal(d.requests.length, 1);
    const out = run(r, "blkctl read vda 2048");
    assert.equal(out.out, "error: vda: sectors 2048..2048 are past the end of the device (2048 sectors, last LBA 2047)\n");
    assert.match(run(r, "blkctl write vda 2040 x --count 9").out, /^error: vda: sectors 2040\.\.2048 are past the end/);
  });

  it("polling mode completes requests with no interrupt from the device", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    lbaPattern(d);
    r.k.setPoll("vda", true);
    assert.equal(r.p.enabledIrqs.has(79), false);
    const raised = d.interruptsRaised;
    const buf = r.k.alloc(SECTOR);
    for (let i = 0; i < 20; i++) assert.equal(r.k.devRead("vda", BigInt(i), 1, buf), 0);
    assert.equal(d.interruptsRaised, raised);
    r.k.setPoll("vda", false);
    assert.equal(r.p.enabledIrqs.has(79), true);
    assert.equal(r.k.devRead("vda", 7n, 1, buf), 0);
    assert.equal(mem(r, buf, 4).readUInt32LE(0), 7);
  });

  it("re-initialises with EVENT_IDX off without leaking ring memory", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    lbaPattern(d);
    const dma = r.k.dmaInUse();
    assert.equal(r.k.reinit("vda", false, true), 0);
    assert.equal(r.k.dmaInUse(), dma);
    assert.equal(r.k.negotiated("vda") & bit(F.EVENT_IDX), 0n);
    assert.equal(d.negotiated & bit(F.EVENT_IDX), 0n);
    const buf = r.k.alloc(SECTOR);
    assert.equal(r.k.devRead("vda", 9n, 1, buf), 0);
    assert.equal(mem(r, buf, 4).readUInt32LE(0), 9);
    const out = run(r, "blkctl ring vda --event-idx on");
    assert.equal(out.out, "vda: queue 256, EVENT_IDX on, indirect descriptors on, interrupts (ready)\n");
  });

  it("declares a device that completes nothing dead after the timeout: -ETIMEDOUT, then -ENODEV", async () => {
    const r = await boot([[31, { stuck: true }]]);
    r.k.setTimeoutUs(50000n);
    const buf = r.k.alloc(SECTOR);
    assert.equal(r.k.devRead("vda", 0n, 1, buf), ETIMEDOUT);
    assert.match(r.k.state("vda"), /^failed: no completion for/);
    assert.equal(r.k.devRead("vda", 0n, 1, buf), ENODEV);
    r.k.setTimeoutUs(30000000n);
  });

  it("resets a device that returns an unknown descriptor id and fails its requests", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    d.corruptNextUsedId = 77;
    const buf = r.k.alloc(SECTOR);
    assert.equal(r.k.devRead("vda", 0n, 1, buf), EIO);
    assert.match(r.k.state("vda"), /unknown descriptor id/);
    assert.equal(d.status, 0, "device reset");
  });
});

describe("blkctl and lsblk on virtio-blk", function () {
  this.timeout(60000);

  it("blkctl read prints a hex dump, collapsing repeated lines unless -v", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    d.data.write("SIS block test", 3 * SECTOR, "latin1");
    const out = run(r, "blkctl read vda 3");
    assert.equal(out.status, 0);
    assert.deepEqual(out.out.split("\n"), [
      "00000600  53 49 53 20 62 6c 6f 63  6b 20 74 65 73 74 00 00  |SIS block test..|",
      "00000610  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|",
      "*",
      "000007f0  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|",
      "",
    ]);
    assert.equal(run(r, "blkctl read vda 3 -v").out.split("\n").length, 33);
    assert.equal(run(r, "blkctl read vda 0 65").out, "error: COUNT must be from 1 to 64\n");
    assert.equal(run(r, "blkctl read vdz 0").out, "error: no block device 'vdz' (lsblk lists them)\n");
    assert.equal(run(r, "blkctl read vda -3").out, "error: LBA must be a sector number, not '-3'\n");
    assert.equal(run(r, "blkctl read vda x").out, "error: LBA must be a sector number, not 'x'\n");
  });

  it("blkctl write fills sectors with a byte or repeated text, and flush reaches the device", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    let out = run(r, "blkctl write vda 4 0x5a --count 2");
    assert.equal(out.out, "wrote 2 sector(s) (1.00 KiB) at LBA 4 of vda; 'blkctl flush vda' makes it durable\n");
    assert.ok(d.data.subarray(4 * SECTOR, 6 * SECTOR).every((b) => b === 0x5a));
    run(r, "blkctl write vda 9 abc");
    assert.equal(d.data.subarray(9 * SECTOR, 10 * SECTOR).toString("latin1"), "abc".repeat(171).slice(0, 512));
    out = run(r, "blkctl flush vda");
    assert.equal(out.out, "flushed vda\n");
    assert.equal(d.flushes, 1);
    assert.equal(run(r, "blkctl sum vda 4 2").out.split(" ")[1], require_crc(d.data.subarray(4 * SECTOR, 6 * SECTOR)));
  });

  it("blkctl write refuses a device holding a mounted file system unless --force", async () => {
    const r = await boot([[31, {}]]);
    const d = r.bus.devices.get(31)!;
    r.k.setMounted("vda", "/");
    const out = run(r, "blkctl write vda 0 0x11");
    assert.equal(out.status, 1);
    assert.equal(out.out, "error: vda holds the file system mounted at /; writing under it corrupts it (use --force to write anyway)\n");
    assert.equal(d.requests.length, 0);
    assert.match(run(r, "lsblk").out, /^  vda +1\.00 MiB +2048 +no +\/ +virtio-blk/m);
    assert.match(run(r, "blkctl write vda 0 0x11 --force").out, /^wrote 1 sector/);
    assert.equal(d.data[0], 0x11);
    assert.match(run(r, "blkctl bench vda seq write --mb 1").out, /^error: vda holds the file system mounted at \//);
  });

  it("blkctl bench reports throughput, IOPS, latency percentiles and interrupts per request", async () => {
    const r = await boot([[31, { sectors: 8192 }]]);
    const out = run(r, "blkctl bench vda rand read --qd 8 --mb 1");
    assert.equal(out.status, 0, out.out);
    assert.match(out.out, /^vda: random read, 4\.00 KiB requests, queue depth 8: 1\.00 MiB in \d+\.\d{3} s$/m);
    assert.match(out.out, /^  throughput \d+\.\d MB\/s, \d+ IOPS$/m);
    assert.match(out.out, /^  latency p50 \d+\.\d{3} ms, p99 \d+\.\d{3} ms \(n=256\)$/m);
    assert.match(out.out, /^  interrupts \d\.\d{3} per request, notifies \d\.\d{3} per request \(EVENT_IDX on, interrupts\)$/m);
    const d = r.bus.devices.get(31)!;
    assert.equal(d.requests.length, 256);
    assert.ok(d.requests.every((q) => q.bytes === 4096 && q.sector % 8n === 0n));
    assert.match(run(r, "blkctl bench vda seq sideways").out, /^error: usage: blkctl bench/);
    assert.match(run(r, "blkctl bench vda seq read --qd 0").out, /^error: --qd must be an integer from 1 to 256/);
  });

  it("bench blk prints one JSON line per measurement", async () => {
    const r = await boot([[31, {}], [30, { sectors: 8192 }]]);
    const out = run(r, "bench blk --mb 1 --runs 1");
    assert.equal(out.status, 0, out.out);
    const lines = out.out.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.name), ["blk.seq_read.qd1", "blk.seq_read.qd32", "blk.seq_write.qd1", "blk.seq_write.qd32",
      "blk.rand_read_4k.qd1", "blk.rand_read_4k.qd32",
      "blk.irq.rand_read_4k.qd32.event_idx_on", "blk.irq.rand_read_4k.qd32.batch16.event_idx_on",
      "blk.irq.rand_read_4k.qd32.event_idx_off", "blk.irq.rand_read_4k.qd32.batch16.event_idx_off",
      "blk.poll.rand_read_4k.qd32", "blk.poll.seq_read.qd32"]);
    for (const l of lines) {
      assert.equal(l.unit, l.name.includes("rand") ? "IOPS" : "MB/s");
      assert.equal(l.value, l.unit === "IOPS" ? l.iops : l.mbps);
      assert.ok(l.value > 0 && l.n > 0 && l.p99_us >= l.p50_us && l.device === "vdb");
    }
    assert.equal(lines[8].event_idx, false);
    assert.equal(lines[10].mode, "poll");
    assert.equal(lines[10].irq_per_req, 0);
    assert.equal(r.k.negotiated("vdb") & bit(F.EVENT_IDX), bit(F.EVENT_IDX), "ring features restored");
  });
});

import { crc32 } from "node:zlib";
function require_crc(b: Buffer): string {
  return (crc32(b) >>> 0).toString(16).padStart(8, "0");
}
