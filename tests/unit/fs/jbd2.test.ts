// The jbd2 journal against e2fsprogs, both ways, plus torn transactions:
//   - transactions written by debugfs (jo/jw/jc: no checksums, csum v2, csum v3; revokes; an
//     uncommitted last transaction) are replayed by SIS exactly as `e2fsck -E journal_only`
//     replays them on a copy: the two images are compared block by block
//   - a journal SIS wrote and left unreplayed by a crash is replayed by `e2fsck -fy` to a
//     clean file system with every fsync'ed file intact, and by SIS itself just the same
//   - a transaction whose commit block never reached the disk is not replayed
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ext4Node } from "../../host/ext4-node.ts";
import { ensureTestImages, imagePath, seededBytes } from "../../../images/test-images.ts";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function debugfsScript(image: string, lines: string[]): string {
  return execFileSync("debugfs", ["-w", image, "-f", "-"], { input: lines.join("\n") + "\n", stdio: ["pipe", "pipe", "pipe"] }).toString();
}

function fsckStatus(image: string, args: string[]): { status: number; out: string } {
  const r = spawnSync("e2fsck", [...args, image], { encoding: "utf8" });
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

/** Blocks (of `bs` bytes) that differ between two images. */
function differingBlocks(a: Buffer, b: Buffer, bs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i * bs < a.length; i++) {
    if (!a.subarray(i * bs, (i + 1) * bs).equals(b.subarray(i * bs, (i + 1) * bs))) out.push(i);
  }
  return out;
}

describe("jbd2: journal interoperability with e2fsprogs", function () {
  this.timeout(300000);
  let work: string;
  before(function () {
    this.timeout(600000);
    ensureTestImages();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-jbd2-"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  for (const variant of [{ name: "no checksums", jo: "jo" }, { name: "csum v2", jo: "jo -c -v 2" }, { name: "csum v3", jo: "jo -c" }]) {
    it(`replays debugfs transactions (${variant.name}, revokes, an uncommitted tail) exactly as e2fsck does`, async () => {
      const base = path.join(work, "debugfs.img");
      fs.copyFileSync(imagePath("small-4k"), base);
      const file = (name: string, bytes: Buffer) => {
        const f = path.join(work, name);
        fs.writeFileSync(f, bytes);
        return f;
      };
      const two = file("two", seededBytes(501, 8192));
      const three = file("three", seededBytes(503, 4096));
      const four = file("four", seededBytes(504, 4096));
      // free blocks far from the metadata of an 8 MiB image
      const out = debugfsScript(base, [
        variant.jo,
        `jw -b 1500,1501 ${two}`, // tx 1: two blocks
        "jw -r 1500", // tx 2: 1500 revoked
        `jw -b 1503 ${three}`, // tx 3
        `jw -b 1504 -c ${four}`, // tx 4: never committed
        "jc",
      ]);
      assert.doesNotMatch(out, /error|failed/i, out);
      const theirs = path.join(work, "e2fsck.img");
      const ours = path.join(work, "sis.img");
      fs.copyFileSync(base, theirs);
      fs.copyFileSync(base, ours);
      const fsck = fsckStatus(theirs, ["-fy", "-E", "journal_only"]);
      assert.ok(fsck.status === 0 || fsck.status === 1, fsck.out);
      const k = await Ext4Node.load();
      k.attach("vda", ours);
      assert.equal(k.exports.mountAt("vda", "/", true), "");
      const journal = k.sh("fsctl journal").out;
      assert.match(journal, /replayed at mount: 3 transactions, 2 blocks, 1 revoked/);
      assert.equal(k.exports.unmountAll(), 0);
      k.closeFiles();
      const a = fs.readFileSync(ours);
      const b = fs.readFileSync(theirs);
      const diff = differingBlocks(a, b, 4096);
      // only the superblock block may differ: e2fsck clears needs_recovery and counts kbytes written
      assert.deepEqual(diff.filter((x) => x !== 0), [], `blocks differ: ${diff.join(", ")}`);
      assert.ok(!a.subarray(1500 * 4096, 1501 * 4096).equals(seededBytes(501, 8192).subarray(0, 4096)), "revoked block not replayed");
      assert.ok(a.subarray(1501 * 4096, 1502 * 4096).equals(seededBytes(501, 8192).subarray(4096)), "second block of tx 1 replayed");
      assert.ok(a.subarray(1503 * 4096, 1504 * 4096).equals(seededBytes(503, 4096)), "block of tx 3 replayed");
      assert.ok(!a.subarray(1504 * 4096, 1505 * 4096).equals(seededBytes(504, 4096)), "uncommitted tx 4 not replayed");
      if (diff.includes(0)) {
        // the superblocks differ only in the fields e2fsck's run changes
        const sa = Buffer.from(a.subarray(1024, 2048));
        const sb = Buffer.from(b.subarray(1024, 2048));
        for (const buf of [sa, sb]) {
          buf.writeUInt32LE(buf.readUInt32LE(0x60) & ~4, 0x60); // needs_recovery
          buf.fill(0, 0x178, 0x180); // s_kbytes_written
          buf.fill(0, 0x3fc, 0x400); // checksum
          buf.fill(0, 0x2c, 0x34); // mount and write times
          buf.fill(0, 0x40, 0x44); // last check
          buf.fill(0, 0x34, 0x36); // mount count
        }
        assert.ok(sa.equals(sb), "superblocks equal apart from recovery flag, counters and times");
      }
    });
  }

  async function crashAfterFsync(image: string, ops: (k: Ext4Node) => void): Promise<void> {
    const k = await Ext4Node.load();
    k.attach("vda", image);
    assert.equal(k.exports.mountAt("vda", "/", false), "");
    ops(k);
    // power cut: nothing more reaches the disk, no unmount
    for (const d of k.disks.values()) d.dropWrites = true;
    k.closeFiles();
  }

  const survivors = ["/a.txt", "/dir/b.bin", "/dir/sub/c.bin"];
  function sisWorkload(k: Ext4Node): void {
    assert.equal(k.sh("write /a.txt journaled and fsynced").status, 0);
    assert.equal(k.sh("mkdir -p /dir/sub").status, 0);
    assert.equal(Number(k.exports.putPattern("/dir/b.bin", 0n, 200000, 77, true)), 200000);
    assert.equal(Number(k.exports.putPattern("/dir/sub/c.bin", 0n, 5000, 78, true)), 5000);
    assert.equal(k.sh("rm /files/a.bin").status, 0);
    assert.equal(k.sh("mv /etc/motd /dir/motd").status, 0);
    assert.equal(k.sh("sync /dir/sub/c.bin").status, 0); // fsync: the transaction commits
    assert.match(k.sh("fsctl journal").out, /state: live, tail at block/);
  }

  for (const base of ["small-4k", "small-nocsum"]) it(`a journal SIS left unreplayed is replayed by e2fsck -fy to a clean file system (${base})`, async () => {
    const image = path.join(work, `crash-${base}.img`);
    fs.copyFileSync(imagePath(base), image);
    await crashAfterFsync(image, sisWorkload);
    const fixed = fsckStatus(image, ["-fy"]);
    assert.ok(fixed.status === 0 || fixed.status === 1, `e2fsck -fy exited ${fixed.status}:\n${fixed.out}`);
    assert.match(fixed.out, /recovering journal/);
    const check = fsckStatus(image, ["-fn"]);
    assert.equal(check.status, 0, check.out);
    const cat = (p: string) => execFileSync("debugfs", ["-R", `cat ${p}`, image], { stdio: ["ignore", "pipe", "ignore"] });
    assert.equal(cat("/a.txt").toString(), "journaled and fsynced\n");
    assert.equal(sha(cat("/dir/b.bin")), sha(seededBytes(77, 200000)));
    assert.equal(sha(cat("/dir/sub/c.bin")), sha(seededBytes(78, 5000)));
    assert.equal(cat("/dir/motd").toString(), "small image\n");
  });

  for (const base of ["small-1k", "small-nocsum"]) it(`SIS replays its own journal after a crash: files intact, verify and e2fsck clean (${base})`, async () => {
    const image = path.join(work, `crash2-${base}.img`);
    fs.copyFileSync(imagePath(base), image);
    await crashAfterFsync(image, sisWorkload);
    const k = await Ext4Node.load();
    k.attach("vda", image);
    const banner = k.exports.mountAt("vda", "/", false);
    assert.equal(banner, "");
    assert.match(k.sh("fsctl journal").out, /replayed at mount: [1-9]\d* transactions, [1-9]\d* blocks/);
    assert.equal(k.sh("cat /a.txt").out, "journaled and fsynced\n");
    assert.equal(k.fileSha256("/dir/b.bin"), sha(seededBytes(77, 200000)));
    assert.equal(k.fileSha256("/dir/sub/c.bin"), sha(seededBytes(78, 5000)));
    assert.match(k.sh("cat /files/a.bin").out, /no such file/);
    const v = k.sh("fsctl verify");
    assert.equal(v.status, 0, v.out);
    assert.equal(k.exports.unmountAll(), 0);
    k.closeFiles();
    const check = fsckStatus(image, ["-fn"]);
    assert.equal(check.status, 0, check.out);
  });

  it("a transaction whose commit block never reached the disk is not replayed", async () => {
    const image = path.join(work, "torn.img");
    fs.copyFileSync(imagePath("small-4k"), image);
    const k = await Ext4Node.load();
    const id = k.attach("vda", image);
    assert.equal(k.exports.mountAt("vda", "/", false), "");
    assert.equal(k.sh("write /first.txt committed").status, 0);
    assert.equal(k.sh("sync /first.txt").status, 0);
    assert.equal(k.sh("write /second.txt torn").status, 0);
    // the power goes after the flush that precedes the commit block: the block never lands
    let flushes = 0;
    k.disk(id).onFlush = () => {
      if (++flushes === 1) k.disk(id).dropWrites = true;
    };
    assert.equal(k.sh("sync /second.txt").status, 0);
    k.closeFiles();
    const k2 = await Ext4Node.load();
    k2.attach("vda", image);
    assert.equal(k2.exports.mountAt("vda", "/", false), "");
    assert.equal(k2.sh("cat /first.txt").out, "committed\n");
    assert.match(k2.sh("cat /second.txt").out, /no such file or directory/);
    assert.equal(k2.sh("fsctl verify").status, 0);
    assert.equal(k2.exports.unmountAll(), 0);
    k2.closeFiles();
    assert.equal(fsckStatus(image, ["-fn"]).status, 0);
  });
});
