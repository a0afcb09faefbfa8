// Bugs a demanding user found (issue 24, part A): each test failed before its fix.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { Ext4Node } from "../../host/ext4-node.ts";
import { ensureTestImages, imagePath } from "../../../images/test-images.ts";

describe("cp onto the same file is refused, data kept (bug 2)", function () {
  this.timeout(120000);
  let k: Ext4Node;
  let work: string;
  before(async () => {
    ensureTestImages();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-user-bugs-"));
    const image = path.join(work, "cp.img");
    fs.copyFileSync(imagePath("small-4k"), image);
    k = await Ext4Node.load();
    k.bootMount();
    k.attach("vdb", image);
    assert.equal(k.exports.mountAt("vdb", "/mnt", false), "");
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  for (const dir of ["/tmp", "/mnt"]) {
    it(`${dir}: the same name, into its own directory, a hard link, a symlink`, () => {
      assert.equal(k.sh(`write ${dir}/a hello-a`).status, 0);
      const same = (r: { status: number; out: string }, x: string, y: string) => {
        assert.equal(r.status, 1);
        assert.equal(r.out, `error: cp: '${x}' and '${y}' are the same file\n`);
        assert.equal(k.sh(`cat ${dir}/a`).out, "hello-a\n", "data kept");
      };
      same(k.sh(`cp ${dir}/a ${dir}/a`), `${dir}/a`, `${dir}/a`);
      same(k.sh(`cp ${dir}/a ${dir}`), `${dir}/a`, `${dir}/a`);
      same(k.sh(`cp ${dir}/a ${dir}/`), `${dir}/a`, `${dir}/a`);
      assert.equal(k.sh(`ln ${dir}/a ${dir}/hard`).status, 0);
      same(k.sh(`cp ${dir}/a ${dir}/hard`), `${dir}/a`, `${dir}/hard`);
      same(k.sh(`cp ${dir}/hard ${dir}/a`), `${dir}/hard`, `${dir}/a`);
      assert.equal(k.sh(`ln -s ${dir}/a ${dir}/soft`).status, 0);
      same(k.sh(`cp ${dir}/soft ${dir}/a`), `${dir}/soft`, `${dir}/a`);
      // a different file with the same contents is copied as usual
      assert.equal(k.sh(`cp ${dir}/a ${dir}/b`).status, 0);
      assert.equal(k.sh(`cp ${dir}/a ${dir}/b`).status, 0);
      assert.equal(k.sh(`cat ${dir}/b`).out, "hello-a\n");
    });
  }
  it("the same inode number on two file systems is two files (compared by device and inode)", () => {
    assert.equal(k.sh("mkdir /m1 /m2").status, 0);
    assert.equal(k.sh("mount -t tmpfs tmpfs /m1").status, 0);
    assert.equal(k.sh("mount -t tmpfs tmpfs /m2").status, 0);
    assert.equal(k.sh("write /m1/x one").status, 0);
    assert.equal(k.sh("write /m2/x two").status, 0);
    assert.equal(k.sh("stat /m1/x").out.match(/Inode: (\d+)/)![1], k.sh("stat /m2/x").out.match(/Inode: (\d+)/)![1]);
    const r = k.sh("cp /m1/x /m2/x");
    assert.equal(r.status, 0, r.out);
    assert.equal(k.sh("cat /m2/x").out, "one\n");
  });
  it("e2fsck is clean afterwards", () => {
    assert.equal(k.sh("umount /mnt").status, 0);
    execFileSync("e2fsck", ["-fn", path.join(work, "cp.img")], { stdio: "pipe" });
  });
});

describe("hexdump of a directory: the error and nothing else (bug 7)", function () {
  this.timeout(60000);
  it("no stray 00000000 line", async () => {
    const k = await Ext4Node.load();
    k.bootMount();
    const r = k.sh("hexdump /tmp");
    assert.equal(r.status, 1);
    assert.equal(r.out, "error: hexdump: /tmp: is a directory\n");
    assert.equal(k.sh("write /tmp/f abc").status, 0);
    assert.match(k.sh("hexdump /tmp/f").out, /^00000000  61 62 63 0a .*\n00000004\n$/);
  });
});

describe("bench fs write removes its partial file when the disk fills (bug 8)", function () {
  this.timeout(120000);
  it("on a full tmpfs and a full ext4 disk", async () => {
    ensureTestImages();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-bench-full-"));
    try {
      const image = path.join(work, "full.img");
      fs.copyFileSync(imagePath("small-4k"), image);
      const k = await Ext4Node.load();
      k.bootMount();
      k.attach("vdb", image);
      assert.equal(k.exports.mountAt("vdb", "/mnt", false), "");
      for (const dir of ["/tmp", "/mnt"]) {
        const free = k.exports.freeBytes(dir);
        const mib = Math.ceil(Number(free) / (1 << 20)) + 2;
        const r = k.sh(`bench fs write ${dir}/big --mib ${mib} --repeat 1`);
        assert.equal(r.status, 1, r.out);
        assert.match(r.out, /^error: bench fs write: .*\/big: (no space left on device|out of memory)\n$/);
        assert.equal(k.sh(`stat ${dir}/big`).status, 1, "the partial file is gone");
        assert.equal(k.exports.freeBytes(dir), free, `${dir}: all the space is back`);
      }
      assert.equal(k.sh("umount /mnt").status, 0);
      execFileSync("e2fsck", ["-fn", image], { stdio: "pipe" });
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("failed removals on a corrupt disk change nothing (bug 6)", function () {
  this.timeout(180000);
  it("rm of a file whose extent points past the end, rm -r of a directory of size 0", async () => {
    ensureTestImages();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-corrupt-rm-"));
    try {
      const image = path.join(work, "corrupt.img");
      fs.copyFileSync(imagePath("small-4k"), image);
      const fsck = () => {
        try {
          return execFileSync("e2fsck", ["-fn", image], { stdio: "pipe" }).toString();
        } catch (e: any) {
          return e.stdout.toString();
        }
      };
      let k = await Ext4Node.load();
      k.attach("vda", image);
      assert.equal(k.exports.mountAt("vda", "/", false), "");
      for (const line of ["write /victim hello", "mkdir /d", "write /d/child x"]) assert.equal(k.sh(line).status, 0, line);
      assert.equal(k.exports.unmountAll(), 0);
      // the damage: the file's first extent starts past the end of the disk; the directory's size is 0
      execFileSync("debugfs", ["-w", "-R", "sif /victim block[5] 0x7ffffff0", image], { stdio: "pipe" });
      execFileSync("debugfs", ["-w", "-R", "sif /d size 0", image], { stdio: "pipe" });
      const damage = fsck();
      assert.match(damage, /victim|block|size/i, "e2fsck sees the damage");

      k = await Ext4Node.load();
      k.attach("vda", image);
      assert.equal(k.exports.mountAt("vda", "/", false), "");
      const verify = () => k.sh("fsctl verify /").out.replace(/[\d.]+ ms/, "").split("\n").slice(1).join("\n");
      const verifiedBefore = verify();
      assert.match(verifiedBefore, /inode \d+: block 2147483632 beyond the end of the file system/);
      let r = k.sh("rm /victim");
      assert.equal(r.status, 1);
      assert.match(r.out, /^error: rm: \/victim: structure needs cleaning/);
      assert.equal(k.sh("stat /victim").status, 0, "the name is still there");
      r = k.sh("rm -r /d");
      assert.equal(r.status, 1);
      assert.match(r.out, /structure needs cleaning/);
      assert.equal(k.sh("stat /d").status, 0, "the directory is still there");
      assert.equal(verify(), verifiedBefore, "fsctl verify: the same damage, nothing more");
      assert.equal(k.exports.unmountAll(), 0);
      assert.equal(fsck().replace(/\n.*files,.*blocks\n?$/, ""), damage.replace(/\n.*files,.*blocks\n?$/, ""),
        "e2fsck finds exactly the damage made before");
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("rough edges a user noticed (issue 24)", function () {
  this.timeout(120000);
  let k: Ext4Node;
  before(async () => {
    k = await Ext4Node.load();
    k.bootMount();
  });

  it("truncate -s takes size suffixes; 2^64-1 is a number (too large a file), not 'not a number'", () => {
    for (const [size, bytes] of [["8M", 8 << 20], ["4KiB", 4096], ["1K", 1024], ["2KB", 2000], ["0x10", 16]] as const) {
      assert.equal(k.sh(`truncate -s ${size} /tmp/t`).status, 0, size);
      assert.match(k.sh("stat /tmp/t").out, new RegExp(`Size: ${bytes}\\b`), size);
    }
    assert.match(k.sh("truncate -s 18446744073709551615 /tmp/t").out, /^error: truncate: \/tmp\/t: file too large/);
    assert.match(k.sh("truncate -s 18446744073709551616 /tmp/t").out, /SIZE must be a number/);
    assert.match(k.sh("truncate -s 8X /tmp/t").out, /SIZE must be a number/);
  });
  it("a negative number is an argument, not an unknown option", () => {
    const r = k.sh("hexdump -n -5 /tmp/t");
    assert.doesNotMatch(r.out, /unknown option/);
    assert.equal(r.status, 1);
  });
  it("write and append need TEXT", () => {
    assert.match(k.sh("write /tmp/w").out, /^error: usage: write \[-n\] PATH TEXT/);
    assert.match(k.sh("append /tmp/w").out, /^error: usage: append \[-n\] PATH TEXT/);
    assert.equal(k.sh("stat /tmp/w").status, 1, "nothing written");
  });
  it("ln of a missing source blames the source; mv onto itself is a no-op; umount of a directory says not mounted", () => {
    assert.equal(k.sh("ln /nonexist /tmp/zz").out, "error: ln: /nonexist: no such file or directory\n");
    assert.equal(k.sh("write /tmp/a data").status, 0);
    assert.deepEqual(k.sh("mv /tmp/a /tmp/a"), { status: 0, out: "" });
    assert.equal(k.sh("mkdir /tmp/dd").status, 0);
    assert.deepEqual(k.sh("mv /tmp/dd /tmp/dd"), { status: 0, out: "" });
    assert.equal(k.sh("cat /tmp/a").out, "data\n");
    assert.equal(k.sh("umount /tmp").out, "error: umount: /tmp: not mounted\n");
  });
  it("fsctl stress --dir / prints no // paths", () => {
    const r = k.sh("fsctl stress directory_operations --dir / --count 3");
    assert.doesNotMatch(r.out, /\/\//, r.out);
  });
});

describe("damaged and unsupported disks say what is wrong (issue 24)", function () {
  this.timeout(120000);
  let work: string;
  before(() => {
    ensureTestImages();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-rough-disks-"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("rm -r on a directory hard-link cycle names the cycle", async () => {
    const image = path.join(work, "cycle.img");
    fs.copyFileSync(imagePath("small-4k"), image);
    execFileSync("debugfs", ["-w", "-R", "mkdir /d", image], { stdio: "pipe" });
    execFileSync("debugfs", ["-w", "-R", "link /d /d/loop", image], { stdio: "pipe" });
    const k = await Ext4Node.load();
    k.attach("vda", image);
    assert.equal(k.exports.mountAt("vda", "/", false), "");
    const r = k.sh("rm -r /d");
    assert.equal(r.status, 1);
    assert.equal(r.out, "error: rm: /d/loop: directory cycle (a hard link to a directory above it): the file system needs checking\n");
    assert.equal(k.sh("stat /d").status, 0);
  });
  it("a bigalloc disk is refused naming the feature", async () => {
    const image = path.join(work, "bigalloc.img");
    execFileSync("mkfs.ext4", ["-q", "-F", "-O", "bigalloc", "-C", "16384", image, "32M"], { stdio: "pipe" });
    const k = await Ext4Node.load();
    k.attach("vdb", image);
    assert.match(k.exports.mountAt("vdb", "/mnt", false), /bigalloc feature \(clusters of 16 blocks\) is not supported/);
  });
});
