// Domain question answering (issue 14): `llmctl eval` on the held-out questions x states
// (/models/sis-qa-eval.tsv, phrasings never trained on): actionable %, correct-for-state %,
// executed-successfully %, latency p50/p99, the model and the keyword baseline side by side.
//   node  the kernel's infer code compiled to wasm (tests/unit/llm/infer.entry.ts)
//   qemu  the kernel in QEMU, INFER_BENCH_QEMU (default 200) questions
// A benchmark reports what it measures; it never fails on a target.
import { runInKernel, BenchResult } from "./lib.ts";
import { loadInfer, loadDomainModel, evalItems, ask, score } from "../tests/unit/llm/infer_harness.ts";

const QEMU_N = Number(process.env.INFER_BENCH_QEMU ?? 200);

export async function run(): Promise<BenchResult[]> {
  const k = await loadInfer();
  const e = loadDomainModel(k);
  if (e) throw new Error(e);
  const items = evalItems();
  const m = score(k, items, (it) => ask(k, it.state, it.question));
  const kw = score(k, items, (it) => ({ command: k.exports.keyword(it.question), latencyUs: 0 }));
  const node: BenchResult[] = [
    { name: "infer_eval_model", unit: "ms", where: "node", n: m.n, p50: m.p50, p99: m.p99, actionable_pct: m.actionable, correct_pct: m.correct },
    { name: "infer_eval_keyword", unit: "ms", where: "node", n: kw.n, actionable_pct: kw.actionable, correct_pct: kw.correct },
  ];
  const qemu = await runInKernel([`llmctl eval --limit ${QEMU_N} --json`], {}, 1200000);
  return [...node, ...qemu.map((r) => ({ ...r, name: `infer_eval_${r.model}`, unit: "ms", where: "qemu" }))];
}
