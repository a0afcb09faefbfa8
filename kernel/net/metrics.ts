// Prometheus text exposition format 0.0.4: one writer that enforces its rules as it goes.
//
//   # HELP name text            once per metric family, before its samples
//   # TYPE name counter|gauge|histogram
//   name{label="value"} 12      samples of a family are contiguous
//   name_bucket{le="0.5"} 3     histogram buckets cumulative, increasing le, then +Inf,
//   name_bucket{le="+Inf"} 9    which equals name_count; name_sum the total
//   name_sum 4.2
//   name_count 9
// Every line ends in "\n", the last one too. Label values escape \\, \" and \n. A family name
// used twice is a bug (abort), so a test catches it before Prometheus would.

export class MetricsWriter {
  private parts: Array<string> = new Array<string>(0);
  private names: Set<string> = new Set<string>();

  /** Starts a family: HELP and TYPE lines. */
  family(name: string, type: string, help: string): void {
    if (this.names.has(name)) abort("metric family written twice: " + name);
    this.names.add(name);
    this.parts.push("# HELP " + name + " " + escapeHelp(help) + "\n# TYPE " + name + " " + type + "\n");
  }

  /** One sample line; `labels` is "" or a list built with label(). */
  sample(name: string, labels: string, value: f64): void {
    this.parts.push(name + (labels.length > 0 ? "{" + labels + "}" : "") + " " + formatValue(value) + "\n");
  }

  counter(name: string, help: string, value: f64): void {
    this.family(name, "counter", help);
    this.sample(name, "", value);
  }

  gauge(name: string, help: string, value: f64): void {
    this.family(name, "gauge", help);
    this.sample(name, "", value);
  }

  /**
   * A histogram from per-bucket counts: counts[i] observations <= bounds[i] (and above the
   * previous bound); counts[bounds.length] is the overflow. Written cumulatively.
   */
  histogramSamples(name: string, labels: string, bounds: StaticArray<f64>, counts: StaticArray<u64>, sum: f64): void {
    let cumulative: u64 = 0;
    const sep = labels.length > 0 ? labels + "," : "";
    for (let i = 0; i < bounds.length; i++) {
      cumulative += counts[i];
      this.sample(name + "_bucket", sep + "le=\"" + formatValue(bounds[i]) + "\"", <f64>cumulative);
    }
    cumulative += counts[bounds.length];
    this.sample(name + "_bucket", sep + "le=\"+Inf\"", <f64>cumulative);
    this.sample(name + "_sum", labels, sum);
    this.sample(name + "_count", labels, <f64>cumulative);
  }

  text(): string {
    return this.parts.join("");
  }
}

/** name="value" with the value escaped. */
export function label(name: string, value: string): string {
  let v = "";
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (c == "\\") v += "\\\\";
    else if (c == "\"") v += "\\\"";
    else if (c == "\n") v += "\\n";
    else v += c;
  }
  return name + "=\"" + v + "\"";
}

function escapeHelp(s: string): string {
  let v = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c == "\\") v += "\\\\";
    else if (c == "\n") v += "\\n";
    else v += c;
  }
  return v;
}

/** Integers without a fraction, others with up to 9 significant digits; NaN and infinities spelled out. */
export function formatValue(v: f64): string {
  if (isNaN(v)) return "NaN";
  if (!isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == Math.floor(v) && Math.abs(v) < 9.007e15) return (<i64>v).toString();
  return v.toString();
}

/**
 * A cumulative histogram fed from a sliding ring of recent samples: each scrape adds the
 * samples recorded since the previous one (up to the ring's capacity; older ones are counted
 * in `missed`), so the buckets only grow, as Prometheus counters must.
 */
export class RingHistogram {
  counts: StaticArray<u64>;
  sum: f64 = 0;
  seenTotal: u64 = 0;
  missed: u64 = 0;
  constructor(public bounds: StaticArray<f64>) {
    this.counts = new StaticArray<u64>(bounds.length + 1);
  }

  observe(v: f64): void {
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += v;
  }
}
