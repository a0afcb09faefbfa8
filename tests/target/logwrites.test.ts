// The crash harness's view of the disk: QEMU's blklogwrites log of SIS's writes, read by
// host/logwrites.ts, replays to exactly the data disk, and every flush is a replay point.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { QemuSession, ROOT } from "../../host/qemu.ts";
import { readWriteLog, flushPoints, replayPrefix, loggedDiskArgs } from "../../host/logwrites.ts";
import { requireImage } from "./helpers.ts";

describe("target: blklogwrites write log", function () {
  this.timeout(120000);

  it("records SIS's writes and flushes in order; replaying a prefix rebuilds the disk at that flush", async () => {
    requireImage();
    const dir = fs.mkdtempSync(path.join(ROOT, "build", "scratch-lw-"));
    const data = path.join(dir, "data.img");
    const log = path.join(dir, "log.img");
    const base = path.join(dir, "base.img");
    fs.writeFileSync(data, Buffer.alloc(2 << 20, 0x11));
    fs.copyFileSync(data, base);
    fs.writeFileSync(log, "");
    fs.truncateSync(log, 16 << 20);
    const s = await QemuSession.start({ extra: loggedDiskArgs(data, log) });
    try {
      await s.waitForPrompt();
      assert.match(await s.run("blkctl write vdb 10 0xab --count 3"), /wrote 3 sector/);
      assert.match(await s.run("blkctl flush vdb"), /flushed vdb/);
      assert.match(await s.run("blkctl write vdb 100 0xcd"), /wrote 1 sector/);
      assert.match(await s.run("blkctl write vdb 11 0xef"), /wrote 1 sector/);
      assert.match(await s.run("blkctl flush vdb"), /flushed vdb/);
      s.type("poweroff\r");
      assert.equal(await s.waitExit(30000), 0);
    } finally {
      await s.close();
    }
    const parsed = readWriteLog(log);
    assert.deepEqual(parsed.entries.map((e) => [e.sector, e.sectors, e.flags]),
      [[10, 3, 0], [0, 0, 1], [100, 1, 0], [11, 1, 0], [0, 0, 1]]);
    const points = flushPoints(parsed);
    assert.deepEqual(points, [1, 4]);
    const first = path.join(dir, "at-first-flush.img");
    replayPrefix(log, parsed, base, points[0], first);
    const img = fs.readFileSync(first);
    assert.equal(img[10 * 512], 0xab);
    assert.equal(img[11 * 512], 0xab, "the second write to sector 11 came after the first flush");
    assert.equal(img[100 * 512], 0x11);
    const last = path.join(dir, "at-last-flush.img");
    replayPrefix(log, parsed, base, points[1], last);
    assert.ok(fs.readFileSync(last).equals(fs.readFileSync(data)), "full replay equals the data disk");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
