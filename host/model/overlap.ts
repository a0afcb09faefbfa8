// overlap of the training questions with the held-out wordings (normalised, after noise)
import { makeExamples, isHeld } from "./corpus.ts";
import { heldWordings } from "./parts.ts";
const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9 ]+/g, " ").replace(/\s+/g, " ").trim();
const h = heldWordings(isHeld);
const n = Number(process.argv[2] ?? 20000);
const tr = makeExamples(n, 1401, false);
let exact = 0, contains = 0; const ex = new Map<string, number>();
for (const e of tr) {
  const q = norm(e.question), p = ` ${q} `;
  if (h.exact.has(q)) { exact++; ex.set(q, (ex.get(q) ?? 0) + 1); }
  if (h.long.some((x) => p.includes(` ${x} `))) contains++;
}
const fresh = makeExamples(600, 1499, true);
const trainSet = new Set(tr.map((e) => norm(e.question)));
const freshSeen = fresh.filter((e) => trainSet.has(norm(e.question))).length;
console.log(JSON.stringify({ train: n, exact_equal_heldout_wording: exact, containing_heldout_wording_3plus_words: contains,
  fresh600_questions_found_verbatim_in_train: freshSeen, top: [...ex].sort((a, b) => b[1] - a[1]).slice(0, 12) }));
