// ps: the kernel tasks with their state and accounting (kernel/sched).
import { registerCommand } from "../registry";
import { Options } from "../args";
import { println, printError } from "../../platform/console";
import { fixed, table } from "../../lib/format";
import { liveTasks, counters, activePolicy } from "../../sched/scheduler";
import { Task, TaskState, taskStateName } from "../../sched/task";
import { nowTicks, ticksToUs } from "../../platform/time";
import { printable } from "../shell";
import { printTable } from "../output";

function msOf(ticks: u64): string {
  return fixed(<f64>ticksToUs(ticks) / 1000, 1);
}

function stateOf(t: Task): string {
  if (t.state == TaskState.Exited) return "exiting"; // killed, its I/O still in flight
  if (t.state == TaskState.Blocked) return t.waitRequest != null ? "blocked-io" : "blocked-event";
  return taskStateName(t.state);
}

registerCommand("ps", "list kernel tasks with state and accounting",
  "ps [-l]\n  Columns: ID, NAME, KIND, STATE (runnable, running, sleeping, blocked-io, blocked-event, exiting)," +
  "\n  NICE, CPU and WAIT (runnable but not running) in ms, DISP (dispatches), IOW (I/O waits)," +
  "\n  LAST (ms since it last ran, - if never), WL (workload id)." +
  "\n  -l  also: progress, sleep and I/O-wait time, last attention score",
  (args: Array<string>): i32 => {
    const o = new Options(args, [], ["-l"]);
    if (!o.ok) { printError(o.error); return 1; }
    if (o.positionals.length > 0) { printError("unexpected argument '" + printable(o.positionals[0], 40) + "'"); return 1; }
    const long = o.has("-l");
    const now = nowTicks();
    const list = liveTasks();
    const rows = new Array<Array<string>>(0);
    const header = ["ID", "NAME", "KIND", "STATE", "NICE", "CPU", "WAIT", "DISP", "IOW", "LAST", "WL"];
    if (long) { header.push("SLEEP"); header.push("IOWAIT"); header.push("SCORE"); header.push("PROGRESS"); }
    rows.push(header);
    for (let i = 0; i < list.length; i++) {
      const t = list[i];
      const row = [t.id.toString(), t.name, t.kind, stateOf(t), t.nice.toString(), msOf(t.cpuTicks), msOf(t.waitTicks),
        t.dispatches.toString(), t.ioWaits.toString(), t.dispatches > 0 ? msOf(now - t.lastRunAt) : "-",
        t.workloadId > 0 ? t.workloadId.toString() : "-"];
      if (long) {
        row.push(msOf(t.sleepTicks + t.eventWaitTicks));
        row.push(msOf(t.ioWaitTicks));
        row.push(t.lastScore >= 0 ? fixed(t.lastScore, 3) : "-");
        row.push(t.progress());
      }
      rows.push(row);
    }
    printTable(rows);
    println(list.length.toString() + " tasks; policy " + activePolicy().name + "; " + counters.dispatches.toString() +
      " dispatches, " + counters.contextSwitches.toString() + " context switches since boot");
    return 0;
  });
