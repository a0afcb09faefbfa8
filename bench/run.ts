// `make bench`: runs every bench/*.bench.ts (or those named on the command line), prints
// their JSON lines and writes them to build/bench/results.jsonl.
//
// A *.bench.ts module exports `run(): Promise<BenchResult[]>`.
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import type { BenchResult } from "./lib.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, "../build/bench");
const wanted = process.argv.slice(2);
const files = fs.readdirSync(HERE).filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w))).sort();

fs.mkdirSync(OUT, { recursive: true });
const all: BenchResult[] = [];
let failed = 0;
for (const f of files) {
  const started = Date.now();
  console.error(`# ${f}`);
  try {
    const mod = await import(pathToFileURL(path.join(HERE, f)).href);
    const results: BenchResult[] = await mod.run();
    for (const r of results) {
      console.log(JSON.stringify(r));
      all.push({ ...r, suite: f.replace(/\.bench\.ts$/, "") });
    }
  } catch (e) {
    failed++;
    console.error(`# ${f} failed: ${(e as Error).message}`);
  }
  console.error(`# ${f}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
fs.writeFileSync(path.join(OUT, "results.jsonl"), all.map((r) => JSON.stringify(r)).join("\n") + "\n");
console.error(`# ${all.length} results in build/bench/results.jsonl`);
process.exit(failed ? 1 : 0);
