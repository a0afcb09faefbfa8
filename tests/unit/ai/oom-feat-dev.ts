// Feature choices of the OOM predictor on development seeds, prediction only (no acting passes,
// so a run takes a minute instead of ten): trains on training seeds TS..TS+TN-1 (default 1, 1000)
// with the features in OFF switched off (comma-separated indices or names, ranges a-b), runs the
// off pass of N episodes per class (default 40) from development seed DEV (default 500000) and
// prints per class: OOMs, recall 5-10 s and false-positive episodes at each threshold in THR,
// and the recall at the one threshold (the same for every class) that keeps the class-mean
// false-positive share <= FP (default 0.10), chosen on these seeds.
//   node_modules/.bin/tsx tests/unit/ai/oom-feat-dev.ts      (e.g. OFF=21-26 TS=1001 DEV=600000)
// OFFS="21-26;" compares several feature sets, TSS=1,1001 several training samples, SMOOTH=1,10
// scores the mean confidence of the last k slots too, PREW=1,0.3 weights the negatives of OOM
// episodes (train.ts preOomNegativeWeight).
// Seed discipline as tests/unit/ai/oom-dev.ts: development and training seeds only.
import { seedProblem } from "./oom-seeds.ts";

const N = Number(process.env.N ?? 40);
const DEV = BigInt(process.env.DEV ?? 500000);
const TS = BigInt(process.env.TS ?? 1);
const TN = Number(process.env.TN ?? 1000);
const FP = Number(process.env.FP ?? 0.1);
// TSS: several training samples (comma-separated first seeds), each trained and scored in turn
const tss = (process.env.TSS ?? String(TS)).split(",").map((x) => BigInt(x));
const problem = tss.map((ts) => seedProblem(DEV, N, ts, TN)).find((x) => x !== "");
if (problem) {
  console.error("error: " + problem);
  process.exit(2);
}
const CLASSES = ["leak", "ramp", "burst", "frag", "mixed"];
const { loadKernelModule } = await import("../../host/compile.ts");
const k: any = await loadKernelModule("tests/unit/ai/oom.entry.ts", { memoryBase: 64 << 20 });
const e = k.exports;
e.memInit();
const parseOff = (spec: string): Set<number> => {
  const off = new Set<number>();
  for (const part of spec.split(",").filter((x) => x.length > 0)) {
    const m = /^(\d+)-(\d+)$/.exec(part);
    if (m) for (let i = Number(m[1]); i <= Number(m[2]); i++) off.add(i);
    else if (/^\d+$/.test(part)) off.add(Number(part));
    else throw new Error(`OFF: ${part} is not an index or a range`);
  }
  return off;
};
const started = Date.now();
// OFF: one set of features to switch off; OFFS: several, ';'-separated (each trained and scored in turn)
for (const spec of (process.env.OFFS ?? process.env.OFF ?? "").split(";")) {
  const off = parseOff(spec);
  for (let i = 0; i < e.featureCount(); i++) e.setFeatureOff(i, off.has(i));
  // PREW unset: the kernel's default (train.ts PRE_OOM_NEGATIVE_WEIGHT)
  for (const ts of tss) for (const pw of (process.env.PREW ?? "default").split(",")) {
    if (pw !== "default") e.setPreOomWeight(Number(pw));
    console.log(`negatives of OOM episodes weighted ${pw === "default" ? e.preOomWeight() : pw}`);
    console.log(`off: [${[...off].sort((a, b) => a - b).join(",")}]; training ${ts}..${ts + BigInt(TN) - 1n}: ${e.trainLearned(ts, TN, 12)}`);
    for (const sm of (process.env.SMOOTH ?? "1").split(",").map(Number)) runOne(sm);
  }
}

function runOne(smooth: number): void {
  if (smooth !== 1) console.log(`confidence: mean of the last ${smooth} slots`);
  const rows = (e.offMaxima(DEV, N, smooth) as string).split(";").map((l) => l.split(" ").map(Number));
  type Row = number[];
  const byClass: Row[][] = CLASSES.map((_, c) => rows.filter((r) => r[0] === c));
  const score = (rs: Row[], t: number) => {
    const oom = rs.filter((r) => r[1] === 1), safe = rs.filter((r) => r[1] === 0);
    return { oom: oom.length, safe: safe.length, recall: oom.length ? oom.filter((r) => r[2] >= t).length / oom.length : NaN,
      fp: safe.length ? safe.filter((r) => r[3] >= t).length / safe.length : NaN };
  };
  const mean = (v: number[]) => { const w = v.filter((x) => !isNaN(x)); return w.reduce((a, b) => a + b, 0) / w.length; };
  const at = (t: number) => {
    const s = byClass.map((rs) => score(rs, t));
    return { s, recall: mean(s.map((x) => x.recall)), fp: mean(s.map((x) => x.fp)) };
  };
  const pct = (v: number) => (isNaN(v) ? "-" : (100 * v).toFixed(0).padStart(3) + "%");
  for (const t of (process.env.THR ?? "0.96").split(",").map(Number)) {
    const r = at(t);
    console.log(`threshold ${t}: recall ${pct(r.recall)} FP ${pct(r.fp)} | ` +
      r.s.map((x, c) => `${CLASSES[c]} ${pct(x.recall)}/${pct(x.fp)} (${x.oom}/${x.safe})`).join("  "));
  }
  // one threshold for all classes: the lowest candidate with class-mean FP <= FP
  const cands = [...new Set(rows.map((r) => r[3]).concat(rows.map((r) => r[2])))].sort((a, b) => a - b);
  let best = { t: 1.01, recall: 0, fp: 0 };
  for (const t of cands) {
    const r = at(t);
    if (r.fp <= FP + 1e-9) { best = { t, recall: r.recall, fp: r.fp }; break; }
  }
  const b = at(best.t);
  console.log(`at FP <= ${FP * 100}% (one threshold ${best.t.toFixed(4)}): recall ${pct(best.recall)} FP ${pct(best.fp)} | ` +
    b.s.map((x, c) => `${CLASSES[c]} ${pct(x.recall)}/${pct(x.fp)}`).join("  "));
}
console.log(`wall ${((Date.now() - started) / 1000).toFixed(1)} s`);
