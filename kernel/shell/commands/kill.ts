// kill: end a kernel task by id.
import { registerCommand } from "../registry";
import { parseUnsigned } from "../args";
import { println, printError } from "../../platform/console";
import { killTask, findTask } from "../../sched/scheduler";
import { TaskState } from "../../sched/task";
import { EPERM } from "../../lib/errors";
import { printable } from "../shell";

registerCommand("kill", "end a kernel task", "kill ID\n  Ends task ID (see ps). System tasks cannot be killed." +
  "\n  A task with I/O in flight is reaped when its request completes.",
  (args: Array<string>): i32 => {
    if (args.length != 1) { printError("usage: kill ID"); return 1; }
    const v = parseUnsigned(args[0]);
    if (v <= 0 || v > 0x7fffffff) { printError("bad task id '" + printable(args[0], 40) + "'"); return 1; }
    const id = <i32>v;
    const task = findTask(id);
    const name = task != null ? task.name : "";
    const r = killTask(id);
    if (r == -EPERM) { printError("task " + id.toString() + " (" + name + ") is a system task"); return 1; }
    if (r < 0) { printError("no task with id " + id.toString()); return 1; }
    const zombie = task != null && task.state == TaskState.Exited && findTask(id) != null;
    println("killed task " + id.toString() + " (" + name + ")" + (zombie ? "; reaped when its I/O completes" : ""));
    return 0;
  });
