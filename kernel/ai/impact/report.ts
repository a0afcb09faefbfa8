// The AI impact report (`autoctl ai-metrics`, /metrics, the dashboard): every number is computed
// here, at the moment it is asked for, from data the kernel recorded. Nothing is estimated; a
// metric without data says so (n = 0, values NaN, printed as "no data", JSON null).
//
// Inference latency, per AI subsystem (p50/p99 over the newest samples):
//   attention  the scheduler's picks in which the attention model scored the candidates
//              (scheduler.attentionScoredLatency, counter-timed around policy.pick())
//   oom        each live OOM prediction: features + model (oom/predictor.inferenceLatency)
//   llm        the "latency_ms" (or "latency_us") feature of llm decisions in the trace; none
//              until `llmctl infer` records them
// Decision follow rate: the share of AI suggestions that were acted on, per subsystem, over the
// decisions held in the trace ring:
//   attention  picks the model made (confidence 1) vs all traced picks; the others were taken
//              by the starvation bound (confidence 0), overriding the model
//   oom        predictions at or above the action threshold (the model says "compact") that ran
//              a compaction; the rest were held back by the cooldown, a free 4 MiB block or
//              auto-compaction off
//   llm        suggestions whose command was executed (the decision has an outcome: its exit
//              status) vs all llm decisions
// OOM accuracy: over the OOM decisions in the trace whose outcome is resolved (an OOM followed
// within 10 s or not): predicted positive = confidence >= the warning threshold.
// Scheduler change: the attention (AI) and heuristic buckets of window.ts against the fair
// bucket (the baseline), as ratios - 1: context switches per CPU-second, mean turnaround.
import * as trace from "../trace";
import { attentionScoredLatency } from "../../sched/scheduler";
import { LatencyRing } from "../../sched/latency";
import { percentile } from "../../lib/stats";
import { predictor, inferenceLatency } from "../oom/predictor";
import { ACTION_COMPACT } from "../oom/actions";
import { impact, windowSeconds, PolicyBucket, BUCKET_NAMES, POLICY_FAIR, POLICY_ATTENTION, POLICY_HEURISTIC, policyBucketNow } from "./window";

export const SUBSYSTEMS: StaticArray<string> = ["attention", "oom", "llm"];

export class LatencyStat {
  n: i32 = 0;
  p50Us: f64 = NaN;
  p99Us: f64 = NaN;
  constructor(public name: string, public source: string) {}
}

export class FollowStat {
  suggestions: i32 = 0;
  followed: i32 = 0;
  constructor(public name: string, public definition: string) {}
  rate(): f64 {
    return this.suggestions > 0 ? <f64>this.followed / <f64>this.suggestions : NaN;
  }
}

export class OomAccuracy {
  resolved: i32 = 0;
  truePositive: i32 = 0;
  falsePositive: i32 = 0;
  trueNegative: i32 = 0;
  falseNegative: i32 = 0;
  threshold: f64 = 0;
  accuracy(): f64 {
    return this.resolved > 0 ? <f64>(this.truePositive + this.trueNegative) / <f64>this.resolved : NaN;
  }
}

export class SchedChange {
  /** ratio - 1 against fair (e.g. -0.25 = 25% fewer); NaN without data on either side. */
  switchesChange: f64 = NaN;
  turnaroundChange: f64 = NaN;
  constructor(public name: string) {}
}

export class ImpactReport {
  windowSeconds: f64 = 0;
  policyNow: string = "";
  latency: Array<LatencyStat> = new Array<LatencyStat>(0);
  follow: Array<FollowStat> = new Array<FollowStat>(0);
  oom: OomAccuracy = new OomAccuracy();
  buckets: StaticArray<PolicyBucket> = impact.buckets;
  ai: SchedChange = new SchedChange("attention");
  heuristic: SchedChange = new SchedChange("heuristic");
  compactions: u64 = 0;
  compactionsUnmeasured: u64 = 0;
  largestBeforeBytes: f64 = 0;
  largestAfterBytes: f64 = 0;
  largestBlockGainBytes: f64 = 0;
  freeGainBytes: f64 = 0;
  mixedTasks: u64 = 0;

  overallFollowRate(): f64 {
    let s = 0, f = 0;
    for (let i = 0; i < this.follow.length; i++) {
      s += this.follow[i].suggestions;
      f += this.follow[i].followed;
    }
    return s > 0 ? <f64>f / <f64>s : NaN;
  }
}

function fromRing(stat: LatencyStat, ring: LatencyRing): LatencyStat {
  stat.n = ring.count;
  stat.p50Us = ring.percentileUs(50);
  stat.p99Us = ring.percentileUs(99);
  return stat;
}

/** Index of the trace subsystem called `name`, -1 when it never registered. */
export function subsystemIndex(name: string): i32 {
  for (let i = 0; i < trace.traceSubsystemCount(); i++) if (trace.subsystemName(i) == name) return i;
  return -1;
}

/** Which feature of an llm decision holds its latency, and its scale to microseconds. */
function latencyFeature(id: u64): i32 {
  for (let i = 0; i < trace.traceFeatureCount(id); i++) {
    const n = trace.traceFeatureName(id, i);
    if (n == "latency_ms" || n == "latency_us") return i;
  }
  return -1;
}

function llmLatency(llm: i32): LatencyStat {
  const stat = new LatencyStat("llm", "latency feature of llm decisions in the trace");
  if (llm < 0) return stat;
  const values = new Array<f64>(0);
  for (let id = trace.oldestTraceId(); id <= trace.newestTraceId(); id++) {
    if (!trace.traceExists(id) || trace.traceSubsystem(id) != llm) continue;
    const f = latencyFeature(id);
    if (f < 0) continue;
    const v = trace.traceFeature(id, f);
    values.push(trace.traceFeatureName(id, f) == "latency_ms" ? v * 1000 : v);
  }
  stat.n = values.length;
  if (values.length > 0) {
    stat.p50Us = percentile(values, 50);
    stat.p99Us = percentile(values, 99);
  }
  return stat;
}

function change(ai: PolicyBucket, base: PolicyBucket, into: SchedChange): void {
  const a = ai.switchesPerCpuSecond(), b = base.switchesPerCpuSecond();
  into.switchesChange = isFinite(a) && isFinite(b) && b > 0 ? a / b - 1 : NaN;
  const ta = ai.meanTurnaroundUs(), tb = base.meanTurnaroundUs();
  into.turnaroundChange = isFinite(ta) && isFinite(tb) && tb > 0 ? ta / tb - 1 : NaN;
}

export function buildReport(): ImpactReport {
  const r = new ImpactReport();
  r.windowSeconds = windowSeconds();
  r.policyNow = BUCKET_NAMES[policyBucketNow()];
  r.latency.push(fromRing(new LatencyStat("attention", "scheduler picks scored by the attention model"), attentionScoredLatency));
  r.latency.push(fromRing(new LatencyStat("oom", "live OOM predictions (features + model)"), inferenceLatency));
  const llm = subsystemIndex("llm");
  r.latency.push(llmLatency(llm));

  const sched = new FollowStat("attention", "picks made by the model / all traced picks (the rest: starvation bound)");
  const oomF = new FollowStat("oom", "compactions run / predictions at or above the action threshold");
  const llmF = new FollowStat("llm", "suggestions executed (outcome known) / llm decisions");
  const schedSub = subsystemIndex("sched"), oomSub = subsystemIndex("oom");
  const act = predictor.policy.actionThreshold;
  const warn = predictor.policy.warningThreshold;
  r.oom.threshold = warn;
  for (let id = trace.oldestTraceId(); id <= trace.newestTraceId(); id++) {
    if (!trace.traceExists(id)) continue;
    const s = trace.traceSubsystem(id);
    const conf = trace.traceConfidence(id);
    if (s == schedSub) {
      sched.suggestions++;
      if (conf >= 1) sched.followed++;
    } else if (s == oomSub) {
      if (conf >= act) {
        oomF.suggestions++;
        if (trace.traceAction(id) == <i64>ACTION_COMPACT) oomF.followed++;
      }
      if (trace.traceResolved(id)) {
        const positive = conf >= warn;
        const happened = trace.traceOutcome(id) >= 0.5;
        r.oom.resolved++;
        if (positive && happened) r.oom.truePositive++;
        else if (positive) r.oom.falsePositive++;
        else if (happened) r.oom.falseNegative++;
        else r.oom.trueNegative++;
      }
    } else if (s == llm && llm >= 0) {
      llmF.suggestions++;
      if (trace.traceResolved(id)) llmF.followed++;
    }
  }
  r.follow.push(sched);
  r.follow.push(oomF);
  r.follow.push(llmF);

  change(impact.buckets[POLICY_ATTENTION], impact.buckets[POLICY_FAIR], r.ai);
  change(impact.buckets[POLICY_HEURISTIC], impact.buckets[POLICY_FAIR], r.heuristic);
  r.compactions = impact.compactions;
  r.compactionsUnmeasured = impact.compactionsUnmeasured;
  r.largestBeforeBytes = impact.largestBeforeBytes;
  r.largestAfterBytes = impact.largestAfterBytes;
  r.largestBlockGainBytes = impact.largestBlockGainBytes;
  r.freeGainBytes = impact.freeGainBytes;
  r.mixedTasks = impact.mixedTasks;
  return r;
}
