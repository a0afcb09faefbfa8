// The real image in QEMU: boot banner, every basic command, error paths, line editing over
// the serial line, panic reports, reboot and poweroff.
import assert from "node:assert/strict";
import * as path from "node:path";
import { QemuSession, ROOT } from "../../host/qemu.ts";
import { bootForSuite, requireImage, scratchCopy } from "./helpers.ts";

describe("target: boot and shell", function () {
  this.timeout(120000);
  const systemDisk = scratchCopy(path.join(ROOT, "build/disk.img"), "disk.img");
  const qemu = bootForSuite({ systemDisk });

  it("prints a banner with version, memory, timer frequency and boot time under 2 s", () => {
    const log = qemu.get().serialLog;
    assert.match(log, /SIS 0\.1\.0 \(aarch64\)/);
    assert.match(log, /memory: +1\.00 GiB RAM found, \d+(\.\d+)? MiB usable/);
    assert.match(log, /timer: +counter 62\.50 MHz, tick 100 Hz/);
    const boot = log.match(/prompt at (\d+\.\d) ms after power-on/);
    assert.ok(boot, "boot time shown");
    const ms = Number(boot![1]);
    console.log(`      boot to prompt: ${ms} ms (counter), ${Date.now() - qemu.get().startedAt} ms wall incl. QEMU start`);
    assert.ok(ms < 2000, `prompt at ${ms} ms`);
  });

  it("help lists the commands", async () => {
    const out = await qemu.get().run("help");
    for (const name of ["help", "version", "uname", "uptime", "meminfo", "echo", "clear", "ticks", "reboot", "poweroff"]) {
      assert.match(out, new RegExp(`^  ${name} +\\S`, "m"));
    }
    assert.match(await qemu.get().run("help meminfo"), /^meminfo \[-v\]/);
  });

  it("version and uname -a", async () => {
    assert.match(await qemu.get().run("version"), /^SIS 0\.1\.0 aarch64 \(built with AssemblyScript/);
    assert.match(await qemu.get().run("uname -a"), /^SIS sis 0\.1\.0 aarch64/);
  });

  it("uptime and ticks advance with the timer", async () => {
    const s = qemu.get();
    const t1 = Number((await s.run("ticks")).match(/ticks: (\d+) at 100 Hz/)![1]);
    await new Promise((r) => setTimeout(r, 300));
    const t2 = Number((await s.run("ticks")).match(/ticks: (\d+) at 100 Hz/)![1]);
    assert.ok(t2 > t1, `ticks ${t1} -> ${t2}`);
    assert.match(await s.run("uptime"), /^up 00:00:\d\d \(\d+\.\d{3} s\)/);
  });

  it("meminfo shows RAM from the UEFI memory map by type", async () => {
    const out = await qemu.get().run("meminfo");
    assert.match(out, /total RAM: +1\.00 GiB/);
    const usable = Number(out.match(/usable: +(\d+\.\d) MiB/)![1]);
    assert.ok(usable > 900, `usable ${usable} MiB`);
    assert.match(out, /conventional +\d+\.\d MiB +usable/);
    assert.match(out, /runtime services code .* reserved/);
    assert.match(await qemu.get().run("meminfo -v"), /0x0040000000/);
  });

  it("echo keeps quoted words, clear prints the ANSI sequence", async () => {
    assert.equal(await qemu.get().run('echo one "two  three"'), "one two  three\n");
    assert.equal(await qemu.get().run("clear"), "\x1b[H\x1b[2J");
  });

  it("an unknown command gives one clear error line", async () => {
    assert.equal(await qemu.get().run("no-such-command --x"),
      "error: unknown command 'no-such-command' (type 'help' for the list of commands)\n");
  });

  it("line editing works over the serial line: backspace, Ctrl-U, Ctrl-C, history", async () => {
    const s = qemu.get();
    assert.equal(await s.run("echo abX\x7fc"), "abc\n");
    assert.equal(await s.run("garbage\x15echo fresh"), "fresh\n");
    const mark = s.serialLog.length;
    s.type("echo never\x03");
    await s.waitFor("^C\r\nsis> ", 30000, mark);
    assert.equal(await s.run("\x1b[A"), "fresh\n", "up-arrow recalls the last command");
  });

  it("a 10 KB line and binary garbage give errors, and the shell keeps working", async () => {
    const s = qemu.get();
    const long = await s.run("echo " + "x".repeat(10240));
    assert.match(long, /error: line too long: \d+ bytes over the 4096-byte limit; nothing was run/);
    const bytes: number[] = [];
    let seed = 99;
    for (let i = 0; i < 3000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const b = seed >>> 24;
      if (b !== 13 && b !== 10 && b !== 3) bytes.push(b);
    }
    const mark = s.serialLog.length;
    s.type(Buffer.from(bytes));
    s.type("\x03");
    await s.waitFor(/\^C\r\nsis> $/, 30000, mark);
    assert.equal(await s.run("echo alive"), "alive\n");
  });

  it("reboot restarts through the firmware and comes back to the prompt", async () => {
    const s = qemu.get();
    const before = s.serialLog.length;
    s.type("reboot\r");
    await s.waitFor(/SIS 0\.1\.0 \(aarch64\)[\s\S]*for commands\.\r\nsis> /, 60000, before);
    assert.equal(await s.run("echo back"), "back\n");
  });

  it("poweroff makes QEMU exit with status 0", async () => {
    const s = qemu.get();
    s.type("poweroff\r");
    assert.equal(await s.waitExit(30000), 0);
  });
});

describe("target: panic reports", function () {
  this.timeout(120000);
  const cases: [string, RegExp][] = [
    ["trap", /KERNEL PANIC: wasm trap: unreachable executed\r\n +trapping code at image offset 0x[0-9a-f]+/],
    ["abort", /KERNEL PANIC: kernel abort: deliberate assertion failure from the panic command\r\n +at kernel\/shell\/commands\/panic\.ts:\d+:\d+/],
    ["fault", /KERNEL PANIC: CPU exception: synchronous exception\r\n +cause: data abort[\s\S]*FAR_EL1 0x0000002000000000/],
    // kernel.c has no software bounds checks: the MMU's guard region above linear memory catches it
    ["oob", /KERNEL PANIC: wasm trap: out-of-bounds memory access \(guard region\)\r\n +CPU exception: synchronous exception\r\n +cause: data abort[\s\S]*FAR_EL1 0x00000010fffffff0/],
  ];
  for (const [kind, report] of cases) {
    it(`panic ${kind} prints a clear report and halts`, async () => {
      requireImage();
      const s = await QemuSession.start({ systemDisk: null });
      try {
        await s.waitForPrompt();
        s.type(`panic ${kind}\r`);
        await s.waitFor("*** system halted\r\n", 30000);
        assert.match(s.serialLog, report);
        const length = s.serialLog.length;
        s.type("help\r");
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(s.serialLog.length, length, "a halted kernel answers nothing");
        assert.equal(s.exitCode, null, "QEMU keeps running (halted, not crashed)");
      } catch (e) {
        console.log(s.serialLog);
        throw e;
      } finally {
        await s.close();
      }
    });
  }
});
