// Node side of bench/mem.bench.ts: the kernel's allocator benchmarks (kernel/mm/bench.ts)
// compiled to wasm, over a 64 MiB page-frame window, timed with the host platform's counter
// (62.5 MHz from the host clock, like QEMU's).
import { initMemory } from "../kernel/mm/pages";
import { runMemoryBenchmarks } from "../kernel/mm/bench";

export function run(samples: i32): string {
  initMemory();
  return runMemoryBenchmarks(samples, "node").join("\n");
}
