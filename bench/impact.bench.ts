// `autoctl ai-metrics` in QEMU on a like-for-like workload: after `autoctl reset-baseline`, the
// same seeded `stresstest mixed` runs to its end under fair, attention and heuristic in turn;
// then the report says what each policy changed against fair (context switches per CPU-second,
// mean turnaround), measured by the kernel's own window (kernel/ai/impact), with the inference
// latencies of the attention model and the OOM model.
//   impact.{attention,heuristic}_vs_fair.{context_switches,turnaround}   value = ratio - 1
//                                                         (negative = fewer / shorter)
//   impact.latency.attention / impact.latency.oom         us, p50 / p99 from the kernel's rings
// Run: `make bench` (all) or `node_modules/.bin/tsx bench/run.ts impact`.
import { QemuSession } from "../host/qemu.ts";
import { BenchResult } from "./lib.ts";

const SECONDS = Number(process.env.IMPACT_BENCH_SECONDS ?? 4);
const SEED = 1;

export async function run(): Promise<BenchResult[]> {
  const s = await QemuSession.start({ systemDiskSnapshot: true });
  try {
    await s.waitForPrompt();
    await s.run("autoctl reset-baseline");
    for (const policy of ["fair", "attention", "heuristic"]) {
      await s.run(`schedctl policy ${policy}`);
      await s.run(`stresstest mixed --seconds ${SECONDS} --seed ${SEED} --wait`, 120000);
    }
    const out = await s.run("autoctl ai-metrics --json");
    const r = JSON.parse(out.trim());
    const sched = r.scheduler;
    const results: BenchResult[] = [];
    for (const p of ["attention", "heuristic"]) {
      const c = sched[`${p}_vs_fair`];
      const workload = `stresstest mixed --seconds ${SECONDS} --seed ${SEED}`;
      results.push({ name: `impact.${p}_vs_fair.context_switches`, unit: "ratio-1", where: "qemu", value: c.context_switches_change,
        workload, per_cpu_s: sched[p].switches_per_cpu_s, fair_per_cpu_s: sched.fair.switches_per_cpu_s });
      results.push({ name: `impact.${p}_vs_fair.turnaround`, unit: "ratio-1", where: "qemu", value: c.turnaround_change,
        workload, mean_ms: sched[p].turnaround_mean_ms, fair_mean_ms: sched.fair.turnaround_mean_ms,
        n: sched[p].tasks_finished, fair_n: sched.fair.tasks_finished });
    }
    for (const sub of ["attention", "oom"]) {
      const l = r.latency_us[sub];
      results.push({ name: `impact.latency.${sub}`, unit: "us", where: "qemu", n: l.n, p50: l.p50, p99: l.p99 });
    }
    results.push({ name: "impact.follow_rate", unit: "share", where: "qemu", value: r.follow_rate.overall,
      attention: r.follow_rate.attention.rate, attention_n: r.follow_rate.attention.suggestions });
    return results;
  } finally {
    await s.close();
  }
}
