// `stresstest cpu|io|mixed|interactive`: start a seeded workload of kernel tasks.
//
// By default the command starts the tasks and returns to the prompt at once ("started ...;
// results at the end"): the shell stays usable (ps, kill, schedctl...) while they run, and
// the summary is printed by the event loop when the last task ends, followed by a fresh
// prompt. With --wait the command itself runs the event loop until the workload ends and
// prints the summary (Ctrl-C interrupts it; typed-ahead input is kept for the shell).
import { registerSubcommand } from "../families";
import { Options, parseDecimal, parseUnsigned } from "../args";
import { println, printError } from "../../platform/console";
import { WorkloadSpec, startWorkload, startError } from "../../sched/workload";
import { waitForWorkload } from "../../sched/wait";

const MAX_TASKS: i64 = 64;
const COMMON = "\n  --seconds S   size the workload to take about S seconds (0.1..600, default 2)" +
  "\n  --seed N      seed of every random choice (default 1)" +
  "\n  --wait        block the shell until the summary (Ctrl-C interrupts)" +
  "\nStarts the tasks and returns at once; the summary (context switches, turnaround mean/p99," +
  "\nmean wait, response p99, throughput) is printed when the last task ends.";

/** Parses the options every workload takes into `spec`; false (error printed) when invalid. */
function parseCommon(o: Options, spec: WorkloadSpec): bool {
  if (!o.ok) {
    printError(o.error);
    return false;
  }
  if (o.positionals.length > 0) {
    printError("unexpected argument '" + o.positionals[0] + "'");
    return false;
  }
  if (o.hasValue("--seconds")) {
    const s = parseDecimal(o.value("--seconds"));
    if (isNaN(s) || s < 0.1 || s > 600) {
      printError("--seconds must be a number from 0.1 to 600");
      return false;
    }
    spec.seconds = s;
  }
  if (o.hasValue("--seed")) {
    const seed = parseUnsigned(o.value("--seed"));
    if (seed < 0) {
      printError("--seed must be a non-negative integer");
      return false;
    }
    spec.seed = <u64>seed;
  }
  return true;
}

function countOption(o: Options, name: string, fallback: i64, lo: i64): i32 {
  return <i32>o.integer(name, fallback, lo, MAX_TASKS);
}

function launch(spec: WorkloadSpec, wait: bool): i32 {
  if (spec.totalTasks > <i32>MAX_TASKS) {
    printError("at most " + MAX_TASKS.toString() + " tasks in one workload");
    return 1;
  }
  const w = startWorkload(spec);
  if (w == null) {
    printError(startError);
    return 1;
  }
  if (!wait) {
    println("started workload " + w.id.toString() + ": " + spec.describe() + " (" + spec.totalTasks.toString() +
      " tasks) under the " + w.policyName + " policy; results at the end");
    return 0;
  }
  println("running workload " + w.id.toString() + ": " + spec.describe() + " (" + spec.totalTasks.toString() +
    " tasks) under the " + w.policyName + " policy...");
  const complete = waitForWorkload(w);
  println(w.summary());
  return complete ? 0 : 1;
}

function runSingleKind(kind: string, args: Array<string>): i32 {
  const o = new Options(args, ["--tasks", "--seconds", "--seed", "--device"], ["--wait"]);
  const spec = new WorkloadSpec();
  spec.kind = kind;
  if (!parseCommon(o, spec)) return 1;
  const n = countOption(o, "--tasks", 4, 1);
  if (n < 0) return 1;
  if (kind == "cpu") spec.cpuTasks = n;
  else if (kind == "io") spec.ioTasks = n;
  else spec.interactiveTasks = n;
  if (o.hasValue("--device")) {
    if (kind != "io") {
      printError("--device applies to stresstest io and mixed only");
      return 1;
    }
    spec.device = o.value("--device");
  }
  return launch(spec, o.has("--wait"));
}

registerSubcommand("stresstest", "cpu", "CPU-bound kernel tasks (scheduler)",
  "stresstest cpu [--tasks N] [--seconds S] [--seed N] [--wait]" +
  "\n  --tasks N     CPU-bound tasks (1..64, default 4), arriving over the first 20% of S" + COMMON,
  (args: Array<string>): i32 => runSingleKind("cpu", args));

registerSubcommand("stresstest", "io", "I/O-bound kernel tasks on a block device (scheduler)",
  "stresstest io [--tasks N] [--seconds S] [--seed N] [--device NAME] [--wait]" +
  "\n  --tasks N     I/O-bound tasks (1..64, default 4): short CPU bursts and 4 KiB requests" +
  "\n  --device NAME the disk (default vdb, else vda, else the RAM disk ram0; virtio disks are only read)" + COMMON,
  (args: Array<string>): i32 => runSingleKind("io", args));

registerSubcommand("stresstest", "interactive", "interactive kernel tasks: short bursts and sleeps (scheduler)",
  "stresstest interactive [--tasks N] [--seconds S] [--seed N] [--wait]" +
  "\n  --tasks N     interactive tasks (1..64, default 4): 0.2-2 ms bursts, 5-30 ms sleeps" + COMMON,
  (args: Array<string>): i32 => runSingleKind("interactive", args));

registerSubcommand("stresstest", "mixed", "CPU, I/O and interactive tasks together (scheduler)",
  "stresstest mixed [--cpu-tasks A] [--io-tasks B] [--interactive-tasks C] [--seconds S] [--seed N] [--device NAME] [--wait]" +
  "\n  --cpu-tasks A          CPU-bound tasks (0..64, default 2)" +
  "\n  --io-tasks B           I/O-bound tasks (0..64, default 2)" +
  "\n  --interactive-tasks C  interactive tasks (0..64, default 2)" +
  "\n  --device NAME          the disk of the I/O tasks (as for stresstest io)" + COMMON,
  (args: Array<string>): i32 => {
    const o = new Options(args, ["--cpu-tasks", "--io-tasks", "--interactive-tasks", "--seconds", "--seed", "--device"], ["--wait"]);
    const spec = new WorkloadSpec();
    spec.kind = "mixed";
    if (!parseCommon(o, spec)) return 1;
    const a = countOption(o, "--cpu-tasks", 2, 0);
    if (a < 0) return 1;
    const b = countOption(o, "--io-tasks", 2, 0);
    if (b < 0) return 1;
    const c = countOption(o, "--interactive-tasks", 2, 0);
    if (c < 0) return 1;
    spec.cpuTasks = a;
    spec.ioTasks = b;
    spec.interactiveTasks = c;
    if (o.hasValue("--device")) spec.device = o.value("--device");
    if (spec.totalTasks == 0) {
      printError("no tasks: give at least one of --cpu-tasks, --io-tasks, --interactive-tasks");
      return 1;
    }
    return launch(spec, o.has("--wait"));
  });
