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

const CTRL_C: i32 = 3;

/**
 * One pass of a nested event loop: reads the console (keeping bytes for the shell), then
 * runs the pollers and one task slice, sleeping when nothing ran. Returns true, before
 * running anything, when a Ctrl-C was typed.
 */
export function pollOnce(): bool {
  let interrupted = false;
  let c = console_read();
  while (c >= 0) {
    if (c == CTRL_C) interrupted = true;
    else stashConsoleByte(<u8>c);
    c = console_read();
  }
  if (interrupted) return true;
  runPollers();
  if (!runScheduler()) idle();
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
