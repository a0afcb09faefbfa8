// `bench sched`: the same seeded workloads under the fair policy and the attention policy.
//
// For each workload kind and seed: run it under "fair", then under "attention" (each with
// --wait semantics: the event loop runs inside the command), and print one JSON line with
// both results and ratio = attention / fair per metric (below 1 is better for time metrics,
// above 1 better for throughput). Then the decision latency of each policy (policy.pick(),
// counter-timed, p50/p99 in us over the last 4096 picks of each; for the scored attention
// picks also without those an interrupt landed in: irq_count() is read around the timed
// window), the cost of one scored candidate, and the model's learning (loss before the
// first and the last update during the bench).
//
// The model's weights are reset at the start, trained by one warm-up run (reported as
// "sched.warmup"), and keep learning online during the measured runs.
import { registerSubcommand } from "../families";
import { Options, parseDecimal } from "../args";
import { println, printError } from "../../platform/console";
import { WorkloadSpec, Workload, startWorkload, startError, num, activeWorkload } from "../../sched/workload";
import { waitForWorkload } from "../../sched/wait";
import { CpuTask } from "../../sched/workloads";
import { nowTicks, ticksToNs, usToTicks } from "../../platform/time";
import { mean, percentile } from "../../lib/stats";
import { clearPredictionErrors, modelError, heuristicError, slowAverageError, modelErrorCurve, heuristicErrorCurve,
  expertErrors, mixtureError, usedError } from "../../sched/burst_policy";
import { EXPERTS, EXPERT_NAMES } from "../../sched/burst_predictors";
import { setPolicy, activePolicy, heuristicDecisionLatency, fairDecisionLatency, attentionDecisionLatency, attentionScoredLatency,
  clearDecisionLatency, afterSliceMeanUs } from "../../sched/scheduler";
import { LatencyRing } from "../../sched/latency";
import { attentionPolicy } from "../../ai/attention_policy";
import { GATE_BUCKETS, gateBucketName, GATE_MODE_NAMES } from "../../ai/burst_gate";

class BenchKind {
  constructor(public name: string, public cpu: i32, public io: i32, public interactive: i32, public periodic: i32 = 0) {}
}

function kinds(): Array<BenchKind> {
  return [
    new BenchKind("mixed", 2, 2, 2),
    new BenchKind("cpu-interactive", 3, 0, 3),
    new BenchKind("cpu", 4, 0, 0),
  ];
}

function specOf(k: BenchKind, seed: u64, seconds: f64): WorkloadSpec {
  const s = new WorkloadSpec();
  s.kind = k.name;
  s.cpuTasks = k.cpu;
  s.ioTasks = k.io;
  s.interactiveTasks = k.interactive;
  s.periodicTasks = k.periodic;
  s.seed = seed;
  s.seconds = seconds;
  return s;
}

/** Runs one workload to the end under the given policy; null when it could not start or was interrupted. */
function runOnce(spec: WorkloadSpec, policyName: string): Workload | null {
  if (!setPolicy(policyName)) {
    printError("no learned scheduler policy is installed (kernel/init.ts installs it at boot)");
    return null;
  }
  const w = startWorkload(spec);
  if (w == null) {
    printError(startError);
    return null;
  }
  if (!waitForWorkload(w)) return null;
  return w;
}

function ratio(a: f64, b: f64): string {
  return num(b != 0 && isFinite(a) && isFinite(b) ? a / b : NaN);
}

/**
 * Ratios ai / fair. turnaround_no_wait_floor: what ai's mean turnaround would be, over fair's,
 * if no task had waited runnable at all (mean turnaround - mean wait of ai's run: each task's
 * own CPU, sleep and I/O time): a lower bound no order of the same tasks on one CPU can beat
 * (it is not reachable either: CPU tasks must wait while others run).
 */
function ratios(fair: Workload, ai: Workload): string {
  return "{\"makespan\":" + ratio(ai.makespanUs, fair.makespanUs) +
    ",\"context_switches\":" + ratio(<f64>ai.switches, <f64>fair.switches) +
    ",\"turnaround_mean\":" + ratio(mean(ai.turnaroundsUs), mean(fair.turnaroundsUs)) +
    ",\"turnaround_max\":" + ratio(maxOf(ai.turnaroundsUs), maxOf(fair.turnaroundsUs)) +
    ",\"wait_mean\":" + ratio(mean(ai.waitsUs), mean(fair.waitsUs)) +
    ",\"response_p99\":" + ratio(p99(ai.responsesUs), p99(fair.responsesUs)) +
    ",\"interactive_response_p99\":" + ratio(p99(ai.interactiveResponsesUs), p99(fair.interactiveResponsesUs)) +
    ",\"throughput\":" + ratio(ai.throughputTasksPerSecond(), fair.throughputTasksPerSecond()) +
    ",\"turnaround_no_wait_floor\":" + ratio(mean(ai.turnaroundsUs) - mean(ai.waitsUs), mean(fair.turnaroundsUs)) + "}";
}


/** "C,I,X[,P]" task counts -> a custom kind (null when malformed). */
function parseMix(text: string): BenchKind | null {
  const parts = text.split(",");
  if (parts.length != 3 && parts.length != 4) return null;
  const n = new Array<i32>(4);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.length == 0 || p.length > 2) return null;
    for (let j = 0; j < p.length; j++) { const c = p.charCodeAt(j); if (c < 48 || c > 57) return null; }
    n[i] = I32.parseInt(p);
    if (n[i] > 16) return null;
  }
  if (n[0] + n[1] + n[2] + n[3] == 0) return null;
  return new BenchKind("mix-" + n[0].toString() + "-" + n[1].toString() + "-" + n[2].toString() + (parts.length == 4 ? "-" + n[3].toString() : ""),
    n[0], n[1], n[2], n[3]);
}

/** {"ema":..,"slow_average":..,...}: each classical predictor's mean |log2| error on the model's examples. */
function classicalJson(): string {
  let s = "{";
  for (let i = 0; i < EXPERTS; i++) s += (i > 0 ? "," : "") + "\"" + EXPERT_NAMES[i] + "\":" + num(expertErrors[i].meanLog2);
  return s + "}";
}

/** {"ema":w0,...}: the mixture's global weights. */
function weightsJson(w: StaticArray<f64>): string {
  let s = "{";
  for (let i = 0; i < EXPERTS; i++) s += (i > 0 ? "," : "") + "\"" + EXPERT_NAMES[i] + "\":" + num(w[i]);
  return s + "}";
}

/** A JSON array of numbers (the last 20). */
function curve(c: Array<f64>): string {
  let s = "[";
  const from = max(0, c.length - 20);
  for (let i = from; i < c.length; i++) s += (i > from ? "," : "") + num(c[i]);
  return s + "]";
}
function p99(v: Array<f64>): f64 { return percentile(v, 99); }
/** A workload has 1..48 tasks: the 99th percentile of their turnarounds is their maximum, so it is called that. */
function maxOf(v: Array<f64>): f64 { return percentile(v, 100); }

/**
 * One policy's decision latency as a JSON line. p50/p99 (and without interrupted picks), the
 * mean candidate count and the interrupted picks all describe the same window: the last `n`
 * picks the ring holds; picks_in_bench counts every pick of this bench (n <= it).
 */
function latencyJson(policy: string, r: LatencyRing, total0: u64): string {
  return "{\"name\":\"sched.decision_latency\",\"policy\":\"" + policy + "\",\"unit\":\"us\",\"window\":\"last n picks\"" +
    ",\"n\":" + r.count.toString() + ",\"p50\":" + num(r.percentileUs(50)) + ",\"p99\":" + num(r.percentileUs(99)) +
    ",\"p99_no_irq\":" + num(r.percentileUsNoIrq(99)) + ",\"interrupted\":" + r.interruptedCount().toString() +
    ",\"candidates_mean\":" + num(r.candidatesMean()) + ",\"picks_in_bench\":" + (r.total - total0).toString() +
    ",\"target_us\":50}";
}

registerSubcommand("bench", "sched", "fair vs attention vs heuristic scheduler on the same seeded workloads (JSON lines)",
  "bench sched [--seeds K] [--first-seed N] [--seconds S] [--mix C,I,X]" +
  "\n  --seeds K       K seeds per workload kind (1..20, default 3)" +
  "\n  --first-seed N  seeds N..N+K-1 (default 1; held-out runs use others)" +
  "\n  --seconds S     size of each workload (0.2..60, default 2)" +
  "\n  --mix C,I,X[,P] one custom kind instead: C cpu, I io, X interactive, P periodic interactive tasks" +
  "\nKinds: mixed (2 cpu, 2 io, 2 interactive), cpu-interactive (3 cpu, 3 interactive), cpu (4 cpu)." +
  "\nPrints per kind and seed {\"name\":\"sched.KIND\",\"seed\":..,\"baseline\":{..},\"attention\":{..},\"heuristic\":{..},"+
  "\n\"ratio\":{..attention/fair},\"ratio_heuristic\":{..heuristic/fair}}, the burst prediction error," +
  "\nthen decision latency per policy over the last n picks (<= 4096): p50/p99 (us), p99 without picks an" +
  "\ninterrupt landed in, interrupted picks and mean candidates of the same picks (attention-scored: picks" +
  "\nwhere the model ran)," +
  "\nthe cost of one scored candidate, and the model's loss. Ctrl-C stops it.",
  (args: Array<string>): i32 => {
    const o = new Options(args, ["--seeds", "--seconds", "--mix", "--first-seed"], []);
    if (!o.ok) { printError(o.error); return 1; }
    if (o.positionals.length > 0) { printError("unexpected argument '" + o.positionals[0] + "'"); return 1; }
    const seeds = o.integer("--seeds", 3, 1, 20);
    if (seeds < 0) return 1;
    let seconds: f64 = 2;
    if (o.hasValue("--seconds")) {
      seconds = parseDecimal(o.value("--seconds"));
      if (isNaN(seconds) || seconds < 0.2 || seconds > 60) { printError("--seconds must be a number from 0.2 to 60"); return 1; }
    }
    if (activeWorkload != null) {
      printError("workload " + activeWorkload!.id.toString() + " is still running; wait for its summary or kill its tasks");
      return 1;
    }
    const wasPolicy = activePolicy().name;
    const model = attentionPolicy.model;
    model.resetWeights();
    attentionPolicy.gate.clear();
    attentionPolicy.mixture.clear();
    clearDecisionLatency();
    clearPredictionErrors();
    const fairTotal0 = fairDecisionLatency.total, heuristicTotal0 = heuristicDecisionLatency.total;
    const attentionTotal0 = attentionDecisionLatency.total, scoredTotal0 = attentionScoredLatency.total;
    let all = kinds();
    if (o.hasValue("--mix")) {
      const custom = parseMix(o.value("--mix"));
      if (custom == null) { printError("--mix must be CPU,IO,INTERACTIVE[,PERIODIC] task counts (0..16 each, not all 0), e.g. 3,1,2 or 2,2,1,2"); return 1; }
      all = [custom!];
    }
    const firstSeed = o.integer("--first-seed", 1, 1, 1000000);
    if (firstSeed < 0) return 1;
    const warm = runOnce(specOf(kinds()[0], 1000, seconds), "attention");
    if (warm == null) { setPolicy(wasPolicy); return 1; }
    println("{\"name\":\"sched.warmup\",\"kind\":\"mixed\",\"seed\":1000,\"attention\":" + warm.json() +
      ",\"model_updates\":" + model.updates.toString() + "}");
    const lossStartIndex = model.lossHistory.length;
    for (let k = 0; k < all.length; k++) {
      for (let seed: i64 = firstSeed; seed < firstSeed + seeds; seed++) {
        const spec = specOf(all[k], <u64>seed, seconds);
        const fair = runOnce(spec, "fair");
        if (fair == null) { setPolicy(wasPolicy); return 1; }
        const ai = runOnce(spec, "attention");
        if (ai == null) { setPolicy(wasPolicy); return 1; }
        const h = runOnce(spec, "heuristic");
        if (h == null) { setPolicy(wasPolicy); return 1; }
        println("{\"name\":\"sched." + all[k].name + "\",\"seed\":" + seed.toString() + ",\"seconds\":" + num(seconds) +
          ",\"baseline\":" + fair.json() + ",\"attention\":" + ai.json() + ",\"heuristic\":" + h.json() +
          ",\"ratio\":" + ratios(fair, ai) + ",\"ratio_heuristic\":" + ratios(fair, h) + "}");
      }
    }
    // decision latency: every figure of a line from the same window (the ring's last n picks)
    println(latencyJson("fair", fairDecisionLatency, fairTotal0));
    println(latencyJson("heuristic", heuristicDecisionLatency, heuristicTotal0));
    println(latencyJson("attention", attentionDecisionLatency, attentionTotal0));
    println(latencyJson("attention-scored", attentionScoredLatency, scoredTotal0));
    println("{\"name\":\"sched.after_slice_cost\",\"unit\":\"us\",\"what\":\"mean per dispatch: burst accounting and observe() after the slice\"" +
      ",\"fair\":" + num(afterSliceMeanUs(0)) + ",\"attention\":" + num(afterSliceMeanUs(1)) + ",\"heuristic\":" + num(afterSliceMeanUs(2)) + "}");
    println("{\"name\":\"sched.prediction_error\",\"unit\":\"log2\",\"model_mean_abs_log2\":" + num(modelError.meanLog2) +
      ",\"heuristic_mean_abs_log2\":" + num(heuristicError.meanLog2) +
      ",\"slow_average_mean_abs_log2\":" + num(slowAverageError.meanLog2) + ",\"mixture_mean_abs_log2\":" + num(mixtureError.meanLog2) +
      ",\"used_mean_abs_log2\":" + num(usedError.meanLog2) + ",\"classical\":" + classicalJson() + ",\"mixture_global_weights\":" + weightsJson(attentionPolicy.mixture.global) + ",\"model_mae_ms\":" + num(modelError.meanAbsUs / 1000) +
      ",\"heuristic_mae_ms\":" + num(heuristicError.meanAbsUs / 1000) + ",\"n\":" + modelError.count.toString() +
      ",\"model_curve\":" + curve(modelErrorCurve) + ",\"heuristic_curve\":" + curve(heuristicErrorCurve) + "}");
    const g = attentionPolicy.gate;
    let buckets = "[";
    for (let b = 0; b < GATE_BUCKETS; b++) {
      buckets += (b > 0 ? "," : "") + "{\"bucket\":\"" + gateBucketName(b) + "\",\"n\":" + g.examples[b].toString() +
        ",\"model\":" + num(g.meanError(b, true)) + ",\"base\":" + num(g.meanError(b, false)) +
        ",\"uses\":\"" + (g.open(b) ? "model" : "base") + "\"}";
    }
    println("{\"name\":\"sched.model_gate\",\"mode\":\"" + GATE_MODE_NAMES[<i32>g.mode] + "\",\"used_model\":" + g.usedModel.toString() + ",\"used_heuristic\":" +
      g.usedHeuristic.toString() + ",\"buckets\":" + buckets + "]}");
    // cost of the pieces of one scored candidate, 2000 calls each, with a full history: what
    // pick() runs per candidate (embedFixed + scoreQ16), and for comparison the f64 embedding
    // (once per decision: the chosen task's) and the exact f64 score
    const probe = new CpuTask("probe", 1000);
    probe.dispatches = 1;
    probe.recentCpu = 300000; // ticks (4.8 ms at 62.5 MHz)
    probe.recentIo = 100000;
    const e = new StaticArray<f64>(4);
    const calls = 2000;
    let t0 = nowTicks();
    probe.lastRunAt = t0 - usToTicks(2000); // warmth from a 2 ms age (the exponential is computed)
    for (let i = 0; i < calls; i++) attentionPolicy.embedFixed(probe, t0);
    let t1 = nowTicks();
    const embedFixedUs = <f64>ticksToNs(t1 - t0) / 1000 / <f64>calls;
    t0 = nowTicks();
    for (let i = 0; i < calls; i++) attentionPolicy.embed(probe, t0, e);
    t1 = nowTicks();
    const embedUs = <f64>ticksToNs(t1 - t0) / 1000 / <f64>calls;
    let sink: f64 = 0;
    t0 = nowTicks();
    for (let i = 0; i < calls; i++) sink += model.scoreQ16(32000, 40000, 12000, (i & 7) << 13);
    t1 = nowTicks();
    const scoreUs = <f64>ticksToNs(t1 - t0) / 1000 / <f64>calls;
    t0 = nowTicks();
    for (let i = 0; i < calls; i++) { e[3] = <f64>(i & 7) / 8; sink += model.scoreExact(e); }
    t1 = nowTicks();
    const exactUs = <f64>ticksToNs(t1 - t0) / 1000 / <f64>calls;
    println("{\"name\":\"sched.score_cost\",\"unit\":\"us\",\"history\":" + model.histCount.toString() +
      ",\"embed_fixed_us\":" + num(embedFixedUs) + ",\"score_fixed_us\":" + num(scoreUs) +
      ",\"embed_f64_us\":" + num(embedUs) + ",\"score_f64_us\":" + num(exactUs) +
      ",\"bound_fallbacks\":" + model.boundFallbacks.toString() +
      ",\"train_batch_ms\":" + num(<f64>ticksToNs(model.lastTrainTicks) / 1e6) + ",\"check\":" + num(sink > 0 ? 1 : 0) + "}");
    const losses = model.lossHistory;
    const first = lossStartIndex < losses.length ? losses[lossStartIndex] : NaN;
    const last = losses.length > 0 ? losses[losses.length - 1] : NaN;
    println("{\"name\":\"sched.model\",\"updates\":" + model.updates.toString() + ",\"decisions\":" + model.decisions.toString() +
      ",\"loss_first_after_warmup\":" + num(first) + ",\"loss_last\":" + num(last) +
      ",\"loss_warmup_first\":" + num(losses.length > 0 ? losses[0] : NaN) + "}");
    setPolicy(wasPolicy);
    return 0;
  });
