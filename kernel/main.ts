// kmain: the kernel's entry, called by arch-aarch64/wasm_runtime.c once the wasm instance
// exists. Prints the banner, brings up the subsystems, starts the shell and runs the
// event loop: take input, run whatever is ready, sleep until the next interrupt.
import { console_read, wait_for_interrupt, boot_info, BootKey, tick_hz } from "./platform/imports";
import { println } from "./platform/console";
import { counterHz, nowTicks, ticksToUs } from "./platform/time";
import { totalRamBytes, usableRamBytes } from "./platform/memmap";
import { bytes, fixed } from "./lib/format";
import { consoleShell } from "./shell/shell";
import { runPollers } from "./kernel_loop";
import { SIS_NAME, SIS_VERSION, SIS_ARCH } from "./version";
import { mountRootAtBoot } from "./fs/mounting";

/** Counter value when the prompt first appeared: the boot time (the counter starts with QEMU). */
export let bootCompleteTicks: u64 = 0;

function banner(): void {
  const hz = counterHz();
  println("");
  println(SIS_NAME + " " + SIS_VERSION + " (" + SIS_ARCH + ") - an AI-native kernel in TypeScript");
  println("  memory:   " + bytes(totalRamBytes()) + " RAM found, " + bytes(usableRamBytes()) + " usable");
  println("  timer:    counter " + fixed(<f64>hz / 1e6, 2) + " MHz, tick " + tick_hz().toString() + " Hz");
  const entry = boot_info(BootKey.CounterAtEntry);
  const exit = boot_info(BootKey.CounterAtExitBoot);
  println("  firmware: entered SIS at " + fixed(<f64>ticksToUs(entry) / 1000, 1) + " ms, left boot services at " +
    fixed(<f64>ticksToUs(exit) / 1000, 1) + " ms");
}

export function kmain(): void {
  banner();
  mountRootAtBoot(); // the system disk (vda) at "/", or a tmpfs root: one banner line, never a panic
  bootCompleteTicks = nowTicks();
  println("  boot:     prompt at " + fixed(<f64>ticksToUs(bootCompleteTicks) / 1000, 1) +
    " ms after power-on. Type 'help' for commands.");
  consoleShell.start();
  while (true) {
    let c = console_read();
    while (c >= 0) {
      consoleShell.feed(<u8>c);
      c = console_read();
    }
    runPollers();
    wait_for_interrupt();
  }
}
