// Text and JSON forms of the impact report (report.ts). JSON layout (numbers or null):
//   {"format":"sis-ai-metrics","version":1,"window_s":12.3,"policy":"fair",
//    "latency_us":{"attention":{"n":..,"p50":..,"p99":..},"oom":{..},"llm":{..}},
//    "follow_rate":{"overall":..,"attention":{"suggestions":..,"followed":..,"rate":..,"definition":".."},..},
//    "oom_accuracy":{"resolved":..,"accuracy":..,"threshold":0.8,"tp":..,"fp":..,"tn":..,"fn":..},
//    "scheduler":{"fair":{..},"attention":{..},"heuristic":{..},"mixed_tasks":..,
//                 "attention_vs_fair":{"context_switches_change":..,"turnaround_change":..},"heuristic_vs_fair":{..}},
//    "compaction":{"count":..,"unmeasured":..,"largest_block_before_bytes":..,"largest_block_after_bytes":..,
//                  "largest_block_gain_bytes":..,"free_gain_bytes":..}}
import { fixed, bytes } from "../../lib/format";
import { ImpactReport, LatencyStat, FollowStat, SchedChange, MIN_CPU_US, MIN_TASKS } from "./report";
import { PolicyBucket, BUCKET_NAMES } from "./window";
import { jsonString } from "../../lib/json_string";

function num(v: f64, d: i32 = 3): string {
  return isFinite(v) ? fixed(v, d) : "null";
}

function latencyJson(l: LatencyStat): string {
  return jsonString(l.name) + ":{\"n\":" + l.n.toString() + ",\"p50\":" + num(l.p50Us) + ",\"p99\":" + num(l.p99Us) +
    ",\"source\":" + jsonString(l.source) + "}";
}

function followJson(f: FollowStat): string {
  return jsonString(f.name) + ":{\"suggestions\":" + f.suggestions.toString() + ",\"followed\":" + f.followed.toString() +
    ",\"rate\":" + num(f.rate(), 4) + ",\"definition\":" + jsonString(f.definition) + "}";
}

function bucketJson(name: string, b: PolicyBucket): string {
  return jsonString(name) + ":{\"wall_s\":" + num(<f64>b.wallUs / 1e6) + ",\"cpu_s\":" + num(<f64>b.cpuUs / 1e6, 4) +
    ",\"dispatches\":" + b.dispatches.toString() + ",\"context_switches\":" + b.contextSwitches.toString() +
    ",\"switches_per_cpu_s\":" + num(b.switchesPerCpuSecond(), 1) + ",\"tasks_finished\":" + b.tasksFinished.toString() +
    ",\"turnaround_mean_ms\":" + num(b.meanTurnaroundUs() / 1000) + "}";
}

function changeJson(c: SchedChange): string {
  return "{\"context_switches_change\":" + num(c.switchesChange, 4) + ",\"turnaround_change\":" + num(c.turnaroundChange, 4) + "}";
}

export function reportJson(r: ImpactReport): string {
  let s = "{\"format\":\"sis-ai-metrics\",\"version\":1,\"window_s\":" + num(r.windowSeconds) + ",\"policy\":" + jsonString(r.policyNow);
  s += ",\"latency_us\":{";
  for (let i = 0; i < r.latency.length; i++) s += (i > 0 ? "," : "") + latencyJson(r.latency[i]);
  s += "},\"follow_rate\":{\"overall\":" + num(r.overallFollowRate(), 4);
  for (let i = 0; i < r.follow.length; i++) s += "," + followJson(r.follow[i]);
  const o = r.oom;
  s += "},\"oom_accuracy\":{\"resolved\":" + o.resolved.toString() + ",\"accuracy\":" + num(o.accuracy(), 4) +
    ",\"threshold\":" + num(o.threshold, 2) + ",\"tp\":" + o.truePositive.toString() + ",\"fp\":" + o.falsePositive.toString() +
    ",\"tn\":" + o.trueNegative.toString() + ",\"fn\":" + o.falseNegative.toString() + "}";
  s += ",\"scheduler\":{";
  for (let i = 0; i < r.buckets.length; i++) s += (i > 0 ? "," : "") + bucketJson(BUCKET_NAMES[i], r.buckets[i]);
  s += ",\"mixed_tasks\":" + r.mixedTasks.toString() + ",\"attention_vs_fair\":" + changeJson(r.ai) +
    ",\"heuristic_vs_fair\":" + changeJson(r.heuristic) + "}";
  s += ",\"compaction\":{\"count\":" + r.compactions.toString() + ",\"unmeasured\":" + r.compactionsUnmeasured.toString() +
    ",\"largest_block_before_bytes\":" + num(r.largestBeforeBytes, 0) + ",\"largest_block_after_bytes\":" + num(r.largestAfterBytes, 0) +
    ",\"largest_block_gain_bytes\":" + num(r.largestBlockGainBytes, 0) + ",\"free_gain_bytes\":" + num(r.freeGainBytes, 0) + "}}";
  return s;
}

function us(v: f64): string {
  return isFinite(v) ? fixed(v, 1) + " us" : "-";
}

function pct(v: f64): string {
  return isFinite(v) ? fixed(v * 100, 1) + "%" : "no data";
}

function signedPct(v: f64): string {
  if (!isFinite(v)) return "no data";
  return (v >= 0 ? "+" : "") + fixed(v * 100, 1) + "%";
}

function signedBytes(v: f64): string {
  return (v < 0 ? "-" : "") + bytes(<u64>Math.abs(v));
}

/** The human form: one section per metric, "no data" where nothing was recorded. */
export function reportText(r: ImpactReport): Array<string> {
  const out = new Array<string>(0);
  out.push("AI impact over the last " + fixed(r.windowSeconds, 1) + " s (since boot or autoctl reset-baseline); policy now: " + r.policyNow);
  out.push("inference latency (p50 / p99, samples):");
  for (let i = 0; i < r.latency.length; i++) {
    const l = r.latency[i];
    out.push("  " + l.name + ": " + (l.n > 0 ? us(l.p50Us) + " / " + us(l.p99Us) + " (" + l.n.toString() + ")" : "no data") +
      "   [" + l.source + "]");
  }
  out.push("decision follow rate (share of AI suggestions acted on): overall " + pct(r.overallFollowRate()));
  for (let i = 0; i < r.follow.length; i++) {
    const f = r.follow[i];
    out.push("  " + f.name + ": " + (f.suggestions > 0 ? pct(f.rate()) + " (" + f.followed.toString() + " of " + f.suggestions.toString() + ")" : "no data") +
      "   [" + f.definition + "]");
  }
  const o = r.oom;
  out.push("OOM prediction accuracy (resolved outcomes, warning at " + fixed(o.threshold * 100, 0) + "%): " +
    (o.resolved > 0 ? pct(o.accuracy()) + " of " + o.resolved.toString() + " (tp " + o.truePositive.toString() + ", fp " +
      o.falsePositive.toString() + ", tn " + o.trueNegative.toString() + ", fn " + o.falseNegative.toString() + ")" : "no data"));
  out.push("scheduler by policy (fair = baseline):");
  for (let i = 0; i < r.buckets.length; i++) {
    const b = r.buckets[i];
    out.push("  " + BUCKET_NAMES[i] + ": " + fixed(<f64>b.wallUs / 1e6, 1) + " s, " + b.contextSwitches.toString() + " switches in " +
      fixed(<f64>b.cpuUs / 1e6, 3) + " CPU-s (" + (isFinite(b.switchesPerCpuSecond()) ? fixed(b.switchesPerCpuSecond(), 0) : "-") +
      "/CPU-s), " + b.tasksFinished.toString() + " tasks finished, mean turnaround " +
      (b.tasksFinished > 0 ? fixed(b.meanTurnaroundUs() / 1000, 1) + " ms" : "-"));
  }
  out.push("  (a comparison needs " + fixed(<f64>MIN_CPU_US / 1000, 0) + " CPU-ms and " + MIN_TASKS.toString() +
    " finished tasks under each policy; run the same workload under each after autoctl reset-baseline)");
  out.push("  attention vs fair: context switches " + signedPct(r.ai.switchesChange) + ", turnaround " + signedPct(r.ai.turnaroundChange));
  out.push("  heuristic vs fair: context switches " + signedPct(r.heuristic.switchesChange) + ", turnaround " + signedPct(r.heuristic.turnaroundChange));
  if (r.mixedTasks > 0) out.push("  (" + r.mixedTasks.toString() + " tasks ran under two policies: not counted)");
  out.push("AI-triggered compaction: " + (r.compactions > 0 ? r.compactions.toString() + " runs, largest free block " +
    bytes(<u64>r.largestBeforeBytes) + " -> " + bytes(<u64>r.largestAfterBytes) + " (summed; gain " + signedBytes(r.largestBlockGainBytes) +
    "), free memory " + signedBytes(r.freeGainBytes) + (r.compactionsUnmeasured > 0 ? ", " + r.compactionsUnmeasured.toString() + " unmeasured" : "")
    : "none in this window"));
  return out;
}
