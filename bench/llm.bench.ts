// Language-model speed: decode tok/s and prompt tok/s of the in-kernel engine (kernel/llm/)
// on random-weight checkpoints of three shapes from issue 13 (stories260K, a 1M-parameter
// dim-128 model, stories15M), greedy, the same files on Node (the wasm build of the kernel)
// and in QEMU (llmctl on an ext4 disk built here, attached as vdb). Each line is the median
// of RUNS runs. The anchors for run.c (gcc -O3) are printed alongside, labelled as
// quoted, not measured here: about 400 / 168 / 12 tok/s in a Linux guest on the same QEMU
// flags, 7,700 / 2,800 / 143 natively on the host.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { QemuSession } from "../host/qemu.ts";
import { SHAPES, randomWeights, checkpointBytes, q8CheckpointBytes, makeTokenizer } from "../host/llm-models.ts";
import { BenchResult, summarize } from "./lib.ts";
import { loadLlm, loadBytes } from "../tests/unit/llm/harness.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = 3;
const PROMPT = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sunshine. " +
  "One day, she saw a big red ball in the park.";
// LLM_BENCH_SHAPES=stories260K,m1 runs a subset
const ALL_PLAN: { shape: keyof typeof SHAPES; tokens: number; anchorQemu: number; anchorHost: number }[] = [
  { shape: "stories260K", tokens: 256, anchorQemu: 400, anchorHost: 7700 },
  { shape: "m1", tokens: 256, anchorQemu: 168, anchorHost: 2800 },
  { shape: "stories15M", tokens: 96, anchorQemu: 12, anchorHost: 143 },
];
const PLAN = ALL_PLAN.filter((p) => !process.env.LLM_BENCH_SHAPES || process.env.LLM_BENCH_SHAPES.split(",").includes(p.shape));

// Every shape runs twice: f32 weights (llama2.c legacy format) and the same weights as int8
// (export version 2, Q8_0), labelled "<shape> int8".
interface Model { label: string; shape: (typeof ALL_PLAN)[number]; ckpt: string; tok: string }

function files(): { dir: string; models: Model[] } {
  const dir = path.join(ROOT, "build/bench/llm");
  fs.mkdirSync(dir, { recursive: true });
  const models: Model[] = [];
  for (const p of PLAN) {
    const s = SHAPES[p.shape];
    const ckpt = path.join(dir, `${p.shape}.bin`), q8 = path.join(dir, `${p.shape}-q8.bin`), tok = path.join(dir, `tok${s.vocab}.bin`);
    if (!fs.existsSync(ckpt) || !fs.existsSync(q8)) {
      const w = randomWeights(s, 1000 + s.dim);
      fs.writeFileSync(ckpt, checkpointBytes(w));
      fs.writeFileSync(q8, q8CheckpointBytes(w));
    }
    if (!fs.existsSync(tok)) fs.writeFileSync(tok, makeTokenizer(s.vocab, 42).bytes);
    models.push({ label: p.shape, shape: p, ckpt, tok }, { label: `${p.shape} int8`, shape: p, ckpt: q8, tok });
  }
  return { dir, models };
}

function result(where: string, shape: string, decode: number[], prompt: number[], promptTokens: number, anchor: number): BenchResult[] {
  return [
    summarize(`llm decode ${shape}`, "tok/s", decode, { where, anchor_run_c_tok_s: anchor, anchor_note: "run.c figure quoted in issue 13, not measured here" }),
    summarize(`llm prompt ${shape}`, "tok/s", prompt, { where, prompt_tokens: promptTokens }),
  ];
}

async function onNode(models: Model[]): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const k = await loadLlm();
  for (const m of models) {
    const p = m.shape;
    const e = loadBytes(k, fs.readFileSync(m.ckpt), fs.readFileSync(m.tok));
    if (e) throw new Error(e);
    const prompt = k.exports.encode(PROMPT, true);
    const n = prompt.split(",").length;
    const decode: number[] = [], pr: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const ids = k.exports.generateIds(prompt, p.tokens, 0, 0.9, 1n).split(",").length;
      decode.push(ids / (Number(k.exports.decodeMicros()) / 1e6));
      pr.push(n / (Number(k.exports.promptMicros()) / 1e6));
    }
    out.push(...result("node", m.label, decode, pr, n, p.anchorHost));
    k.exports.unload();
  }
  return out;
}

// LLM_BENCH_ESP=base=/tmp/old-esp.img,new=build/esp.img boots one QEMU per kernel image and
// alternates their runs (A, B, A, B, ...), so two builds are compared side by side under the
// same load; the results are labelled qemu-<name>. Default: build/esp.img, labelled qemu.
function kernels(): [string, string][] {
  const spec = process.env.LLM_BENCH_ESP;
  if (!spec) return [["qemu", path.join(ROOT, "build/esp.img")]];
  return spec.split(",").map((kv) => {
    const [name, file] = kv.split("=");
    if (!name || !file || !fs.existsSync(file)) throw new Error(`LLM_BENCH_ESP: bad entry '${kv}'`);
    return [`qemu-${name}`, path.resolve(file)];
  });
}

async function inQemu(dir: string, models: Model[]): Promise<BenchResult[]> {
  const image = path.join(ROOT, "build/bench/llm.img");
  const stage = path.join(dir, "disk");
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage);
  for (const m of models) {
    fs.copyFileSync(m.ckpt, path.join(stage, path.basename(m.ckpt)));
    fs.copyFileSync(m.tok, path.join(stage, path.basename(m.tok)));
  }
  fs.rmSync(image, { force: true });
  execFileSync("mkfs.ext4", ["-q", "-F", "-b", "4096", "-d", stage, image, "256M"], { stdio: "ignore" });
  fs.rmSync(stage, { recursive: true, force: true });
  const list = kernels();
  const sessions: QemuSession[] = [];
  const out: BenchResult[] = [];
  try {
    for (let i = 0; i < list.length; i++) {
      // each QEMU gets its own copy of the model disk (image locks); the system disk is shared read-only
      const disk = i === 0 ? image : `${image}.${i}`;
      if (i > 0) fs.copyFileSync(image, disk);
      const s = await QemuSession.start({ esp: list[i][1], disks: [disk], systemDiskSnapshot: list.length > 1 });
      sessions.push(s);
      await s.waitForPrompt();
      await s.run("mount -r vdb /mnt");
    }
    for (const m of models) {
      const p = m.shape;
      for (const s of sessions) {
        const load = await s.run(`llmctl load /mnt/${path.basename(m.ckpt)} --tokenizer /mnt/${path.basename(m.tok)}`, 600000);
        if (!/^loaded /m.test(load)) throw new Error(load);
      }
      const decode: number[][] = sessions.map(() => []), pr: number[][] = sessions.map(() => []);
      let n = 0;
      for (let r = 0; r < RUNS; r++) {
        for (let i = 0; i < sessions.length; i++) {
          const j = JSON.parse((await sessions[i].run(`llmctl generate "${PROMPT}" --temp 0 --tokens ${p.tokens} --json`, 600000)).trim());
          n = j.prompt_tokens.length;
          decode[i].push(j.tokens.length / (j.decode_us / 1e6));
          pr[i].push(n / (j.prompt_us / 1e6));
        }
      }
      sessions.forEach((_, i) => out.push(...result(list[i][0], m.label, decode[i], pr[i], n, p.anchorQemu)));
      for (const s of sessions) await s.run("llmctl unload");
    }
  } finally {
    for (const s of sessions) await s.close();
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const { dir, models } = files();
  // LLM_BENCH_WHERE=qemu or =node runs one side only
  const where = process.env.LLM_BENCH_WHERE;
  return [...(where === "qemu" ? [] : await onNode(models)), ...(where === "node" ? [] : await inQemu(dir, models))];
}
