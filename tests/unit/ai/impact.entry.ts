// Test entry for kernel/ai/impact (autoctl): scripted tasks on the test clock under fair and the
// burst policies, OOM decisions with outcomes in the trace, one real compaction reported as the
// predictor reports its own, and the report in text, JSON and Prometheus form.
import { Task, StepResult } from "../../../kernel/sched/task";
import { spawnTask, runScheduler, installLearnedPolicy, setPolicy } from "../../../kernel/sched/scheduler";
import { attentionPolicy } from "../../../kernel/ai/attention_policy";
import { recordDecision, resolveOutcome } from "../../../kernel/ai/trace";
import { OOM_TRACE } from "../../../kernel/ai/oom/tracing";
import { predictor, inferenceLatency } from "../../../kernel/ai/oom/predictor";
import { proactiveCompact } from "../../../kernel/ai/oom/actions";
import { initMemory } from "../../../kernel/mm/pages";
import { PAGE_SIZE } from "../../../kernel/mm/pages";
import { impactTick, startImpactWindow, impact } from "../../../kernel/ai/impact/window";
import { buildReport } from "../../../kernel/ai/impact/report";
import { reportJson } from "../../../kernel/ai/impact/format";
import { MetricsWriter } from "../../../kernel/net/metrics";
import { writeImpactMetrics } from "../../../kernel/net/impact_metrics";
import { setFileWriter } from "../../../kernel/ai/export_sink";
import { usToTicks, nowTicks } from "../../../kernel/platform/time";
import { consoleShell } from "../../../kernel/shell/shell";
import "../../../kernel/shell/commands/autoctl";
import "../../../kernel/shell/commands/schedctl";

installLearnedPolicy(attentionPolicy); // as kernel/init.ts does at boot

@external("testclock", "advance") declare function advance(ticks: u64): void;

/** Runs `steps` steps of `stepUs` each (advancing the test clock), then exits. */
class CpuTask extends Task {
  steps: i32 = 0;
  constructor(name: string, public stepUs: u64, public total: i32) {
    super(name, "test");
  }
  step(): StepResult {
    advance(usToTicks(this.stepUs));
    this.steps++;
    return this.steps >= this.total ? this.exit(0) : StepResult.Yield;
  }
}

export function start(): void { startImpactWindow(); }
export function spawnCpu(stepUs: i32, steps: i32): i32 { return spawnTask(new CpuTask("cpu", <u64>stepUs, steps)); }
/** Runs the scheduler `n` times (the impact task itself is not registered here: tick() by hand). */
export function runPasses(n: i32): i32 {
  let ran = 0;
  for (let i = 0; i < n; i++) if (runScheduler()) ran++;
  return ran;
}
export function tick(): void { impactTick(); }
export function policy(name: string): bool { return setPolicy(name); }
export function shellRun(line: string): i32 { return consoleShell.execute(line); }

export function bucketTasks(i: i32): i32 { return <i32>impact.buckets[i].tasksFinished; }
export function bucketSwitches(i: i32): f64 { return <f64>impact.buckets[i].contextSwitches; }
export function bucketCpuUs(i: i32): f64 { return <f64>impact.buckets[i].cpuUs; }
export function bucketTurnaroundUs(i: i32): f64 { return impact.buckets[i].meanTurnaroundUs(); }
export function mixed(): i32 { return <i32>impact.mixedTasks; }

/** One traced OOM decision with confidence p and action; outcome < 0 leaves it pending. */
export function oomDecision(p: f64, action: i32, outcome: f64): void {
  const f = new StaticArray<f64>(8);
  const id = recordDecision(OOM_TRACE, 0, f, 8, p, p, <i64>action);
  if (outcome >= 0) resolveOutcome(id, outcome);
}
export function oomLatencySample(us: i32): void { inferenceLatency.record(usToTicks(<u64>us)); }

/** A real full compaction, handed over the way predict() does (lastCompaction, compactions++). */
let lastGain: f64 = 0;
export function compactAsPredictor(): f64 {
  const c = proactiveCompact();
  predictor.lastCompaction = c;
  predictor.compactions++;
  lastGain = (<f64>c.largestAfter - <f64>c.largestBefore) * <f64>PAGE_SIZE;
  return <f64>c.largestAfter * <f64>PAGE_SIZE;
}
export function memInit(): void { initMemory(); }

export function json(): string { return reportJson(buildReport()); }
export function prometheus(): string {
  const w = new MetricsWriter();
  writeImpactMetrics(w);
  return w.text();
}

let written = "";
let writtenPath = "";
function captureWrite(path: string, data: string): i32 {
  writtenPath = path;
  written = data;
  return data.length;
}
export function useFileSink(): void { setFileWriter(captureWrite); }
export function lastWritten(): string { return written; }
export function lastWrittenPath(): string { return writtenPath; }
export function now(): u64 { return nowTicks(); }
