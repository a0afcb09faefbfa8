// Long shell commands and the kernel's periodic work (issue 24, bugs 3 and 4): while a command
// loops, checkpoint() (kernel/sched/checkpoint.ts) runs the due periodic tasks (the 5 s journal
// commit among them) and Ctrl-C stops the command. On Node with an ext4 image as the root,
// the real fscommit task and a counter that advances with every read (virtual time).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ext4Node } from "../../host/ext4-node.ts";
import { ensureTestImages, imagePath } from "../../../images/test-images.ts";

const HZ = 62_500_000n;

describe("long commands: periodic work and Ctrl-C", function () {
  this.timeout(300000);
  let work: string;
  before(function () {
    this.timeout(600000);
    ensureTestImages();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-long-"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  /** small-1k as the root and the fscommit task, time advancing `usPerRead` per counter read. */
  async function booted(usPerRead: bigint): Promise<Ext4Node> {
    const image = path.join(work, `root-${Date.now()}-${Math.random()}.img`);
    fs.copyFileSync(imagePath("small-1k"), image);
    const k = await Ext4Node.load();
    k.attach("vda", image);
    k.bootMount();
    k.exports.startCommitTask(); // the kernel task "fscommit", as kernel/init.ts starts it
    let now = 1_000_000_000n;
    k.platform.counter = () => (now += (usPerRead * HZ) / 1_000_000n);
    return k;
  }

  it("the 5 s journal commit runs while sha256sum reads a big sparse file (bug 3)", async () => {
    const k = await booted(5000n); // 5 ms per counter read: the command lasts ~15 virtual seconds
    assert.equal(k.sh("write /before-long x").status, 0);
    assert.equal(k.sh("truncate -s 67108864 /big").status, 0);
    assert.match(k.sh("fsctl journal").out, /running transaction: tid \d+/);
    const r = k.sh("sha256sum /big");
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /\x1b\[K3b6a07d0d404fab4e23b6d34bc6696a6a312dd92821332385e5af7c01c421351  \/big\n$/);
    // no event-loop pass ran between the commands: only the command's checkpoints can have committed
    const j = k.sh("fsctl journal").out;
    assert.match(j, /running transaction: none/, j);
    assert.match(j, /commits: [1-9]\d* \([1-9]\d* by the 5 s timer\)/, j);
    assert.equal(k.exports.unmountAll(), 0);
    k.closeFiles();
  });

  it("a long sha256sum shows progress on one rewritten line and erases it (bug 4)", async () => {
    const k = await booted(2000n);
    assert.equal(k.sh("truncate -s 67108864 /big").status, 0);
    const r = k.sh("sha256sum /big");
    assert.equal(r.status, 0);
    assert.match(r.out, /\r  sha256sum \/big: [\d.]+ [KMG]iB of 64\.0 MiB \(\d+%\)\x1b\[K/);
    assert.match(r.out, /\r\x1b\[K3b6a07d0/, "the progress line is erased before the digest");
    assert.equal(k.exports.unmountAll(), 0);
    k.closeFiles();
  });

  it("Ctrl-C stops sha256sum, cat, hexdump, cp and find; other typed bytes are kept for the shell (bug 4)", async () => {
    const k = await booted(1n);
    assert.equal(k.sh("truncate -s 1073741824 /huge").status, 0);
    for (const line of ["sha256sum /huge", "cat /huge", "hexdump -n 1073741824 /huge", "cp /huge /copy", "find /"]) {
      k.platform.type("\x03");
      const t0 = Date.now();
      const r = k.sh(line);
      assert.equal(r.status, 130, `${line}: ${r.out.slice(-200)}`);
      assert.match(r.out, new RegExp(`error: ${line.split(" ")[0]}: interrupted\\n$`));
      assert.ok(Date.now() - t0 < 5000, `${line} stopped at once`);
    }
    // a new command is not stopped by the earlier Ctrl-C
    assert.equal(k.sh("cat /before-nothing").status, 1);
    assert.equal(k.sh("find /").status, 0);
    // bytes typed during a command (not Ctrl-C) reach the shell afterwards, in order
    k.platform.type("x\x03");
    assert.equal(k.sh("sha256sum /huge").status, 130);
    assert.equal(k.exports.takeShellByte(), "x".charCodeAt(0));
    assert.equal(k.exports.unmountAll(), 0);
    k.closeFiles();
  });
});
