// The learned model's recall on the OOMs an oracle could predict and on those it could not
// (kernel/ai/oom/oracle.ts): trains on training seeds 1..1000 as the accuracy guard does, evaluates
// N episodes per class (default 20) from seed FIRST (default 1000000, the held-out seeds of
// `crashctl eval`), runs the oracle (K futures, default 8) on the same episodes, and splits each
// class's OOMs by the oracle's P 5-10 s ahead (>= 50%: predictable). Several minutes.
//   node_modules/.bin/tsx tests/unit/ai/oom-oracle-dev.ts      (N=20 K=8 FIRST=1000000)
import { loadKernelModule } from "../../host/compile.ts";

const N = Number(process.env.N ?? 20);
const K = Number(process.env.K ?? 8);
const FIRST = BigInt(process.env.FIRST ?? 1000000);
const CLASSES = ["leak", "ramp", "burst", "frag", "mixed"];
const k: any = await loadKernelModule("tests/unit/ai/oom.entry.ts", { memoryBase: 64 << 20 });
k.exports.memInit();
const e = k.exports;
console.log("training:", e.trainLearned(1n, 1000, 12));
const out: string = e.evalClassesText(FIRST, N, FIRST >= 1000000n, false, false);
if (out.startsWith("error")) throw new Error(out);
const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(0)}% (${a}/${b})` : "-");
const all: number[] = [], predictable: number[] = [];
console.log("class  OOMs  oracle-predictable (P >= 50%)  learned recall: all OOMs  predictable  unpredictable");
for (let c = 0; c < 5; c++) {
  const first = FIRST + BigInt(((c - Number(FIRST % 5n)) % 5 + 5) % 5);
  const mask = e.lastPredictedMask(c);
  const oracle = e.oracleText(first, N, 5n, K, 25).split("|");
  const windowMax = oracle[1].length > 0 ? oracle[1].split(" ").map(Number) : [];
  let j = 0, hit = 0, n = 0, pHit = 0, pN = 0, uHit = 0, uN = 0;
  for (let i = 0; i < N; i++) {
    const oomSlot = Number(e.runOff(first + BigInt(5 * i)).split(",")[0]);
    if (oomSlot < 0) continue;
    const p = windowMax[j++];
    const h = mask[i] === "1" ? 1 : 0;
    n++; hit += h;
    if (p >= 0.5) { pN++; pHit += h; } else { uN++; uHit += h; }
  }
  all.push(n > 0 ? hit / n : NaN);
  predictable.push(pN > 0 ? pHit / pN : NaN);
  console.log(`${CLASSES[c].padEnd(6)} ${n}  ${pct(pN, n)}  ${pct(hit, n)}  ${pct(pHit, pN)}  ${pct(uHit, uN)}`);
}
const mean = (a: number[]) => { const v = a.filter((x) => !isNaN(x)); return (100 * v.reduce((s, x) => s + x, 0)) / v.length; };
console.log(`class mean: learned recall on all OOMs ${mean(all).toFixed(1)}%, on the oracle-predictable ones ${mean(predictable).toFixed(1)}%`);
