// A strict parser of the Prometheus text exposition format 0.0.4 (FACTS.md): every line
// ends in "\n"; HELP and TYPE once per family and before its samples; a family's samples
// contiguous; names and label names valid; label values with only \\ \" \n escapes; values
// parse; histograms have increasing le buckets, cumulative counts, +Inf == _count, and _sum.
// Throws on the first violation with the line number.
export interface Sample { name: string; labels: Record<string, string>; value: number }
export interface Family { name: string; type: string; help: string; samples: Sample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(s: string, where: string): number {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)$/.test(s)) throw new Error(`${where}: bad value '${s}'`);
  return Number(s);
}

function parseLabels(s: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf("=", i);
    if (eq < 0) throw new Error(`${where}: label without '='`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`${where}: bad label name '${name}'`);
    if (name in out) throw new Error(`${where}: label ${name} twice`);
    if (s[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let j = eq + 2;
    let v = "";
    for (;;) {
      if (j >= s.length) throw new Error(`${where}: unterminated label value`);
      const c = s[j];
      if (c === "\\") {
        const e = s[j + 1];
        if (e === "\\") v += "\\";
        else if (e === '"') v += '"';
        else if (e === "n") v += "\n";
        else throw new Error(`${where}: bad escape \\${e}`);
        j += 2;
      } else if (c === '"') break;
      else if (c === "\n") throw new Error(`${where}: raw newline in label value`);
      else {
        v += c;
        j++;
      }
    }
    out[name] = v;
    j++;
    if (j < s.length) {
      if (s[j] !== ",") throw new Error(`${where}: expected ',' between labels`);
      j++;
    }
    i = j;
  }
  return out;
}

function familyOf(sampleName: string, type: string | undefined, families: Map<string, Family>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (families.get(base)?.type === "histogram") return base;
    }
  }
  return sampleName;
}

export function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the last line does not end in \\n");
  const families = new Map<string, Family>();
  const finished = new Set<string>();
  let current: string | null = null;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line.length === 0) throw new Error(`${where}: empty line`);
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(line);
      if (!m) {
        if (line.startsWith("# HELP") || line.startsWith("# TYPE")) throw new Error(`${where}: malformed ${line}`);
        return; // a comment
      }
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name '${name}'`);
      let f = families.get(name);
      if (f && f.samples.length > 0) throw new Error(`${where}: ${kind} for ${name} after its samples`);
      if (!f) {
        if (current && current !== name) finished.add(current);
        if (finished.has(name)) throw new Error(`${where}: ${name} again after other families`);
        f = { name, type: "untyped", help: "", samples: [] };
        families.set(name, f);
        current = name;
      }
      if (kind === "TYPE") {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(rest)) throw new Error(`${where}: bad type '${rest}'`);
        if ((f as any).typed) throw new Error(`${where}: TYPE twice for ${name}`);
        f.type = rest;
        (f as any).typed = true;
      } else {
        if ((f as any).helped) throw new Error(`${where}: HELP twice for ${name}`);
        f.help = rest;
        (f as any).helped = true;
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`${where}: malformed sample '${line}'`);
    const [, name, , labelText, valueText] = m;
    const labels = labelText !== undefined ? parseLabels(labelText, where) : {};
    const value = parseValue(valueText, where);
    const fam = familyOf(name, undefined, families);
    if (fam !== current) {
      if (current) finished.add(current);
      if (finished.has(fam)) throw new Error(`${where}: samples of ${fam} are not contiguous`);
      current = fam;
    }
    let f = families.get(fam);
    if (!f) {
      f = { name: fam, type: "untyped", help: "", samples: [] };
      families.set(fam, f);
    }
    if (f.type === "counter" && !(value >= 0)) throw new Error(`${where}: counter ${name} is ${value}`);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    if (!series.has(key)) series.set(key, []);
    series.get(key)!.push(s);
  }
  for (const [key, samples] of series) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    const sum = samples.find((s) => s.name === `${f.name}_sum`);
    const count = samples.find((s) => s.name === `${f.name}_count`);
    if (!sum || !count) throw new Error(`histogram ${f.name} ${key}: _sum or _count missing`);
    if (buckets.length === 0) throw new Error(`histogram ${f.name} ${key}: no buckets`);
    let lastLe = -Infinity;
    let lastCount = 0;
    for (const b of buckets) {
      if (b.labels.le === undefined) throw new Error(`histogram ${f.name}: bucket without le`);
      const le = b.labels.le === "+Inf" ? Infinity : Number(b.labels.le);
      if (Number.isNaN(le) || le <= lastLe) throw new Error(`histogram ${f.name}: le ${b.labels.le} not increasing`);
      if (b.value < lastCount) throw new Error(`histogram ${f.name}: bucket le=${b.labels.le} not cumulative`);
      lastLe = le;
      lastCount = b.value;
    }
    if (lastLe !== Infinity) throw new Error(`histogram ${f.name} ${key}: no +Inf bucket`);
    if (lastCount !== count.value) throw new Error(`histogram ${f.name} ${key}: +Inf ${lastCount} != _count ${count.value}`);
  }
}
