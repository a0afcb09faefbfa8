// kmain: the kernel's entry, called by arch-aarch64/wasm_runtime.c once the wasm instance
// exists. Brings the kernel up (kernel/init.ts, in boot order), starts the shell and runs
// the event loop: take input, run pollers and tasks, sleep until the next interrupt.
import { bootKernel } from "./init";
import { nowTicks } from "./platform/time";
import { consoleShell } from "./shell/shell";
import { flushAnnouncements } from "./shell/announce";
import { runPollers, idle, takeConsoleByte } from "./kernel_loop";
import { runScheduler } from "./sched/scheduler";

export function kmain(): void {
  bootKernel(nowTicks());
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
