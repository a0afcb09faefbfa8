// Basic system commands: version, uname, uptime, ticks, echo, clear, reboot, poweroff.
import { registerCommand } from "../registry";
import { noArgs } from "../args";
import { println, printError, print } from "../../platform/console";
import { ticks, tick_hz, irq_count, power_off, reboot } from "../../platform/imports";
import { nowTicks, ticksToUs, counterHz, bootCompleteTicks } from "../../platform/time";
import { clock, fixed } from "../../lib/format";
import { SIS_NAME, SIS_VERSION, SIS_ARCH, SIS_TOOLCHAIN } from "../../version";
import { unmountAll } from "../../fs/vfs";
import { errorMessage } from "../../lib/errors";

/** Before the power goes: write back and unmount every file system (journals end clean). */
function syncBeforePowerChange(): void {
  const e = unmountAll();
  if (e < 0) printError("unmounting file systems: " + errorMessage(e) + " (the journal replays at next boot)");
  else println("file systems synced and unmounted");
}


registerCommand("version", "show the kernel version", "version\n  Prints the kernel name, version, architecture and toolchain.",
  (args: Array<string>): i32 => {
    if (!noArgs("version", args)) return 1;
    println(SIS_NAME + " " + SIS_VERSION + " " + SIS_ARCH + " (built with " + SIS_TOOLCHAIN + ")");
    return 0;
  });

registerCommand("uname", "print system information", "uname [-a]\n  -a  print kernel name, host name, version, machine and toolchain",
  (args: Array<string>): i32 => {
    if (args.length == 0) {
      println(SIS_NAME);
      return 0;
    }
    if (args.length == 1 && args[0] == "-a") {
      println(SIS_NAME + " sis " + SIS_VERSION + " " + SIS_ARCH + " QEMU-virt " + SIS_TOOLCHAIN);
      return 0;
    }
    printError("usage: uname [-a]");
    return 1;
  });

registerCommand("uptime", "time since power-on", "uptime\n  Time since QEMU started (the virtual counter), and since the shell prompt appeared.",
  (args: Array<string>): i32 => {
    if (!noArgs("uptime", args)) return 1;
    const now = nowTicks();
    const us = ticksToUs(now);
    const sinceBoot = ticksToUs(now - bootCompleteTicks());
    println("up " + clock(us / 1_000_000) + " (" + fixed(<f64>us / 1e6, 3) + " s), shell up " +
      fixed(<f64>sinceBoot / 1e6, 3) + " s");
    return 0;
  });

registerCommand("ticks", "timer ticks and interrupt counts", "ticks\n  Timer interrupts since boot, the tick rate, all interrupts taken, and the raw counter.",
  (args: Array<string>): i32 => {
    if (!noArgs("ticks", args)) return 1;
    println("ticks: " + ticks().toString() + " at " + tick_hz().toString() + " Hz; interrupts: " +
      irq_count().toString() + "; counter: " + nowTicks().toString() + " at " + counterHz().toString() + " Hz");
    return 0;
  });

registerCommand("echo", "print the arguments", "echo [WORD...]\n  Prints the words separated by single spaces.",
  (args: Array<string>): i32 => {
    println(args.join(" "));
    return 0;
  });

registerCommand("clear", "clear the terminal", "clear\n  Clears the screen (ANSI escape sequence).",
  (args: Array<string>): i32 => {
    if (!noArgs("clear", args)) return 1;
    print("\x1b[H\x1b[2J");
    return 0;
  });

registerCommand("reboot", "restart the machine", "reboot\n  Syncs and unmounts the file systems, then resets through PSCI SYSTEM_RESET;\n  the firmware boots SIS again.",
  (args: Array<string>): i32 => {
    if (!noArgs("reboot", args)) return 1;
    syncBeforePowerChange();
    println("rebooting...");
    reboot();
    return 1; // not reached on the target
  });

registerCommand("poweroff", "power the machine off", "poweroff\n  Syncs and unmounts the file systems, then powers off through PSCI SYSTEM_OFF\n  (QEMU exits with status 0).",
  (args: Array<string>): i32 => {
    if (!noArgs("poweroff", args)) return 1;
    syncBeforePowerChange();
    println("powering off");
    power_off();
    return 1; // not reached on the target
  });
