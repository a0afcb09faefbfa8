// OOM predictor evaluation (issue 9): `crashctl eval --json --periodic`, i.e. train the learned
// model on training seeds 1..40 (no intervention), then score the heuristic and the learned
// model on evaluation seeds from 1000000 (never trained on): recall >= 5 s ahead, false
// positives, precision, and OOMs prevented with auto-compaction on vs off (plus a
// compaction-every-5-s reference). Time is measured in 100 ms sample slots (one workload step
// per slot, back to back; kernel/ai/oom/episodes.ts).
//   node  the same kernel code compiled to wasm (64 MiB window, same 32 MiB episode pool):
//         OOM_BENCH_NODE_EPISODES (default 200) evaluation episodes
//   qemu  the kernel in QEMU: OOM_BENCH_QEMU_EPISODES (default 50), the command's default
// A benchmark reports what it measures; it never fails on a target.
import { runInKernel, jsonLines, BenchResult } from "./lib.ts";
import { loadKernelModule } from "../tests/host/compile.ts";

const NODE_EPISODES = Number(process.env.OOM_BENCH_NODE_EPISODES ?? 200);
const QEMU_EPISODES = Number(process.env.OOM_BENCH_QEMU_EPISODES ?? 50);

export async function run(): Promise<BenchResult[]> {
  const started = Date.now();
  const k = await loadKernelModule("tests/unit/ai/oom.entry.ts", { memoryBase: 64 << 20 });
  k.exports.memInit();
  const status = k.exports.shellRun(`crashctl eval --episodes ${NODE_EPISODES} --periodic --json`);
  const node = jsonLines(k.platform.takeOutput()).map((r) => ({ ...r, where: "node", wall_s: (Date.now() - started) / 1000 }));
  if (status !== 0 || node.length === 0) throw new Error(`the Node evaluation failed (status ${status})`);
  const qemuStarted = Date.now();
  const qemu = (await runInKernel([`crashctl eval --episodes ${QEMU_EPISODES} --periodic --json`], { systemDisk: null }))
    .map((r) => ({ ...r, wall_s: (Date.now() - qemuStarted) / 1000 }));
  return [...node, ...qemu];
}
