// Mutation check for the allocator proofs: applies one small bug at a time to kernel/mm,
// runs the model check, the differential test and the mm unit tests, and reports whether
// they caught it. The source is restored after each mutation (and on Ctrl-C). Not part of
// `make test-unit`; run by hand:
//
//   node_modules/.bin/tsx tests/unit/mm/mutate.ts            all mutations
//   node_modules/.bin/tsx tests/unit/mm/mutate.ts coalesce   the ones whose name contains "coalesce"
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

interface Mutation { name: string; file: string; from: string; to: string }

const MUTATIONS: Mutation[] = [
  { name: "coalesce: never merge with a lower buddy", file: "kernel/mm/buddy.ts",
    from: "if (buddy >= windowPagesCached || stateOf(buddy) != (TYPE_FREE | k)) break;",
    to: "if (buddy >= windowPagesCached || buddy < head || stateOf(buddy) != (TYPE_FREE | k)) break;" },
  { name: "double free: accept a free block head", file: "kernel/mm/buddy.ts",
    from: "if (t == TYPE_FREE) return refuse(ERR_DOUBLE_FREE);", to: "if (t == TYPE_FREE) return 0;" },
  { name: "split: hand out the upper half's first page minus one", file: "kernel/mm/buddy.ts",
    from: "const buddy = head + (<u32>1 << k);\n    setState(buddy, TYPE_FREE | k);",
    to: "const buddy = head + (<u32>1 << k) - (k == 1 ? 1 : 0);\n    setState(buddy, TYPE_FREE | k);" },
  { name: "overflow: no range check on the order", file: "kernel/mm/buddy.ts",
    from: "  if (order > MAX_ORDER) {\n    bump(Counter.Failures);\n    return 0;\n  }\n  const type",
    to: "  const type" },
  { name: "leak: a freed block returns one page too few", file: "kernel/mm/buddy.ts",
    from: "export function releaseBlock(page: u32, order: u32): void {\n  addFreePages(<i32>1 << order);",
    to: "export function releaseBlock(page: u32, order: u32): void {\n  addFreePages((<i32>1 << order) - (order == 2 ? 1 : 0));" },
  { name: "bounds: off-by-one window check on free", file: "kernel/mm/buddy.ts",
    from: "if (page == 0 || page >= windowPagesCached) return refuse(ERR_FOREIGN);",
    to: "if (page == 0 || page > windowPagesCached) return refuse(ERR_FOREIGN);" },
  { name: "grouping: merge removes the buddy from the wrong list", file: "kernel/mm/buddy.ts",
    from: "listRemove(buddy, listOf(buddy, k));", to: "listRemove(buddy, k);" },
  { name: "completeness: smallest order search skips the exact order", file: "kernel/mm/buddy.ts",
    from: "const fits = (<u32>0xffffffff << order)", to: "const fits = (<u32>0xffffffff << (order + (order == 1 ? 1 : 0)))" },
  { name: "slab: no bitmap check on kfree", file: "kernel/mm/slab.ts",
    from: "if ((load<u8>(bits) & bit) == 0) return doubleFree();", to: "" },
];

const TESTS = ["tests/unit/mm/buddy-model.test.ts", "tests/unit/mm/buddy-differential.test.ts", "tests/unit/mm/mm.test.ts"];
const wanted = process.argv.slice(2);
const dirty = execFileSync("git", ["status", "--porcelain", "kernel/mm"], { cwd: ROOT }).toString().trim();
if (dirty) {
  console.error(`kernel/mm has uncommitted changes; commit them first:\n${dirty}`);
  process.exit(2);
}
let current: Mutation | null = null;
const restore = () => {
  if (current) execFileSync("git", ["checkout", "--", current.file], { cwd: ROOT });
  current = null;
};
process.on("SIGINT", () => { restore(); process.exit(130); });

let missed = 0;
for (const m of MUTATIONS.filter((m) => wanted.length === 0 || wanted.some((w) => m.name.includes(w)))) {
  const file = path.join(ROOT, m.file);
  const text = fs.readFileSync(file, "utf8");
  if (!text.includes(m.from)) throw new Error(`mutation '${m.name}': text not found in ${m.file}`);
  current = m;
  try {
    fs.writeFileSync(file, text.replace(m.from, m.to));
    const started = Date.now();
    const r = spawnSync(path.join(ROOT, "node_modules/.bin/mocha"), ["--bail", ...TESTS], { cwd: ROOT, encoding: "utf8", timeout: 600000 });
    const out = `${r.stdout}${r.stderr}`;
    const failing = out.match(/^\s+1\) (.*)$/m)?.[1] ?? "";
    const why = (out.match(/(AssertionError[^\n]*\n(?:[^\n]*\n){0,3})|(kernel abort[^\n]*)|(Error: [^\n]*)/) ?? [""])[0].replace(/\s+/g, " ").slice(0, 200);
    if (r.status === 0) {
      missed++;
      console.log(`MISSED  ${m.name}`);
    } else {
      console.log(`caught  ${m.name} (${((Date.now() - started) / 1000).toFixed(0)} s)\n        by: ${failing.trim()}\n        ${why}`);
    }
  } finally {
    restore();
  }
}
process.exit(missed ? 1 : 0);
