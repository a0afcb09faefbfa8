// File systems on the real image in QEMU: the tmpfs root without a disk, the ext4 system disk
// at "/" (vda), and a sample of the e2fsprogs test image (vdb) read and hashed in the guest.
//
// The ext4 suites boot with a system disk: a banner saying "no disk vda" there means the
// virtio-blk driver or the QEMU setup broke, and they fail (they used to skip, issue 23).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../host/qemu.ts";
import { bootForSuite, scratchCopy } from "./helpers.ts";
import { ensureTestImages, imagePath, TREE_DIR, BIG_DIR, SPARSE_5G, SPARSE_5G_SIZE, seededBytes } from "../../images/test-images.ts";
import { execFileSync, spawnSync } from "node:child_process";

/** A suite booted with disks fails (never skips) when the kernel found none. */
function assertDisks(serialLog: string): void {
  assert.doesNotMatch(serialLog, /no disk vda/, "booted with a system disk, but the banner says 'no disk vda'");
}

const sha = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

describe("target: tmpfs root without a disk", function () {
  this.timeout(120000);
  const qemu = bootForSuite({ systemDisk: null });

  it("boots with a tmpfs root and says so in the banner", () => {
    assert.match(qemu.get().serialLog, /disk: +no disk vda: root is a tmpfs in RAM \(16 MiB\)/);
  });

  it("lists, mounts and navigates", async () => {
    const s = qemu.get();
    assert.equal(await s.run("ls /"), "mnt/\ntmp/\n");
    assert.equal(await s.run("mount"), "tmpfs on / type tmpfs (rw)\n");
    assert.equal(await s.run("cd /tmp"), "");
    assert.equal(await s.run("pwd"), "/tmp\n");
    assert.equal(await s.run("cd .."), "");
    assert.equal(await s.run("pwd"), "/\n");
    assert.equal(await s.run("cat /etc/nope"), "error: cat: /etc/nope: no such file or directory\n");
    assert.match(await s.run("df"), /^tmpfs +tmpfs +16\.0 MiB/m);
  });
});

describe("target: ext4 system disk at / and a test image on vdb", function () {
  this.timeout(180000);
  ensureTestImages();
  const systemDisk = scratchCopy(path.join(ROOT, "build/disk.img"), "disk.img");
  const testImage = scratchCopy(imagePath("ext4-4k"), "ext4-4k.img");
  const qemu = bootForSuite({ systemDisk, disks: [testImage] });

  beforeEach(() => assertDisks(qemu.get().serialLog));

  it("mounts vda at / at boot and says so", () => {
    assert.match(qemu.get().serialLog, /disk: +vda on \/: ext4, 4 KiB blocks, 64 MiB \(\d+ ms\)/);
  });

  it("the system disk holds /models, /incidents, /etc, an empty /mnt and sample files", async () => {
    const s = qemu.get();
    const ls = await s.run("ls /");
    for (const d of ["etc/", "incidents/", "lost+found/", "mnt/", "models/", "tmp/"]) assert.ok(ls.split("\n").includes(d), `${d} in ${ls}`);
    assert.equal(await s.run("ls /mnt"), "");
    assert.equal(await s.run("cat /etc/hostname"), "sis\n");
    assert.equal(await s.run("sha256sum /etc/motd"), `${sha(path.join(ROOT, "images/rootfs/etc/motd"))}  /etc/motd\n`);
  });

  it("mounts the e2fsprogs test image and reads a sample of it with matching SHA-256", async () => {
    const s = qemu.get();
    assert.match(await s.run("mount -r vdb /mnt"), /^mounted vdb on \/mnt: ext4, 4 KiB blocks, 160 MiB, read-only/);
    const sample = ["etc/motd", "files/size-0.bin", "files/size-4097.bin", "files/size-1048576.bin", "files/size-3145735.bin",
      "sparse/holes.bin", `${BIG_DIR}/entry-00000.txt`, `${BIG_DIR}/entry-09900.txt`, "hard/sub/third", "long/" + "n".repeat(255),
      `deep/${Array.from({ length: 30 }, (_, i) => `level-${i}`).join("/")}/bottom.txt`];
    for (const rel of sample) {
      assert.equal(await s.run(`sha256sum /mnt/${rel}`), `${sha(path.join(TREE_DIR, rel))}  /mnt/${rel}\n`, rel);
    }
    assert.equal(await s.run("readlink /mnt/links/slow-60"), "y".repeat(60) + "\n");
    assert.match(await s.run("cat /mnt/links/loop-a"), /too many levels of symbolic links/);
    assert.match(await s.run(`stat /mnt/${SPARSE_5G}`), new RegExp(`Size: ${SPARSE_5G_SIZE} `));
    assert.match(await s.run(`hexdump -s 4294967419 -n 16 /mnt/${SPARSE_5G}`), /^10000007b  [0-9a-f ]+\|/m);
    assert.match(await s.run(`ls /mnt/${BIG_DIR}`), /entry-09999\.txt\n$/);
    assert.equal(await s.run("umount /mnt"), "");
  });
});

describe("target: ext4 writes in QEMU, judged by e2fsck after poweroff", function () {
  this.timeout(180000);
  ensureTestImages();
  const image = scratchCopy(imagePath("small-4k"), "write.img");
  const systemDisk = scratchCopy(path.join(ROOT, "build/disk.img"), "disk.img");
  const qemu = bootForSuite({ systemDisk, disks: [image] });

  beforeEach(() => assertDisks(qemu.get().serialLog));

  it("creates, writes, renames, links and removes on vdb; sync and poweroff leave it e2fsck-clean", async () => {
    const s = qemu.get();
    assert.match(await s.run("mount vdb /mnt"), /^mounted vdb on \/mnt: ext4/);
    const commands = [
      "mkdir -p /mnt/w/a/b", "write /mnt/w/a/b/hello.txt hello from SIS", "append /mnt/w/a/b/hello.txt second line",
      "cp /mnt/files/b.bin /mnt/w/copy.bin", "ln /mnt/w/copy.bin /mnt/w/hard.bin", "ln -s a/b/hello.txt /mnt/w/link",
      "mv /mnt/w/a/b /mnt/w/moved", "truncate -s 12345 /mnt/w/copy.bin", "touch /mnt/w/empty", "rm /mnt/files/a.bin",
      "mkdir /mnt/w/gone", "rmdir /mnt/w/gone", "chmod 600 /mnt/w/empty",
    ];
    for (let i = 0; i < 40; i++) commands.push(`write /mnt/w/f${i} file number ${i}`);
    for (let i = 0; i < 40; i += 3) commands.push(`rm /mnt/w/f${i}`);
    for (const c of commands) assert.equal(await s.run(c), "", c);
    assert.match(await s.run("fsctl verify /mnt"), /clean: no inconsistencies/);
    assert.match(await s.run("fsctl journal /mnt"), /commits: \d+/);
    assert.equal(await s.run("sync"), "");
    s.type("poweroff\r");
    assert.equal(await s.waitExit(30000), 0);
    const fsck = spawnSync("e2fsck", ["-fn", image], { encoding: "utf8" });
    assert.equal(fsck.status, 0, fsck.stdout);
    const cat = (p: string) => execFileSync("debugfs", ["-R", `cat ${p}`, image], { stdio: ["ignore", "pipe", "ignore"] });
    assert.equal(cat("/w/moved/hello.txt").toString(), "hello from SIS\nsecond line\n");
    assert.equal(cat("/w/copy.bin").length, 12345);
    assert.ok(cat("/w/hard.bin").equals(seededBytes(8, 70000).subarray(0, 12345)));
    assert.equal(cat("/w/f1").toString(), "file number 1\n");
    assert.equal(cat("/w/f3").toString(), "");
  });
});
