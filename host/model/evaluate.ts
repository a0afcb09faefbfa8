// `make model` step 3: the exported model through the kernel's own engine and infer code
// (compiled to wasm, tests/unit/llm/infer.entry.ts) on the held-out questions x states, with
// the keyword baseline side by side; prints the table and writes build/model/eval.json.
import * as fs from "node:fs";
import * as path from "node:path";
import { loadInfer, loadDomainModel, evalItems, ask, score, ROOT } from "../../tests/unit/llm/infer_harness.ts";

const k = await loadInfer();
const e = loadDomainModel(k);
if (e) { console.error(`error: ${e}`); process.exit(1); }
const items = evalItems();
const m = score(k, items, (it) => ask(k, it.state, it.question));
const kw = score(k, items, (it) => ({ command: k.exports.keyword(it.question), latencyUs: 0 }));
const row = (name: string, s: typeof m) =>
  `${name.padEnd(8)} ${String(s.n).padStart(4)}  actionable ${s.actionable.toFixed(1).padStart(5)}%  correct-for-state ${s.correct.toFixed(1).padStart(5)}%`;
console.log(row("model", m) + `  Node latency p50 ${m.p50.toFixed(1)} ms p99 ${m.p99.toFixed(1)} ms`);
console.log(row("keyword", kw));
const perIntent = new Map<string, [number, number]>();
items.forEach((it, i) => {
  const [ok, n] = perIntent.get(it.intent) ?? [0, 0];
  perIntent.set(it.intent, [ok + (m.wrong.some((w) => w.startsWith(`${it.intent}: "${it.question}"`)) ? 0 : 1), n + 1]);
  void i;
});
console.log([...perIntent].map(([name, [ok, n]]) => `${name} ${ok}/${n}`).join(", "));
fs.writeFileSync(path.join(ROOT, "build/model/eval.json"), JSON.stringify({ model: { ...m, wrong: m.wrong }, keyword: { ...kw, wrong: kw.wrong.length } }, null, 1));
