// The OOM predictor on development seeds (never the scored ones): how kernel/ai/oom/README.md's
// choices were measured. Trains the learned model on seeds TS..TS+199 (default 1), then on
// DEV..DEV+N-1 (default 500000, 200 episodes: training range, disjoint from the model's seeds):
//   - per threshold (THR=0.9,0.8 ...) and cooldown in slots (COOL=10): recall of OOMs >= 5 s
//     ahead, false-positive episodes, OOMs prevented with the auto-compaction on, compactions;
//   - the episode ranking without intervention: AUC of the highest confidence >= 5 s before the
//     OOM against the highest in non-OOM episodes, and the recall at <= 10% false positives.
//   node_modules/.bin/tsx tests/unit/ai/oom-dev.ts        (TS=2 DEV=500200 N=100 THR=0.9,0.8 COOL=10,30)
import { loadKernelModule } from "../../host/compile.ts";

const N = Number(process.env.N ?? 200);
const DEV = BigInt(process.env.DEV ?? 500000);
const TS = BigInt(process.env.TS ?? 1);
const k: any = await loadKernelModule("tests/unit/ai/oom.entry.ts", { memoryBase: 64 << 20 });
k.exports.memInit();
const started = Date.now();
console.log(`training on seeds ${TS}..${TS + 199n}: ${k.exports.trainLearned(TS, 200, 12)} (error,episodes,ooms,rows,positives,first loss,final loss)`);

const pct = (a: number, b: number) => `${b ? Math.round((100 * a) / b) : 0}%`;
for (const thr of (process.env.THR ?? "0.9").split(",").map(Number)) {
  for (const cool of (process.env.COOL ?? "10").split(",").map(Number)) {
    k.exports.setThresholds(thr, Math.min(0.8, thr), cool, true);
    const out: string = k.exports.evalDev(DEV, N, false);
    if (out.startsWith("error")) throw new Error(out);
    const [head, , learned] = out.split("|");
    const ooms = Number(head.split(",")[1]);
    const [oomEpisodes, safe, predicted, safeAlarmed, , prevented, , compactions] = learned.split(",").map(Number);
    console.log(`threshold ${thr}, cooldown ${cool} slots: ${ooms} OOM episodes; recall >= 5 s ${pct(predicted, oomEpisodes)}, ` +
      `false-positive episodes ${pct(safeAlarmed, safe)}, prevented ${prevented}/${oomEpisodes}, ${compactions} compactions`);
  }
}

// ranking: P(an OOM episode's warning >= 5 s ahead beats a safe episode's highest confidence)
const rows = (k.exports.episodeMaxConfidence(DEV, N) as string).split(";").map((r) => r.split(" ").map(Number));
const oom = rows.filter((r) => r[0] === 1).map((r) => r[2]);
const safe = rows.filter((r) => r[0] === 0).map((r) => r[2]);
let wins = 0;
for (const a of oom) for (const b of safe) wins += a > b ? 1 : a === b ? 0.5 : 0;
const auc = oom.length && safe.length ? wins / (oom.length * safe.length) : NaN;
const sortedSafe = [...safe].sort((a, b) => b - a);
const cut = sortedSafe[Math.floor(0.1 * sortedSafe.length)] ?? 1; // at most 10% of safe episodes reach above it
const recallAt10 = oom.filter((c) => c > cut).length;
console.log(`ranking: AUC ${auc.toFixed(3)}; recall >= 5 s at <= 10% false-positive episodes ${pct(recallAt10, oom.length)} ` +
  `(threshold ${cut.toFixed(3)}); ${oom.length} OOM and ${safe.length} safe episodes`);
console.log(`wall ${((Date.now() - started) / 1000).toFixed(1)} s`);
