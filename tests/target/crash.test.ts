// The short mode of the crash harness (tests/crash/, `make crash-test` runs the long ones):
// one seeded random power cut per scenario in QEMU (system_reset, SIS replays its journal at
// the next mount), and every crash state of three small logged runs (every flush point and a
// dropped/reordered subset of the writes after each, recovered by SIS's ext4 on Node; one of
// them booted in QEMU). Each state must be recovered, `fsctl verify` and `e2fsck -fn` clean,
// every promise of the workload kept and nothing in the tree that was never written. Plus two
// cache-loss power cuts (QEMU killed with SIGKILL, the disk = pristine image + the write log up
// to its last completed flush: a volatile cache lost; the first right after a sync line).
// CRASH_SEED=N picks other cuts. Failures are kept in build/crash-failures/ with a replay command.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../../host/qemu.ts";
import { SCENARIOS } from "../crash/model.ts";
import { runCampaign, table, CampaignReport, CACHE_LOSS_MODE } from "../crash/campaign.ts";
import { requireImage } from "./helpers.ts";

const SEED = Number(process.env.CRASH_SEED ?? 1);

describe("target: crash recovery (short mode of make crash-test)", function () {
  this.timeout(600000);
  let work: string;
  const lines: string[] = [];
  before(() => {
    requireImage();
    work = fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "sis-crash-test-"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const check = (report: CampaignReport, what: string) => {
    const failed = report.failures.map((f) => `${f.name}: ${f.problem}\n    replay: ${f.replay}`).join("\n");
    assert.equal(report.failures.length, 0, `${what}:\n${failed}\n${lines.join("\n")}`);
    for (const r of report.rows) {
      assert.ok(r.states > 0, `${r.scenario} ${r.mode}: nothing checked`);
      assert.equal(r.failed, 0, `${r.scenario} ${r.mode}`);
      for (const k of ["recovered", "verifyClean", "fsckClean", "dataIntact", "ordered"] as const) assert.equal(r[k], r.states, `${r.scenario} ${r.mode}: ${k}`);
    }
  };

  it("every crash state of three small logged runs (Node, one booted in QEMU)", async () => {
    const scenarios = ["truncate_operations", "directory_operations", "concurrent_writes"] as const;
    const report = await runCampaign({
      scenarios, powerCuts: 0, enumerate: scenarios,
      counts: { truncate_operations: 8, directory_operations: 4, concurrent_writes: 3 }, seed: SEED, subsetsPerInterval: 2, tornPerInterval: 1, maxSubsets: 100,
      qemuSamples: 1, failuresDir: path.join(ROOT, "build/crash-failures"), workDir: work, log: (l) => lines.push(l),
    });
    console.log(table(report.rows));
    check(report, "crash states");
    const flush = report.rows.filter((r) => r.mode.startsWith("every flush point"));
    assert.equal(flush.length, 3);
    assert.ok(flush.every((r) => r.states > 10 && r.replayed > 0), "states with a journal to replay were checked");
    assert.equal(report.rows.filter((r) => r.mode.includes("QEMU") && r.states === 1).length, 3);
    assert.equal(report.rows.filter((r) => r.mode.includes("torn") && r.states > 0).length, 3, "torn-write states were checked");
  });

  it("one random power cut per scenario, recovered by SIS in QEMU", async () => {
    const report = await runCampaign({
      scenarios: SCENARIOS, powerCuts: 1, enumerate: [], seed: SEED, subsetsPerInterval: 0, maxSubsets: 0, qemuSamples: 0,
      failuresDir: path.join(ROOT, "build/crash-failures"), workDir: work, log: (l) => lines.push(l),
    });
    console.log(table(report.rows));
    check(report, "power cuts");
    assert.equal(report.rows.length, SCENARIOS.length);
    const ms = report.rows.map((r) => r.recoveryMs.p50!).sort((a, b) => a - b);
    assert.ok(ms[Math.floor(ms.length / 2)] < 2000, `recovery (mount with journal replay) median ${ms} ms`);
  });

  it("two cache-loss power cuts (SIGKILL, the writes after the last completed flush lost), recovered by SIS in QEMU", async () => {
    const report = await runCampaign({
      scenarios: ["write_during_data_write"], powerCuts: 0, cacheLossCuts: 2, enumerate: [], seed: SEED, subsetsPerInterval: 0, maxSubsets: 0,
      qemuSamples: 0, failuresDir: path.join(ROOT, "build/crash-failures"), workDir: work, log: (l) => lines.push(l),
    });
    console.log(table(report.rows));
    check(report, "cache-loss cuts");
    assert.equal(report.rows.length, 1);
    assert.equal(report.rows[0].mode, CACHE_LOSS_MODE);
    assert.equal(report.rows[0].states, 2);
  });
});
