// `make model` step 3: the exported model through the kernel's own engine and infer code
// (compiled to wasm, tests/unit/llm/infer.entry.ts) on the held-out questions x states, with
// the keyword baseline side by side; prints the table and writes build/model/eval.json.
//   tsx host/model/evaluate.ts [--model BIN] [--tok TOK] [--eval TSV] [--fresh N [--seed S]] [--json OUT]
// Default: the committed sis-qa.bin/.tok on sis-qa-eval.tsv (200 held-out items). --fresh N
// scores N new held-out items instead (held-out templates and wrappers only, corpus.ts's
// makeExamples with seed S, default 1499: a seed no training, validation or eval set uses).
import * as fs from "node:fs";
import * as path from "node:path";
import { loadInfer, loadDomainModel, evalItems, ask, score, ROOT, MODELS, EvalItem } from "../../tests/unit/llm/infer_harness.ts";
import { makeExamples } from "./corpus.ts";
import { stateLine } from "./state.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => { const i = args.indexOf(name); return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt; };
if (args.includes("--help")) {
  console.log("usage: tsx host/model/evaluate.ts [--model BIN] [--tok TOK] [--eval TSV] [--fresh N [--seed S]] [--json OUT]");
  process.exit(0);
}
const k = await loadInfer();
const e = loadDomainModel(k, opt("--model", path.join(MODELS, "sis-qa.bin")), opt("--tok", path.join(MODELS, "sis-qa.tok")));
if (e) { console.error(`error: ${e}`); process.exit(1); }
const fresh = Number(opt("--fresh", "0"));
const items: EvalItem[] = fresh > 0
  ? makeExamples(fresh, Number(opt("--seed", "1499")), true).map((x) => ({ intent: x.intent, state: stateLine(x.state), question: x.question.replace(/[\t\n]/g, " "), command: x.command }))
  : evalItems(opt("--eval", path.join(MODELS, "sis-qa-eval.tsv")));
const m = score(k, items, (it) => ask(k, it.state, it.question));
const kw = score(k, items, (it) => ({ command: k.exports.keyword(it.question), latencyUs: 0 }));
const row = (name: string, s: typeof m) =>
  `${name.padEnd(8)} ${String(s.n).padStart(4)}  actionable ${s.actionable.toFixed(1).padStart(5)}%  correct-for-state ${s.correct.toFixed(1).padStart(5)}%`;
console.log(row("model", m) + `  Node latency p50 ${m.p50.toFixed(1)} ms p99 ${m.p99.toFixed(1)} ms`);
console.log(row("keyword", kw));
const perIntent = new Map<string, [number, number]>();
items.forEach((it) => {
  const [ok, n] = perIntent.get(it.intent) ?? [0, 0];
  perIntent.set(it.intent, [ok + (m.wrong.some((w) => w.startsWith(`${it.intent}: "${it.question}"`)) ? 0 : 1), n + 1]);
});
console.log([...perIntent].map(([name, [ok, n]]) => `${name} ${ok}/${n}`).join(", "));
if (process.env.EVAL_VERBOSE) console.log(m.wrong.join("\n"));
fs.mkdirSync(path.join(ROOT, "build/model"), { recursive: true });
fs.writeFileSync(opt("--json", path.join(ROOT, "build/model/eval.json")), JSON.stringify({ model: { ...m, wrong: m.wrong }, keyword: { ...kw, wrong: kw.wrong.length } }, null, 1));
