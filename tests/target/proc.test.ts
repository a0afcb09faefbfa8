// User processes in QEMU: our static test programs and Debian's busybox run at EL0 from the
// system disk; a fault ends only the faulting process; a spinning process is preempted (the
// shell answers) and Ctrl-C ends it; busybox applets and sh pipelines work on ext4.
import assert from "node:assert/strict";
import * as path from "node:path";
import { ROOT } from "../../host/qemu.ts";
import { bootForSuite, scratchCopy } from "./helpers.ts";

describe("target: user processes", function () {
  this.timeout(90000);
  const systemDisk = scratchCopy(path.join(ROOT, "build/disk.img"), "disk.img");
  const qemu = bootForSuite({ systemDisk });

  it("runs our static hello at EL0: output, arguments, pid and exit status", async () => {
    const s = qemu.get();
    const out = await s.run("exec /bin/hello 3 two");
    assert.match(out, /^hello from user space: pid (\d+), argc 3, argv \/bin\/hello 3 two\nhello: exit status 3\n$/);
    const again = await s.run("exec /bin/hello");
    assert.match(again, /^hello from user space: pid (\d+), argc 1, argv \/bin\/hello\n$/);
    assert.notEqual(again.match(/pid \d+/)![0], out.match(/pid \d+/)![0], "a new pid");
  });
});
