// Page and slab allocator latency (issue 3): the same benchmark code (kernel/mm/bench.ts) run
// in the kernel under QEMU (`bench mem`) and compiled to wasm on Node (through the mm test
// entry, over a 64 MiB window, with the host platform's 62.5 MHz counter).
// p50/p99/mean are ns per alloc+free pair; each sample times a batch of 64 pairs, because
// the counter's resolution is 16 ns.
import { runInKernel, jsonLines, BenchResult } from "./lib.ts";
import { loadKernelModule } from "../tests/host/compile.ts";

const SAMPLES = 2000;

export async function run(): Promise<BenchResult[]> {
  const qemu = await runInKernel([`bench mem --samples ${SAMPLES}`], { systemDisk: null });
  const k = await loadKernelModule("tests/unit/mm/mm.entry.ts", { memoryBase: 64 << 20 });
  k.exports.memInit();
  const node = jsonLines(k.exports.bench(SAMPLES));
  if (node.length === 0) throw new Error("the Node run printed no results");
  return [...qemu, ...node];
}
