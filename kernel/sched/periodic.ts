// Periodic kernel tasks: a function run every `periodUs` as a scheduled task.
//
//   registerPeriodicTask("memsample", 100_000, sampleMemory);
//
// The function must return quickly (it runs inside one step, which cannot be preempted).
// The task sleeps between runs; runs missed while the CPU was busy are skipped, not
// queued (the next run is one period after the late one). Periodic tasks are system tasks:
// `kill` refuses them, `ps` lists them. Event-loop pollers (kernel_loop.ts registerPoller)
// keep working too; a poller that only needs a period can move here.
import { Task, StepResult } from "./task";
import { spawnTask } from "./scheduler";
import { nowTicks, usToTicks } from "../platform/time";

export type PeriodicFunction = () => void;

export class PeriodicTask extends Task {
  runs: u64 = 0;
  private periodTicks: u64;
  private nextRun: u64 = 0;

  constructor(name: string, public periodUs: u64, public fn: PeriodicFunction) {
    super(name, "periodic");
    this.periodTicks = usToTicks(periodUs < 100 ? 100 : periodUs);
    this.system = true;
  }

  step(): StepResult {
    this.fn();
    this.runs++;
    const now = nowTicks();
    this.nextRun = (this.nextRun == 0 ? now : this.nextRun) + this.periodTicks;
    if (this.nextRun <= now) this.nextRun = now + this.periodTicks;
    return this.sleepUntil(this.nextRun);
  }

  progress(): string {
    return this.runs.toString() + " runs, every " + this.periodUs.toString() + " us";
  }
}

/** Starts `fn` every `periodUs` microseconds (the first run one period from now); returns the task id. */
export function registerPeriodicTask(name: string, periodUs: u64, fn: PeriodicFunction): i32 {
  const task = new PeriodicTask(name, periodUs, fn);
  return spawnTask(task, nowTicks() + usToTicks(periodUs));
}
