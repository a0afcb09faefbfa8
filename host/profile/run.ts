// `make profile CMD='shell command' [NAME=x] [HZ=n] [SETUP='cmd; cmd'] [OVERHEAD=n]`: boots
// SIS (the system disk as a snapshot, an empty 160 MiB ext4 as vdb, a 128 MiB scratch disk of
// random bytes as vdc), runs SETUP, then CMD under `profctl start`, exports the folded stacks
// to ext4 (`profctl export`), reads them back over the serial line and writes under
// build/profile/: NAME.folded, NAME.svg (flame graph), NAME.speedscope.json, NAME.txt
// (profctl report). CMD and SETUP may hold several commands separated by ';'.
// OVERHEAD=n also times CMD n times with and n times without the profiler, alternating, and
// reports the median ratio (NAME.overhead.json); OVERHEAD_HZ=n runs those at another rate and
// also gives the cost per sample and what it comes to at HZ.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { QemuSession, ROOT } from "../qemu.ts";
import { ensureEmptyImage } from "../../images/test-images.ts";
import { parseFolded, flameGraphSvg, speedscopeJson } from "./flamegraph.ts";

const env = process.env;
const CMD = env.CMD ?? process.argv.slice(2).join(" ");
const NAME = (env.NAME || "profile").replace(/[^\w.-]/g, "_");
const HZ = Number(env.HZ || 997);
const OVERHEAD = Number(env.OVERHEAD || 0);
/** The rate of the overhead runs (default HZ); a high one makes the cost per sample measurable. */
const OVERHEAD_HZ = Number(env.OVERHEAD_HZ || HZ);
const split = (s: string) => s.split(";").map((c) => c.trim()).filter(Boolean);
const OUT = path.join(ROOT, "build/profile");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function runAll(s: QemuSession, cmds: string[]): Promise<{ ms: number; out: string }> {
  const t0 = performance.now();
  let out = "";
  for (const c of cmds) {
    const o = await s.run(c, 1800000);
    if (/^error: /m.test(o)) console.error(`# ${c}: ${o.trim().split("\n").find((l) => l.startsWith("error: "))}`);
    out += o;
  }
  return { ms: performance.now() - t0, out };
}

async function main(): Promise<void> {
  if (!CMD) throw new Error("usage: make profile CMD='shell command[; command...]' [NAME=x] [HZ=n] [SETUP='...'] [OVERHEAD=n]");
  fs.mkdirSync(OUT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "build", "profile-run-"));
  try {
    const ext4 = path.join(dir, "ext4.img");
    fs.copyFileSync(ensureEmptyImage(), ext4);
    const scratch = path.join(dir, "scratch.img");
    const fd = fs.openSync(scratch, "w");
    for (let i = 0; i < 128; i++) fs.writeSync(fd, crypto.randomBytes(1 << 20));
    fs.closeSync(fd);
    const s = await QemuSession.start({ systemDiskSnapshot: true, disks: [ext4, scratch] });
    try {
      await s.waitForPrompt(240000);
      await runAll(s, split(env.SETUP ?? ""));
      const cmds = split(CMD);
      if (OVERHEAD > 0) {
        const off: number[] = [], on: number[] = [], samples: number[] = [];
        for (let i = 0; i < OVERHEAD; i++) {
          // alternate which goes first, so a slow minute of the host hits both
          for (const profiled of i % 2 === 0 ? [false, true] : [true, false]) {
            if (profiled) await s.run(`profctl start --hz ${OVERHEAD_HZ}`);
            const { ms } = await runAll(s, cmds);
            if (profiled) samples.push(Number((await s.run("profctl stop")).match(/(\d+) samples/)?.[1] ?? 0));
            (profiled ? on : off).push(ms);
            console.error(`# ${profiled ? "profiled" : "plain   "} ${ms.toFixed(0)} ms`);
          }
        }
        const ratio = median(on) / median(off);
        const perSampleUs = ((median(on) - median(off)) * 1000) / Math.max(1, median(samples));
        const o = { cmd: CMD, hz: OVERHEAD_HZ, rounds: OVERHEAD, off_ms: off, on_ms: on, samples,
          median_off_ms: median(off), median_on_ms: median(on), overhead_pct: (ratio - 1) * 100,
          per_sample_us: perSampleUs, default_hz: HZ, overhead_pct_at_default_hz: (perSampleUs * HZ) / 1e4 };
        fs.writeFileSync(path.join(OUT, `${NAME}.overhead.json`), JSON.stringify(o, null, 2) + "\n");
        console.log(`overhead at ${OVERHEAD_HZ} Hz: ${o.overhead_pct.toFixed(1)}% (median ${o.median_on_ms.toFixed(0)} ms profiled vs ${o.median_off_ms.toFixed(0)} ms, ${OVERHEAD} rounds each); ` +
          `${perSampleUs.toFixed(1)} us per sample (median ${median(samples)} samples), ${o.overhead_pct_at_default_hz.toFixed(2)}% at ${HZ} Hz`);
      }
      const start = await s.run(`profctl start --hz ${HZ}`);
      if (!/profiling at/.test(start)) throw new Error(`profctl start: ${start}`);
      const { ms } = await runAll(s, cmds);
      const stop = await s.run("profctl stop");
      const report = await s.run("profctl report --top 25");
      const exp = await s.run("profctl export /prof.folded");
      if (!/wrote/.test(exp)) throw new Error(`profctl export: ${exp}`);
      const folded = await s.run("cat /prof.folded", 600000);
      const stacks = parseFolded(folded);
      const samples = stacks.reduce((a, b) => a + b.count, 0);
      const title = `SIS: ${CMD} (${samples} samples at ${HZ} Hz, ${(ms / 1000).toFixed(1)} s)`;
      fs.writeFileSync(path.join(OUT, `${NAME}.folded`), folded.replace(/\r/g, ""));
      fs.writeFileSync(path.join(OUT, `${NAME}.svg`), flameGraphSvg(stacks, title));
      fs.writeFileSync(path.join(OUT, `${NAME}.speedscope.json`), speedscopeJson(stacks, title));
      fs.writeFileSync(path.join(OUT, `${NAME}.txt`), `$ ${CMD}\n${stop}${report}`);
      process.stdout.write(`${stop}${report}`);
      console.log(`wrote build/profile/${NAME}.{folded,svg,speedscope.json,txt}`);
    } finally {
      await s.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`error: make profile: ${(e as Error).message}`);
  process.exit(1);
});
