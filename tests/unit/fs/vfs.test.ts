// The VFS, the tmpfs root and the small libraries (crc32c, SHA-256, directory hashes, glob,
// dates) on Node, through the same kernel build the ext4 tests use.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { Ext4Node } from "../../host/ext4-node.ts";
import { ensureTestImages, imagePath } from "../../../images/test-images.ts";

describe("fs libraries", () => {
  let k: Ext4Node;
  before(async () => {
    k = await Ext4Node.load();
  });

  it("crc32c: the standard check value, and raw values chain", () => {
    assert.equal(k.exports.crc32cOf("123456789") >>> 0, 0xe3069283);
    assert.equal(k.exports.crc32cOf("") >>> 0, 0);
    const whole = k.exports.crc32cRawOf(0xffffffff, "hello, world: a longer string to cross 8-byte steps") >>> 0;
    const part = k.exports.crc32cRawOf(k.exports.crc32cRawOf(0xffffffff, "hello, world: a lon") >>> 0, "ger string to cross 8-byte steps") >>> 0;
    assert.equal(whole, part);
  });

  it("SHA-256 matches Node's for many lengths and chunkings", () => {
    for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 4097]) {
      const text = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(200).slice(0, len);
      const want = createHash("sha256").update(text).digest("hex");
      for (const chunk of [1, 7, 64, 100000]) assert.equal(k.exports.sha256Of(text, chunk), want, `len ${len} chunk ${chunk}`);
    }
  });

  it("directory hashes equal e2fsprogs' (debugfs dx_hash) for every version, signed and unsigned", function () {
    this.timeout(60000);
    ensureTestImages();
    const seedUuid = "01234567-89ab-cdef-0123-456789abcdef";
    const seedBytes = Buffer.from(seedUuid.replace(/-/g, ""), "hex");
    const seed = [0, 1, 2, 3].map((i) => seedBytes.readUInt32LE(i * 4));
    const names = ["a", "hello", "café", "日本語のファイル.txt", "x".repeat(255), "entry-01234.txt", "\u00ff\u0080"];
    for (const version of [0, 1, 2, 3, 4, 5]) {
      for (const name of names) {
        const out = execFileSync("debugfs", ["-R", `dx_hash -h ${version} -s ${seedUuid} ${name}`, imagePath("small-1k")],
          { stdio: ["ignore", "pipe", "ignore"] }).toString();
        const m = out.match(/is 0x([0-9a-f]+) \(minor 0x([0-9a-f]+)\)/)!;
        const latin1 = Buffer.from(name, "utf8").toString("latin1");
        const [major, minor] = k.exports.hashOf(version, latin1, seed[0], seed[1], seed[2], seed[3]).split(" ").map(Number);
        assert.equal(major, parseInt(m[1], 16), `version ${version} '${name}' major`);
        assert.equal(minor, parseInt(m[2], 16), `version ${version} '${name}' minor`);
      }
    }
  });

  it("glob patterns and dates", () => {
    assert.ok(k.exports.glob("*.txt", "a.txt"));
    assert.ok(!k.exports.glob("*.txt", "a.txd"));
    assert.ok(k.exports.glob("entry-0?[0-4]*", "entry-012.txt"));
    assert.ok(!k.exports.glob("entry-0?[!0-4]*", "entry-012.txt"));
    assert.equal(k.exports.timeString(0n), "1970-01-01 00:00:00");
    assert.equal(k.exports.timeString(1767225600n), "2026-01-01 00:00:00");
    assert.equal(k.exports.timeString(951782400n + 86399n), "2000-02-29 23:59:59");
  });
});

describe("VFS: tmpfs root, path resolution, mounts, current directory", function () {
  this.timeout(60000);
  let k: Ext4Node;
  before(async () => {
    ensureTestImages();
    k = await Ext4Node.load();
    const banner = k.bootMount();
    assert.match(banner, /disk: +no disk vda: root is a tmpfs in RAM \(16 MiB\)/);
    k.attach("vdb", imagePath("ext4-4k"), { readOnly: true });
  });

  it("the tmpfs root has /tmp and /mnt and is listed by mount and df", () => {
    assert.equal(k.sh("ls /").out, "mnt/\ntmp/\n");
    assert.equal(k.sh("mount").out, "tmpfs on / type tmpfs (rw)\n");
    assert.match(k.sh("df").out, /^tmpfs +tmpfs +16\.0 MiB +0 B +16\.0 MiB +0% +3\/\d+ +\/$/m);
  });

  it("mounts an ext4 disk on /mnt, and refuses a second mount of it", () => {
    const r = k.sh("mount vdb /mnt");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^mounted vdb on \/mnt: ext4, 4 KiB blocks, 160 MiB, read-only \(\d+ ms\)\n/);
    assert.match(k.sh("mount").out, /^vdb on \/mnt type ext4 \(ro\)$/m);
    assert.equal(k.sh("mount vdb /tmp").out, "error: mount: vdb is already mounted on /mnt\n");
    assert.equal(k.sh("mount vdz /tmp").out, "error: mount: no block device 'vdz'\n");
    assert.equal(k.sh("mount -t nfs x /tmp").out, "error: mount: unknown file system type 'nfs' (ext4, ext3, ext2, tmpfs)\n");
  });

  it("resolves //, ., .. (also across the mount point and at /)", () => {
    assert.equal(k.sh("cat //mnt///etc//hostname").out, "sis-test\n");
    assert.equal(k.sh("cat /mnt/./etc/../etc/./hostname").out, "sis-test\n");
    assert.equal(k.sh("cat /../../mnt/etc/hostname").out, "sis-test\n");
    assert.equal(k.sh("cd /mnt/etc").status, 0);
    assert.equal(k.sh("pwd").out, "/mnt/etc\n");
    assert.equal(k.sh("cd ../..").status, 0);
    assert.equal(k.sh("pwd").out, "/\n");
    assert.equal(k.sh("cd mnt").status, 0);
    assert.equal(k.sh("ls -a ..").out, "./\n../\nmnt/\ntmp/\n");
    assert.equal(k.sh("cd /").status, 0);
  });

  it("gives clear errors: missing, not a directory, name and path too long, symlink loops", () => {
    assert.equal(k.sh("cat /etc/nope").out, "error: cat: /etc/nope: no such file or directory\n");
    assert.equal(k.sh("cat /mnt/etc/motd/x").out, "error: cat: /mnt/etc/motd/x: not a directory\n");
    assert.equal(k.sh("ls /mnt/etc/motd/").out, "error: ls: /mnt/etc/motd/: not a directory\n");
    assert.equal(k.sh(`cat /mnt/${"n".repeat(256)}`).status, 1);
    assert.match(k.sh(`cat /mnt/${"n".repeat(256)}`).out, /: file name too long\n$/);
    assert.match(k.sh(`cat /mnt/long/${"n".repeat(255)}`).out, /^a 255-byte name\n$/);
    assert.match(k.sh(`cat /${"a/".repeat(2048)}`).out, /: file name too long\n$/);
    assert.match(k.sh("cat /mnt/links/loop-a").out, /: too many levels of symbolic links\n$/);
    assert.equal(k.sh("cd /mnt/etc/motd").out, "error: cd: /mnt/etc/motd: not a directory\n");
    assert.equal(k.sh("cat /mnt/etc").out, "error: cat: /mnt/etc: is a directory\n");
    assert.equal(k.sh("readlink /mnt/etc/motd").out, "error: readlink: /mnt/etc/motd: invalid argument\n");
    assert.equal(k.sh("cat").out, "error: usage: cat PATH...\n");
    assert.equal(k.sh("ls --bogus").out, "error: ls: unknown option --bogus\n");
  });

  it("symlink chains resolve (links/chain -> relative -> ../etc/motd)", () => {
    assert.equal(k.sh("cat /mnt/links/chain").out, "Welcome to the SIS file-system test image.\n");
  });

  it("a chain of 40 symbolic links resolves, 41 is too many (ELOOP)", () => {
    assert.equal(k.sh("write /tmp/target end of the chain").status, 0);
    assert.equal(k.sh("ln -s /tmp/target /tmp/l0").status, 0);
    for (let i = 1; i <= 40; i++) assert.equal(k.sh(`ln -s l${i - 1} /tmp/l${i}`).status, 0);
    assert.equal(k.sh("cat /tmp/l39").out, "end of the chain\n"); // 40 links followed
    assert.equal(k.sh("cat /tmp/l40").out, "error: cat: /tmp/l40: too many levels of symbolic links\n");
    assert.equal(k.sh("rm /tmp/l40 /tmp/target").status, 0);
    assert.equal(k.sh("cat /tmp/l0").out, "error: cat: /tmp/l0: no such file or directory\n");
  });

  it("tmpfs: write, append, cp, mv, ln, truncate, rm -r, and the errors of each", () => {
    assert.equal(k.sh("mkdir -p /tmp/x/y").status, 0);
    assert.equal(k.sh("write /tmp/x/y/a hello").status, 0);
    assert.equal(k.sh("append /tmp/x/y/a world").status, 0);
    assert.equal(k.sh("cat /tmp/x/y/a").out, "hello\nworld\n");
    assert.equal(k.sh("cp /tmp/x/y/a /tmp/x").status, 0);
    assert.equal(k.sh("mv /tmp/x/a /tmp/x/b").status, 0);
    assert.equal(k.sh("ln /tmp/x/b /tmp/x/c").status, 0);
    assert.match(k.sh("stat /tmp/x/c").out, /Links: 2/);
    assert.equal(k.sh("truncate -s 3 /tmp/x/b").status, 0);
    assert.equal(k.sh("cat /tmp/x/c").out, "hel");
    assert.equal(k.sh("rmdir /tmp/x").out, "error: rmdir: /tmp/x: directory not empty\n");
    assert.equal(k.sh("mkdir /tmp/x").out, "error: mkdir: /tmp/x: file exists\n");
    assert.equal(k.sh("mv /tmp/x /tmp/x/y/z").out, "error: mv: /tmp/x: invalid argument\n");
    assert.equal(k.sh("rm /tmp/x").out, "error: rm: /tmp/x: is a directory\n");
    assert.equal(k.sh("rm -r /tmp/x").status, 0);
    assert.equal(k.sh("ls /tmp").out, "l0\nl1\nl10\nl11\nl12\nl13\nl14\nl15\nl16\nl17\nl18\nl19\nl2\nl20\nl21\nl22\nl23\nl24\nl25\nl26\nl27\nl28\nl29\nl3\nl30\nl31\nl32\nl33\nl34\nl35\nl36\nl37\nl38\nl39\nl4\nl5\nl6\nl7\nl8\nl9\n");
    assert.equal(k.sh("write /mnt/nope x").out, "error: write: /mnt/nope: read-only file system\n");
  });

  it("rm -r refuses the root directory, however it is named, and removes nothing", () => {
    const before = k.sh("ls /tmp").out;
    const refusal = "error: rm: refusing to remove '/' recursively (--no-preserve-root overrides)\n";
    for (const p of ["/", "//", "/tmp/..", "/mnt/../."]) assert.equal(k.sh(`rm -r ${p}`).out, refusal, p);
    assert.equal(k.sh("cd /").status, 0);
    assert.equal(k.sh("rm -rf .").out, refusal);
    assert.equal(k.sh("ls /tmp").out, before);
    assert.match(k.sh("rm --help").out, /--no-preserve-root/);
  });

  it("umount is refused while the current directory is inside, then works", () => {
    assert.equal(k.sh("cd /mnt/files").status, 0);
    assert.equal(k.sh("umount /mnt").out, "error: umount: /mnt: device or resource busy\n");
    assert.equal(k.sh("umount /").out, "error: umount: /: device or resource busy\n");
    assert.equal(k.sh("cd /").status, 0);
    assert.equal(k.sh("umount /mnt").status, 0);
    assert.equal(k.sh("ls /mnt").out, "");
    assert.equal(k.sh("mount -r vdb /mnt").status, 0);
    assert.equal(k.sh("umount /mnt").status, 0);
  });

  it("every file command has help text", () => {
    for (const c of ["mount", "umount", "ls", "cd", "pwd", "cat", "hexdump", "sha256sum", "stat", "df", "find", "readlink",
      "write", "append", "cp", "mv", "rm", "mkdir", "rmdir", "ln", "truncate", "touch", "chmod", "sync", "fsctl"]) {
      const r = k.sh(`${c} --help`);
      assert.equal(r.status, 0);
      assert.ok(r.out.startsWith(c), `${c}: ${r.out}`);
    }
  });
});
