// The profiler's overhead, measured where this shared host's noise cannot reach it: QEMU with
// -icount (guest time advances by instructions executed, not by host time), so a timing the
// kernel takes with its own counter is a count of guest instructions. `bench mem` (allocator
// loops, no I/O) is run ROUNDS times with and without `profctl start --hz HZ`, alternating; its
// per-operation means include the operations a sample interrupted, so the ratio of the summed
// means is the share of instructions the sampling costs. Writes build/profile/overhead.json.
//
// Usage: tsx host/profile/overhead.ts [--hz N] [--rounds N]      (make profile-overhead)
import * as fs from "node:fs";
import * as path from "node:path";
import { QemuSession, ROOT } from "../qemu.ts";
import { jsonLines } from "../../bench/lib.ts";

const args = process.argv.slice(2);
const opt = (n: string, d: number) => { const i = args.indexOf(n); return i >= 0 ? Number(args[i + 1]) : d; };
const HZ = opt("--hz", 997), ROUNDS = opt("--rounds", 4);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const s = await QemuSession.start({ systemDiskSnapshot: true, extra: ["-icount", "shift=0,sleep=on"] });
  const off: number[] = [], on: number[] = [], samples: number[] = [];
  try {
    await s.waitForPrompt(300000);
    const once = async (): Promise<number> => {
      const rows = jsonLines(await s.run("bench mem", 600000));
      if (rows.length === 0) throw new Error("bench mem printed no JSON");
      return rows.reduce((a, r) => a + (r.mean ?? 0), 0);
    };
    await once(); // warm-up: first-touch of the allocators' pages
    for (let i = 0; i < ROUNDS; i++) {
      for (const profiled of i % 2 === 0 ? [false, true] : [true, false]) {
        if (profiled) await s.run(`profctl start --hz ${HZ}`);
        const v = await once();
        if (profiled) samples.push(Number((await s.run("profctl stop")).match(/(\d+) samples/)?.[1] ?? 0));
        (profiled ? on : off).push(v);
        console.error(`# ${profiled ? "profiled" : "plain   "} sum of means ${v.toFixed(1)} ns`);
      }
    }
  } finally {
    await s.close();
  }
  const pct = (median(on) / median(off) - 1) * 100;
  const out = { what: "bench mem under QEMU -icount shift=0: sum of the per-operation means (guest instructions)", hz: HZ, rounds: ROUNDS,
    off_ns: off, on_ns: on, samples, overhead_pct: pct };
  fs.mkdirSync(path.join(ROOT, "build/profile"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, "build/profile/overhead.json"), JSON.stringify(out, null, 2) + "\n");
  console.log(`profiler overhead at ${HZ} Hz: ${pct.toFixed(2)}% of guest instructions (bench mem, -icount, ${ROUNDS} rounds each; median samples ${median(samples)})`);
}

main().catch((e) => {
  console.error(`error: profile overhead: ${(e as Error).message}`);
  process.exit(1);
});
