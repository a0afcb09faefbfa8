// `bench sched` in QEMU: the fair and the attention scheduler on the same seeded workloads
// (kernel/shell/commands/sched_bench.ts says what is measured), plus a summary over seeds: the median of
// each attention/fair ratio per workload kind. Rerun with: make bench sched
// (or: node_modules/.bin/tsx bench/run.ts sched).
import { runInKernel, BenchResult } from "./lib.ts";

const SEEDS = Number(process.env.SCHED_BENCH_SEEDS ?? 3);
const SECONDS = Number(process.env.SCHED_BENCH_SECONDS ?? 2);

function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

export async function run(): Promise<BenchResult[]> {
  const lines = await runInKernel([`bench sched --seeds ${SEEDS} --seconds ${SECONDS}`], {}, 900000);
  const out: BenchResult[] = lines.map((l) => ({ ...l, unit: (l.unit as string) ?? "mixed" }));
  const kinds = new Map<string, BenchResult[]>();
  for (const l of lines) {
    if (!l.ratio) continue;
    const list = kinds.get(l.name) ?? [];
    list.push(l);
    kinds.set(l.name, list);
  }
  for (const [name, list] of kinds) {
    const ratios = list.map((l) => l.ratio as Record<string, number>);
    const summary: Record<string, number> = {};
    for (const key of Object.keys(ratios[0])) summary[key] = median(ratios.map((r) => r[key]));
    out.push({ name: `${name}.median_ratio`, unit: "attention/fair", n: list.length, ...summary, where: "qemu" });
  }
  return out;
}
