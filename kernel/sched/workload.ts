// A workload: a seeded set of tasks started together, and the statistics of its run.
//
// Sizing (--seconds S, so that a run takes about S seconds on one CPU; the real makespan is
// measured, not assumed):
//   cpu          N tasks, CPU demand S/N * U(0.5, 1.5) each (total ~S)
//   io           N tasks, S / (N * 360 us) * U(0.5, 1.5) requests each (360 us = nominal
//                RAM-disk service time 250 us + mean burst 110 us)
//   interactive  N tasks, S / (N_eff * 18.6 ms) cycles each (mean burst 1.1 ms + think 17.5 ms)
//   mixed        A cpu tasks sharing 0.6 S of CPU, B io tasks and C interactive tasks sized
//                for S as above
// Arrivals are spread uniformly over the first 20% of S. Everything is drawn from the seed.
//
// Summary metrics (over the tasks of the workload):
//   context switches   dispatches of a different task than the one before, during the run
//   turnaround         exit - arrival, per task: mean and max (killed tasks excluded; with at
//                      most 48 tasks a "p99" would be the max, so it is called that)
//   wait               time runnable but not running, per task: mean
//   response           wake-up (sleep deadline or I/O completion) -> end of the burst that
//                      followed (next sleep/block/exit): p99 over all such bursts, and over
//                      the interactive tasks' bursts ("interactive response p99")
//   throughput         tasks completed per second of makespan (first arrival -> last exit);
//                      also I/O operations per second and the share of the makespan the CPU
//                      spent in the workload's tasks
import { Task, TaskObserver } from "./task";
import { CpuTask, IoTask, InteractiveTask, PeriodicTask } from "./workloads";
import { spawnTask, counters, activePolicy, killTask, liveTasks } from "./scheduler";
import { queueAnnouncement } from "./announce";
import { percentile, mean } from "../lib/stats";
import { Random } from "../lib/random";
import { BlockDevice, findBlockDevice, registerBlockDevice } from "../block/device";
import { RamDisk } from "../block/ramdisk";
import { nowTicks, ticksToUs, usToTicks } from "../platform/time";
import { fixed } from "../lib/format";

export const RAMDISK_NAME = "ram0";
export const RAMDISK_SECTORS: u64 = 16384; // 8 MiB
export const RAMDISK_SERVICE_US: u64 = 250;

export class WorkloadSpec {
  kind: string = "cpu";
  seed: u64 = 1;
  seconds: f64 = 2;
  cpuTasks: i32 = 0;
  ioTasks: i32 = 0;
  interactiveTasks: i32 = 0;
  /** Periodic interactive tasks (workloads.ts PeriodicTask: bursts that repeat a pattern; `bench sched --mix C,I,X,P`). */
  periodicTasks: i32 = 0;
  /** Block device for io tasks ("" = vdb, else vda, else the RAM disk). */
  device: string = "";

  get totalTasks(): i32 {
    return this.cpuTasks + this.ioTasks + this.interactiveTasks + this.periodicTasks;
  }

  describe(): string {
    return this.kind + " (" + (this.cpuTasks > 0 ? this.cpuTasks.toString() + " cpu, " : "") +
      (this.ioTasks > 0 ? this.ioTasks.toString() + " io, " : "") +
      (this.interactiveTasks > 0 ? this.interactiveTasks.toString() + " interactive, " : "") +
      (this.periodicTasks > 0 ? this.periodicTasks.toString() + " periodic, " : "") +
      fixed(this.seconds, 1) + " s, seed " + this.seed.toString() + ")";
  }
}

let ramDisk: RamDisk | null = null;

/** The RAM disk of the io workloads (created on first use, registered as ram0). */
export function workloadRamDisk(): RamDisk {
  if (ramDisk == null) {
    ramDisk = new RamDisk(RAMDISK_NAME, RAMDISK_SECTORS, RAMDISK_SERVICE_US);
    registerBlockDevice(ramDisk!);
  }
  return ramDisk!;
}

/** The device io tasks use: the named one, else vdb, else vda, else the RAM disk; null if named and absent. */
export function chooseDevice(name: string): BlockDevice | null {
  if (name.length > 0) {
    if (name == RAMDISK_NAME) return workloadRamDisk();
    return findBlockDevice(name);
  }
  const vdb = findBlockDevice("vdb");
  if (vdb != null) return vdb;
  const vda = findBlockDevice("vda");
  if (vda != null) return vda;
  return workloadRamDisk();
}

export function describeDevice(d: BlockDevice): string {
  if (d instanceof RamDisk) {
    const r = changetype<RamDisk>(d);
    return d.name + " (RAM disk, modeled service time " + r.serviceTimeUs.toString() + " us per request)";
  }
  return d.name + " (reads only)";
}

export class Workload extends TaskObserver {
  id: i32;
  policyName: string;
  startTicks: u64;
  endTicks: u64 = 0;
  firstArrival: u64 = u64.MAX_VALUE;
  finished: bool = false;
  interrupted: bool = false;
  /** A shell command waits for it (it prints the summary itself). */
  waited: bool = false;
  taskIds: Array<i32> = new Array<i32>(0);
  exited: i32 = 0;
  killed: i32 = 0;
  turnaroundsUs: Array<f64> = new Array<f64>(0);
  /** Sum of turnarounds (us) and counts per task kind: 0 cpu, 1 io, 2 interactive (where the mean comes from). */
  kindTurnaroundUs: StaticArray<f64> = new StaticArray<f64>(3);
  kindCount: StaticArray<i32> = new StaticArray<i32>(3);
  /** Per task kind (0 cpu, 1 io, 2 interactive), summed at exit: dispatches, completed bursts and their CPU (us), waits (us), I/O done at return. */
  kindDispatches: StaticArray<u64> = new StaticArray<u64>(3);
  kindBursts: StaticArray<u64> = new StaticArray<u64>(3);
  kindBurstUs: StaticArray<f64> = new StaticArray<f64>(3);
  kindWaitUs: StaticArray<f64> = new StaticArray<f64>(3);
  kindIoDoneAtReturn: StaticArray<u64> = new StaticArray<u64>(3);
  cpuTicksAtStart: u64;
  /** CPU of every task (workload's and system tasks') during the run. */
  allCpuTicks: u64 = 0;
  waitsUs: Array<f64> = new Array<f64>(0);
  responsesUs: Array<f64> = new Array<f64>(0);
  interactiveResponsesUs: Array<f64> = new Array<f64>(0);
  cpuTicks: u64 = 0;
  /** Longest continuous runnable-but-not-running interval of any of its tasks (us). */
  maxWaitUs: f64 = 0;
  ioOps: i64 = 0;
  ioErrors: i64 = 0;
  switchesAtStart: u64;
  dispatchesAtStart: u64;
  switches: u64 = 0;
  dispatches: u64 = 0;
  deviceText: string = "";

  constructor(public spec: WorkloadSpec) {
    super();
    this.id = ++workloadCount;
    this.policyName = activePolicy().name;
    this.startTicks = nowTicks();
    this.switchesAtStart = counters.contextSwitches;
    this.dispatchesAtStart = counters.dispatches;
    this.cpuTicksAtStart = counters.cpuTicks;
  }

  onResponse(task: Task, us: f64): void {
    this.responsesUs.push(us);
    if (task.kind == "interactive") this.interactiveResponsesUs.push(us);
  }

  onExit(task: Task): void {
    this.exited++;
    if (task.arrivedAt != 0 && task.arrivedAt < this.firstArrival) this.firstArrival = task.arrivedAt;
    if (task.killed) this.killed++;
    else if (task.arrivedAt != 0) {
      const us = <f64>ticksToUs(task.exitedAt - task.arrivedAt);
      this.turnaroundsUs.push(us);
      const k = task.kind == "cpu" ? 0 : task.kind == "io" ? 1 : 2;
      this.kindTurnaroundUs[k] += us;
      this.kindCount[k]++;
    }
    this.waitsUs.push(<f64>ticksToUs(task.waitTicks));
    const mw = <f64>ticksToUs(task.maxWaitTicks);
    if (mw > this.maxWaitUs) this.maxWaitUs = mw;
    this.cpuTicks += task.cpuTicks;
    const kk = task.kind == "cpu" ? 0 : task.kind == "io" ? 1 : 2;
    this.kindDispatches[kk] += task.dispatches;
    this.kindBursts[kk] += task.burstsCompleted;
    this.kindBurstUs[kk] += task.burstSumUs;
    this.kindWaitUs[kk] += <f64>ticksToUs(task.waitTicks);
    this.kindIoDoneAtReturn[kk] += task.ioDoneAtReturn;
    if (task instanceof IoTask) {
      const io = changetype<IoTask>(task);
      this.ioOps += io.opsDone;
      this.ioErrors += io.errors;
    }
    if (this.exited == this.taskIds.length) this.complete();
  }

  private complete(): void {
    this.endTicks = nowTicks();
    this.switches = counters.contextSwitches - this.switchesAtStart;
    this.dispatches = counters.dispatches - this.dispatchesAtStart;
    this.allCpuTicks = counters.cpuTicks - this.cpuTicksAtStart;
    this.finished = true;
    if (activeWorkload === this) activeWorkload = null;
    if (!this.waited) queueAnnouncement(this.summary());
  }

  /** Kills every task still alive (Ctrl-C during --wait). */
  interrupt(): void {
    this.interrupted = true;
    const ids = this.taskIds;
    for (let i = 0; i < ids.length; i++) killTask(ids[i]);
  }

  get makespanUs(): f64 {
    const from = this.firstArrival == u64.MAX_VALUE ? this.startTicks : this.firstArrival;
    const to = this.finished ? this.endTicks : nowTicks();
    return <f64>ticksToUs(to > from ? to - from : 0);
  }

  get completed(): i32 {
    return this.exited - this.killed;
  }

  throughputTasksPerSecond(): f64 {
    const ms = this.makespanUs;
    return ms > 0 ? <f64>this.completed / (ms / 1e6) : 0;
  }

  summary(): string {
    const mk = this.makespanUs;
    let s = "stresstest " + this.spec.describe() + ", policy " + this.policyName + ": " +
      this.completed.toString() + "/" + this.taskIds.length.toString() + " tasks done" +
      (this.killed > 0 ? ", " + this.killed.toString() + " killed" : "") +
      (this.interrupted ? " (interrupted)" : "") + ", makespan " + fixed(mk / 1e6, 3) + " s";
    s += "\n  context switches: " + this.switches.toString() + " (" + this.dispatches.toString() + " dispatches)";
    // (a workload has at most 48 tasks: a 99th percentile of their turnarounds is the maximum)
    s += "\n  turnaround: mean " + ms(mean(this.turnaroundsUs)) + ", max " + ms(percentile(this.turnaroundsUs, 100)) +
      " (n=" + this.turnaroundsUs.length.toString() + ")";
    s += "\n  wait (runnable, not running): mean " + ms(mean(this.waitsUs)) + " per task, longest " + ms(this.maxWaitUs);
    s += "\n  response after wake-up: " + tail(this.responsesUs) + "; interactive response " + tail(this.interactiveResponsesUs);
    s += "\n  throughput: " + fixed(this.throughputTasksPerSecond(), 2) + " tasks/s";
    if (this.spec.ioTasks > 0) {
      s += ", " + this.ioOps.toString() + " I/O ops (" + fixed(mk > 0 ? <f64>this.ioOps / (mk / 1e6) : 0, 1) + "/s" +
        (this.ioErrors > 0 ? ", " + this.ioErrors.toString() + " failed" : "") + ")";
    }
    s += ", CPU busy " + fixed(mk > 0 ? 100 * <f64>ticksToUs(this.cpuTicks) / mk : 0, 1) + "%";
    if (this.deviceText.length > 0) s += "\n  device: " + this.deviceText;
    return s;
  }

  /** Mean turnaround (us) of the completed tasks of kind k (0 cpu, 1 io, 2 interactive); NaN when none. */
  kindMeanUs(k: i32): f64 {
    return this.kindCount[k] > 0 ? this.kindTurnaroundUs[k] / <f64>this.kindCount[k] : NaN;
  }

  /** The results as one JSON object (bench sched). */
  json(): string {
    const mk = this.makespanUs;
    return "{\"policy\":\"" + this.policyName + "\",\"makespan_ms\":" + num(mk / 1000) +
      ",\"tasks\":" + this.taskIds.length.toString() + ",\"completed\":" + this.completed.toString() +
      ",\"context_switches\":" + this.switches.toString() +
      ",\"turnaround_mean_ms\":" + num(mean(this.turnaroundsUs) / 1000) +
      ",\"turnaround_max_ms\":" + num(percentile(this.turnaroundsUs, 100) / 1000) +
      ",\"turnaround_mean_by_kind_ms\":{\"cpu\":" + num(this.kindMeanUs(0) / 1000) + ",\"io\":" + num(this.kindMeanUs(1) / 1000) +
      ",\"interactive\":" + num(this.kindMeanUs(2) / 1000) + "}" +
      ",\"wait_mean_ms\":" + num(mean(this.waitsUs) / 1000) +
      ",\"max_wait_ms\":" + num(this.maxWaitUs / 1000) +
      ",\"response_p99_ms\":" + num(percentile(this.responsesUs, 99) / 1000) +
      ",\"interactive_response_p99_ms\":" + num(percentile(this.interactiveResponsesUs, 99) / 1000) +
      ",\"interactive_responses\":" + this.interactiveResponsesUs.length.toString() +
      ",\"throughput_tasks_per_s\":" + num(this.throughputTasksPerSecond()) +
      ",\"io_ops_per_s\":" + num(mk > 0 ? <f64>this.ioOps / (mk / 1e6) : 0) +
      ",\"dispatches\":" + this.dispatches.toString() +
      ",\"other_cpu_ms\":" + num(<f64>ticksToUs(this.allCpuTicks > this.cpuTicks ? this.allCpuTicks - this.cpuTicks : 0) / 1000) +
      ",\"by_kind\":{" + this.kindJson(0, "cpu") + "," + this.kindJson(1, "io") + "," + this.kindJson(2, "interactive") + "}}";
  }

  /** Diagnostics of one task kind: dispatches, completed bursts and their mean (us), total wait (ms), WaitIo already done at return. */
  private kindJson(k: i32, name: string): string {
    return "\"" + name + "\":{\"dispatches\":" + this.kindDispatches[k].toString() + ",\"bursts\":" + this.kindBursts[k].toString() +
      ",\"burst_mean_us\":" + num(this.kindBursts[k] > 0 ? this.kindBurstUs[k] / <f64>this.kindBursts[k] : NaN) +
      ",\"wait_ms\":" + num(this.kindWaitUs[k] / 1000) + ",\"io_done_at_return\":" + this.kindIoDoneAtReturn[k].toString() + "}";
  }
}

/** "p99 X ms (n=N)"; below 100 samples the nearest-rank p99 is the maximum, so "max X ms (n=N)". */
function tail(v: Array<f64>): string {
  const label = v.length >= 100 || v.length == 0 ? "p99 " : "max ";
  return label + ms(percentile(v, 99)) + " (n=" + v.length.toString() + ")";
}

function ms(us: f64): string {
  if (isNaN(us)) return "n/a";
  return fixed(us / 1000, 2) + " ms";
}

/** A JSON number (null for NaN/infinite). */
export function num(v: f64): string {
  if (!isFinite(v)) return "null";
  return fixed(v, 4);
}

let workloadCount: i32 = 0;
/** The workload running now (one at a time), or null. */
export let activeWorkload: Workload | null = null;

/** Starts the tasks of `spec`; returns the workload, or null with `startError` set. */
export let startError: string = "";

export function startWorkload(spec: WorkloadSpec): Workload | null {
  startError = "";
  if (activeWorkload != null) {
    startError = "workload " + activeWorkload!.id.toString() + " (" + activeWorkload!.spec.kind +
      ") is still running; wait for its summary or kill its tasks";
    return null;
  }
  if (spec.totalTasks <= 0) {
    startError = "no tasks to run";
    return null;
  }
  let device: BlockDevice | null = null;
  if (spec.ioTasks > 0) {
    device = chooseDevice(spec.device);
    if (device == null) {
      startError = "no block device named '" + spec.device + "'";
      return null;
    }
  }
  const w = new Workload(spec);
  if (device != null) w.deviceText = describeDevice(changetype<BlockDevice>(device));
  const plan = Random.derive(spec.seed, 0);
  const now = nowTicks();
  const S = spec.seconds * 1e6; // us
  const arrivalWindow = S * 0.2;
  let stream: u64 = 1;
  // cpu tasks: mixed gives them 60% of S, cpu-only all of it
  const cpuShare = spec.ioTasks + spec.interactiveTasks > 0 ? 0.6 : 1.0;
  for (let i = 0; i < spec.cpuTasks; i++) {
    const budget = <u64>(S * cpuShare / <f64>spec.cpuTasks * plan.uniform(0.5, 1.5));
    const t = new CpuTask("cpu" + i.toString(), budget < 1000 ? 1000 : budget);
    addTask(w, t, now + usToTicks(<u64>plan.uniform(0, arrivalWindow)));
    stream++;
  }
  for (let i = 0; i < spec.ioTasks; i++) {
    const ops = <i32>(S / (<f64>spec.ioTasks * 360.0) * plan.uniform(0.5, 1.5));
    const allowWrites = device instanceof RamDisk;
    const t = new IoTask("io" + i.toString(), device!, ops < 1 ? 1 : ops, spec.seed, stream, allowWrites);
    addTask(w, t, now + usToTicks(<u64>plan.uniform(0, arrivalWindow)));
    stream++;
  }
  for (let i = 0; i < spec.interactiveTasks; i++) {
    const bursts = <i32>(S / 18600.0 * plan.uniform(0.5, 1.5));
    const t = new InteractiveTask("int" + i.toString(), bursts < 1 ? 1 : bursts, spec.seed, stream);
    addTask(w, t, now + usToTicks(<u64>plan.uniform(0, arrivalWindow)));
    stream++;
  }
  for (let i = 0; i < spec.periodicTasks; i++) {
    const bursts = <i32>(S / 18600.0 * plan.uniform(0.5, 1.5));
    const t = new PeriodicTask("per" + i.toString(), bursts < 2 ? 2 : bursts, spec.seed, stream);
    addTask(w, t, now + usToTicks(<u64>plan.uniform(0, arrivalWindow)));
    stream++;
  }
  activeWorkload = w;
  return w;
}

function addTask(w: Workload, t: Task, arrival: u64): void {
  t.observer = w;
  t.workloadId = w.id;
  w.taskIds.push(spawnTask(t, arrival));
}

/** Live tasks of workload `id` (for ps). */
export function workloadTaskCount(id: i32): i32 {
  let n = 0;
  const list = liveTasks();
  for (let i = 0; i < list.length; i++) if (list[i].workloadId == id) n++;
  return n;
}
