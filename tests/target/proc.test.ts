// User processes in QEMU: our static test programs and Debian's busybox run at EL0 from the
// system disk; a fault ends only the faulting process; a spinning process is preempted (the
// shell answers) and Ctrl-C ends it; busybox applets and sh pipelines work on ext4.
import assert from "node:assert/strict";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { ROOT } from "../../host/qemu.ts";
import { bootForSuite, scratchCopy, powerOffAndFsck } from "./helpers.ts";

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

  it("a fault ends only the faulting process, with one line naming the address and pc", async () => {
    const s = qemu.get();
    const nul = await s.run("exec /bin/fault null");
    assert.match(nul, /^fault: null\n\[pid \d+ fault\] segfault at 0x8, pc 0x[0-9a-f]+\nfault: killed by SIGSEGV\n$/);
    const kernel = await s.run("exec /bin/fault kernel");
    assert.match(kernel, /segfault at 0x40080000, pc 0x[0-9a-f]+\nfault: killed by SIGSEGV\n$/, "kernel RAM is not readable from EL0");
    const jump = await s.run("exec /bin/fault jump");
    assert.match(jump, /segfault \(instruction fetch\) at 0x40080000, pc 0x40080000\n/, "kernel RAM is not executable from EL0");
    const ro = await s.run("exec /bin/fault readonly");
    assert.match(ro, /segfault at 0x[0-9a-f]+, pc 0x[0-9a-f]+\nfault: killed by SIGSEGV\n$/, "code pages are read-only");
    assert.equal(await s.run("exec /bin/fault badptr"), "fault: badptr\nwrite(kernel address) = -14\n", "EFAULT, not a fault");
    assert.equal(await s.run("echo still here"), "still here\n");
  });

  it("preempts a spinning process: the shell's loop keeps running, Ctrl-C ends it", async () => {
    const s = qemu.get();
    const start = s.serialLog.length;
    s.type("exec /bin/spin\r");
    await s.waitFor("spin: spinning", 20000, start);
    await new Promise((r) => setTimeout(r, 1500));
    s.type("\x03");
    await s.waitFor(/spin: killed by SIGINT\r\nsis> $/, 20000, start);
    const started = await s.run("procctl run /bin/spin quiet"); // quiet: no output racing the prompt
    const pid = started.match(/started pid (\d+)/)![1];
    await new Promise((r) => setTimeout(r, 500));
    const t = Date.now();
    assert.equal(await s.run("echo answered"), "answered\n");
    const ms = Date.now() - t;
    console.log(`      echo round trip while a process spins: ${ms} ms`);
    assert.ok(ms < 2000, `${ms} ms`);
    assert.match(await s.run("procctl list"), new RegExp(`^${pid} +0 +spin +live`, "m"));
    assert.match(await s.run(`procctl kill ${pid} 9`), /sent signal 9/);
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(await s.run("procctl list"), new RegExp(`^${pid} `, "m"));
  });

  it("runs Debian's busybox: echo, ls /, sh -c with a pipe", async () => {
    const s = qemu.get();
    assert.equal(await s.run("exec /bin/busybox echo hi"), "hi\n");
    const ls = await s.run("exec /bin/busybox ls /");
    for (const name of ["bin", "etc", "mnt", "tmp"]) assert.match(ls, new RegExp(`\\b${name}\\b`), ls);
    assert.equal(await s.run("exec /bin/busybox sh -c 'echo a | /bin/busybox cat'"), "a\n");
  });

  it("busybox sh on ext4: redirection, $( ), loops, sort, wc, grep, ls -l, mkdir, rm, exit status", async () => {
    const s = qemu.get();
    const bb = (script: string) => s.run(`exec /bin/busybox sh -c '${script}'`);
    assert.equal(await bb("mkdir /ptest && cd /ptest && echo hello > f.txt && echo x >> f.txt && cat f.txt && wc -l f.txt"),
      "hello\nx\n2 f.txt\n");
    assert.match(await bb("ls -l /ptest"), /^-rw-r--r-- +1 0 +0 +8 .* f\.txt$/m);
    assert.equal(await bb("for i in 3 1 2; do echo $i; done | sort"), "1\n2\n3\n");
    assert.equal(await bb("echo $(echo sub) ok; grep -c x /ptest/f.txt"), "sub ok\n1\n");
    assert.equal(await bb("mkdir /ptest/d && echo y > /ptest/d/y && rm -r /ptest/d && ls /ptest"), "f.txt\n");
    assert.equal(await bb("exit 3"), "busybox: exit status 3\n");
    const sys = await s.run("procctl syscalls");
    assert.match(sys, /^220 +clone +\d+ +0$/m);
    assert.match(sys, /^293 +rseq +\d+ +\d+$/m, "ENOSYS counted");
  });

  it("leaves the file system clean: fsctl verify, then e2fsck -fn after poweroff", async () => {
    const s = qemu.get();
    assert.match(await s.run("fsctl verify /"), /clean: no inconsistencies/);
    await powerOffAndFsck(s, systemDisk);
    const f = execFileSync("debugfs", ["-R", "cat /ptest/f.txt", systemDisk], { stdio: ["ignore", "pipe", "ignore"] });
    assert.equal(f.toString(), "hello\nx\n");
  });
});
