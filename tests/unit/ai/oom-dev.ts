// The OOM predictor on development seeds (never the scored ones): how kernel/ai/oom/README.md's
// choices are measured. Trains the learned model on training seeds TS..TS+TN-1 (default 1, 1000
// episodes), then evaluates N episodes per class (default 20) from development seed DEV (default
// 500000) at each threshold THR (default 0.96) and cooldown COOL (slots, default 10), printing the
// per-class tables of `crashctl eval` (kernel/ai/oom/report.ts); ABLATE=1 adds each remedy off.
//   node_modules/.bin/tsx tests/unit/ai/oom-dev.ts        (e.g. DEV=600000 N=40 THR=0.9,0.95)
// Seed discipline (issue 23): development seeds are 500000..999999; the tool refuses any range
// that reaches the evaluation seeds (1000000 and up) or the model's training seeds.
import { seedProblem } from "./oom-seeds.ts";

const N = Number(process.env.N ?? 20);
const DEV = BigInt(process.env.DEV ?? 500000);
const TS = BigInt(process.env.TS ?? 1);
const TN = Number(process.env.TN ?? 1000);
const problem = seedProblem(DEV, N, TS, TN);
if (problem) {
  console.error("error: " + problem);
  process.exit(2);
}
// loaded only once the seeds are known to be development seeds
const { loadKernelModule } = await import("../../host/compile.ts");
const k: any = await loadKernelModule("tests/unit/ai/oom.entry.ts", { memoryBase: 64 << 20 });
k.exports.memInit();
const started = Date.now();
console.log(`training on seeds ${TS}..${TS + BigInt(TN) - 1n}: ${k.exports.trainLearned(TS, TN, 12)} (error,episodes,ooms,rows,positives,first loss,final loss)`);
for (const thr of (process.env.THR ?? "0.96").split(",").map(Number)) {
  for (const cool of (process.env.COOL ?? "10").split(",").map(Number)) {
    k.exports.setThresholds(thr, Math.min(0.8, thr), cool, true);
    const out: string = k.exports.evalClassesText(DEV, N, false, false, process.env.ABLATE === "1");
    if (out.startsWith("error")) throw new Error(out);
    const [tables, json] = out.split("JSON\n");
    console.log(`threshold ${thr}, cooldown ${cool} slots, development seeds from ${DEV}, ${N} per class:`);
    console.log(tables);
    console.log(json.split("\n").filter((l) => l.includes("oom_eval_summary")).join("\n"));
  }
}
console.log(`wall ${((Date.now() - started) / 1000).toFixed(1)} s`);
