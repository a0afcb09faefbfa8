// The LoRA demo on Node (issue 15): the kernel's code compiled to wasm fine-tunes the domain
// model (images/rootfs/models/sis-qa.bin + sis-qa.tok) on finetune-data.json with several
// seeds, through the real shell commands (llmctl load, finetune --wait, eval --adapter), and
// prints the held-out accuracies, the base task's score and the training time of each seed
// with their median and spread.
//   tsx host/lora/demo.ts [--seeds 1,2,3] [--epochs N] [--models DIR] [--extra "--targets wq,wv ..."]
// (defaults: host/lora/demo-config.ts, the settings bench/lora.bench.ts runs in QEMU)
//   --dev: score on finetune-dev.json / finetune-dev-base.json (choosing settings), not the test sets
import * as fs from "node:fs";
import * as path from "node:path";
import { loadKernelModule } from "../../tests/host/compile.ts";
import { DEMO_EPOCHS, DEMO_EXTRA } from "./demo-config.ts";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };

async function main(): Promise<void> {
  const dir = arg("--models", path.join(ROOT, "images/rootfs/models"));
  const seeds = arg("--seeds", "1,2,3").split(",").map(Number);
  const epochs = arg("--epochs", String(DEMO_EPOCHS));
  const extra = arg("--extra", DEMO_EXTRA);
  const k = await loadKernelModule("tests/unit/llm/lora.entry.ts", { memoryBase: 160 << 20 });
  k.exports.memInit();
  k.exports.fsInit();
  const sh = (line: string) => { k.platform.takeOutput(); const status = k.exports.shellRun(line); return { status, out: k.platform.takeOutput() as string }; };
  // --dev: score on the dev splits (to choose settings) instead of the held-out test sets
  const dev = process.argv.includes("--dev");
  const evalFiles = dev ? " --data /models/finetune-dev.json --base /models/finetune-dev-base.json" : "";
  for (const f of ["sis-qa.bin", "sis-qa.tok", "finetune-data.json", "finetune-test.json", "finetune-base.json", "finetune-dev.json", "finetune-dev-base.json"]) {
    const b = fs.readFileSync(path.join(dir, f));
    const p = k.exports.hostAlloc(b.length);
    new Uint8Array(k.memory.buffer, p, b.length).set(b);
    if (k.exports.writeFile("/models/" + f, p, b.length) !== b.length) throw new Error("cannot write " + f);
    k.exports.hostFree(p);
  }
  const l = sh("llmctl load /models/sis-qa.bin --tokenizer /models/sis-qa.tok");
  if (l.status !== 0) throw new Error(l.out);
  const rows: { seed: number; s: number; base: number; adapted: number; baseTask: number; adaptedTask: number; n: number; bn: number; loss: string; bytes: number }[] = [];
  for (const seed of seeds) {
    const r = sh(`llmctl finetune /models/finetune-data.json demo${seed} --epochs ${epochs} --seed ${seed} ${extra} --wait`);
    const m = /in ([\d.]+) s, loss ([\d.]+ -> [\d.]+); saved \S+ \((\d+) bytes\)/.exec(r.out);
    if (!m) throw new Error(r.out);
    const e = sh(`llmctl eval --adapter demo${seed}${evalFiles} --json`);
    const j = JSON.parse(e.out);
    rows.push({ seed, s: Number(m[1]), loss: m[2], bytes: Number(m[3]), base: j.base.correct, adapted: j.adapted.correct, n: j.base.total,
      baseTask: j.base_task.base, adaptedTask: j.base_task.adapted, bn: j.base_task.total });
    const x = rows[rows.length - 1];
    const pct = (a: number, n: number) => `${a}/${n} (${((100 * a) / n).toFixed(1)}%)`;
    console.log(`seed ${seed}: train ${x.s.toFixed(2)} s, loss ${x.loss}, adapter ${x.bytes} bytes; new task base ${pct(x.base, x.n)} -> adapted ${pct(x.adapted, x.n)}; base task ${pct(x.baseTask, x.bn)} -> ${pct(x.adaptedTask, x.bn)}`);
    if (process.env.LORA_VERBOSE) {
      console.log(JSON.stringify(j.adapted.answers.slice(0, 10)));
      const ba: string[] = j.base_task?.base_answers ?? [], aa: string[] = j.base_task?.adapted_answers ?? [];
      for (let i = 0; i < ba.length; i++) if (ba[i] !== aa[i]) console.log(`  base task ${i}: ${JSON.stringify(ba[i])} -> ${JSON.stringify(aa[i])}`);
    }
  }
  const med = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  const gain = rows.map((r) => (100 * (r.adapted - r.base)) / r.n), lost = rows.map((r) => (100 * (r.baseTask - r.adaptedTask)) / r.bn);
  console.log(`median over ${rows.length} seeds: +${med(gain).toFixed(1)} points on the new task (min ${Math.min(...gain).toFixed(1)}, max ${Math.max(...gain).toFixed(1)}), ` +
    `base task ${med(lost) >= 0 ? "-" : "+"}${Math.abs(med(lost)).toFixed(1)} points (worst -${Math.max(...lost).toFixed(1)}), train ${med(rows.map((r) => r.s)).toFixed(2)} s ` +
    `(min ${Math.min(...rows.map((r) => r.s)).toFixed(2)}, max ${Math.max(...rows.map((r) => r.s)).toFixed(2)})`);
  console.log(JSON.stringify({ bench: "lora-demo", split: dev ? "dev" : "test", epochs, extra, rows }));
}

main().catch((e) => { console.error(e); process.exit(1); });
