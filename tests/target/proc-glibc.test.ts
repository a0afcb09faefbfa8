// Programs as a distribution builds them, in QEMU: static glibc executables from Debian's cross
// compiler (start-up through glibc, stdio, fork/exec/wait, a system call conformance program judged
// by Linux's semantics, a hostile program with a fork bomb) and a JavaScript program compiled by
// Porffor whose output must equal Node's for the same source.
import assert from "node:assert/strict";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { ROOT } from "../../host/qemu.ts";
import { bootForSuite, scratchCopy, powerOffAndFsck } from "./helpers.ts";

describe("target: glibc and JavaScript programs", function () {
  this.timeout(120000);
  const systemDisk = scratchCopy(path.join(ROOT, "build/disk.img"), "disk.img");
  const qemu = bootForSuite({ systemDisk });

  it("runs a static glibc hello: pid, parent, arguments, exit status", async () => {
    const out = await qemu.get().run("exec /bin/glibc-hello 5 two");
    assert.match(out, /^hello from glibc, pid \d+, parent \d+\nargv\[1\] = 5\nargv\[2\] = two\nglibc-hello: exit status 5\n$/);
  });

  it("fork, exec and wait as a shell uses them: every child's status and output come back", async () => {
    const out = await qemu.get().run("exec /bin/glibc-forkexec 8");
    assert.match(out, /^forkexec: 8\/8 ok\n$/);
  });

  it("passes the system call conformance program on ext4 and on tmpfs (return values and errno as Linux)", async () => {
    const s = qemu.get();
    const ext4 = await s.run("exec /bin/glibc-syscalls /");
    assert.match(ext4, /syscalls: \d+ passed, 0 failed\n$/, ext4);
    const passed = Number(ext4.match(/syscalls: (\d+) passed/)![1]);
    assert.ok(passed >= 110, `${passed} checks`);
    const tmp = await s.run("exec /bin/glibc-syscalls /tmp");
    assert.match(tmp, /syscalls: \d+ passed, 0 failed\n$/, tmp);
  });

  it("ends each hostile case alone with the right signal, refuses huge memory, stops a fork bomb at the process limit", async () => {
    const s = qemu.get();
    const out = await s.run("exec /bin/glibc-hostile", 60000);
    assert.match(out, /forkbomb +\d+ processes, limit reached \(EAGAIN\)/, out);
    assert.match(out, /hostile: (\d+)\/\1 as expected\n$/, out);
    assert.equal(await s.run("echo still here"), "still here\n");
    assert.doesNotMatch(await s.run("procctl list"), /glibc-hostile/, "every process of the bomb is gone");
  });

  it("runs a JavaScript program compiled by Porffor, printing exactly what Node prints", async () => {
    const source = path.join(ROOT, "userspace/js/jsdemo.js");
    const expected = execFileSync(process.execPath, [source], { encoding: "utf8" });
    const out = await qemu.get().run("exec /bin/jsdemo");
    assert.equal(out, expected);
  });

  it("leaves the file system clean after the conformance and hostile programs: fsctl verify, e2fsck -fn", async () => {
    const s = qemu.get();
    assert.match(await s.run("fsctl verify /"), /clean: no inconsistencies/);
    await powerOffAndFsck(s, systemDisk);
  });
});
