// Issue 24 part B in QEMU: a long foreground command no longer starves the 5 s journal commit
// (a write survives a power cut 12 s into a long sha256sum), Ctrl-C stops cat/sha256sum of a
// 2 GiB sparse file within a second or two, progress shows on one line, and the wall clock
// comes from the PL031 RTC (date within a few seconds of the host; a file's mtime in debugfs).
// Two boots on one scratch copy of the system disk (~40 s of QEMU time).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { QemuSession, ROOT, logTail } from "../../host/qemu.ts";
import { requireImage, scratchCopy } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs of the periodic task `name` in `ps -l` output. */
function periodicRuns(ps: string, name: string): number {
  const m = ps.match(new RegExp(`${name}.*?(\\d+) runs, every`));
  assert.ok(m, `${name} in ps -l:\n${ps}`);
  return Number(m![1]);
}

describe("target: long commands, Ctrl-C, real time (issue 24 part B)", function () {
  this.timeout(240000);
  let disk: string;
  let s: QemuSession | undefined;
  before(() => {
    requireImage();
    disk = scratchCopy(path.join(ROOT, "build/disk.img"), "disk.img");
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && s) console.log(`\n--- serial log ---\n${logTail(s.serialLog, 4000)}\n--- end ---`);
  });
  after(async () => {
    await s?.close();
  });

  it("the date comes from the RTC: within a few seconds of the host's", async () => {
    s = await QemuSession.start({ systemDisk: disk });
    await s.waitForPrompt();
    const host = Date.now() / 1000;
    const sis = Number((await s.run("date --epoch")).trim());
    console.log(`      SIS date - host date: ${(sis - host).toFixed(2)} s`);
    assert.ok(Math.abs(sis - host) < 5, `SIS ${sis}, host ${host}`);
    assert.match(await s.run("date"), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(PL031 RTC\)\n$/);
  });

  it("a write survives a power cut 12 s into a long sha256sum (the 5 s commit keeps running)", async () => {
    const q = s!;
    assert.equal(await q.run("write /before-long x"), "");
    assert.equal(await q.run("truncate -s 8589934592 /tmp/big"), "");
    const from = q.serialLog.length;
    q.type("sha256sum /tmp/big\r");
    await q.waitFor(/sha256sum \/tmp\/big: [\d.]+ [KMG]iB of 8\.00 GiB \(\d+%\)/, 10000, from); // progress after ~2 s
    await sleep(12000);
    assert.doesNotMatch(q.serialLog.slice(from), /sis> $/, "sha256sum is still running at the power cut");
    q.kill(); // power cut: no unmount, no sync
    await q.waitExit(5000);
    await q.close();

    s = await QemuSession.start({ systemDisk: disk });
    await s.waitForPrompt();
    assert.equal(await s.run("cat /before-long"), "x\n");
  });

  it("Ctrl-C stops cat and sha256sum of a 2 GiB sparse file within two seconds", async () => {
    const q = s!;
    assert.equal(await q.run("truncate -s 2147483648 /tmp/sparse"), "");
    for (const cmd of ["cat", "sha256sum"]) {
      const psBefore = await q.run("ps -l");
      const from = q.serialLog.length;
      q.type(`${cmd} /tmp/sparse\r`);
      await sleep(2500);
      assert.doesNotMatch(q.serialLog.slice(from), /sis> $/, `${cmd} still running`);
      const t0 = Date.now();
      q.type("\x03");
      await q.waitFor(new RegExp(`error: ${cmd}: interrupted\\r\\nsis> $`), 5000, from);
      const ms = Date.now() - t0;
      const psAfter = await q.run("ps -l");
      const memstat = periodicRuns(psAfter, "memstat") - periodicRuns(psBefore, "memstat");
      const oom = periodicRuns(psAfter, "oompredict") - periodicRuns(psBefore, "oompredict");
      console.log(`      ${cmd}: prompt ${ms} ms after Ctrl-C; during its ~2.5 s memstat ran ${memstat} times, oompredict ${oom}`);
      assert.ok(ms < 2000, `${cmd} took ${ms} ms to stop`);
      assert.ok(memstat >= 15 && oom >= 15, `memstat +${memstat}, oompredict +${oom} (100 ms periods) during ${cmd}`);
    }
    assert.equal(await q.run("echo still here"), "still here\n");
  });

  it("a file written in SIS has a current mtime in debugfs", async () => {
    const q = s!;
    assert.equal(await q.run("write /dated now"), "");
    const host = Math.floor(Date.now() / 1000);
    q.type("poweroff\r");
    await q.waitExit(30000);
    const out = execFileSync("debugfs", ["-R", "stat /dated", disk], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    const m = out.match(/mtime: (0x[0-9a-f]+)(?::([0-9a-f]+))?/);
    assert.ok(m, out);
    const mtime = Number(m![1]);
    console.log(`      debugfs mtime - host time: ${mtime - host} s`);
    assert.ok(Math.abs(mtime - host) < 10, `mtime ${mtime}, host ${host}\n${out}`);
  });
});
