// `make model` step 1: generates the domain corpus (seeded), learns the tokenizer and writes
//   build/model/corpus.json          token ids of every training / validation / held-out example
//   build/model/samples.txt          a few examples as text (for reading)
//   images/rootfs/models/sis-qa.tok  the tokenizer (llama2.c tokenizer.bin)
//   images/rootfs/models/sis-qa-eval.tsv  held-out questions x states with the rule's command
// Held out: every template with index % 5 == 2 in each intent and the held-out wrappers
// (phrasing.ts); they never appear in training. `tsx host/model/corpus.ts [TRAIN_N]`.
import * as fs from "node:fs";
import * as path from "node:path";
import { seededRandom } from "../llm-models.ts";
import { randomState, promptText, stateLine, State, SLOTS } from "./state.ts";
import { INTENTS } from "./intents.ts";
import { compose } from "./phrasing.ts";
import { composeParts, heldWordings, leaks } from "./parts.ts";
import { learnVocab, tokenizerBytes, readVocab, Encoder } from "./bpe.ts";

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
export const OUT = path.join(ROOT, "build/model");
export const MODELS = path.join(ROOT, "images/rootfs/models");
export const VOCAB = 1024;

export interface Example { intent: string; state: State; question: string; answer: string; command: string; }

export const isHeld = (i: number) => i % 5 === 2;

// training examples whose wording is built from parts (parts.ts) instead of a template:
// CORPUS_PARTS=0 turns them off (the previous corpus)
export const PARTS_P = Number(process.env.CORPUS_PARTS ?? "0.5");
const HELD_WORDINGS = heldWordings(isHeld);
export const partStats = { composed: 0, rejected: 0 };

export function makeExamples(n: number, seed: number, held: boolean): Example[] {
  const rnd = seededRandom(seed);
  const out: Example[] = [];
  for (let k = 0; k < n; k++) {
    const intent = INTENTS[Math.floor(rnd() * INTENTS.length)];
    const pool = intent.phrasings.filter((_, i) => isHeld(i) === held).concat(held ? [] : intent.more ?? []);
    let t = pool[Math.floor(rnd() * pool.length)];
    if (!held && rnd() < PARTS_P) {
      // a compositional wording; one that reproduces a held-out wording is dropped (counted)
      for (let tries = 0; tries < 5; tries++) {
        const c = composeParts(intent.name, rnd);
        if (c === null) break;
        if (leaks(c, HELD_WORDINGS)) { partStats.rejected++; continue; }
        partStats.composed++;
        t = c;
        break;
      }
    }
    const state = randomState(rnd);
    const question = compose(t, rnd, held);
    const [text, command] = intent.answer(state);
    out.push({ intent: intent.name, state, question, answer: `${text} Suggested command: ${command}`, command });
  }
  return out;
}

function main(): void {
  const trainN = Number(process.argv[2] ?? 60000);
  fs.mkdirSync(OUT, { recursive: true });
  const train = makeExamples(trainN, 1401, false);
  const valSeen = makeExamples(1000, 1402, false);
  const held = makeExamples(1000, 1403, true);
  const evalSet = makeExamples(200, 1404, true);
  const full = (e: Example) => promptText(e.state, e.question) + " " + e.answer;
  // answers are fixed sentences: weighted up so their words become single pieces
  const sample = train.slice(0, 20000);
  // KEEP_TOKENIZER=1: encode with the committed tokenizer (to continue training a model)
  const tokPath = path.join(MODELS, "sis-qa.tok");
  const vocab = process.env.KEEP_TOKENIZER && fs.existsSync(tokPath) ? readVocab(fs.readFileSync(tokPath))
    : learnVocab([...sample.map((e) => promptText(e.state, e.question)), ...sample.map((e) => e.answer)], VOCAB,
      [...sample.map(() => 1), ...sample.map(() => 4)], SLOTS.map((n) => "$" + n));
  const enc = new Encoder(vocab);
  const encodeSet = (set: Example[]) => set.map((e) => {
    const p = enc.encode(promptText(e.state, e.question), true);
    const a = enc.continuation(" " + e.answer);
    return { ids: [...p, ...a, 1], start: p.length };
  });
  const sets = { train: encodeSet(train), val: encodeSet(valSeen), held: encodeSet(held) };
  fs.writeFileSync(path.join(OUT, "corpus.json"), JSON.stringify({ vocab: vocab.pieces.length, ...sets }));
  fs.mkdirSync(MODELS, { recursive: true });
  fs.writeFileSync(path.join(MODELS, "sis-qa.tok"), tokenizerBytes(vocab));
  // held-out evaluation set for llmctl eval and the unit test: intent, state, question, command
  const clean = (s: string) => s.replace(/[\t\n]/g, " ");
  fs.writeFileSync(path.join(MODELS, "sis-qa-eval.tsv"),
    evalSet.map((e) => [e.intent, stateLine(e.state), clean(e.question), e.command].join("\t")).join("\n") + "\n");
  fs.writeFileSync(path.join(OUT, "samples.txt"), train.slice(0, 30).map(full).join("\n\n") + "\n");
  const lens = sets.train.map((x) => x.ids.length).sort((a, b) => a - b);
  const plen = sets.train.map((x) => x.start).sort((a, b) => a - b);
  const alen = sets.train.map((x) => x.ids.length - x.start).sort((a, b) => a - b);
  const med = (a: number[]) => a[a.length >> 1];
  console.log(JSON.stringify({
    parts_composed: partStats.composed, parts_rejected_as_held_out: partStats.rejected,
    train: train.length, val: valSeen.length, held: held.length, eval: evalSet.length, vocab: vocab.pieces.length,
    tokens_median: med(lens), tokens_max: lens[lens.length - 1], prompt_median: med(plen), answer_median: med(alen),
  }));
}

if (process.argv[1] && process.argv[1].endsWith("corpus.ts")) main();
