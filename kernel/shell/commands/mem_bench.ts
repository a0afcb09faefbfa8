// bench mem: page and slab allocator latencies as JSON lines (kernel/mm/bench.ts).
import { registerSubcommand } from "../families";
import { Options } from "../args";
import { println, printError } from "../../platform/console";
import { runMemoryBenchmarks, DEFAULT_SAMPLES, BATCH } from "../../mm/bench";
import { boot_info, BootKey } from "../../platform/imports";

registerSubcommand("bench", "mem", "buddy and slab alloc+free latency (JSON lines)",
  "bench mem [--samples N]\n" +
  "  p50/p99/mean ns per alloc+free pair: buddy order 0 (common case and with 10 splits), order 3,\n" +
  "  slab 16/64/256/1024 B. Each sample times " + BATCH.toString() + " pairs with the counter.\n" +
  "  --samples N  samples per benchmark, 10..100000 (default " + DEFAULT_SAMPLES.toString() + ")",
  (args: Array<string>): i32 => {
    const o = new Options(args, ["--samples"], []);
    if (!o.ok || o.positionals.length > 0) {
      printError((o.ok ? "unexpected argument" : o.error) + " (usage: bench mem [--samples N])");
      return 1;
    }
    const samples = o.integer("--samples", DEFAULT_SAMPLES, 10, 100000);
    if (samples < 0) return 1;
    // UEFI firmware handed over (QEMU); the Node test host has none
    const where = boot_info(BootKey.FirmwareRevision) != 0 ? "qemu" : "host";
    const lines = runMemoryBenchmarks(<i32>samples, where);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].startsWith("error: ")) {
        printError(lines[i].substring(7));
        return 1;
      }
      println(lines[i]);
    }
    return 0;
  });
