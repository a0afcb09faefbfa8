// Every crash state of the stress workloads on Node, with a volatile write cache and torn
// multi-sector writes (tests/crash/node-enumerate.ts): the judge that the file-system mutants
// (tests/unit/fs/mutate.ts) must fail. Each flush interval gives a "flush" state (nothing of
// the interval durable), sampled "subset" states and "torn" states, all judged against every
// promise printed before the interval's closing flush; plus the "end" state.
//
//   FS_STATES_SUBSETS=N FS_STATES_TORN=N   samples per interval (default 1 and 1)
//   FS_STATES_STOP=1                       stop a scenario at its first failing state
import assert from "node:assert/strict";
import { WorkloadModel, Scenario } from "../../crash/model.ts";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { enumerateOnNode, recordRun, scriptedStates, NodeEvent, NodeStateOutcome } from "../../crash/node-enumerate.ts";
import type { Ext4Node } from "../../host/ext4-node.ts";
import { seededBytes } from "../../../images/test-images.ts";
import { recoverOnNode } from "../../crash/node-check.ts";
import { crashBaseImage } from "../../crash/image.ts";

// small counts: every state of each run is judged (mount, replay, promises, verify, e2fsck)
export const STATE_SCENARIOS: [Scenario, number][] = [
  ["write_during_allocation", 12], ["write_during_inode_create", 16], ["write_during_journal_commit", 2],
  ["write_during_data_write", 4], ["concurrent_writes", 2], ["directory_operations", 3], ["truncate_operations", 4],
];
const SUBSETS = Number(process.env.FS_STATES_SUBSETS ?? 1);
const TORN = Number(process.env.FS_STATES_TORN ?? 1);
const STOP = process.env.FS_STATES_STOP === "1";

/** The check behind a problem line: "promise broken", "fsctl verify", "e2fsck -fn", "mount failed"... */
export const checkOf = (problem: string) => problem.split(":")[0];

/** "promise broken: 3 (flush 2, torn 1), e.g. flush@12 (2 syncs): ...; fsctl verify: ..." */
function byCheck(failed: NodeStateOutcome[]): string {
  const groups = new Map<string, NodeStateOutcome[]>();
  for (const o of failed) {
    for (const c of new Set(o.problems.map(checkOf))) groups.set(c, [...(groups.get(c) ?? []), o]);
  }
  return [...groups].map(([c, os]) => {
    const kinds = [...new Set(os.map((o) => o.kind))].map((k) => `${k} ${os.filter((o) => o.kind === k).length}`).join(", ");
    const first = os[0];
    const example = first.problems.find((p) => checkOf(p) === c)!.slice(c.length + 2, c.length + 140);
    return `${c}: ${os.length} (${kinds}), e.g. ${first.name} (${first.syncsDone} syncs): ${example}`;
  }).join("; ");
}

describe("crash states on Node: volatile write cache, dropped and torn writes, strict sync credit", function () {
  this.timeout(900000);
  for (const [scenario, count] of STATE_SCENARIOS) {
    it(`${scenario}: every flush interval, its subsets and torn writes`, async () => {
      const model = new WorkloadModel({ scenario, seed: 7, count });
      const r = await enumerateOnNode({ model, subsetsPerInterval: SUBSETS, tornPerInterval: TORN, maxSubsets: 400, maxTorn: 400,
        seed: 23, stopAtFirstFailure: STOP });
      const kinds: NodeStateOutcome["kind"][] = ["flush", "subset", "torn", "end"];
      const summary = kinds.map((k) => {
        const of = r.outcomes.filter((o) => o.kind === k);
        return `${k} ${of.length - of.filter((o) => !o.ok).length}/${of.length}`;
      }).join(", ");
      console.log(`      ${scenario}: ${r.writes} writes, ${r.run.flushes.length} flushes, ${r.run.syncs} syncs; ok states: ${summary} (${(r.wallMs / 1000).toFixed(1)} s)`);
      assert.ok(r.run.syncs > 0 && r.run.flushes.length > 2, `${r.run.syncs} syncs, ${r.run.flushes.length} flushes`);
      const failed = r.outcomes.filter((o) => !o.ok);
      assert.equal(failed.length, 0, `${failed.length} of ${r.outcomes.length} states failed: ${byCheck(failed)}`);
    });
  }

  // Every in-place write of the superblock (mount, checkpoint, unmount) goes through the
  // journal first; a tear between its two sectors (fields in one, checksum in the other) fails
  // the checksum, and the mount replays the journal before it refuses the superblock.
  it("a superblock write torn at its sector boundary is repaired by the journal replay", async () => {
    const model = new WorkloadModel({ scenario: "write_during_journal_commit", seed: 7, count: 2 });
    const run = await recordRun(model, true); // mount, workload, unmount
    const homes = run.events.filter((e): e is NodeEvent & { kind: "write" } => e.kind === "write" && e.lba === 0 && e.data.length >= 4096);
    assert.ok(homes.length >= 3, `${homes.length} writes of the superblock's block (mount, checkpoint, unmount)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sis-torn-sb-"));
    let repaired = 0;
    try {
      for (const w of homes) {
        for (const sectors of [[0, 1, 2], [3, 4, 5, 6, 7]]) {
          const image = fs.readFileSync(crashBaseImage());
          for (const e of run.events) {
            if (e.index >= w.index) break;
            if (e.kind === "write") e.data.copy(image, e.lba * 512);
          }
          for (const s of sectors) w.data.copy(image, s * 512, s * 512, (s + 1) * 512);
          const file = path.join(dir, "state.img");
          fs.writeFileSync(file, image);
          const v = await recoverOnNode(file, model, w.syncsBefore);
          assert.ok(v.ok, `superblock write ${w.index} torn to sectors [${sectors}]: ${v.problems.join("; ")}`);
          if (/torn write .* repaired by the journal replay/.test(v.mount)) repaired++;
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(repaired > 0, "no torn superblock needed the replay: the test tore nothing");
  });

  // Block reuse, which the seeded workloads reach too rarely to judge: a directory's blocks
  // (metadata, in the log) freed and then reused as a file's data before any checkpoint.
  const fill = (k: Ext4Node, dir: string, n: number) => {
    assert.equal(k.sh(`mkdir ${dir}`).status, 0);
    for (let i = 0; i < n; i++) assert.equal(k.sh(`touch ${dir}/a-rather-long-name-to-fill-directory-blocks-${i}`).status, 0);
  };
  const empty = (k: Ext4Node, dir: string, n: number) => {
    for (let i = 0; i < n; i++) assert.equal(k.sh(`rm ${dir}/a-rather-long-name-to-fill-directory-blocks-${i}`).status, 0);
    assert.equal(k.sh(`rmdir ${dir}`).status, 0);
  };
  // the free space but `leave` blocks goes to a filler file: what is freed next must be reused
  const fillDisk = (k: Ext4Node, leave: number) => {
    const size = Number(k.exports.freeBytes("/")) - leave * 4096;
    for (let off = 0; off < size; off += 4 << 20) {
      const n = Math.min(4 << 20, size - off);
      assert.equal(Number(k.exports.putPattern("/filler", BigInt(off), n, 8, off === 0)), n);
    }
  };
  const putFile = (k: Ext4Node, p: string, seed: number, size: number) => {
    assert.equal(Number(k.exports.putPattern(p, 0n, size, seed, true)), size);
    assert.equal(k.sh(`sync ${p}`).status, 0);
    return seededBytes(seed, size);
  };
  const SCRIPTS: [string, (k: Ext4Node, promise: (p: string, b: Buffer | null) => void) => void][] = [
    ["directory blocks freed (revoked), reused as file data, no checkpoint", (k, promise) => {
      fill(k, "/d", 300);
      assert.equal(k.sh("sync /d").status, 0);
      fillDisk(k, 24);
      empty(k, "/d", 300);
      assert.equal(k.sh("sync /").status, 0); // commits the frees: the blocks are reusable
      promise("/f", putFile(k, "/f", 9, Number(k.exports.freeBytes("/")) - 4 * 4096));
    }],
    ["a checkpoint, then directory blocks freed and reused as file data", (k, promise) => {
      fill(k, "/d", 300);
      assert.equal(k.sh("sync").status, 0); // checkpoint: the log is empty, its tail moves
      fillDisk(k, 24);
      empty(k, "/d", 300);
      assert.equal(k.sh("sync /").status, 0);
      promise("/f", putFile(k, "/f", 10, Number(k.exports.freeBytes("/")) - 4 * 4096));
    }],
    ["a file's blocks freed and another file written in the same transaction", (k, promise) => {
      promise("/a", putFile(k, "/a", 11, 192 << 10));
      assert.equal(k.sh("rm /a").status, 0);
      const b = putFile(k, "/b", 12, 192 << 10); // the rm commits with it
      promise("/b", b);
      promise("/a", null);
    }],
  ];
  for (const [name, script] of SCRIPTS) {
    it(`scripted: ${name}`, async () => {
      const r = await scriptedStates(script, { subsetsPerInterval: SUBSETS, seed: 29 });
      const failed = r.outcomes.filter((o) => !o.ok);
      console.log(`      ${r.events} writes and flushes, ${r.promises} promises; ok states: ${r.outcomes.length - failed.length}/${r.outcomes.length}`);
      assert.equal(failed.length, 0, `${failed.length} of ${r.outcomes.length} states failed: ${byCheck(failed.map((o) => ({ ...o, syncsDone: o.promises, verdict: null as any })))}`);
    });
  }
});

