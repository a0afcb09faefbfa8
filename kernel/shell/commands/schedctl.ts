// schedctl: the scheduler's policy and the attention model (kernel/sched, kernel/ai).
// (`stresstest cpu|io|mixed|interactive` and `bench sched` are sched_stresstest.ts and
// sched_bench.ts.)
import { registerFamily, registerSubcommand } from "../families";
import { Options, parseDecimal, noArgs } from "../args";
import { println, printError } from "../../platform/console";
import { fixed, table, padLeft } from "../../lib/format";
import { printable } from "../shell";
import {
  useAttention, setPolicy, heuristicDecisionLatency, heuristicPolicy, policySwitches, attentionEnabled, activePolicy, liveTasks, counters,
  fairDecisionLatency, attentionDecisionLatency, attentionScoredLatency, attentionScoredNoIrqLatency,
} from "../../sched/scheduler";
import { Task, TaskState } from "../../sched/task";
import { LatencyRing } from "../../sched/latency";
import { activeWorkload } from "../../sched/workload";
import { PARAM_COUNT, WQ, WK, WV, WO, BO, BATCH, HISTORY } from "../../ai/attention";
import { nowTicks, ticksToUs } from "../../platform/time";
import { modelError, heuristicError, modelErrorCurve, heuristicErrorCurve, ERROR_WINDOW, PredictionError, MAX_WAIT_US,
  expertErrors, mixtureError } from "../../sched/burst_policy";
import { EXPERTS, EXPERT_NAMES } from "../../sched/burst_predictors";
import { attentionPolicy } from "../../ai/attention_policy";
import { GATE_BUCKETS, gateBucketName, GateMode, GATE_MODE_NAMES } from "../../ai/burst_gate";
import { printTable } from "../output";

const USAGE = "schedctl [status] | policy fair|attention|heuristic | transformer on|off | stats [--verbose] | reset-weights | set-lr X | gate auto|closed|open" +
  "\n  status          policy, task counts, dispatches, context switches" +
  "\n  policy P        fair: weighted fair queueing; attention: shortest predicted burst first, the burst" +
  "\n                  predicted by the attention model (learning online); heuristic: the same with an" +
  "\n                  exponentially averaged burst (kernel/sched/burst_policy.ts). Safe while tasks run." +
  "\n  transformer     on: policy attention; off: policy fair" +
  "\n  stats           model loss over time, weights, top tasks by score, decision latency p50/p99" +
  "\n    --verbose     every recorded loss and all weight matrices" +
  "\n  reset-weights   back to the seeded initial weights (clears history and buffered decisions)" +
  "\n  set-lr X        SGD learning rate, 0 < X <= 1" +
  "\n  gate M          where the attention policy uses the model's burst prediction: auto (buckets where" +
  "\n                  it was more accurate than the heuristic), closed (never), open (always)";

function latencyLine(name: string, r: LatencyRing): string {
  if (r.count == 0) return "  " + name + ": no decisions yet";
  // every figure from the same window: the ring's last `count` picks
  const p99 = r.count >= 100 ? "p99 " : "max ";
  return "  " + name + ": p50 " + fixed(r.percentileUs(50), 2) + " us, " + p99 + fixed(r.percentileUs(99), 2) +
    " us over the last " + r.count.toString() + " picks (" + r.total.toString() + " since boot): " +
    fixed(r.candidatesMean(), 1) + " candidates on average, " + r.interruptedCount().toString() + " interrupted";
}

function errorLine(name: string, e: PredictionError): string {
  if (e.count == 0) return "  " + name + ": no resolved predictions yet";
  return "  " + name + ": mean |log2(predicted/actual)| " + fixed(e.meanLog2, 3) + ", mean absolute error " +
    fixed(e.meanAbsUs / 1000, 3) + " ms (n=" + e.count.toString() + ")";
}

function curveLine(name: string, c: Array<f64>, verbose: bool): string {
  if (c.length == 0) return "  " + name + " learning curve: fewer than " + ERROR_WINDOW.toString() + " predictions yet";
  const from = verbose ? 0 : max(0, c.length - 10);
  let line = "";
  for (let i = from; i < c.length; i++) line += (i > from ? " " : "") + fixed(c[i], 3);
  return "  " + name + " learning curve (mean |log2 error| per " + ERROR_WINDOW.toString() + " predictions, " +
    (verbose ? "all " : "last " + (c.length - from).toString() + " of ") + c.length.toString() + "): " + line;
}

function status(): i32 {
  const list = liveTasks();
  let runnable = 0, sleeping = 0, blocked = 0;
  for (let i = 0; i < list.length; i++) {
    const s = list[i].state;
    if (s == TaskState.Runnable) runnable++;
    else if (s == TaskState.Sleeping) sleeping++;
    else if (s == TaskState.Blocked) blocked++;
  }
  const p = activePolicy();
  println("policy: " + p.name + (attentionEnabled() ? " (transformer on)" : " (transformer off)"));
  println("tasks: " + list.length.toString() + " (" + runnable.toString() + " runnable, " + sleeping.toString() +
    " sleeping, " + blocked.toString() + " blocked)");
  println("since boot: " + counters.spawned.toString() + " spawned, " + counters.exited.toString() + " exited, " +
    counters.killed.toString() + " killed, " + counters.dispatches.toString() + " dispatches, " +
    counters.contextSwitches.toString() + " context switches, " + fixed(<f64>ticksToUs(counters.cpuTicks) / 1e6, 3) + " s in tasks");
  println("quantum: target latency " + p.targetLatencyUs.toString() + " us split by weight, at least " +
    p.minGranularityUs.toString() + " us");
  const w = activeWorkload;
  println("workload: " + (w != null ? w.id.toString() + " (" + w.spec.describe() + ") running" : "none running"));
  return 0;
}

function matrix(name: string, base: i32): void {
  const m = attentionPolicy.model.params;
  println("  " + name + ":");
  for (let r = 0; r < 4; r++) {
    let line = "    ";
    for (let c = 0; c < 4; c++) line += padLeft(fixed(m[base + 4 * r + c], 4), 9);
    println(line);
  }
}

function norm(base: i32, n: i32): f64 {
  const m = attentionPolicy.model.params;
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += m[base + i] * m[base + i];
  return Math.sqrt(s);
}

function stats(args: Array<string>): i32 {
  const o = new Options(args, [], ["--verbose", "-v"]);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length > 0) { printError("unexpected argument '" + printable(o.positionals[0], 40) + "'"); return 1; }
  const verbose = o.has("--verbose") || o.has("-v");
  const model = attentionPolicy.model;
  println("attention scheduler: " + (attentionEnabled() ? "on" : "off") + "; model version " + model.version.toString() +
    ", " + model.updates.toString() + " updates, " + model.decisions.toString() + " decisions learned from (" +
    model.bufferedExamples.toString() + "/" + BATCH.toString() + " buffered), learning rate " + fixed(model.learningRate, 4) +
    ", history " + model.histCount.toString() + "/" + HISTORY.toString());
  // loss over time
  const losses = model.lossHistory;
  if (losses.length == 0) {
    println("loss (Huber, per batch of " + BATCH.toString() + " decisions, before its update): none yet");
  } else {
    const from = verbose ? 0 : max(0, losses.length - 10);
    let line = "";
    for (let i = from; i < losses.length; i++) line += (i > from ? " " : "") + fixed(losses[i], 4);
    println("loss (Huber, per batch of " + BATCH.toString() + " decisions, before its update), " +
      (verbose ? "all " : "last " + (losses.length - from).toString() + " of ") + losses.length.toString() + ": " + line);
    println("  first " + fixed(losses[0], 4) + ", last " + fixed(losses[losses.length - 1], 4));
  }
  if (model.updates > 0) println("  last update took " + fixed(<f64>ticksToUs(model.lastTrainTicks), 0) + " us");
  // weights
  println("weights:");
  if (verbose) {
    matrix("Wq", WQ);
    matrix("Wk", WK);
    matrix("Wv", WV);
  } else {
    println("  |Wq| " + fixed(norm(WQ, 16), 4) + "  |Wk| " + fixed(norm(WK, 16), 4) + "  |Wv| " + fixed(norm(WV, 16), 4) +
      "  (--verbose prints the matrices)");
  }
  const m = model.params;
  println("  wo [" + fixed(m[WO], 4) + ", " + fixed(m[WO + 1], 4) + ", " + fixed(m[WO + 2], 4) + ", " + fixed(m[WO + 3], 4) +
    "]  bo " + fixed(m[BO], 4) + "  (" + PARAM_COUNT.toString() + " parameters)");
  // top tasks by score
  const list = liveTasks();
  const scored = new Array<Task>(0);
  const now = nowTicks();
  for (let i = 0; i < list.length; i++) {
    if (list[i].state == TaskState.Exited) continue;
    attentionPolicy.scoreOf(list[i], now);
    scored.push(list[i]);
  }
  scored.sort((a: Task, b: Task): i32 => (a.lastScore > b.lastScore ? -1 : a.lastScore < b.lastScore ? 1 : a.id - b.id));
  if (scored.length == 0) {
    println("top tasks by score: no tasks");
  } else {
    const rows = new Array<Array<string>>(0);
    rows.push(["  ID", "NAME", "KIND", "SCORE", "PRIORITY(0-100)"]);
    const n = verbose ? scored.length : min(5, scored.length);
    for (let i = 0; i < n; i++) {
      const t = scored[i];
      rows.push(["  " + t.id.toString(), t.name, t.kind, fixed(t.lastScore, 4), fixed(t.lastScore * 100, 0)]);
    }
    println("top tasks by score (now, against the current history):");
    printTable(rows);
  }
  println("decision latency (policy pick with 2+ runnable tasks, counter-timed):");
  println(latencyLine("attention", attentionDecisionLatency));
  println(latencyLine("  of which the model scored candidates", attentionScoredLatency));
  println(latencyLine("    of those, no interrupt inside", attentionScoredNoIrqLatency));
  println(latencyLine("heuristic", heuristicDecisionLatency));
  println(latencyLine("fair", fairDecisionLatency));
  // prediction error of the remaining burst, both predictors on the same examples
  println("burst prediction error (predicted vs actual remaining burst, capped at 200 ms; same examples):");
  println(errorLine("model", modelError));
  println(errorLine("mixture (the model's base)", mixtureError));
  println(errorLine("heuristic", heuristicError));
  for (let i = 1; i < EXPERTS; i++) println(errorLine("classical " + EXPERT_NAMES[i], expertErrors[i]));
  let ws = "  mixture's global weights:";
  for (let i = 0; i < EXPERTS; i++) ws += " " + EXPERT_NAMES[i] + " " + fixed(attentionPolicy.mixture.global[i], 3);
  println(ws);
  println(curveLine("model", modelErrorCurve, verbose));
  println(curveLine("heuristic", heuristicErrorCurve, verbose));
  // where the attention policy uses the model's prediction (kernel/ai/burst_gate.ts)
  const g = attentionPolicy.gate;
  const used = g.usedModel + g.usedHeuristic;
  println("model gate (the attention policy uses the model where its recent error is below its base's, the mixture's): the model decided " +
    g.usedModel.toString() + " of " + used.toString() + " predictions");
  for (let b = 0; b < GATE_BUCKETS; b++) {
    println("  base estimate " + gateBucketName(b) + ": " + (g.examples[b] == 0 ? "no examples yet" :
      "model " + fixed(g.meanError(b, true), 3) + " vs mixture " + fixed(g.meanError(b, false), 3) +
      " (decayed mean |log2 error|, n=" + g.examples[b].toString() + ") -> " + (g.open(b) ? "model" : "mixture")));
  }
  println("policy switches: " + policySwitches.toString() + "; starvation bound: a task runnable for " +
    (MAX_WAIT_US / 1000).toString() + " ms runs next (overdue picks: attention " + attentionPolicy.overduePicks.toString() +
    ", heuristic " + heuristicPolicy.overduePicks.toString() + ")");
  return 0;
}

registerFamily("schedctl", "scheduler policy and the attention model", USAGE, "status");
registerSubcommand("schedctl", "status", "policy, task counts, dispatches, context switches",
  "schedctl [status]\n  Policy, task counts, dispatches, context switches.",
  (rest: Array<string>): i32 => (noArgs("schedctl status", rest) ? status() : 1));
registerSubcommand("schedctl", "policy", "fair, attention (the model predicts bursts) or heuristic",
  "schedctl policy fair|attention|heuristic\n  fair: weighted fair queueing; attention: shortest predicted burst first, the burst predicted\n  by the attention model (learning online); heuristic: the same with an exponentially averaged\n  burst (kernel/sched/burst_policy.ts). Safe while tasks run.",
  (rest: Array<string>): i32 => {
    if (rest.length != 1) { printError("usage: schedctl policy fair|attention|heuristic"); return 1; }
    const from = activePolicy().name;
    if (!setPolicy(rest[0])) {
      printError("unknown policy '" + printable(rest[0], 40) + "' (fair, attention or heuristic)");
      return 1;
    }
    println("scheduler policy: " + activePolicy().name + (from != activePolicy().name ? " (was " + from + ")" : " (unchanged)"));
    return 0;
  });
registerSubcommand("schedctl", "transformer", "on: the attention model picks tasks; off: the fair policy",
  "schedctl transformer on|off\n  on: pick tasks with the attention model (learning online); off: fair policy.",
  (rest: Array<string>): i32 => {
    if (rest.length != 1 || (rest[0] != "on" && rest[0] != "off")) { printError("usage: schedctl transformer on|off"); return 1; }
    if (!useAttention(rest[0] == "on")) { printError("no learned scheduler policy is installed (kernel/init.ts installs it at boot)"); return 1; }
    println("scheduler policy: " + activePolicy().name + (rest[0] == "on" ? " (attention model picks the next task, learning online)" : ""));
    return 0;
  });
registerSubcommand("schedctl", "stats", "model loss over time, weights, top tasks by score, decision latency",
  "schedctl stats [--verbose]\n  Model loss over time, weights, top tasks by score, decision latency p50/p99;\n  --verbose: every recorded loss and all weight matrices.",
  (rest: Array<string>): i32 => stats(rest));
registerSubcommand("schedctl", "reset-weights", "back to the seeded initial weights",
  "schedctl reset-weights\n  Back to the seeded initial weights (clears history and buffered decisions).",
  (rest: Array<string>): i32 => {
    if (!noArgs("schedctl reset-weights", rest)) return 1;
    attentionPolicy.model.resetWeights();
    attentionPolicy.gate.clear();
    attentionPolicy.mixture.clear();
    println("attention weights reset to their seeded initial values (model version " + attentionPolicy.model.version.toString() + ")");
    return 0;
  });
registerSubcommand("schedctl", "gate", "where the attention policy uses the model's prediction: auto, closed, open",
  "schedctl gate auto|closed|open\n  auto: per bucket of the heuristic's estimate, the model where its recent error is below the" +
  "\n  heuristic's (kernel/ai/burst_gate.ts); closed: always the heuristic's prediction (the model still" +
  "\n  predicts, learns and is measured); open: always the model's. bench sched keeps the mode.",
  (rest: Array<string>): i32 => {
    if (rest.length != 1) { printError("usage: schedctl gate auto|closed|open"); return 1; }
    let m = -1;
    for (let i = 0; i < GATE_MODE_NAMES.length; i++) if (rest[0] == GATE_MODE_NAMES[i]) m = i;
    if (m < 0) { printError("unknown gate mode '" + printable(rest[0], 40) + "' (auto, closed or open)"); return 1; }
    attentionPolicy.gate.mode = <GateMode>m;
    println("model gate: " + GATE_MODE_NAMES[m]);
    return 0;
  });
registerSubcommand("schedctl", "set-lr", "SGD learning rate, 0 < X <= 1",
  "schedctl set-lr X\n  SGD learning rate, 0 < X <= 1.",
  (rest: Array<string>): i32 => {
    if (rest.length != 1) { printError("usage: schedctl set-lr X (0 < X <= 1)"); return 1; }
    const x = parseDecimal(rest[0]);
    if (isNaN(x) || !(x > 0) || x > 1) { printError("learning rate must be a number with 0 < X <= 1, not '" + printable(rest[0], 40) + "'"); return 1; }
    attentionPolicy.model.learningRate = x;
    println("learning rate set to " + fixed(x, 6));
    return 0;
  });
