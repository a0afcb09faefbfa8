import fs from "node:fs";
import { summarize } from "./vclock.ts";
const text = fs.readFileSync(process.argv[2], "utf8");
const lines = text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
const keys = ["turnaround_mean", "context_switches", "interactive_response_p99", "makespan", "throughput", "wait_mean"];
console.log(["kind policy".padEnd(34), ...keys.map((k) => k.slice(0, 12).padStart(13)), "maxwait".padStart(9)].join(""));
for (const [name, r] of summarize(lines)) console.log([name.padEnd(34), ...keys.map((k) => (r[k] ?? NaN).toFixed(3).padStart(13)), r.max_wait_ms.toFixed(0).padStart(9)].join(""));
for (const l of lines) {
  if (!l.ratio) continue;
  const row = (w: any) => `${w.policy.padEnd(9)} turn ${w.turnaround_mean_ms.toFixed(0).padStart(4)} (cpu ${Math.round(w.turnaround_mean_by_kind_ms.cpu ?? -1)} io ${Math.round(w.turnaround_mean_by_kind_ms.io ?? -1)} int ${Math.round(w.turnaround_mean_by_kind_ms.interactive ?? -1)}) sw ${w.context_switches} mk ${w.makespan_ms.toFixed(0)} ip99 ${w.interactive_response_p99_ms} maxw ${w.max_wait_ms}`;
  console.log(`${l.name} seed ${l.seed}\n  ${row(l.baseline)}\n  ${row(l.heuristic)}\n  ${row(l.attention)}`);
}
