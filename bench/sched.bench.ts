// `bench sched` in QEMU: the fair, attention and heuristic schedulers on the same seeded
// workloads (kernel/sched/bench.ts says what is measured), plus a summary over seeds per
// workload kind and policy: the median of each policy/fair ratio and its spread (min..max).
// Rerun with: make bench sched (or: node_modules/.bin/tsx bench/run.ts sched);
// SCHED_BENCH_SEEDS, SCHED_BENCH_SECONDS, SCHED_BENCH_FIRST_SEED, SCHED_BENCH_MIX (C,I,X) change it.
import { runInKernel, BenchResult } from "./lib.ts";

const SEEDS = Number(process.env.SCHED_BENCH_SEEDS ?? 3);
const SECONDS = Number(process.env.SCHED_BENCH_SECONDS ?? 2);
const FIRST = Number(process.env.SCHED_BENCH_FIRST_SEED ?? 1);
const MIX = process.env.SCHED_BENCH_MIX;

function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

export async function run(): Promise<BenchResult[]> {
  const cmd = `bench sched --seeds ${SEEDS} --first-seed ${FIRST} --seconds ${SECONDS}` + (MIX ? ` --mix ${MIX}` : "");
  const lines = await runInKernel([cmd], {}, 1800000);
  const out: BenchResult[] = lines.map((l) => ({ ...l, unit: (l.unit as string) ?? "mixed" }));
  const kinds = new Map<string, BenchResult[]>();
  for (const l of lines) {
    if (!l.ratio) continue;
    const list = kinds.get(l.name) ?? [];
    list.push(l);
    kinds.set(l.name, list);
  }
  for (const [name, list] of kinds) {
    for (const [policy, field] of [["attention", "ratio"], ["heuristic", "ratio_heuristic"]]) {
      const ratios = list.map((l) => l[field] as Record<string, number>);
      const summary: Record<string, number | string> = {};
      for (const key of Object.keys(ratios[0])) {
        const v = ratios.map((r) => r[key]).filter((x) => Number.isFinite(x));
        summary[key] = median(v);
        summary[`${key}_spread`] = v.length ? `${Math.min(...v).toFixed(2)}..${Math.max(...v).toFixed(2)}` : "n/a";
      }
      out.push({ name: `${name}.median_ratio`, unit: `${policy}/fair`, n: list.length, ...summary, where: "qemu" } as BenchResult);
    }
  }
  return out;
}
