// The C reference of `make bench-linux`'s language-model rows (bench/linux/llmref.c, our own
// forward pass in plain C, computed like llama2.c's run.c) against the kernel's engine on
// Node: built natively here with gcc -O3, given the same checkpoint, both must pick the same
// greedy tokens from BOS. So the side-by-side tok/s compare two programs doing the same work.
// Shapes: the benchmark's stories260K (GQA) and 1M checkpoints (same seeds as
// bench/llm.bench.ts), an unshared classifier with MQA and a hidden size that is not a multiple
// of 8 running to the end of its context, and the trained model on the system disk.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KernelModule } from "../../host/compile.ts";
import { SHAPES, Shape, randomWeights, checkpointBytes } from "../../../host/llm-models.ts";
import { loadLlm, loadBytes } from "./harness.ts";

const ROOT = path.join(import.meta.dirname, "../../..");

/** Builds bench/linux/llmref.c for this host; returns the binary's path. */
export function buildLlmref(dir: string): string {
  const bin = path.join(dir, "llmref");
  execFileSync("gcc", ["-O3", "-Wall", "-Werror", "-o", bin, path.join(ROOT, "bench/linux/llmref.c"), "-lm"], { stdio: "inherit" });
  return bin;
}

interface RefRun { name: string; value: number; tokens: number[]; decode_us: number; prompt_us: number }

export function runLlmref(bin: string, ckpt: string, tokens: number, prompt?: number[]): RefRun {
  const extra = prompt ? ["--prompt", prompt.join(",")] : [];
  return JSON.parse(execFileSync(bin, [ckpt, "--tokens", String(tokens), "--name", "test", ...extra], { stdio: ["ignore", "pipe", "pipe"] }).toString().trim());
}

// [name, checkpoint, tokens asked, tokens expected (fewer: the context ends)]
const CASES: [string, () => Uint8Array, number, number][] = [
  ["stories260K (GQA 8/4), bench weights", () => checkpointBytes(randomWeights(SHAPES.stories260K, 1000 + 64)), 96, 96],
  ["1M shape, bench weights", () => checkpointBytes(randomWeights(SHAPES.m1, 1000 + 128)), 96, 96],
  ["unshared classifier, MQA, hidden 37, to the end of the context",
    () => checkpointBytes(randomWeights({ dim: 32, hidden: 37, layers: 3, heads: 4, kvHeads: 1, vocab: 280, seqLen: 40, shared: false } as Shape, 7)), 100, 40],
];
const MODELS = path.join(ROOT, "images/rootfs/models");

describe("llm: bench/linux/llmref.c (C reference of bench-linux) picks the kernel's greedy tokens", function () {
  this.timeout(120000);
  let k: KernelModule<any>;
  let dir: string, bin: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "llmref-"));
    bin = buildLlmref(dir);
    k = await loadLlm();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [name, bytes, tokens, expected] of CASES) {
    it(name, () => {
      const b = bytes();
      const file = path.join(dir, "model.bin");
      fs.writeFileSync(file, b);
      const ref = runLlmref(bin, file, tokens);
      const e = loadBytes(k, b);
      assert.equal(e, "", e);
      const ids = k.exports.generateIds("1", tokens, 0, 0.9, 1n);
      k.exports.unload();
      const kernel = ids.length ? ids.split(",").map(Number) : [];
      assert.ok(ref.tokens.length > 0, "the reference generated nothing");
      assert.deepEqual(ref.tokens, kernel);
      assert.equal(kernel.length, expected);
      assert.ok(ref.value > 0 && ref.decode_us > 0, `no timing: ${JSON.stringify(ref)}`);
    });
  }

  it("trained model sis-qa.bin: the same answers to 8 held-out questions (prompts as llmctl infer builds them)", () => {
    const ckpt = fs.readFileSync(path.join(MODELS, "sis-qa.bin"));
    const file = path.join(dir, "qa.bin");
    fs.writeFileSync(file, ckpt);
    const e = loadBytes(k, ckpt, fs.readFileSync(path.join(MODELS, "sis-qa.tok")));
    assert.equal(e, "", e);
    const rows = fs.readFileSync(path.join(MODELS, "sis-qa-eval.tsv"), "utf8").split("\n").filter(Boolean).slice(0, 8);
    let total = 0;
    for (const row of rows) {
      const [, state, question] = row.split("\t");
      const prompt = k.exports.encode(`${state}\nQ: ${question}\nA:`, true).split(",").map(Number);
      const tokens = 40;
      const kernel = k.exports.generateIds(prompt.join(","), tokens, 0, 0.9, 1n).split(",").filter(Boolean).map(Number);
      const ref = runLlmref(bin, file, tokens, prompt);
      assert.deepEqual(ref.tokens, kernel, `question: ${question}`);
      total += kernel.length;
    }
    k.exports.unload();
    assert.ok(total >= 8 * 8, `only ${total} tokens generated`);
  });

  it("refuses a truncated checkpoint with one error line", () => {
    const file = path.join(dir, "short.bin");
    fs.writeFileSync(file, checkpointBytes(randomWeights(SHAPES.stories260K, 1)).subarray(0, 5000));
    let err = "";
    try { runLlmref(bin, file, 4); } catch (x) { err = String((x as { stderr: Buffer }).stderr); }
    assert.match(err, /^error: llmref: checkpoint shorter than its header says\n$/);
  });
});
