// A corrupt directory size must not make each operation walk it block by block: the ext4_image
// fuzzer found an image whose root directory claimed a size of ~7e18 bytes (capped to 4 GiB,
// 4 million 1 KiB blocks, all holes after the first) - every create scanned all 4 million, about
// a second each natively. Holes are now skipped a run at a time when adding names (linear
// directories), verifying and scanning the orphan file. Here a linear directory gets that size
// from debugfs and 120 names are added (the first block fills after ~60, so the rest each walk
// past the holes): the old code takes tens of seconds, the fixed code well under one.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ext4Node } from "../../host/ext4-node.ts";

describe("ext4: a directory whose size claims 4 GiB of holes", function () {
  this.timeout(300000);
  let work: string;
  before(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-holey-dir-"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("120 creates, a listing and fsctl verify finish in seconds, every name there", async () => {
    const tree = path.join(work, "tree");
    fs.mkdirSync(path.join(tree, "d"), { recursive: true });
    const image = path.join(work, "holey.img");
    execFileSync("mkfs.ext4", ["-q", "-F", "-b", "1024", "-O", "^dir_index", "-d", tree, image, "4096"], { stdio: "ignore" });
    execFileSync("debugfs", ["-w", "-R", "sif /d size 4294967296", image], { stdio: "ignore" });
    assert.match(execFileSync("debugfs", ["-R", "stat /d", image], { stdio: ["ignore", "pipe", "ignore"] }).toString(), /Size: 4294967296/);

    const k = await Ext4Node.load();
    k.attach("vda", image);
    assert.equal(k.exports.mountAt("vda", "/", false), "");
    const names = Array.from({ length: 120 }, (_, i) => `/d/name-number-${String(i).padStart(3, "0")}`);
    const started = performance.now();
    for (let i = 0; i < names.length; i += 10) {
      const r = k.sh(`touch ${names.slice(i, i + 10).join(" ")}`);
      assert.equal(r.status, 0, r.out);
    }
    const listing = k.sh("ls /d").out;
    k.sh("fsctl verify");
    const ms = performance.now() - started;
    for (const n of names) assert.ok(listing.includes(path.basename(n)), `${n} missing from ls /d`);
    assert.ok(ms < 8000, `took ${ms.toFixed(0)} ms (the block-by-block walk takes tens of seconds)`);
    assert.equal(k.exports.unmountAll(), 0);
    k.closeFiles();
  });
});
