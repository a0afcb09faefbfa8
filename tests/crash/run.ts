// `make crash-test [FULL=1]`: the crash-recovery campaign of issue 7, results in
// build/crash-results.json and a table at the end; exit status 1 when anything failed.
//
//   tsx tests/crash/run.ts [--full] [--scenarios a,b] [--runs N] [--seed S] [--subsets N]
//                          [--qemu-samples N] [--cache-loss N] [--no-enumerate] [--no-powercut] [--out FILE]
//
// quick (default): every scenario: every flush point of one logged run + 1 dropped/reordered
//   subset and 1 torn write per flush interval (Node), 1 state booted in QEMU, 3 random power
//   cuts in QEMU, 2 cache-loss power cuts (SIGKILL, writes after the last completed flush lost)
// --full: every flush point, 4 subsets and 4 torn writes per interval, 3 states booted in QEMU,
//   50 power cuts, 10 cache-loss cuts
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { ROOT } from "../../host/qemu.ts";
import { SCENARIOS, Scenario } from "./model.ts";
import { runCampaign, totals, table, Row } from "./campaign.ts";
import { crashBaseImage, IMAGE_MIB } from "./image.ts";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);

for (const f of ["build/esp.img", "build/disk.img"]) {
  if (!fs.existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run 'make image' first`);
}
const full = flag("--full") || process.env.FULL === "1";
const scenarios = (option("--scenarios")?.split(",") ?? [...SCENARIOS]) as Scenario[];
for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (${SCENARIOS.join(", ")})`);
const seed = Number(option("--seed") ?? 1);
const powerCuts = flag("--no-powercut") ? 0 : Number(option("--runs") ?? (full ? 50 : 3));
const cacheLossCuts = flag("--no-powercut") ? 0 : Number(option("--cache-loss") ?? (full ? 10 : 2));
const enumerate = flag("--no-enumerate") ? [] : scenarios;
const subsetsPerInterval = Number(option("--subsets") ?? (full ? 4 : 1));
const qemuSamples = Number(option("--qemu-samples") ?? (full ? 3 : 1));
const out = path.resolve(option("--out") ?? path.join(ROOT, "build/crash-results.json"));
const failuresDir = path.join(ROOT, "build/crash-failures");
const shm = "/dev/shm";
const workDir = fs.mkdtempSync(path.join(fs.existsSync(shm) ? shm : os.tmpdir(), "sis-crash-"));
const command = `node_modules/.bin/tsx tests/crash/run.ts ${process.argv.slice(2).join(" ")}`.trim() + (full && !flag("--full") ? " (FULL=1)" : "");

const log = (line: string) => console.log(line);
log(`crash test (${full ? "full" : "quick"}): ${scenarios.length} scenarios, seed ${seed}, ${powerCuts} power cuts and ${cacheLossCuts} cache-loss cuts each, ` +
  `${enumerate.length ? `every crash state (${subsetsPerInterval} subsets and as many torn writes per flush interval, ${qemuSamples} booted in QEMU)` : "no enumeration"}`);
crashBaseImage();
let report;
try {
  report = await runCampaign({ scenarios, powerCuts, cacheLossCuts, enumerate, seed, subsetsPerInterval, maxSubsets: full ? 5000 : 400,
    qemuSamples, failuresDir, workDir, log });
} finally {
  fs.rmSync(workDir, { recursive: true, force: true });
}
const modes = [...new Set(report.rows.map((r) => r.mode))];
const all: Row[] = [...report.rows, ...modes.map((m) => totals(report.rows, m)!).filter(Boolean)];
const qemuVersion = execFileSync("qemu-system-aarch64", ["--version"], { encoding: "utf8" }).split("\n")[0];
const e2fsckVersion = spawnSync("e2fsck", ["-V"], { encoding: "utf8" }).stderr.split("\n")[0];
const result = {
  generatedAt: new Date().toISOString(),
  command,
  mode: full ? "full" : "quick",
  seed,
  wallSeconds: Math.round(report.wallMs / 100) / 10,
  host: { cpus: os.cpus().length, qemu: qemuVersion, e2fsck: e2fsckVersion },
  image: `${IMAGE_MIB} MiB ext4, 4 KiB blocks, metadata_csum_seed + orphan_file (tests/crash/image.ts)`,
  rows: all.map(({ samples, ...r }) => r),
  failures: report.failures,
};
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(result, null, 1) + "\n");
log("");
log(table(all));
log("");
log(`wall time ${(report.wallMs / 60000).toFixed(1)} min; results in ${path.relative(process.cwd(), out)}`);
if (report.failures.length) {
  log(`${report.failures.length} failures, each kept with its replay command:`);
  for (const f of report.failures) log(`  ${f.replay}    # ${f.problem.slice(0, 120)}`);
  process.exit(1);
}
log("no failures");
