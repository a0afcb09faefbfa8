// Where decode time goes in SIS's language-model engine: boots SIS with the checkpoints of
// bench/llm.bench.ts (same shapes and seeds) on an ext4 disk (vdb), loads one, and samples
// `llmctl generate --temp 0` from BOS with profctl. Prints profctl's report (self and total
// samples per function) and writes build/profile/llm-SHAPE.txt and
// llm-SHAPE.folded (folded stacks: callers of each leaf).
// Usage: tsx bench/llm_profile.ts [stories260K|m1|stories15M] [--tokens N] [--hz N] [--esp FILE]
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { QemuSession, ROOT } from "../host/qemu.ts";
import { SHAPES, randomWeights, checkpointBytes } from "../host/llm-models.ts";

const args = process.argv.slice(2);
const opt = (n: string, d: string) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : d; };
const shape = (args.find((a, i) => !a.startsWith("--") && (i === 0 || !args[i - 1].startsWith("--"))) ?? "stories260K") as keyof typeof SHAPES;
if (!SHAPES[shape]) { console.error(`error: llm_profile: unknown shape '${shape}' (stories260K, m1, stories15M)`); process.exit(1); }
const tokens = Number(opt("--tokens", "256")), hz = Number(opt("--hz", "997"));
const esp = path.resolve(opt("--esp", path.join(ROOT, "build/esp.img")));

async function main(): Promise<void> {
  const cache = path.join(ROOT, "build/bench/llm"), out = path.join(ROOT, "build/profile");
  fs.mkdirSync(cache, { recursive: true });
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(cache, `${shape}.bin`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, checkpointBytes(randomWeights(SHAPES[shape], 1000 + SHAPES[shape].dim)));
  const stage = fs.mkdtempSync(path.join(ROOT, "build", "llm-profile-"));
  const image = stage + ".img";
  try {
    fs.copyFileSync(file, path.join(stage, `${shape}.bin`));
    execFileSync("mkfs.ext4", ["-q", "-F", "-b", "4096", "-d", stage, image, "128M"], { stdio: "ignore" });
    const s = await QemuSession.start({ esp, systemDiskSnapshot: true, disks: [image] });
    try {
      await s.waitForPrompt(240000);
      await s.run("mount -r vdb /mnt");
      const load = await s.run(`llmctl load /mnt/${shape}.bin`, 600000);
      if (!/^loaded /m.test(load)) throw new Error(load);
      await s.run(`profctl start --hz ${hz}`);
      const gen = await s.run(`llmctl generate --temp 0 --tokens ${tokens}`, 1800000);
      const stop = await s.run("profctl stop");
      const report = await s.run("profctl report --top 30");
      await s.run("profctl export /llm-profile.folded");
      const folded = (await s.run("cat /llm-profile.folded", 600000)).replace(/\r/g, "");
      fs.writeFileSync(path.join(out, `llm-${shape}.folded`), folded);
      const text = `$ llmctl generate --temp 0 --tokens ${tokens} (${shape})\n${gen.trim().split("\n").pop()}\n${stop}${report}`;
      fs.writeFileSync(path.join(out, `llm-${shape}.txt`), text);
      process.stdout.write(text);
    } finally {
      await s.close();
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
    fs.rmSync(image, { force: true });
  }
}

main().catch((e) => { console.error(`error: llm_profile: ${(e as Error).message}`); process.exit(1); });
