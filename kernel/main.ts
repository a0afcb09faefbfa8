// kmain: the kernel's entry, called by arch-aarch64/wasm_runtime.c once the wasm instance
// exists. Prints the banner, brings up the subsystems, starts the shell and runs the
// event loop: take input, run pollers and tasks, sleep until the next interrupt.
import { boot_info, BootKey, tick_hz } from "./platform/imports";
import { println } from "./platform/console";
import { counterHz, nowTicks, ticksToUs } from "./platform/time";
import { totalRamBytes, usableRamBytes } from "./platform/memmap";
import { bytes, fixed } from "./lib/format";
import { consoleShell } from "./shell/shell";
import { runPollers, idle, takeConsoleByte } from "./kernel_loop";
import { runScheduler } from "./sched/scheduler";
import { flushAnnouncements } from "./sched/announce";
import { SIS_NAME, SIS_VERSION, SIS_ARCH } from "./version";
import { probeVirtioDevices, virtioBlockDevices } from "./drivers/virtio/probe";
import { initMemory, managedPages, initMemoryMicros, PAGE_SIZE } from "./mm/pages";
import { mountRootAtBoot } from "./fs/mounting";
import { startOomPredictor, loadSavedOomModel } from "./ai/oom/predictor";
import { setWallClockFromRtc } from "./fs/clock";

/** Counter value when the prompt first appeared: the boot time (the counter starts with QEMU). */
export let bootCompleteTicks: u64 = 0;

/** Counter value when kmain started (after the C runtime set up the wasm instance). */
let kmainTicks: u64 = 0;

function banner(): void {
  const hz = counterHz();
  println("");
  println(SIS_NAME + " " + SIS_VERSION + " (" + SIS_ARCH + ") - an AI-native kernel in TypeScript");
  println("  memory:   " + bytes(totalRamBytes()) + " RAM found, " + bytes(usableRamBytes()) + " usable, " +
    bytes(<u64>managedPages() * <u64>PAGE_SIZE) + " managed by the page allocator (built in " +
    fixed(<f64>initMemoryMicros() / 1000, 2) + " ms)");
  println("  timer:    counter " + fixed(<f64>hz / 1e6, 2) + " MHz, tick " + tick_hz().toString() + " Hz");
  const entry = boot_info(BootKey.CounterAtEntry);
  const exit = boot_info(BootKey.CounterAtExitBoot);
  println("  firmware: entered SIS at " + fixed(<f64>ticksToUs(entry) / 1000, 1) + " ms, left boot services at " +
    fixed(<f64>ticksToUs(exit) / 1000, 1) + " ms, kmain at " + fixed(<f64>ticksToUs(kmainTicks) / 1000, 1) + " ms");
}

/** Probes the virtio-mmio bus; one banner line lists the disks found. */
function probeDisks(): void {
  const started = nowTicks();
  probeVirtioDevices();
  const us = ticksToUs(nowTicks() - started);
  const disks = virtioBlockDevices();
  let line = "";
  for (let i = 0; i < disks.length; i++) {
    line += (i > 0 ? ", " : "") + disks[i].name + " " + bytes(disks[i].sizeBytes) + (disks[i].readOnly ? " (read-only)" : "");
  }
  println("  disks:    " + (disks.length > 0 ? line : "none found (lsdev shows the virtio-mmio bus)") +
    " (virtio-mmio probed in " + fixed(<f64>us / 1000, 1) + " ms)");
}

export function kmain(): void {
  kmainTicks = nowTicks();
  setWallClockFromRtc(); // the PL031 RTC: files get real dates (kernel/platform/rtc.ts)
  initMemory(); // the page allocator, from the UEFI memory map (kernel/mm/pages.ts)
  startOomPredictor(); // the task "oompredict": OOM prediction every 100 ms (kernel/ai/oom)
  banner();
  probeDisks();
  mountRootAtBoot(); // the system disk (vda) at "/", or a tmpfs root: one banner line, never a panic
  const oomModel = loadSavedOomModel(); // /models/oom-model.txt, when `crashctl save` wrote one
  if (oomModel.length > 0) println("  " + oomModel);
  bootCompleteTicks = nowTicks();
  println("  boot:     prompt at " + fixed(<f64>ticksToUs(bootCompleteTicks) / 1000, 1) +
    " ms after power-on. Type 'help' for commands.");
  consoleShell.start();
  // The event loop: console input -> shell; pollers; one task slice (kernel/sched);
  // messages from finished workloads; sleep until the next interrupt when nothing is runnable
  // and nothing is due before the next timer tick (kernel_loop.ts idle()).
  while (true) {
    let c = takeConsoleByte();
    while (c >= 0) {
      consoleShell.feed(<u8>c);
      c = takeConsoleByte();
    }
    runPollers();
    const ran = runScheduler();
    flushAnnouncements();
    if (!ran) idle();
  }
}
