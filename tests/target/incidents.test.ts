// Issue 24 bug 11 in QEMU: a panic's report survives the reboot. `panic fault` writes it to the
// reserved area after the system disk's file system (arch-aarch64/incident.c); the next boot
// stores it as /incidents/<date>-<time>-fault.txt with the kind and the faulting PC, and
// clears the area, so a third boot adds nothing; trap and abort reports likewise. Seven boots
// on one scratch copy (about 10 s of QEMU).
import assert from "node:assert/strict";
import * as path from "node:path";
import { QemuSession, ROOT, logTail } from "../../host/qemu.ts";
import { requireImage, scratchCopy } from "./helpers.ts";

describe("target: incident reports survive a panic (issue 24 bug 11)", function () {
  this.timeout(180000);
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

  it("panic fault: the report is saved to the disk, then stored in /incidents/ at the next boot", async () => {
    s = await QemuSession.start({ systemDisk: disk });
    await s.waitForPrompt();
    const before = await s.run("ls /incidents");
    assert.equal(before.trim(), "README");
    const from = s.serialLog.length;
    s.type("panic fault\r");
    await s.waitFor("*** system halted", 20000, from);
    const elr = s.serialLog.slice(from).match(/ELR_EL1 (0x[0-9a-f]{16})/);
    assert.ok(elr, "ELR_EL1 in the panic report");
    assert.match(s.serialLog.slice(from), /incident report saved to the system disk/);
    s.kill(); // the user restarts QEMU: a new process, RAM does not survive
    await s.close();

    s = await QemuSession.start({ systemDisk: disk });
    await s.waitForPrompt();
    assert.match(s.serialLog, /incidents: the last boot ended in a kernel panic \(fault\): report in \/incidents\/\d{4}-\d\d-\d\d-\d{6}-fault\.txt/);
    const ls = (await s.run("ls /incidents")).trim().split(/\s+/);
    const reports = ls.filter((n) => n.endsWith("-fault.txt"));
    assert.equal(reports.length, 1, `one report in ${ls}`);
    const text = await s.run(`cat /incidents/${reports[0]}`);
    assert.match(text, /kernel panic \(fault\)/);
    assert.match(text, /KERNEL PANIC: CPU exception/);
    assert.ok(text.includes(`ELR_EL1 ${elr![1]}`), `the faulting PC ${elr![1]} in:\n${text}`);
    await s.close();

    s = await QemuSession.start({ systemDisk: disk });
    await s.waitForPrompt();
    assert.doesNotMatch(s.serialLog, /incidents: the last boot/);
    const again = (await s.run("ls /incidents")).trim().split(/\s+/);
    assert.deepEqual(again, ls, "a second boot adds nothing");
    await s.close();
  });

  for (const [kind, banner] of [["trap", "wasm trap: unreachable executed"], ["abort", "kernel abort: deliberate assertion failure"]]) {
    it(`panic ${kind}: stored as a ${kind} report`, async () => {
      s = await QemuSession.start({ systemDisk: disk });
      await s.waitForPrompt();
      const from = s.serialLog.length;
      s.type(`panic ${kind}\r`);
      await s.waitFor("*** system halted", 20000, from);
      s.kill();
      await s.close();
      s = await QemuSession.start({ systemDisk: disk });
      await s.waitForPrompt();
      const m = s.serialLog.match(new RegExp(`kernel panic \\(${kind}\\): report in (/incidents/\\S+-${kind}\\.txt)`));
      assert.ok(m, `banner line for ${kind}`);
      const text = await s.run(`cat ${m![1]}`);
      assert.ok(text.includes(`KERNEL PANIC: ${banner}`), text);
      await s.close();
    });
  }
});
