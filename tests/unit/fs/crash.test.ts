// Power cuts at flush points of the `fsctl stress` workloads (the Node side of the crash
// harness of issue 7, in miniature): the disk keeps exactly what was written before the cut
// (later writes are dropped); SIS then mounts it (replaying its journal) and must find every
// promise printed before the cut kept: files it reported durable (and not rewritten later)
// with their exact contents, appended prefixes, removed paths gone; `fsctl verify` and
// `e2fsck -fn` clean.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ext4Node } from "../../host/ext4-node.ts";
import { ensureTestImages, imagePath } from "../../../images/test-images.ts";

const SCENARIOS: [string, number][] = [
  ["write_during_allocation", 40], ["write_during_inode_create", 60], ["write_during_journal_commit", 2],
  ["write_during_data_write", 12], ["concurrent_writes", 3], ["directory_operations", 5], ["truncate_operations", 8],
];
const CUTS = Number(process.env.FS_CRASH_CUTS ?? 6);

interface Line { kind: string; path: string; size: number; sha: string; at: number }

function parse(out: string): Line[] {
  const lines: Line[] = [];
  let at = 0;
  for (const l of out.split("\n")) {
    const m = l.match(/^stress (durable|prefix|absent) (\S+)(?: (\d+) ([0-9a-f]{64}))?/);
    if (m) lines.push({ kind: m[1], path: m[2], size: Number(m[3] ?? 0), sha: m[4] ?? "", at });
    at += l.length + 1;
  }
  return lines;
}

describe("crash: power cuts during the stress workloads, recovered by SIS and judged by e2fsck", function () {
  this.timeout(600000);
  let work: string;
  before(function () {
    this.timeout(600000);
    ensureTestImages();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-crash-"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  for (const [scenario, count] of SCENARIOS) {
    it(`${scenario}: ${CUTS} cuts at seeded flush points`, async () => {
      const command = `fsctl stress ${scenario} --seed 7 --count ${count}`;
      // a run without a cut counts the flushes
      const full = path.join(work, `${scenario}-full.img`);
      fs.copyFileSync(imagePath("small-4k"), full);
      const k0 = await Ext4Node.load();
      const id0 = k0.attach("vda", full);
      assert.equal(k0.exports.mountAt("vda", "/", false), "");
      let flushes = 0;
      k0.disk(id0).onFlush = () => { flushes++; };
      const whole = k0.sh(command);
      assert.equal(whole.status, 0, whole.out);
      k0.closeFiles();
      assert.ok(flushes > 2, `${flushes} flushes`);
      let x = 12345 + scenario.length;
      for (let c = 0; c < CUTS; c++) {
        x = (x * 1103515245 + 12345) >>> 0;
        const cutAt = 1 + (x % flushes);
        const image = path.join(work, `${scenario}-${c}.img`);
        fs.copyFileSync(imagePath("small-4k"), image);
        const k = await Ext4Node.load();
        const id = k.attach("vda", image);
        assert.equal(k.exports.mountAt("vda", "/", false), "");
        let n = 0;
        let outputAtCut = -1;
        k.platform.takeOutput();
        k.disk(id).onFlush = () => {
          if (++n === cutAt) {
            // the flush completes; nothing written after it lands, nothing printed after it is seen
            outputAtCut = k.platform.outputBytes.length;
            k.disk(id).dropWrites = true;
          }
        };
        k.exports.run(command);
        const out = Buffer.from(k.platform.outputBytes).toString("utf8").replace(/\r\n/g, "\n");
        const seen = Buffer.from(k.platform.outputBytes.slice(0, outputAtCut < 0 ? undefined : outputAtCut)).toString("utf8").replace(/\r\n/g, "\n");
        k.closeFiles();
        const all = parse(out);
        const promised = parse(seen);
        // recovery
        const r = await Ext4Node.load();
        r.attach("vda", image);
        const mountError = r.exports.mountAt("vda", "/", false);
        assert.equal(mountError, "", `cut ${cutAt}/${flushes}: mount after the cut: ${mountError}`);
        for (const line of promised) {
          const later = all.filter((l) => l.path === line.path && l.at > line.at);
          if (line.kind === "durable") {
            if (later.length > 0) continue; // rewritten afterwards: only fsync'ed versions are promised
            assert.equal(r.fileSha256(line.path), line.sha, `cut ${cutAt}/${flushes}: ${line.path} should hold ${line.size} fsync'ed bytes`);
          } else if (line.kind === "prefix") {
            assert.equal(r.exports.prefixSha256(line.path, BigInt(line.size)), line.sha, `cut ${cutAt}/${flushes}: first ${line.size} bytes of ${line.path}`);
          } else {
            assert.match(r.exports.statLine(line.path), /no such file or directory/, `cut ${cutAt}/${flushes}: ${line.path} was removed`);
          }
        }
        const v = r.sh("fsctl verify");
        assert.equal(v.status, 0, `cut ${cutAt}/${flushes}: ${v.out}`);
        assert.equal(r.exports.unmountAll(), 0);
        r.closeFiles();
        const fsck = spawnSync("e2fsck", ["-fn", image], { encoding: "utf8" });
        assert.equal(fsck.status, 0, `cut ${cutAt}/${flushes}: e2fsck -fn:\n${fsck.stdout}`);
        fs.rmSync(image);
      }
    });
  }
});
