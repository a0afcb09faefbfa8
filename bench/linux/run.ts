// `make bench-linux`: the same workloads on Debian's arm64 Linux 6.1 and on SIS, on the same
// QEMU command line (host/qemu.ts: virt, cortex-a57, 1 GiB, AAVMF firmware, disks on
// virtio-mmio), the two kernels alternating round by round in one invocation (this machine's
// speed moves 2x between days, so only side-by-side figures are compared).
//
// Each round boots each kernel once with a fresh 128 MiB scratch disk of random bytes and a
// fresh copy of the empty 160 MiB ext4 image, runs every workload of compare.ts, and records
// the boot time. The result: build/bench/compare.json ({rows: [{name, unit, linux, sis, ratio,
// better, ...}], ...}), compare.md (a table) and compare.svg (ratios).
//
// Usage: tsx bench/linux/run.ts [--rounds N] [--only NAME,...]
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { QemuSession, ROOT } from "../../host/qemu.ts";
import { ensureEmptyImage } from "../../images/test-images.ts";
import { prepareLinuxGuest, LINUX_PROMPT, LinuxGuest } from "./initramfs.ts";
import { WORKLOADS, Workload, compareRows, markdownTable, ratioChartSvg, jsonField, LLM_MODELS, LLM_MOUNT, generation, firstDifference } from "./compare.ts";
import { SHAPES, randomWeights, checkpointBytes } from "../../host/llm-models.ts";

const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const ROUNDS = Number(opt("--rounds") ?? process.env.ROUNDS ?? 3);
const ONLY = (opt("--only") ?? "").split(",").filter(Boolean);
const OUT = path.join(ROOT, "build/bench");
const SCRATCH_MB = 128;
const BOOT_TIMEOUT = 240000, RUN_TIMEOUT = 600000;
/**
 * Extra Linux command-line options (LINUX_APPEND=kpti=0, say). The default guest boots with
 * KASLR, which forces kernel page-table isolation on: under TCG that flushes the whole TLB at
 * every system call entry and exit, about 10x on a getpid.
 */
const LINUX_APPEND = process.env.LINUX_APPEND ?? "";

const workloads = WORKLOADS.filter((w) => ONLY.length === 0 || ONLY.includes(w.name) || w.name === "boot_to_prompt");
const llmWanted = workloads.some((w) => w.name.startsWith("llm_"));
const MODELS_MB = 192; // the language-model disk's size: how Linux tells it from the others
/** Greedy token ids of each language-model row, per kernel and round (compared at the end). */
const llmTokens = new Map<string, { linux: number[][]; sis: number[][] }>(LLM_MODELS.map((m) => [m.name, { linux: [], sis: [] }]));
const runs = new Map<string, { linux: number[]; sis: number[] }>(workloads.map((w) => [w.name, { linux: [], sis: [] }]));

function freshDisks(dir: string): { scratch: string; ext4: string } {
  const scratch = path.join(dir, "scratch.img");
  const fd = fs.openSync(scratch, "w");
  for (let i = 0; i < SCRATCH_MB; i++) fs.writeSync(fd, crypto.randomBytes(1 << 20));
  fs.closeSync(fd);
  const ext4 = path.join(dir, "ext4.img");
  fs.copyFileSync(ensureEmptyImage(), ext4);
  return { scratch, ext4 };
}

/**
 * A read-only ext4 disk of the language-model rows' checkpoints (bench/llm.bench.ts's shapes
 * and seeds, reused from build/bench/llm/ when that bench wrote them), or null when no
 * language-model row runs.
 */
function modelsDisk(dir: string): string | null {
  if (!llmWanted) return null;
  const cache = path.join(ROOT, "build/bench/llm"), stage = path.join(dir, "models");
  fs.mkdirSync(cache, { recursive: true });
  fs.mkdirSync(stage, { recursive: true });
  for (const m of LLM_MODELS) {
    const file = path.join(cache, `${m.shape}.bin`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, checkpointBytes(randomWeights(SHAPES[m.shape], 1000 + SHAPES[m.shape].dim)));
    fs.copyFileSync(file, path.join(stage, `${m.shape}.bin`));
  }
  const image = path.join(dir, "models.img");
  execFileSync("mkfs.ext4", ["-q", "-F", "-b", "4096", "-d", stage, image, `${MODELS_MB}M`], { stdio: "ignore" });
  fs.rmSync(stage, { recursive: true, force: true });
  return image;
}

function recordTokens(kernel: "linux" | "sis", name: string, out: string): void {
  const g = generation(out);
  if (g && llmTokens.has(name)) llmTokens.get(name)![kernel].push(g.tokens);
}

function record(kernel: "linux" | "sis", name: string, value: number | null, raw: string): void {
  if (value === null || !Number.isFinite(value)) {
    console.error(`# ${kernel} ${name}: no figure in its output:\n${raw.trim()}`);
    return;
  }
  runs.get(name)![kernel].push(value);
  console.error(`# ${kernel} ${name}: ${value}`);
}

async function linuxRound(guest: LinuxGuest, dir: string, models: string | null): Promise<void> {
  const { scratch, ext4 } = freshDisks(dir);
  const started = Date.now();
  const s = await QemuSession.start({
    systemDisk: null, disks: [scratch, ext4, ...(models ? [models] : [])], prompt: LINUX_PROMPT,
    linux: { kernel: guest.kernel, initrd: guest.initrd, append: ("console=ttyAMA0 quiet " + LINUX_APPEND).trim() },
  });
  try {
    await s.waitForPrompt(BOOT_TIMEOUT);
    record("linux", "boot_to_prompt", (Date.now() - started) / 1000, "");
    // which vdX is which: Linux names virtio-mmio disks in its own probe order; tell them by size
    const sizes = await s.run("for d in /sys/block/vd*; do echo ${d##*/} $(cat $d/size); done");
    const devs = [...sizes.matchAll(/^(vd[a-z]+) (\d+)$/gm)].map((m) => ({ name: m[1], sectors: Number(m[2]) }));
    const scratchDev = devs.find((d) => d.sectors === SCRATCH_MB * 2048)?.name;
    const ext4Dev = devs.find((d) => d.sectors !== SCRATCH_MB * 2048 && d.sectors !== MODELS_MB * 2048)?.name;
    if (!scratchDev || !ext4Dev) throw new Error(`Linux disks not found:\n${sizes}`);
    if (models) {
      const modelsDev = devs.find((d) => d.sectors === MODELS_MB * 2048)?.name;
      const m = await s.run(`mount -t ext4 -o ro /dev/${modelsDev} ${LLM_MOUNT} && echo mounted`);
      if (!/mounted/.test(m)) throw new Error(`Linux could not mount the models disk: ${m}`);
    }
    const mount = await s.run(`mount -t ext4 /dev/${ext4Dev} /mnt && echo mounted`);
    if (!/mounted/.test(mount)) throw new Error(`Linux could not mount ext4: ${mount}`);
    for (const w of workloads) {
      if (w.linux === null) continue;
      const cmd = "/bin/" + w.linux.replace("DEV", `/dev/${scratchDev}`).replace("MNT", "/mnt");
      const out = await s.run(cmd, RUN_TIMEOUT);
      const value = w.linuxValue ? w.linuxValue(out) : jsonField(out, `linux.${linuxName(w)}`, "value");
      record("linux", w.name, value, out);
      recordTokens("linux", w.name, out);
    }
  } finally {
    await s.close();
  }
}

/** The name iobench gives its JSON line for workload w. */
function linuxName(w: Workload): string {
  const m = w.name.match(/^seq_(read|write)_(1m|128k)_qd1$/);
  if (m) return `seq_${m[1]}_${m[2]}`;
  if (w.name === "rand_read_4k_qd1") return "rand_read_4k_qd1";
  if (w.name.startsWith("rand_read_4k_qd")) return "rand_read_4k_qdN";
  return { ext4_create_1000_sync: "create_files_sync", ext4_write_64m_fsync: "write_sequential_sync",
    ext4_append_4k_fsync_p50: "append_fsync_p50" }[w.name] ?? w.name;
}

async function sisRound(dir: string, models: string | null): Promise<void> {
  const { scratch, ext4 } = freshDisks(dir);
  const started = Date.now();
  const s = await QemuSession.start({ systemDiskSnapshot: true, disks: [scratch, ext4, ...(models ? [models] : [])] });
  try {
    await s.waitForPrompt(BOOT_TIMEOUT);
    record("sis", "boot_to_prompt", (Date.now() - started) / 1000, "");
    const mount = await s.run("mount vdc /mnt");
    if (/error/.test(mount)) throw new Error(`SIS could not mount ext4: ${mount}`);
    if (models) {
      await s.run(`mkdir ${LLM_MOUNT}`);
      const m = await s.run(`mount -r vdd ${LLM_MOUNT}`);
      if (/error/.test(m)) throw new Error(`SIS could not mount the models disk: ${m}`);
    }
    for (const w of workloads) {
      if (!w.sis) continue;
      let out = "";
      for (const c of w.sisCommands) out = await s.run(c, RUN_TIMEOUT);
      record("sis", w.name, w.sis(out), out);
      recordTokens("sis", w.name, out);
    }
  } finally {
    await s.close();
  }
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
  } catch {
    return "unknown";
  }
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? "?"} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, load ${os.loadavg()[0].toFixed(2)}`;
}

async function main(): Promise<void> {
  const guest = prepareLinuxGuest(ROOT);
  console.error(`# Linux ${guest.version}, modules ${guest.modules.join(" ")}; ${ROUNDS} rounds`);
  fs.mkdirSync(OUT, { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "build", "bench-linux-"));
  const started = new Date();
  const models = modelsDisk(dir);
  try {
    for (let r = 0; r < ROUNDS; r++) {
      // alternate who goes first, so neither always meets the quieter or busier minute
      const order = r % 2 === 0 ? ["linux", "sis"] : ["sis", "linux"];
      for (const k of order) {
        console.error(`# round ${r + 1}/${ROUNDS}: ${k}`);
        if (k === "linux") await linuxRound(guest, dir, models);
        else await sisRound(dir, models);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // the two programs must have done the same work: the same greedy tokens in every round
  const llmGreedy = Object.fromEntries([...llmTokens.entries()].filter(([, t]) => t.linux.length + t.sis.length > 0).map(([name, t]) => {
    const all = [...t.linux, ...t.sis];
    const diffs = all.map((seq) => firstDifference(all[0], seq));
    const identical = t.linux.length > 0 && t.sis.length > 0 && diffs.every((d) => d === -1);
    console.error(`# ${name}: greedy tokens ${identical ? "identical" : "DIFFER"} on Linux (llmref) and SIS (${all.map((x) => x.length).join("/")} tokens${identical ? "" : `, first difference at ${Math.max(...diffs)}`})`);
    return [name, { identical, tokens: all.map((x) => x.length), first_difference: identical ? -1 : Math.max(...diffs) }];
  }));
  const rows = compareRows([...runs.entries()].map(([name, v]) => ({ name, ...v })));
  const meta = { llm_greedy: llmGreedy, commit: gitCommit(), machine: machine(), linux: guest.version, linuxAppend: LINUX_APPEND, rounds: ROUNDS,
    started: started.toISOString(), finished: new Date().toISOString(),
    command: "make bench-linux", qemu: "qemu-system-aarch64 -machine virt -cpu cortex-a57 -m 1G, AAVMF, virtio-blk-device (virtio-mmio)" };
  fs.writeFileSync(path.join(OUT, "compare.json"), JSON.stringify({ ...meta, rows }, null, 2) + "\n");
  fs.writeFileSync(path.join(OUT, "compare.md"), markdownTable(rows));
  fs.writeFileSync(path.join(OUT, "compare.svg"), ratioChartSvg(rows, `SIS vs Linux ${guest.version} (ratio > 1: SIS ahead), commit ${meta.commit}`));
  process.stdout.write(markdownTable(rows));
  console.error("# build/bench/compare.json, compare.md, compare.svg");
}

main().catch((e) => {
  console.error(`error: bench-linux: ${(e as Error).message}`);
  process.exit(1);
});
