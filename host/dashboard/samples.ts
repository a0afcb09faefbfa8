// One chart point per second from SIS's /metrics (Prometheus text), plus the small parser.
//
//   free memory       sis_memory_free_bytes
//   fragmentation     sis_memory_fragmentation_ratio
//   OOM confidence    sis_oom_confidence (the latest prediction, 0..1)
//   I/O rate          growth of sis_block_{read,written}_bytes_total (all devices) per second
//   decision latency  mean scheduling decision time over the last interval, per policy, from
//                     the growth of sis_sched_decision_latency_microseconds_{sum,count}; and the
//                     OOM model's inference p50 (sis_ai_inference_latency_microseconds)
// A value that cannot be computed (first sample, no decision in the interval) is null: the chart
// leaves a gap rather than drawing a made-up point.
export interface PromSample { name: string; labels: Record<string, string>; value: number }

export function parseMetrics(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

export interface Point {
  t: number; // ms since the epoch
  freeMiB: number | null;
  fragmentation: number | null;
  oomConfidence: number | null;
  ioMiBps: number | null;
  latencyFairUs: number | null;
  latencyAttentionUs: number | null;
  oomInferenceUs: number | null;
}

function one(s: PromSample[], name: string, labels: Record<string, string> = {}): number | null {
  const x = s.find((p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v));
  return x && Number.isFinite(x.value) ? x.value : null;
}

function total(s: PromSample[], name: string): number {
  return s.filter((p) => p.name === name).reduce((a, p) => a + p.value, 0);
}

export class Sampler {
  points: Point[] = [];
  private last: { t: number; io: number; lat: Record<string, [number, number]> } | null = null;
  constructor(public keepMs = 5 * 60 * 1000) {}

  /** Forget the counters' last values (SIS rebooted: its counters restarted). */
  restart(): void {
    this.last = null;
  }

  add(text: string, t = Date.now()): Point {
    const s = parseMetrics(text);
    const io = total(s, "sis_block_read_bytes_total") + total(s, "sis_block_written_bytes_total");
    const lat: Record<string, [number, number]> = {};
    for (const policy of ["fair", "attention"]) {
      lat[policy] = [one(s, "sis_sched_decision_latency_microseconds_sum", { policy }) ?? 0,
        one(s, "sis_sched_decision_latency_microseconds_count", { policy }) ?? 0];
    }
    const prev = this.last;
    const mean = (policy: string): number | null => {
      if (!prev) return null;
      const dc = lat[policy][1] - prev.lat[policy][1];
      return dc > 0 ? (lat[policy][0] - prev.lat[policy][0]) / dc : null;
    };
    const dt = prev ? (t - prev.t) / 1000 : 0;
    const free = one(s, "sis_memory_free_bytes");
    const p: Point = {
      t,
      freeMiB: free === null ? null : free / (1 << 20),
      fragmentation: one(s, "sis_memory_fragmentation_ratio"),
      oomConfidence: one(s, "sis_oom_confidence"),
      ioMiBps: prev && dt > 0 && io >= prev.io ? (io - prev.io) / (1 << 20) / dt : null,
      latencyFairUs: mean("fair"),
      latencyAttentionUs: mean("attention"),
      oomInferenceUs: one(s, "sis_ai_inference_latency_microseconds", { subsystem: "oom", quantile: "0.5" }),
    };
    this.last = { t, io, lat };
    this.points.push(p);
    while (this.points.length && this.points[0].t < t - this.keepMs) this.points.shift();
    return p;
  }
}
