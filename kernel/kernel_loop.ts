// Work the event loop does on every pass besides reading the console and running tasks:
// device completion polling, periodic samplers. Subsystems register a poller at init.
//
// One pass of the loop (kmain, and the nested loop of a shell command that waits for
// tasks, kernel/sched/wait.ts) is:
//   console bytes -> shell;  runPollers();  run one task slice (kernel/sched);  idle()
// idle() sleeps with wait_for_interrupt() only when nothing is due before the next timer
// tick: a poller or the scheduler that needs to run at a known time calls
// wakeNoLaterThan(ticks) on each pass (the 100 Hz tick is the only timer interrupt, so a
// deadline closer than one tick is met by polling instead of sleeping).
//
// Console bytes read while a command holds the shell (a nested loop) are kept with
// stashConsoleByte() and handed to the shell first by takeConsoleByte() afterwards.
import { console_read, wait_for_interrupt, tick_hz } from "./platform/imports";
import { counterHz, nowTicks } from "./platform/time";

export type Poller = () => void;
const pollers = new Array<Poller>(0);

export function registerPoller(p: Poller): void {
  pollers.push(p);
}

export function runPollers(): void {
  for (let i = 0; i < pollers.length; i++) pollers[i]();
}

const NO_DEADLINE: u64 = u64.MAX_VALUE;
let nextDeadline: u64 = NO_DEADLINE;

/** Asks the loop not to sleep past counter value `ticks` on this pass. */
export function wakeNoLaterThan(ticks: u64): void {
  if (ticks < nextDeadline) nextDeadline = ticks;
}

/** Passes that slept in wait_for_interrupt(), and passes that polled instead (statistics). */
export let idleSleeps: u64 = 0;
export let idlePolls: u64 = 0;

/**
 * Called when there is nothing to run: sleeps until the next interrupt unless a deadline
 * registered on this pass falls before the next timer tick. Clears the deadline.
 */
export function idle(): void {
  const deadline = nextDeadline;
  nextDeadline = NO_DEADLINE;
  if (deadline != NO_DEADLINE) {
    const hz = <u64>tick_hz();
    const tickTicks = hz > 0 ? counterHz() / hz : counterHz() / 100;
    if (deadline <= nowTicks() + tickTicks) {
      idlePolls++;
      return;
    }
  }
  idleSleeps++;
  wait_for_interrupt();
}

/** Forgets the deadlines of this pass (a pass that ran a task does not idle). */
export function clearDeadline(): void {
  nextDeadline = NO_DEADLINE;
}

const stashed = new Array<u8>(0);
let stashHead: i32 = 0;

/** Keeps a console byte read by a nested loop for the shell (up to 4096 bytes are kept). */
export function stashConsoleByte(b: u8): void {
  if (stashed.length - stashHead < 4096) stashed.push(b);
}

/** The next console byte for the shell: stashed bytes first, then the UART; -1 when none. */
export function takeConsoleByte(): i32 {
  if (stashHead < stashed.length) {
    const b = <i32>stashed[stashHead++];
    if (stashHead == stashed.length) {
      stashed.length = 0;
      stashHead = 0;
    }
    return b;
  }
  return console_read();
}
