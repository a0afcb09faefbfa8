// The short QEMU crash mode, for one kernel image: SIS in QEMU writes AND recovers every
// state, the host judges it (e2fsck -fn, the tree against the workload model, every promise).
// The mutant runner (tests/unit/fs/mutate.ts --qemu) runs it on each mutant's own kernel.
//
//   tsx tests/crash/short.ts [--esp build/esp.img] [--scenarios a,b] [--cache-loss N]
//                            [--cuts N] [--seed S] [--no-enumerate] [--json] [--failures DIR]
//
// First (unless --no-enumerate) every crash state of three small logged runs, as in
// tests/target/crash.test.ts: the kernel under test writes them in QEMU, this tree's ext4 on
// Node recovers each (every flush point, 2 dropped/reordered subsets and 1 torn write per flush
// interval) and e2fsck judges it, and one state is booted and recovered by the kernel under
// test. Then per scenario: N cache-loss power cuts (SIGKILL, the writes after the last completed flush
// lost: tests/crash/qemu-runs.ts cacheLossCutRun; every other one right after a sync line)
// and --cuts QMP power cuts (stop + system_reset: nothing the device completed is lost).
// Every state starts from its own fresh copy of the pristine crash image. Prints the table
// and which checks failed in how many runs; --json adds one JSON line at the end. Exit 1 when
// anything failed, 2 when the harness itself broke.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../../host/qemu.ts";
import { SCENARIOS, Scenario } from "./model.ts";
import { runCampaign, table, CampaignReport } from "./campaign.ts";
import { crashBaseImage } from "./image.ts";
import { useKernelImage } from "./qemu-runs.ts";

/** The default scenarios: the ones with the most syncs (20-80), so most cuts land mid-workload. */
export const SHORT_SCENARIOS: Scenario[] = ["write_during_data_write", "truncate_operations", "directory_operations", "concurrent_writes"];

/** The logged runs whose every crash state is judged (--no-enumerate: none), small counts. */
const ENUM_SCENARIOS: Scenario[] = ["truncate_operations", "directory_operations", "concurrent_writes"];
const ENUM_COUNTS: Partial<Record<Scenario, number>> = { truncate_operations: 8, directory_operations: 4, concurrent_writes: 3 };

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const usage = "usage: tsx tests/crash/short.ts [--esp IMG] [--scenarios a,b] [--cache-loss N] [--cuts N] [--seed S] [--no-enumerate] [--json] [--failures DIR]";
if (process.argv.includes("--help")) {
  console.log(usage);
  process.exit(0);
}
const esp = path.resolve(option("--esp") ?? path.join(ROOT, "build/esp.img"));
const scenarios = (option("--scenarios")?.split(",") ?? SHORT_SCENARIOS) as Scenario[];
for (const s of scenarios) {
  if (!SCENARIOS.includes(s)) {
    console.error(`unknown scenario ${s} (${SCENARIOS.join(", ")})\n${usage}`);
    process.exit(2);
  }
}
const count = (name: string, dflt: number) => {
  const v = Number(option(name) ?? dflt);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`${name} takes a count (got ${option(name)})\n${usage}`);
    process.exit(2);
  }
  return v;
};
const cacheLoss = count("--cache-loss", 4);
const enumerate = !process.argv.includes("--no-enumerate");
const cuts = count("--cuts", 1);
const seed = count("--seed", 1);
const failuresDir = path.resolve(option("--failures") ?? path.join(ROOT, "build/crash-failures/short"));
for (const f of [esp, path.join(ROOT, "build/disk.img")]) {
  if (!fs.existsSync(f)) {
    console.error(`${f} is missing: run 'make image' first`);
    process.exit(2);
  }
}
useKernelImage(esp);
crashBaseImage();
const workDir = fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "sis-crash-short-"));
console.log(`short QEMU crash mode: kernel ${path.relative(process.cwd(), esp) || esp}, ${scenarios.length} scenarios, seed ${seed}, ` +
  `${cacheLoss} cache-loss cuts and ${cuts} power cuts each${enumerate ? `; first every crash state of ${ENUM_SCENARIOS.length} small logged runs` : ""}`);
let report: CampaignReport;
try {
  const log = (l: string) => console.log(l);
  // the crash states of three small logged runs (as tests/target/crash.test.ts): the kernel
  // under test writes them in QEMU, this tree's Node build and e2fsck judge them, one is booted
  const states = enumerate ? await runCampaign({ scenarios: ENUM_SCENARIOS, powerCuts: 0, enumerate: ENUM_SCENARIOS, counts: ENUM_COUNTS, seed,
    subsetsPerInterval: 2, tornPerInterval: 1, maxSubsets: 100, qemuSamples: 1, failuresDir, workDir, log }) : { rows: [], failures: [], wallMs: 0 };
  const cutsReport = await runCampaign({ scenarios, powerCuts: cuts, cacheLossCuts: cacheLoss, enumerate: [], seed, subsetsPerInterval: 0,
    maxSubsets: 0, qemuSamples: 0, failuresDir, workDir, log });
  report = { rows: [...states.rows, ...cutsReport.rows], failures: [...states.failures, ...cutsReport.failures], wallMs: states.wallMs + cutsReport.wallMs };
} finally {
  fs.rmSync(workDir, { recursive: true, force: true });
}
console.log("");
console.log(table(report.rows));
for (const r of report.rows) for (const n of r.notes) console.log(`  ${r.scenario}, ${r.mode}: ${n}`);
// which checks failed, in how many runs of which mode
const byCheck = new Map<string, Map<string, number>>();
for (const f of report.failures) {
  const mode = /-cacheloss-/.test(f.name) ? "cache-loss" : /-powercut-/.test(f.name) ? "power cut" : /qemu:/.test(f.name) ? "state booted in QEMU"
    : "crash states of a QEMU run, on Node";
  for (const c of f.checks) {
    const m = byCheck.get(c) ?? new Map<string, number>();
    m.set(mode, (m.get(mode) ?? 0) + 1);
    byCheck.set(c, m);
  }
}
const checks = [...byCheck].map(([c, m]) => `${c} in ${[...m.values()].reduce((a, b) => a + b, 0)} runs (${[...m].map(([k, n]) => `${k} ${n}`).join(", ")})`).join("; ");
const runs = report.rows.reduce((a, r) => a + r.states, 0);
const harness = report.failures.length > 0 && report.failures.every((f) => f.checks.every((c) => c === "harness"));
console.log(report.failures.length ? `${report.failures.length} of ${runs} runs failed: ${checks}` : `all ${runs} runs passed every check`);
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ runs, failed: report.failures.length, checks, harnessOnly: harness,
    failures: report.failures.map((f) => ({ name: f.name, checks: f.checks, problem: f.problem.slice(0, 300) })) }));
}
process.exit(report.failures.length === 0 ? 0 : harness ? 2 : 1);
