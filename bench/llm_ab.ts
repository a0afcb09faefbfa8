// Side-by-side decode speed of several kernel builds (ESP images) under the same load: one
// QEMU per build, all with the same model disk, runs alternating build by build; each round
// gives every build one `llmctl generate --temp 0` from BOS, and the ratio to the first build
// is taken within the round (neighbouring runs see nearly the same host load), then the
// median over rounds. For judging a change to the engine on a busy machine.
// Usage: tsx bench/llm_ab.ts NAME=ESP NAME=ESP ... [--shapes stories260K,m1,stories15M] [--rounds N] [--tokens N]
// A shape named SHAPE-int8 (m1-int8) runs the same weights exported as int8 (Q8_0, bench/llm.bench.ts's group sizes).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { QemuSession, ROOT } from "../host/qemu.ts";
import { SHAPES, randomWeights, checkpointBytes, q8CheckpointBytes } from "../host/llm-models.ts";
import { qemuCpuSeconds } from "./lora.bench.ts";

const args = process.argv.slice(2);
const opt = (n: string, d: string) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const builds = args.filter((a) => a.includes("=") && !a.startsWith("--")).map((a) => a.split("=") as [string, string]);
const shapes = opt("--shapes", "stories260K,m1").split(",");
const rounds = Number(opt("--rounds", "5")), tokens = Number(opt("--tokens", "128"));
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

async function main(): Promise<void> {
  if (builds.length < 2) throw new Error("usage: tsx bench/llm_ab.ts NAME=ESP NAME=ESP ... [--shapes a,b] [--rounds N] [--tokens N]");
  const cache = path.join(ROOT, "build/bench/llm");
  fs.mkdirSync(cache, { recursive: true });
  const stage = fs.mkdtempSync(path.join(ROOT, "build", "llm-ab-"));
  const sessions: QemuSession[] = [];
  try {
    for (const s of shapes) {
      const int8 = s.endsWith("-int8"), base = (int8 ? s.slice(0, -5) : s) as keyof typeof SHAPES;
      if (!SHAPES[base]) throw new Error(`unknown shape ${s}`);
      const file = path.join(cache, int8 ? `${base}-q8.bin` : `${base}.bin`);
      if (!fs.existsSync(file)) {
        const w = randomWeights(SHAPES[base], 1000 + SHAPES[base].dim);
        fs.writeFileSync(file, int8 ? q8CheckpointBytes(w) : checkpointBytes(w));
      }
      fs.copyFileSync(file, path.join(stage, `${s}.bin`));
    }
    for (let i = 0; i < builds.length; i++) {
      const img = `${stage}.${i}.img`;
      execFileSync("mkfs.ext4", ["-q", "-F", "-b", "4096", "-d", stage, img, "128M"], { stdio: "ignore" });
      const q = await QemuSession.start({ esp: path.resolve(builds[i][1]), disks: [img], systemDiskSnapshot: true });
      sessions.push(q);
      await q.waitForPrompt(240000);
      await q.run("mount -r vdb /mnt");
    }
    for (const shape of shapes) {
      for (const q of sessions) {
        const l = await q.run(`llmctl load /mnt/${shape}.bin`, 600000);
        if (!/^loaded /m.test(l)) throw new Error(l);
      }
      const speeds: number[][] = builds.map(() => []), cpuSpeeds: number[][] = builds.map(() => []);
      let tokensSeen: string[] = [];
      for (let r = 0; r < rounds; r++) {
        // rotate who goes first
        for (let j = 0; j < sessions.length; j++) {
          const i = (j + r) % sessions.length;
          const cpu0 = qemuCpuSeconds(sessions[i]);
          const o = JSON.parse((await sessions[i].run(`llmctl generate --temp 0 --tokens ${tokens} --json`, 600000)).trim());
          const cpu = qemuCpuSeconds(sessions[i]) - cpu0;
          speeds[i].push(o.tokens.length / (o.decode_us / 1e6));
          cpuSpeeds[i].push(o.tokens.length / Math.max(cpu, 0.01));
          tokensSeen[i] = o.tokens.join(",");
        }
      }
      const line = builds.map(([name], i) => {
        const ratios = speeds[i].map((v, r) => v / speeds[0][r]);
        const cpuRatios = cpuSpeeds[i].map((v, r) => v / cpuSpeeds[0][r]);
        return `${name} ${median(speeds[i]).toFixed(1)} tok/s (x${median(ratios).toFixed(3)} vs ${builds[0][0]}; runs ${speeds[i].map((v) => v.toFixed(1)).join(" ")}), ` +
          `${median(cpuSpeeds[i]).toFixed(1)} tok per QEMU CPU-s (x${median(cpuRatios).toFixed(3)}; runs ${cpuSpeeds[i].map((v) => v.toFixed(0)).join(" ")})`;
      });
      const same = tokensSeen.every((t) => t === tokensSeen[0]);
      console.log(`${shape}: ${line.join("; ")}; greedy tokens ${same ? "identical" : "DIFFER"} across builds`);
    }
  } finally {
    for (const q of sessions) await q.close();
    fs.rmSync(stage, { recursive: true, force: true });
    for (let i = 0; i < builds.length; i++) fs.rmSync(`${stage}.${i}.img`, { force: true });
  }
}

main().catch((e) => { console.error(`error: llm_ab: ${(e as Error).message}`); process.exit(1); });
