// Drives the domain model's question answering compiled to wasm (infer.entry.ts): shared by
// tests/unit/llm/infer.test.ts and bench/llm_infer.bench.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");
export const MODELS = path.join(ROOT, "images/rootfs/models");

export async function loadInfer(): Promise<KernelModule<any>> {
  const k = await loadKernelModule("tests/unit/llm/infer.entry.ts", { memoryBase: 160 << 20 });
  k.exports.memInit();
  return k;
}

function put(k: KernelModule<any>, b: Uint8Array): number {
  const p = k.exports.hostAlloc(Math.max(1, b.length));
  new Uint8Array(k.memory.buffer, p, b.length).set(b);
  return p;
}

/** Loads the committed domain model (or the files given); "" or the kernel's error. */
export function loadDomainModel(k: KernelModule<any>, ckpt = path.join(MODELS, "sis-qa.bin"), tok = path.join(MODELS, "sis-qa.tok")): string {
  const a = fs.readFileSync(ckpt), b = fs.readFileSync(tok);
  const pa = put(k, a), pb = put(k, b);
  const r = k.exports.load(pa, a.length, pb, b.length);
  k.exports.hostFree(pa); k.exports.hostFree(pb);
  return r;
}

export interface EvalItem { intent: string; state: string; question: string; command: string; }

export function evalItems(file = path.join(MODELS, "sis-qa-eval.tsv")): EvalItem[] {
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => {
    const [intent, state, question, command] = l.split("\t");
    return { intent, state, question, command };
  });
}

export interface Answer { command: string; answer: string; promptTokens: number; generated: number; latencyUs: number; confidence: number; truncated: boolean; error?: string; }

export function ask(k: KernelModule<any>, state: string, question: string): Answer {
  const s: string = k.exports.ask(state, question);
  if (s.startsWith("error: ")) return { command: "", answer: "", promptTokens: 0, generated: 0, latencyUs: 0, confidence: 0, truncated: false, error: s };
  const [command, answer, p, g, l, c, t] = s.split("\t");
  return { command, answer, promptTokens: +p, generated: +g, latencyUs: +l, confidence: +c, truncated: t === "1" };
}

export interface Scores { n: number; actionable: number; correct: number; valid: number; p50: number; p99: number; wrong: string[]; }

/** Runs the held-out set through `answer`; actionable/correct as llmctl eval counts them. */
export function score(k: KernelModule<any>, items: EvalItem[], answer: (it: EvalItem) => { command: string; latencyUs: number }): Scores {
  let actionable = 0, correct = 0, valid = 0;
  const lat: number[] = [];
  const wrong: string[] = [];
  for (const it of items) {
    const a = answer(it);
    const ok = a.command !== "" && (a.command === "none" || k.exports.problem(a.command) === "");
    if (ok) valid++;
    if (ok && (a.command !== "none" || it.command === "none")) actionable++;
    if (a.command === it.command) correct++;
    else wrong.push(`${it.intent}: "${it.question}" -> ${a.command} (want ${it.command})`);
    lat.push(a.latencyUs / 1000);
  }
  lat.sort((a, b) => a - b);
  const pct = (x: number) => (100 * x) / items.length;
  return { n: items.length, actionable: pct(actionable), correct: pct(correct), valid: pct(valid),
    p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))], wrong };
}
