// stresstest mem: the seeded memory workload of kernel/mm/stress.ts, run for N seconds with
// a progress line every second and a summary at the end.
//
// The run is synchronous but bounded (at most 600 s): interrupts keep being taken by the C
// side (UART input is buffered, the timer ticks), and the 100 ms statistics sampler is
// called from the loop so the history covers the run.
import { registerSubcommand } from "../families";
import { Options } from "../args";
import { printable } from "../shell";
import { println, printError } from "../../platform/console";
import { nowUs } from "../../platform/time";
import { fixed, padLeft } from "../../lib/format";
import { memoryReady, freePagesNow } from "../../mm/pages";
import { pollMemoryStats, largestFreeBlockPages, fragmentationRatio, allocationFailures } from "../../mm/stats";
import {
  stressStart, stressStep, stressStop, stressRelease, stressVerify, stressKept, stressLive, stress,
  PRESSURE_LOW, PRESSURE_HIGH,
} from "../../mm/stress";
import { errorMessage } from "../../lib/errors";

const USAGE = "stresstest mem [--pressure low|high] [--seconds N] [--seed S] [--keep]\n" +
  "stresstest mem --release\n" +
  "  Random page (movable and unmovable) and kmalloc allocations and frees that fragment memory.\n" +
  "  --pressure low   fill to 50% of free memory, drain to 25%, repeat (default)\n" +
  "  --pressure high  fill until an allocation fails, drain to 40%, repeat (orders 0..10)\n" +
  "  --seconds N      run time, 1..600 (default 5); progress every second\n" +
  "  --seed S         seed of the workload (default 1): same seed, same requests\n" +
  "  --keep           keep the allocations at the end (high pressure: fill on to the next\n" +
  "                   failure first): full, fragmented memory for memctl compact\n" +
  "  --release        free what an earlier --keep run left";

registerSubcommand("stresstest", "mem", "fragment memory with a seeded alloc/free workload", USAGE,
  (args: Array<string>): i32 => {
    const o = new Options(args, ["--pressure", "--seconds", "--seed"], ["--keep", "--release"]);
    if (!o.ok) {
      printError(o.error + " (try 'stresstest mem --help')");
      return 1;
    }
    if (o.positionals.length > 0) {
      printError("unexpected argument '" + printable(o.positionals[0], 40) + "' (try 'stresstest mem --help')");
      return 1;
    }
    if (!memoryReady()) {
      printError("the page allocator is not initialised");
      return 1;
    }
    if (o.has("--release")) {
      if (args.length != 1) {
        printError("--release takes no other options");
        return 1;
      }
      if (!stressKept()) {
        println("nothing kept: no allocations to release");
        return 0;
      }
      const bad = stressVerify();
      const n = stressRelease();
      println("released " + n.toString() + " kept allocations (" + bad.toString() + " corrupt); free pages " +
        stress.startFreePages.toString() + " at the start, " + stress.endFreePages.toString() + " now");
      return 0;
    }
    const pressureName = o.value("--pressure", "low");
    let pressure: i32;
    if (pressureName == "low") pressure = PRESSURE_LOW;
    else if (pressureName == "high") pressure = PRESSURE_HIGH;
    else {
      printError("--pressure must be low or high, not '" + printable(pressureName, 20) + "'");
      return 1;
    }
    const seconds = o.integer("--seconds", 5, 1, 600);
    if (seconds < 0) return 1;
    const seed = o.integer("--seed", 1, 0, 0x7fffffffffffffff);
    if (seed < 0) return 1;
    const keep = o.has("--keep");

    if (stressKept()) println("releasing the allocations kept by the last run first");
    const failuresBefore = allocationFailures();
    const r = stressStart(<u64>seed, pressure);
    if (r < 0) {
      printError("cannot start the workload: " + errorMessage(r));
      return 1;
    }
    println("stresstest mem: pressure " + pressureName + ", " + seconds.toString() + " s, seed " + seed.toString() +
      ", " + stress.startFreePages.toString() + " pages free at the start");
    const started = nowUs();
    const end = started + <u64>seconds * 1_000_000;
    let nextReport = started + 1_000_000;
    let second = 0;
    let now = started;
    while (now < end) {
      stressStep();
      pollMemoryStats();
      now = nowUs();
      if (now >= nextReport) {
        second++;
        nextReport += 1_000_000;
        println("[" + padLeft(second.toString(), 3) + " s] free " + padLeft(freePagesNow().toString(), 6) +
          " pages, largest block " + padLeft(largestFreeBlockPages().toString(), 4) + ", fragmentation " +
          fixed(fragmentationRatio(), 3) + ", failures " + stress.failures.toString() + ", live " + stressLive().toString());
      }
    }
    const elapsed = <f64>(nowUs() - started) / 1e6;
    const corruptBefore = stress.corrupt;
    stressStop(keep);
    const s = stress;
    println("summary: " + s.operations.toString() + " operations in " + fixed(elapsed, 2) + " s (" +
      fixed(<f64>s.operations / elapsed, 0) + "/s): " + s.allocations.toString() + " allocations, " + s.frees.toString() + " frees");
    println("  failures " + s.failures.toString() + " (pages " + s.pageFailures.toString() + ", kmalloc " +
      s.kmallocFailures.toString() + "; order >= 4 with enough free pages: " + s.highOrderFailures.toString() +
      "); allocator failure counter +" + (allocationFailures() - failuresBefore).toString());
    println("  peak held " + s.peakPagesHeld.toString() + " pages; minimum free " + s.minFreePages.toString() +
      " pages; smallest largest block " + s.minLargestBlock.toString() + " pages; max fragmentation " + fixed(s.maxFragmentation, 3));
    println("  data check: " + s.corrupt.toString() + " corrupt allocations; refused frees " + s.freeErrors.toString() +
      "; migrations seen " + s.relocations.toString() + (s.corrupt != corruptBefore ? " (corruption found while freeing)" : ""));
    if (keep) {
      println("  kept " + stressLive().toString() + " allocations (" + s.pagesHeld.toString() +
        " pages): 'memctl compact' can migrate the movable ones, 'stresstest mem --release' frees them");
    } else {
      println("  free pages: " + s.startFreePages.toString() + " at the start, " + s.endFreePages.toString() + " at the end (" +
        (s.endFreePages == s.startFreePages ? "all returned" : "DIFFERENT") + ")");
    }
    return s.corrupt == 0 && s.freeErrors == 0 && (keep || s.endFreePages == s.startFreePages) ? 0 : 1;
  });
