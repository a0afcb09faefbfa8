// OOM predictor evaluation (issues 9, 21): `crashctl eval --json --periodic`, i.e. train the learned
// model on training seeds 1..1000 (DEFAULT_TRAIN_EPISODES, no intervention), then score the learned
// model, the plan's heuristic and the systemd-oomd-like PSI rule on evaluation seeds from 1000000
// (never trained on), N episodes per class (leak, ramp, burst, frag, mixed): recall 5-10 s ahead,
// false positives, recall at equal false positives, OOMs prevented with the remedies on vs off
// (through 10 s past the episode's end), plus a compaction-every-5-s reference. Time is measured in
// 100 ms sample slots (one workload step per slot, back to back; kernel/ai/oom/episodes.ts).
//   node  the same kernel code compiled to wasm (64 MiB window, same 32 MiB episode pool):
//         OOM_BENCH_NODE_EPISODES (default 20) per class, with --ablate (each remedy off)
//   qemu  the kernel in QEMU: OOM_BENCH_QEMU_EPISODES (default 8) per class
//   oracle (only with OOM_BENCH_ORACLE_EPISODES > 0; minutes): `crashctl oracle --json` in Node on
//         that many episodes per class: what could be predicted 5-10 s ahead at all (oracle.ts)
// A benchmark reports what it measures; it never fails on a target.
import { runInKernel, jsonLines, BenchResult } from "./lib.ts";
import { loadKernelModule } from "../tests/host/compile.ts";

const NODE_EPISODES = Number(process.env.OOM_BENCH_NODE_EPISODES ?? 20);
const QEMU_EPISODES = Number(process.env.OOM_BENCH_QEMU_EPISODES ?? 8);
const ORACLE_EPISODES = Number(process.env.OOM_BENCH_ORACLE_EPISODES ?? 0);

export async function run(): Promise<BenchResult[]> {
  const started = Date.now();
  const k = await loadKernelModule("tests/unit/ai/oom.entry.ts", { memoryBase: 64 << 20 });
  k.exports.memInit();
  const status = k.exports.shellRun(`crashctl eval --episodes ${NODE_EPISODES} --periodic --ablate --json`);
  const node = jsonLines(k.platform.takeOutput()).map((r) => ({ ...r, where: "node", wall_s: (Date.now() - started) / 1000 }));
  if (status !== 0 || node.length === 0) throw new Error(`the Node evaluation failed (status ${status})`);
  if (ORACLE_EPISODES > 0) {
    const oracleStarted = Date.now();
    const rc = k.exports.shellRun(`crashctl oracle --episodes ${ORACLE_EPISODES} --json`);
    const oracle = jsonLines(k.platform.takeOutput()).map((r) => ({ ...r, where: "node", wall_s: (Date.now() - oracleStarted) / 1000 }));
    if (rc !== 0 || oracle.length === 0) throw new Error(`the oracle failed (status ${rc})`);
    node.push(...oracle);
  }
  const qemuStarted = Date.now();
  const qemu = (await runInKernel([`crashctl eval --episodes ${QEMU_EPISODES} --periodic --json`], { systemDisk: null }, 1_800_000))
    .map((r) => ({ ...r, wall_s: (Date.now() - qemuStarted) / 1000 }));
  return [...node, ...qemu];
}
