// Issue 24, bug 1 in QEMU: `touch` of tens of thousands of files in /tmp (250 names a line)
// used to exhaust the 48 MiB AssemblyScript heap and panic. Now tmpfs refuses with ENOSPC when
// the heap budget is spent, the shell keeps working and df agrees.
import assert from "node:assert/strict";
import * as path from "node:path";
import { ROOT } from "../../host/qemu.ts";
import { bootForSuite, scratchCopy } from "./helpers.ts";

const PER_LINE = 250;

describe("target: user-growable structures cannot exhaust the heap", function () {
  this.timeout(300000);
  const disk = scratchCopy(path.join(ROOT, "build/disk.img"), "system.img");
  const qemu = bootForSuite({ systemDisk: disk });

  it("touch of many files in /tmp ends in ENOSPC, not a panic; the shell and df /tmp still work", async () => {
    const s = qemu.get();
    assert.match(await s.run("mount"), /tmpfs on \/tmp/);
    // short relative names: the serial line, not the kernel, is what takes the time here
    assert.match(await s.run("cd /tmp"), /^$/);
    const started = Date.now();
    let made = 0;
    let failure = "";
    for (let start = 0; start < 70_000 && failure === ""; start += PER_LINE) {
      const names = Array.from({ length: PER_LINE }, (_, i) => (start + i).toString(36));
      const out = await s.run("touch " + names.join(" "), 60000);
      assert.doesNotMatch(out, /KERNEL PANIC/, `batch ending at f${start + PER_LINE - 1}`);
      if (out.length > 0) {
        failure = out;
        made += PER_LINE - out.trim().split("\n").length;
      } else made += PER_LINE;
    }
    console.log(`      ${made} files in /tmp in ${((Date.now() - started) / 1000).toFixed(1)} s, then: ${failure.split("\n")[0]}`);
    assert.match(failure, /^error: touch: [0-9a-z]+: no space left on device/);
    assert.ok(made >= 32_000, `the reported 32,000 files fit (made ${made})`);
    const df = await s.run("df /tmp");
    const m = df.match(/tmpfs +tmpfs .* (\d+)\/(\d+) +\/tmp/);
    assert.ok(m, df);
    assert.equal(Number(m![1]), Number(m![2]), "df /tmp: every inode in use");
    assert.ok(Number(m![1]) >= made, "df /tmp counts the files");
    assert.match(await s.run("rm 0 1 2 3"), /^$/);
    assert.match(await s.run("write /tmp/after hello"), /^$/);
    assert.match(await s.run("cat /tmp/after"), /hello/);
    assert.match(await s.run("ls /etc"), /motd/);
    assert.match(await s.run("echo still here"), /^still here\n$/);
  });
});
