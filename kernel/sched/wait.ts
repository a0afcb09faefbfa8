// A shell command that waits for a workload (`stresstest ... --wait`, `bench sched`) runs this
// nested event loop: pollers and tasks keep running, console bytes are kept for the shell
// (kernel_loop.ts stashConsoleByte), and Ctrl-C interrupts the workload (its tasks are killed
// and the command returns with what was measured so far).
import { Workload } from "./workload";
import { runScheduler } from "./scheduler";
import { enterNestedLoop, leaveNestedLoop } from "./announce";
import { runPollers, idle, stashConsoleByte } from "../kernel_loop";
import { console_read } from "../platform/imports";

const CTRL_C: i32 = 3;

/** Runs the event loop until `w` has finished; returns false when it was interrupted. */
export function waitForWorkload(w: Workload): bool {
  w.waited = true;
  enterNestedLoop();
  while (!w.finished) {
    let c = console_read();
    while (c >= 0) {
      if (c == CTRL_C) w.interrupt();
      else stashConsoleByte(<u8>c);
      c = console_read();
    }
    runPollers();
    if (!runScheduler()) idle();
  }
  leaveNestedLoop();
  return !w.interrupted;
}
