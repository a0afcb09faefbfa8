// ext4 writes at the edges: htree directories that grow (leaf splits, index splits, a new
// index level), a full disk, no free inodes, a file unlinked while open (orphan), a big file
// whose extent tree grows and shrinks. Each ends with e2fsck -fn on the image.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ext4Node } from "../../host/ext4-node.ts";
import { ensureTestImages, imagePath } from "../../../images/test-images.ts";

function fsck(image: string): void {
  const r = spawnSync("e2fsck", ["-fn", image], { encoding: "utf8" });
  assert.equal(r.status, 0, `e2fsck -fn:\n${r.stdout}${r.stderr}`);
}

describe("ext4 write: edge cases judged by e2fsck", function () {
  this.timeout(300000);
  let work: string;
  before(function () {
    this.timeout(600000);
    ensureTestImages();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-ext4-edge-"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  async function mounted(base: string): Promise<{ k: Ext4Node; image: string }> {
    const image = path.join(work, `${base}-${Date.now()}.img`);
    fs.copyFileSync(imagePath(base), image);
    const k = await Ext4Node.load();
    k.attach("vda", image);
    assert.equal(k.exports.mountAt("vda", "/", false), "");
    return { k, image };
  }

  function done(k: Ext4Node, image: string): void {
    assert.equal(k.exports.unmountAll(), 0);
    k.closeFiles();
    fsck(image);
  }

  it("an htree directory grows by 6,000 names (leaf and index splits, a second level) and shrinks", async () => {
    const { k, image } = await mounted("small-1k");
    const before = execFileSync("debugfs", ["-R", "htree /dir", image], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    assert.match(before, /Indirect levels: 0/);
    for (let i = 0; i < 6000; i++) {
      const r = k.sh(`ln /files/a.bin /dir/link-with-a-longer-name-${i}`);
      assert.equal(r.status, 0, r.out);
    }
    for (const i of [0, 1, 2999, 5999]) assert.match(k.exports.statLine(`/dir/link-with-a-longer-name-${i}`), /^100000 /);
    for (let i = 0; i < 300; i++) assert.match(k.exports.statLine(`/dir/name-${i}`), /^100000 /, `name-${i}`);
    assert.equal(k.exports.listNames("/dir").split("\n").length, 6302);
    assert.equal(k.sh("fsctl verify").status, 0);
    done(k, image);
    const after = execFileSync("debugfs", ["-R", "htree /dir", image], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    assert.match(after, /Indirect levels: 1/, "the index grew a level");
    // and back down: remove most names again
    const k2 = await Ext4Node.load();
    k2.attach("vda", image);
    assert.equal(k2.exports.mountAt("vda", "/", false), "");
    for (let i = 0; i < 6000; i += 1) if (i % 7 !== 0) assert.equal(k2.sh(`rm /dir/link-with-a-longer-name-${i}`).status, 0);
    assert.match(k2.exports.statLine("/files/a.bin"), /^100000 644 3000 860 /, "2 links + the 858 kept");
    assert.equal(k2.sh("fsctl verify").status, 0);
    done(k2, image);
  });

  it("a full disk gives 'no space left on device' and no damage; freeing space makes it usable again", async () => {
    const { k, image } = await mounted("small-4k");
    let i = 0;
    let last = { status: 0, out: "" };
    for (; i < 100; i++) {
      const n = Number(k.exports.putPattern(`/fill-${i}`, 0n, 256 * 1024, i + 1, true));
      if (n < 256 * 1024) {
        last = k.sh(`cp /files/b.bin /more`);
        break;
      }
    }
    assert.ok(i < 100, "the disk filled up");
    assert.equal(last.status, 1);
    assert.match(last.out, /^error: cp: \/more: no space left on device\n$/);
    assert.equal(k.sh("mkdir /newdir").out, "error: mkdir: /newdir: no space left on device\n");
    const v = k.sh("fsctl verify");
    assert.equal(v.status, 0, v.out);
    assert.equal(k.sh("rm /fill-0 /fill-1").status, 0);
    assert.equal(k.sh("cp /files/b.bin /copy").status, 0);
    assert.equal(k.fileSha256("/copy"), k.fileSha256("/files/b.bin"));
    done(k, image);
  });

  it("no free inodes gives a clear error and no damage", async () => {
    const { k, image } = await mounted("small-1k");
    let failure = "";
    for (let i = 0; i < 2000 && !failure; i++) {
      const r = k.sh(`touch /t${i}`);
      if (r.status !== 0) failure = r.out;
    }
    assert.match(failure, /^error: touch: \/t\d+: no space left on device\n$/);
    assert.match(k.sh("df /").out, / 1024\/1024 /);
    assert.equal(k.sh("fsctl verify").status, 0);
    done(k, image);
  });

  it("a file unlinked while open stays readable, is an orphan, and is freed at the last close", async () => {
    const { k, image } = await mounted("small-4k");
    const want = k.fileSha256("/files/b.bin");
    assert.equal(k.sh("cp /files/b.bin /victim").status, 0);
    const freeBefore = Number(k.exports.freeBytes("/"));
    const fd = k.exports.openKeep("/victim");
    assert.ok(fd >= 0);
    assert.equal(k.sh("rm /victim").status, 0);
    assert.match(k.sh("cat /victim").out, /no such file or directory/);
    assert.equal(k.exports.handleSha256(fd), want, "still readable through the handle");
    assert.equal(Number(k.exports.freeBytes("/")), freeBefore, "blocks kept while open");
    assert.equal(k.sh("sync").status, 0);
    // on disk it is an orphan now: e2fsck on a copy would finish it
    const copy = image + ".orphan";
    fs.copyFileSync(image, copy);
    const dump = execFileSync("debugfs", ["-R", "stats", copy], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    assert.match(dump, /orphan_present/);
    fs.rmSync(copy);
    assert.equal(k.exports.closeKept(fd), 0);
    assert.ok(Number(k.exports.freeBytes("/")) > freeBefore, "freed at the last close");
    done(k, image);
  });

  it("the running transaction commits by itself after 5 seconds (the poller)", async () => {
    const { k, image } = await mounted("small-1k");
    k.platform.fixedCounter = 1_000_000_000n;
    assert.equal(k.sh("write /timed.txt commit me").status, 0);
    k.exports.pollOnce();
    assert.match(k.sh("fsctl journal").out, /running transaction: tid \d+, \d+ metadata blocks/);
    k.platform.fixedCounter += 62_500_000n * 6n; // 6 s later (62.5 MHz counter)
    k.exports.pollOnce();
    const j = k.sh("fsctl journal").out;
    assert.match(j, /running transaction: none/);
    // the mount's own transaction (the superblock, journaled since issue 23) and the timed one
    assert.match(j, /commits: 2 \(1 by the 5 s timer\)/);
    done(k, image);
  });

  it("a 40 MiB file written in 64 KiB pieces with holes, then truncated step by step", async () => {
    const { k, image } = await mounted("small-4k");
    // small-4k is 8 MiB: use a sparse pattern so that the extent tree gets many entries
    for (let i = 0; i < 600; i++) {
      const n = Number(k.exports.putPattern("/sparse", BigInt(i * 65536), 4096, i + 3, false));
      assert.equal(n, 4096);
    }
    assert.match(k.exports.statLine("/sparse"), new RegExp(`^100000 644 ${599 * 65536 + 4096} `));
    assert.equal(k.sh("sync").status, 0);
    const ex = execFileSync("debugfs", ["-R", "ex /sparse", image], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    assert.match(ex, /^ 1\/ 1 /m, "the extent tree has a second level");
    assert.equal(k.sh("fsctl verify").status, 0);
    for (const size of [30000000, 10000000, 65537, 4095, 0]) {
      assert.equal(k.sh(`truncate -s ${size} /sparse`).status, 0);
      assert.equal(k.sh("fsctl verify").status, 0, `after truncate to ${size}`);
    }
    done(k, image);
    const depth = execFileSync("debugfs", ["-R", "stat /sparse", image], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    assert.match(depth, /Size: 0/);
  });
});
