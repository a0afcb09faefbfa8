// Power cuts at flush points of the `fsctl stress` workloads (the Node side of the crash
// harness of issue 7, in miniature; tests/crash/ is the full harness): the disk keeps exactly
// what was written before the cut (later writes are dropped); SIS then mounts it (replaying
// its journal) and the shared checker (tests/crash/check.ts) judges it against the workload
// model: every promise printed before the cut kept, nothing that was never written, the tree a
// state of the workload; `fsctl verify` and `e2fsck -fn` clean.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ext4Node } from "../../host/ext4-node.ts";
import { WorkloadModel, Scenario } from "../../crash/model.ts";
import { stressLines } from "../../crash/check.ts";
import { recoverOnNode } from "../../crash/node-check.ts";
import { crashBaseImage } from "../../crash/image.ts";
import { seededBytes } from "../../../images/test-images.ts";

const SCENARIOS: [Scenario, number][] = [
  ["write_during_allocation", 40], ["write_during_inode_create", 60], ["write_during_journal_commit", 2],
  ["write_during_data_write", 12], ["concurrent_writes", 3], ["directory_operations", 5], ["truncate_operations", 8],
];
const CUTS = Number(process.env.FS_CRASH_CUTS ?? 6);

/**
 * Runs the workload on a fresh copy of `base` at `image` and cuts the power at its `cutAt`-th
 * flush: the flush completes, nothing written after it lands, nothing printed after it is seen.
 * Returns the stress lines seen, and whether the workload reached that flush at all.
 */
async function runWithCut(base: string, image: string, model: WorkloadModel, cutAt: number): Promise<{ cut: boolean; lines: string[] }> {
  fs.copyFileSync(base, image);
  const k = await Ext4Node.load();
  const id = k.attach("vda", image);
  assert.equal(k.exports.mountAt("vda", "/", false), "");
  let n = 0;
  let outputAtCut = -1;
  k.platform.takeOutput();
  k.disk(id).onFlush = () => {
    if (++n === cutAt) {
      outputAtCut = k.platform.outputBytes.length;
      k.disk(id).dropWrites = true;
    }
  };
  k.exports.run(model.command);
  const seen = Buffer.from(k.platform.outputBytes.slice(0, outputAtCut < 0 ? undefined : outputAtCut)).toString("utf8");
  k.closeFiles();
  return { cut: outputAtCut >= 0, lines: stressLines(seen) };
}

describe("crash: power cuts during the stress workloads, recovered by SIS and judged by e2fsck", function () {
  this.timeout(600000);
  let work: string;
  let base: string;
  before(function () {
    base = crashBaseImage();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-crash-"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("the host model of the workloads predicts every line the kernel prints", async () => {
    for (const [scenario, count] of SCENARIOS) {
      const model = new WorkloadModel({ scenario, seed: 7, count });
      const image = path.join(work, `${scenario}-model.img`);
      fs.copyFileSync(base, image);
      const k = await Ext4Node.load();
      k.attach("vda", image);
      assert.equal(k.exports.mountAt("vda", "/", false), "");
      const r = k.sh(model.command);
      k.closeFiles();
      assert.equal(r.status, 0, r.out);
      assert.equal(model.checkAgainstOutput(stressLines(r.out), true), "", scenario);
    }
  });

  it("the checker fails a tree that lost an fsync'ed file, holds bytes never written, or skips an operation", async () => {
    const model = new WorkloadModel({ scenario: "truncate_operations", seed: 7, count: 4 });
    const image = path.join(work, "tamper.img");
    fs.copyFileSync(base, image);
    const k = await Ext4Node.load();
    k.attach("vda", image);
    assert.equal(k.exports.mountAt("vda", "/", false), "");
    assert.equal(k.sh(model.command).status, 0);
    k.exports.unmountAll();
    k.closeFiles();
    const clean = await recoverOnNode(image, model, model.syncCount);
    assert.ok(clean.ok, clean.problems.join("\n"));
    // overwrite the file the last promise is about: its content was never written
    const k2 = await Ext4Node.load();
    k2.attach("vda", image);
    assert.equal(k2.exports.mountAt("vda", "/", false), "");
    assert.equal(k2.sh("write /stress/truncate_operations-7/trunc-3 tampered").status, 0);
    assert.equal(k2.sh("mkdir /stress/intruder").status, 0);
    k2.exports.unmountAll();
    k2.closeFiles();
    const bad = await recoverOnNode(image, model, model.syncCount);
    assert.ok(!bad.ok);
    assert.ok(bad.problems.some((p) => p.startsWith("promise broken: stress durable /stress/truncate_operations-7/trunc-3")), bad.problems.join("\n"));
    assert.ok(bad.problems.some((p) => p.startsWith("never written: /stress/truncate_operations-7/trunc-3")), bad.problems.join("\n"));
    assert.ok(bad.problems.some((p) => p.startsWith("never written: /stress/intruder")), bad.problems.join("\n"));
    assert.ok(bad.problems.some((p) => p.startsWith("order: ")), bad.problems.join("\n"));
  });

  // Regression (found by the crash-state enumeration): truncating to the middle of a block
  // zeroed the rest of that block in place, before the truncation committed; a cut between
  // the two left the old size with zeros in fsync'ed bytes. Also: a block the journal logged
  // must not be overwritten in place afterwards (replay would put the old copy back).
  for (const [scenario, count] of [["truncate_operations", 4], ["write_during_data_write", 3]] as [Scenario, number][]) {
    it(`${scenario}: a cut at every flush point`, async () => {
      const model = new WorkloadModel({ scenario, seed: 11, count });
      for (let cutAt = 1; ; cutAt++) {
        const image = path.join(work, `${scenario}-every.img`);
        const { cut, lines } = await runWithCut(base, image, model, cutAt);
        if (!cut) break; // fewer flushes than cutAt: every point was tried
        const syncsDone = lines.filter((l) => l.startsWith("stress synced ")).length;
        const v = await recoverOnNode(image, model, syncsDone);
        assert.ok(v.ok, `cut at flush ${cutAt} (after sync ${syncsDone}):\n${v.problems.join("\n")}`);
      }
    });
  }

  it("bytes appended into a block the journal logged survive a replay of the older copy", async () => {
    // truncate to mid-block (the zeroed block is journaled), fsync; append into that block,
    // fsync; power cut before any checkpoint: replay must not bring back the truncate's copy
    const image = path.join(work, "append-after-truncate.img");
    fs.copyFileSync(base, image);
    const k = await Ext4Node.load();
    const id = k.attach("vda", image);
    assert.equal(k.exports.mountAt("vda", "/", false), "");
    assert.equal(Number(k.exports.putPattern("/f", 0n, 10000, 5, true)), 10000);
    assert.equal(k.sh("sync /f").status, 0);
    assert.equal(k.sh("truncate -s 5000 /f").status, 0);
    assert.equal(k.sh("sync /f").status, 0);
    assert.equal(Number(k.exports.putPattern("/f", 5000n, 2000, 6, false)), 2000);
    assert.equal(k.sh("sync /f").status, 0);
    assert.match(k.sh("fsctl journal").out, /tail at block/, "the log still holds the transactions");
    k.disk(id).dropWrites = true; // the power goes: nothing more reaches the disk
    k.closeFiles();
    const want = Buffer.concat([seededBytes(5, 10000).subarray(0, 5000), seededBytes(6, 2000)]);
    const r = await Ext4Node.load();
    r.attach("vda", image);
    const m = r.sh("mount vda /");
    assert.match(m.out, /journal: replayed [1-9]/, m.out);
    assert.equal(r.fileSha256("/f"), createHash("sha256").update(want).digest("hex"));
    assert.equal(r.sh("fsctl verify").status, 0);
    r.exports.unmountAll();
    r.closeFiles();
  });

  for (const [scenario, count] of SCENARIOS) {
    it(`${scenario}: ${CUTS} cuts at seeded flush points`, async () => {
      const model = new WorkloadModel({ scenario, seed: 7, count });
      // a run without a cut counts the flushes
      const full = path.join(work, `${scenario}-full.img`);
      fs.copyFileSync(base, full);
      const k0 = await Ext4Node.load();
      const id0 = k0.attach("vda", full);
      assert.equal(k0.exports.mountAt("vda", "/", false), "");
      let flushes = 0;
      k0.disk(id0).onFlush = () => { flushes++; };
      const whole = k0.sh(model.command);
      assert.equal(whole.status, 0, whole.out);
      k0.closeFiles();
      assert.ok(flushes > 2, `${flushes} flushes`);
      let x = 12345 + scenario.length;
      for (let c = 0; c < CUTS; c++) {
        x = (x * 1103515245 + 12345) >>> 0;
        const cutAt = 1 + (x % flushes);
        const image = path.join(work, `${scenario}-${c}.img`);
        const { lines } = await runWithCut(base, image, model, cutAt);
        assert.equal(model.checkAgainstOutput(lines, false), "");
        const syncsDone = lines.filter((l) => l.startsWith("stress synced ")).length;
        const v = await recoverOnNode(image, model, syncsDone);
        assert.ok(v.ok, `cut ${cutAt}/${flushes} (after sync ${syncsDone}):\n${v.problems.join("\n")}`);
        fs.rmSync(image);
      }
    });
  }
});
