// The AI impact report (kernel/ai/impact, `autoctl ai-metrics`) as Prometheus families. Values
// with no data are left out (a missing sample, not a made-up 0).
import { MetricsWriter, label } from "./metrics";
import { buildReport } from "../ai/impact/report";
import { BUCKET_NAMES } from "../ai/impact/window";

function maybe(w: MetricsWriter, name: string, labels: string, v: f64): void {
  if (isFinite(v)) w.sample(name, labels, v);
}

export function writeImpactMetrics(w: MetricsWriter): void {
  const r = buildReport();
  w.family("sis_ai_inference_latency_microseconds", "gauge", "Inference latency per AI subsystem (quantile 0.5 / 0.99 of the newest samples)");
  for (let i = 0; i < r.latency.length; i++) {
    const l = r.latency[i];
    maybe(w, "sis_ai_inference_latency_microseconds", label("subsystem", l.name) + ",quantile=\"0.5\"", l.p50Us);
    maybe(w, "sis_ai_inference_latency_microseconds", label("subsystem", l.name) + ",quantile=\"0.99\"", l.p99Us);
  }
  w.family("sis_ai_inference_samples", "gauge", "Latency samples behind the quantiles, per AI subsystem");
  for (let i = 0; i < r.latency.length; i++) w.sample("sis_ai_inference_samples", label("subsystem", r.latency[i].name), <f64>r.latency[i].n);
  w.family("sis_ai_follow_rate", "gauge", "Share of AI suggestions acted on (autoctl --help defines it per subsystem)");
  maybe(w, "sis_ai_follow_rate", label("subsystem", "all"), r.overallFollowRate());
  for (let i = 0; i < r.follow.length; i++) maybe(w, "sis_ai_follow_rate", label("subsystem", r.follow[i].name), r.follow[i].rate());
  w.family("sis_ai_suggestions", "gauge", "AI suggestions held in the trace, per subsystem");
  for (let i = 0; i < r.follow.length; i++) w.sample("sis_ai_suggestions", label("subsystem", r.follow[i].name), <f64>r.follow[i].suggestions);
  w.gauge("sis_ai_oom_resolved_predictions", "OOM predictions in the trace with a known outcome", <f64>r.oom.resolved);
  w.family("sis_ai_oom_accuracy", "gauge", "Share of resolved OOM predictions that were right (positive = confidence >= warning threshold)");
  maybe(w, "sis_ai_oom_accuracy", "", r.oom.accuracy());
  w.family("sis_ai_sched_change_ratio", "gauge", "Policy against the fair baseline, ratio - 1 (metric: context_switches per CPU-second, turnaround mean)");
  maybe(w, "sis_ai_sched_change_ratio", label("policy", "attention") + ",metric=\"context_switches\"", r.ai.switchesChange);
  maybe(w, "sis_ai_sched_change_ratio", label("policy", "attention") + ",metric=\"turnaround\"", r.ai.turnaroundChange);
  maybe(w, "sis_ai_sched_change_ratio", label("policy", "heuristic") + ",metric=\"context_switches\"", r.heuristic.switchesChange);
  maybe(w, "sis_ai_sched_change_ratio", label("policy", "heuristic") + ",metric=\"turnaround\"", r.heuristic.turnaroundChange);
  w.family("sis_ai_sched_window_seconds", "gauge", "Wall time spent under each policy in the measurement window");
  for (let i = 0; i < r.buckets.length; i++) w.sample("sis_ai_sched_window_seconds", label("policy", BUCKET_NAMES[i]), <f64>r.buckets[i].wallUs / 1e6);
  w.counter("sis_ai_compactions_total", "OOM-predictor compactions in the measurement window", <f64>r.compactions);
  w.gauge("sis_ai_compaction_largest_block_gain_bytes", "Growth of the largest free block summed over those compactions", r.largestBlockGainBytes);
  w.gauge("sis_ai_compaction_free_gain_bytes", "Growth of free memory summed over those compactions", r.freeGainBytes);
}
