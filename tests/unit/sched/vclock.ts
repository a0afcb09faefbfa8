// The scheduler benchmark on a virtual clock (Node): `bench sched` run by the kernel's own
// shell command, with the counter advancing a fixed step at every read instead of following
// the host's time. CPU work (workChunk loops checking the counter) then takes the same
// virtual time whatever the host's load, so the policies' ratios are deterministic: a
// regression guard (vclock.test.ts) and a tuning tool (`tsx tests/unit/sched/vclock.ts`)
// that cannot be thrown off by the seven other builds sharing the machine.
// What it models: each counter read costs STEP (2 us: a 256-round work chunk plus the loop
// around it, and each of the scheduler's timestamps); idle waits jump 50 us. What it does
// not: interrupts, caches, QEMU's translation cost (the QEMU run, bench/sched.bench.ts).
import { loadKernelModule } from "../../host/compile.ts";
import { HostPlatform } from "../../host/platform.ts";

export const STEP_TICKS = 125n; // 2 us at 62.5 MHz

export interface BenchLine { name: string; [key: string]: any }

/** Runs `bench sched ARGS` in a fresh kernel module on the virtual clock; its JSON lines. */
export async function benchOnVirtualClock(args: string): Promise<{ lines: BenchLine[]; text: string }> {
  const platform = new HostPlatform();
  let now = 1_000_000n;
  platform.counter = () => { now += STEP_TICKS; return now; };
  platform.onWaitForInterrupt = () => { now += 3125n; };
  platform.addImports("testclock", { advance: (t: bigint) => { now += t; } });
  const k = await loadKernelModule<any>("tests/unit/sched/sched.entry.ts", {}, platform);
  platform.takeOutput();
  const status = k.exports.shellRun(`bench sched ${args}`);
  const text = platform.takeOutput().replace(/\r\n/g, "\n");
  if (status !== 0) throw new Error(`bench sched ${args} failed: ${text}`);
  const lines = text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as BenchLine);
  return { lines, text };
}

function median(v: number[]): number {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; // as bench/sched.bench.ts
}

/** Per kind and policy: median of each ratio to fair over the seeds. */
export function summarize(lines: BenchLine[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  const kinds = new Map<string, BenchLine[]>();
  for (const l of lines) if (l.ratio) kinds.set(l.name, [...(kinds.get(l.name) ?? []), l]);
  for (const [name, list] of kinds) {
    for (const [policy, field] of [["attention", "ratio"], ["heuristic", "ratio_heuristic"]]) {
      const r: Record<string, number> = {};
      for (const key of Object.keys(list[0][field])) {
        const v = list.map((l) => l[field][key]).filter(Number.isFinite);
        r[key] = median(v);
        r[`${key}_min`] = v.length ? Math.min(...v) : NaN;
        r[`${key}_max`] = v.length ? Math.max(...v) : NaN;
      }
      r.max_wait_ms = Math.max(...list.map((l) => l[policy].max_wait_ms));
      r.fair_max_wait_ms = Math.max(...list.map((l) => l.baseline.max_wait_ms));
      out.set(`${name} ${policy}`, r);
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2).join(" ") || "--seeds 2 --seconds 0.6";
  const t0 = Date.now();
  const { lines } = await benchOnVirtualClock(args);
  const keys = ["turnaround_mean", "context_switches", "interactive_response_p99", "makespan", "throughput", "wait_mean", "turnaround_no_wait_floor"];
  console.log(`bench sched ${args} on the virtual clock (${((Date.now() - t0) / 1000).toFixed(1)} s real); medians of policy/fair`);
  console.log(["kind policy".padEnd(34), ...keys.map((k) => k.slice(0, 12).padStart(13)), "maxwait".padStart(9), "fairmax".padStart(9)].join(""));
  for (const [name, r] of summarize(lines)) {
    console.log([name.padEnd(34), ...keys.map((k) => (r[k] ?? NaN).toFixed(3).padStart(13)),
      r.max_wait_ms.toFixed(0).padStart(9), r.fair_max_wait_ms.toFixed(0).padStart(9)].join(""));
  }
  console.log("as a README table (median (min..max) over the seeds):");
  const cell = (r: Record<string, number>, k: string) =>
    Number.isFinite(r[k]) ? `${r[k].toFixed(2)} (${r[`${k}_min`].toFixed(2)}..${r[`${k}_max`].toFixed(2)})` : "-";
  for (const [name, r] of summarize(lines)) {
    const [kind, policy] = name.split(" ");
    console.log(`| ${kind.replace("sched.", "")} | ${policy} | ${cell(r, "turnaround_mean")} | ${cell(r, "context_switches")} | ` +
      `${cell(r, "interactive_response_p99")} | ${cell(r, "makespan")} | ${cell(r, "throughput")} | ${r.max_wait_ms.toFixed(0)} (fair ${r.fair_max_wait_ms.toFixed(0)}) |`);
  }
  if (process.env.VCLOCK_VERBOSE) {
    for (const l of lines) {
      if (!l.ratio) continue;
      const row = (w: any) => `${w.policy.padEnd(9)} turn ${w.turnaround_mean_ms.toFixed(0).padStart(4)} ` +
        `(cpu ${w.turnaround_mean_by_kind_ms.cpu ?? "-"} io ${w.turnaround_mean_by_kind_ms.io ?? "-"} int ${w.turnaround_mean_by_kind_ms.interactive ?? "-"}) ` +
        `sw ${w.context_switches} disp ${w.dispatches ?? "?"} ops ${Math.round(w.io_ops_per_s * w.makespan_ms / 1000)} mk ${w.makespan_ms.toFixed(0)} ip99 ${w.interactive_response_p99_ms} maxw ${w.max_wait_ms}`;
      console.log(`${l.name} seed ${l.seed}
  ${row(l.baseline)}
  ${row(l.heuristic)}
  ${row(l.attention)}`);
    }
  }
  for (const l of lines) if (!l.ratio && l.name !== "sched.warmup") console.log(JSON.stringify(l));
}
