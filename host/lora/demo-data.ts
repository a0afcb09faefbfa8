// The LoRA demo's data (issue 15): a task the domain model (issue 14, sis-qa.bin) never saw,
// this site's own command families (backups go through `vaultctl`, on-call through `pager`,
// logs through `logctl`, certificates through `certctl`, deploys through `deployctl`), asked
// in the domain model's prompt format (live-state line, "Q: ...", "A:") and answered in its
// style ("... Suggested command: X"). Seeded; writes to images/rootfs/models/:
//   finetune-data.json  100 training examples (templates with index % 5 != 2, training wrappers)
//                       interleaved with replay examples of the base task (default 100 from the
//                       domain model's own training distribution, host/model/corpus.ts, labelled
//                       by its rules; --self-replay: 50 questions answered by the base model), so
//                       the adapter learns the new task without unlearning the old one
//   finetune-test.json  held-out examples: only templates with index % 5 == 2 and held-out
//                       wrappers, never trained on
//   finetune-base.json  the base task's own held-out questions (from sis-qa-eval.tsv, the
//                       domain model's held-out set), expect = its rule's "Suggested command: X"
// State lines come from sis-qa-eval.tsv (the domain model's real format). Completions have no leading
// space: the tokenizer's dummy prefix makes them " ..." after "A:", as the domain model was trained.
//   finetune-dev.json, finetune-dev-base.json  dev splits to choose the settings on (never the test sets)
// `tsx host/lora/demo-data.ts [--replay N] [--self-replay] [--tsv path/to/sis-qa-eval.tsv] [--out DIR]`
import * as fs from "node:fs";
import * as path from "node:path";
import { seededRandom } from "../llm-models.ts";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const MODELS = path.join(ROOT, "images/rootfs/models");

interface Intent { command: string; text: string; phrasings: string[] }

export const SITE_INTENTS: Intent[] = [
  { command: "vaultctl backup", text: "Site policy: backups go to the vault.", phrasings: [
    "back up the system disk", "make a backup now", "take a backup of the data", "start a backup",
    "save a copy of everything to the vault", "run the nightly backup", "create a backup snapshot",
    "i need a backup of my files", "copy the disk to backup storage", "do a full backup"] },
  { command: "pager oncall", text: "Site policy: the on-call engineer is paged.", phrasings: [
    "who is on call", "page the on-call engineer", "call someone for help", "who do i call when it breaks",
    "get the on call person", "wake up whoever is on duty", "alert the duty engineer", "escalate this to a human",
    "find the person on call tonight", "contact the on-call team"] },
  { command: "logctl rotate", text: "Site policy: logs are rotated by logctl.", phrasings: [
    "rotate the logs", "the log files are too big", "clean up old logs", "start new log files",
    "archive the logs", "trim the logs", "logs fill the disk", "roll over the log files",
    "compress old log files", "make the logs smaller"] },
  { command: "certctl renew", text: "Site policy: certificates are renewed by certctl.", phrasings: [
    "renew the certificates", "the tls certificate expires soon", "update the ssl cert", "refresh the certificates",
    "get a new certificate", "the cert is about to expire", "renew tls", "replace the expiring certificate",
    "extend the certificate", "fix the expired cert"] },
  { command: "deployctl status", text: "Site policy: deploys are tracked by deployctl.", phrasings: [
    "is the deploy done", "what version is deployed", "show the deployment status", "did the release go out",
    "check the rollout", "how is the deploy going", "is the new build live", "status of the release",
    "which build is in production", "has the rollout finished"] },
];

const PREFIX_TRAIN = ["", "", "please ", "can you ", "hey, ", "quick question: "];
const SUFFIX_TRAIN = ["", "", "?", " please", " now", " thanks"];
const PREFIX_HELD = ["could you ", "i want to ", "help: "];
const SUFFIX_HELD = [" asap", " if you can", "!"];

export const isHeld = (i: number) => i % 5 === 2;

interface Out { prompt: string; completion: string; expect?: string }

function promptText(state: string, question: string): string { return `${state}\nQ: ${question}\nA:`; }

function examples(n: number, seed: number, held: boolean, states: string[]): Out[] {
  const rnd = seededRandom(seed);
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  const out: Out[] = [];
  for (let k = 0; k < n; k++) {
    const intent = SITE_INTENTS[k % SITE_INTENTS.length];
    const templates = intent.phrasings.filter((_, i) => isHeld(i) === held);
    const q = pick(held ? PREFIX_HELD : PREFIX_TRAIN) + pick(templates) + pick(held ? SUFFIX_HELD : SUFFIX_TRAIN);
    out.push({ prompt: promptText(pick(states), q), completion: `${intent.text} Suggested command: ${intent.command}`,
      expect: `Suggested command: ${intent.command}` });
  }
  return out;
}

/** The domain model's own greedy answers (kernel code on Node) to base-task prompts: replay examples. */
async function replay(prompts: string[]): Promise<Out[]> {
  const { loadKernelModule } = await import("../../tests/host/compile.ts");
  const k = await loadKernelModule("tests/unit/llm/lora.entry.ts", { memoryBase: 160 << 20 });
  k.exports.memInit();
  k.exports.fsInit();
  for (const f of ["sis-qa.bin", "sis-qa.tok"]) {
    const b = fs.readFileSync(path.join(MODELS, f));
    const p = k.exports.hostAlloc(b.length);
    new Uint8Array(k.memory.buffer, p, b.length).set(b);
    k.exports.writeFile("/models/" + f, p, b.length);
  }
  if (k.exports.shellRun("llmctl load /models/sis-qa.bin --tokenizer /models/sis-qa.tok") !== 0) throw new Error("cannot load the domain model");
  return prompts.map((prompt) => ({ prompt, completion: k.exports.answerText(prompt, 40).trim() }));
}

/**
 * Replay examples from the base task's own training distribution: host/model's generator
 * (training templates and phrasings only, a fresh seed) with its rule-labelled answers, the
 * kind of example the domain model was trained on, so the adapter keeps the base behaviour.
 * Never the held-out questions (those are sis-qa-eval.tsv's, held-out templates).
 */
async function replayFromCorpus(n: number, seed: number): Promise<Out[]> {
  const { makeExamples } = await import("../model/corpus.ts");
  const { promptText: basePrompt } = await import("../model/state.ts");
  return makeExamples(n, seed, false).map((e) => ({ prompt: basePrompt(e.state, e.question), completion: e.answer,
    expect: `Suggested command: ${e.command}` }));
}

const argValue = (name: string, fallback: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };

async function main(): Promise<void> {
  const tsv = argValue("--tsv", path.join(MODELS, "sis-qa-eval.tsv"));
  const replayN = Number(argValue("--replay", "100"));
  const selfReplay = process.argv.includes("--self-replay");
  const rows = fs.readFileSync(tsv, "utf8").trim().split("\n").map((l) => l.split("\t"));
  const states = rows.map((r) => r[1]);
  const train = examples(100, 1501, false, states.slice(0, 100));
  // --self-replay: base-task questions (tsv rows 150..199, never scored) answered by the base model
  // itself; default: replayN examples of the base task's training distribution with their labels
  const kept = selfReplay ? await replay(rows.slice(150, 200).map((r) => promptText(r[1], r[2]))) : await replayFromCorpus(replayN, 1511);
  // interleave: new-task and replay examples spread evenly through the file
  const mixed: Out[] = [];
  const total = train.length + kept.length;
  for (let i = 0, a = 0, b = 0; i < total; i++) {
    if (b < kept.length && (a >= train.length || (b + 1) * train.length <= (a + 1) * kept.length)) mixed.push(kept[b++]);
    else mixed.push(train[a++]);
  }
  const test = examples(50, 1502, true, states.slice(100));
  const base = rows.slice(0, 60).map((r) => ({ prompt: promptText(r[1], r[2]), completion: `Suggested command: ${r[3]}`,
    expect: `Suggested command: ${r[3]}` }));
  // dev splits for choosing the settings (never the test sets above): new task = training
  // templates with the held-out wrappers and other states; base task = tsv rows 60..149
  const dev = devExamples(50, 1503, states.slice(150));
  const devBase = rows.slice(60, 150).map((r) => ({ prompt: promptText(r[1], r[2]), completion: `Suggested command: ${r[3]}`,
    expect: `Suggested command: ${r[3]}` }));
  const outDir = argValue("--out", MODELS);
  const write = (name: string, ex: Out[]) => fs.writeFileSync(path.join(outDir, name), JSON.stringify({ examples: ex }, null, 1) + "\n");
  write("finetune-data.json", mixed);
  write("finetune-test.json", test);
  write("finetune-base.json", base);
  write("finetune-dev.json", dev);
  write("finetune-dev-base.json", devBase);
  console.log(`wrote ${mixed.length} training (100 new-task + ${kept.length} ${selfReplay ? "self-answered" : "base-task"} replay), ${test.length} held-out, ` +
    `${base.length} base-task, ${dev.length} + ${devBase.length} dev examples to ${outDir}`);
}

/** New-task dev examples: training templates, held-out wrappers (neither a training prompt nor a test template). */
function devExamples(n: number, seed: number, states: string[]): Out[] {
  const rnd = seededRandom(seed);
  const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)];
  const out: Out[] = [];
  for (let k = 0; k < n; k++) {
    const intent = SITE_INTENTS[k % SITE_INTENTS.length];
    const q = pick(PREFIX_HELD) + pick(intent.phrasings.filter((_, i) => !isHeld(i))) + pick(SUFFIX_HELD);
    out.push({ prompt: promptText(pick(states), q), completion: `${intent.text} Suggested command: ${intent.command}`,
      expect: `Suggested command: ${intent.command}` });
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) main().catch((e) => { console.error(e); process.exit(1); });
