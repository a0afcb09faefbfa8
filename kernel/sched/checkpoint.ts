// checkpoint(): the one call a long shell command makes in its loops so the kernel keeps
// running while it works, and so Ctrl-C can stop it.
//
//   while (...) { if (checkpoint()) return interrupted("sha256sum"); ...one chunk... }
//
// A shell command runs inside the event loop's pass (kmain -> shell -> handler), so while it
// loops nothing else runs: no journal commit (fscommit, every 5 s), no memory sampling
// (memstat), no OOM prediction. checkpoint() reads the counter and, at most every 10 ms, runs
// one pass of the loop's periodic work: console bytes (Ctrl-C is noted, anything else is kept
// for the shell), pollers, and task slices for at most ~2 ms (due periodic tasks and any
// background workload). Between passes it costs one counter read, so calling it once per
// 4 KiB block or directory entry is free. It returns true once Ctrl-C was typed during the
// command; the command stops, cleans up and reports "interrupted".
//
// Inside a task's step (a task calling code that checkpoints) it never runs the scheduler
// (steps do not nest); it only reports an earlier Ctrl-C.
//
// A pass is the nested event loop's pass (sched/wait.ts pollOnce()) with a task budget and no
// sleep: the console is read (and Ctrl-C noticed) only by wait.ts readConsoleForInterrupt(),
// task slices run through wait.ts runTaskSlices(). checkpoint() adds the rate limit and
// remembers the Ctrl-C for the rest of the command.
import { runPollers, clearDeadline } from "../kernel_loop";
import { currentTask } from "./scheduler";
import { enterNestedLoop, leaveNestedLoop } from "./announce";
import { readConsoleForInterrupt, runTaskSlices } from "./wait";
import { nowTicks, usToTicks } from "../platform/time";
/** Time between two passes: periodic tasks run every 100 ms at the fastest. */
const PASS_INTERVAL_US: u64 = 10_000;
/** Task slices a pass may run (the command keeps most of the CPU). */
const TASK_BUDGET_US: u64 = 2_000;

let passIntervalTicks: u64 = 0;
let taskBudgetTicks: u64 = 0;
let nextPassAt: u64 = 0;
let interruptSeen: bool = false;
let inPass: bool = false;

/** Statistics: calls, passes run, task slices run from passes (tests, `uptime`-style reports). */
export let checkpointCalls: u64 = 0;
export let checkpointPasses: u64 = 0;
export let checkpointSlices: u64 = 0;

/** The shell calls this before each command: forgets an earlier command's Ctrl-C. */
export function beginCommand(): void {
  interruptSeen = false;
  nextPassAt = 0; // the first checkpoint of a command runs a pass (sees a Ctrl-C typed at once)
}

/** True when Ctrl-C was typed since the command began (without running a pass). */
export function interruptRequested(): bool {
  return interruptSeen;
}

/** Runs due periodic work when a pass is due; returns true when Ctrl-C was typed. */
export function checkpoint(): bool {
  checkpointCalls++;
  const now = nowTicks();
  if (now < nextPassAt || inPass || currentTask != null) return interruptSeen;
  if (passIntervalTicks == 0) {
    passIntervalTicks = usToTicks(PASS_INTERVAL_US);
    taskBudgetTicks = usToTicks(TASK_BUDGET_US);
  }
  nextPassAt = now + passIntervalTicks;
  runPass(now);
  return interruptSeen;
}

/** One pass now, whatever the rate limit (a command that is about to wait, tests). */
export function checkpointNow(): bool {
  if (inPass || currentTask != null) return interruptSeen;
  runPass(nowTicks());
  return interruptSeen;
}

function runPass(now: u64): void {
  inPass = true;
  checkpointPasses++;
  if (readConsoleForInterrupt()) interruptSeen = true;
  runPollers();
  // a nested loop: workload summaries wait for the prompt instead of cutting into the output
  enterNestedLoop();
  checkpointSlices += <u64>runTaskSlices(now, taskBudgetTicks);
  leaveNestedLoop();
  clearDeadline(); // the command does not sleep: deadlines of this pass mean nothing
  inPass = false;
}
