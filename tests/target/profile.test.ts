// The sampling profiler in QEMU, end to end: the CNTP timer interrupts, prof.c walks the frame
// pointers, /boot/kernel.sym names the frames. While sha256sum hashes busybox, the hottest
// function is SHA-256's compression and its chain reaches up to the shell; the folded export
// lands on ext4. One boot on the system disk as a snapshot (~10 s of QEMU time).
import assert from "node:assert/strict";
import { QemuSession, logTail } from "../../host/qemu.ts";
import { requireImage } from "./helpers.ts";

describe("target: profiler (profctl)", function () {
  this.timeout(180000);
  let s: QemuSession | undefined;
  before(() => requireImage());
  after(async () => { await s?.close(); });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && s) console.log(`\n--- serial log ---\n${logTail(s.serialLog, 4000)}\n--- end ---`);
  });

  it("samples sha256sum with call chains named as AssemblyScript functions", async () => {
    s = await QemuSession.start({ systemDiskSnapshot: true });
    await s.waitForPrompt(120000);
    assert.match(await s.run("profctl start --hz 2000"), /profiling at 2000 Hz/);
    for (let i = 0; i < 3; i++) await s.run("sha256sum /bin/busybox", 120000);
    assert.match(await s.run("profctl stop"), /stopped: \d+ samples/);
    const j = JSON.parse((await s.run("profctl report --json --top 5")).trim());
    assert.equal(j.symbols, true);
    assert.ok(j.samples >= 50, `only ${j.samples} samples`);
    assert.equal(j.functions[0].name, "kernel/lib/sha256/Sha256#compress", JSON.stringify(j.functions));
    assert.ok(j.functions[0].self >= j.samples * 0.3, JSON.stringify(j));
    const exp = await s.run("profctl export /prof.folded");
    assert.match(exp, /wrote \d+ bytes of folded stacks to \/prof\.folded/);
    const folded = await s.run("cat /prof.folded", 60000);
    // the frame-pointer chain: from the C entry through kmain and the shell down to compress
    assert.match(folded, /^kernel_entry;kmain;kernel\/main\/kmain;.*kernel\/shell\/shell\/Shell#execute;.*kernel\/lib\/sha256\/Sha256#compress \d+$/m);
    assert.match(await s.run("profctl report"), /SELF%/);
    assert.match(await s.run("echo still here"), /still here/);
  });
});
