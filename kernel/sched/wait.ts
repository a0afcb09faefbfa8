// The nested event loop: a shell command that waits for tasks (`stresstest ... --wait`,
// `bench sched`, `crashctl run --wait`) calls pollOnce() until they are done. Pollers and
// tasks keep running, console bytes are kept for the shell (kernel_loop.ts stashConsoleByte),
// and Ctrl-C is reported to the caller, which interrupts its work and returns with what was
// measured so far. Callers bracket the loop with enterNestedLoop()/leaveNestedLoop() so
// queued announcements wait until the command's output is done.
import { Workload } from "./workload";
import { runScheduler } from "./scheduler";
import { enterNestedLoop, leaveNestedLoop } from "./announce";
import { runPollers, idle, stashConsoleByte } from "../kernel_loop";
import { console_read } from "../platform/imports";
import { nowTicks } from "../platform/time";

const CTRL_C: i32 = 3;

/**
 * The one place that notices Ctrl-C: drains the console, keeping every other byte for the
 * shell; returns true when a Ctrl-C was among the bytes read. pollOnce() and checkpoint()
 * (sched/checkpoint.ts) both read the console only through this.
 */
export function readConsoleForInterrupt(): bool {
  let interrupted = false;
  let c = console_read();
  while (c >= 0) {
    if (c == CTRL_C) interrupted = true;
    else stashConsoleByte(<u8>c);
    c = console_read();
  }
  return interrupted;
}

/**
 * Runs task slices until one finds nothing to run or `budgetTicks` have passed since `start`
 * (budget 0: one slice). Returns the number of slices that ran.
 */
export function runTaskSlices(start: u64, budgetTicks: u64): i32 {
  let slices = 0;
  const end = start + budgetTicks;
  while (runScheduler()) {
    slices++;
    if (budgetTicks == 0 || nowTicks() >= end) break;
  }
  return slices;
}

/**
 * One pass of a nested event loop: reads the console (keeping bytes for the shell), then
 * runs the pollers and one task slice, sleeping when nothing ran. Returns true, before
 * running anything, when a Ctrl-C was typed.
 */
export function pollOnce(): bool {
  if (readConsoleForInterrupt()) return true;
  runPollers();
  if (runTaskSlices(0, 0) == 0) idle();
  return false;
}

/** Runs the event loop until `w` has finished; returns false when it was interrupted. */
export function waitForWorkload(w: Workload): bool {
  w.waited = true;
  enterNestedLoop();
  while (!w.finished) {
    if (pollOnce()) w.interrupt();
  }
  leaveNestedLoop();
  return !w.interrupted;
}
