// No shell command may exhaust the AssemblyScript heap (issue 24, bug 1): every structure a user
// grows is charged to the heap budget (kernel/lib/heap_budget.ts) and running out is an error on
// that request only. The Node build has the target's 48 MiB heap: a trap here is a panic there.
import assert from "node:assert/strict";
import { Ext4Node } from "../../host/ext4-node.ts";

const PER_LINE = 250;

function touchLine(start: number, prefix = "/tmp/f"): string {
  const names: string[] = [];
  for (let i = start; i < start + PER_LINE; i++) names.push(prefix + i);
  return "touch " + names.join(" ");
}

describe("heap budget: user-growable structures cannot exhaust the heap", function () {
  this.timeout(300_000);

  it("touch of files in /tmp until it fails: ENOSPC, no trap, the shell and df still work", async () => {
    const k = await Ext4Node.load();
    k.bootMount();
    // the real budget in the target's 48 MiB heap (tests/target/user-limits.test.ts: in QEMU)
    const inodesBefore = Number(k.sh("df /tmp").out.match(/(\d+)\/\d+/)![1]);
    let made = 0;
    let failed = "";
    for (let start = 0; start < 80_000 && failed === ""; start += PER_LINE) {
      const r = k.sh(touchLine(start));
      if (r.status !== 0) {
        failed = r.out;
        made += PER_LINE - failed.trim().split("\n").length;
      } else made += PER_LINE;
    }
    assert.match(failed, /error: touch: \/tmp\/f\d+: no space left on device/, "touch ends in ENOSPC");
    assert.ok(made >= 32_000, `at least the reported 32,000 files fit (made ${made})`);
    // df -i agrees: no free inodes left on /tmp
    const df = k.sh("df /tmp");
    assert.equal(df.status, 0, df.out);
    const [used, total] = df.out.match(/(\d+)\/(\d+)/)!.slice(1).map(Number);
    assert.equal(used, total, "df: every inode in use");
    assert.equal(used, inodesBefore + made, "df counts the files made");
    assert.ok(k.exports.heapBudgetUsed() <= k.exports.heapBudgetLimit());
    // listing the full directory holds every name in the heap at once: it fits
    const ls = k.sh("ls /tmp");
    assert.equal(ls.status, 0, ls.out.slice(0, 200));
    assert.equal(ls.out.trim().split("\n").length, made);
    // a shell command still works, and removing files makes room again
    const rm = k.sh("rm " + Array.from({ length: 50 }, (_, i) => "/tmp/f" + i).join(" "));
    assert.equal(rm.status, 0, rm.out);
    assert.equal(k.sh("write /tmp/after hello").status, 0);
    assert.match(k.sh("cat /tmp/after").out, /hello/);
    assert.equal(k.sh("echo still alive").status, 0);
  });

  it("the charges per file, directory, symlink and page are upper bounds of the heap they take", async () => {
    const k = await Ext4Node.load();
    k.bootMount();
    const heapInUse = () => { k.exports.collectGarbage(); return Number(k.exports.heapUsedBytes()); };
    // warm up past the heap's initial free space
    for (let s = 0; s < 8_000; s += PER_LINE) assert.equal(k.sh(touchLine(s, "/tmp/warm")).status, 0);
    const measure = (what: string, count: number, line: (i: number) => string) => {
      const heap0 = heapInUse();
      const charged0 = Number(k.exports.heapBudgetUsed());
      for (let i = 0; i < count; i++) {
        const r = k.sh(line(i));
        assert.equal(r.status, 0, r.out);
      }
      const grown = heapInUse() - heap0;
      const charged = Number(k.exports.heapBudgetUsed()) - charged0;
      console.log(`      ${what}: heap in use grew ${grown} B, charged ${charged} B`);
      assert.ok(grown <= charged, `${what}: heap grew ${grown} B but only ${charged} B were charged`);
    };
    measure("8000 empty files", 8_000 / PER_LINE, (i) => touchLine(i * PER_LINE, "/tmp/file-number-"));
    measure("2000 directories", 2_000, (i) => "mkdir /tmp/dir-" + i);
    measure("2000 symlinks", 2_000, (i) => `ln -s /some/where/${"t".repeat(100)}${i} /tmp/link-${i}`);
    measure("200 one-page files (Node: the page in the heap too)", 200, (i) => `write /tmp/file-number-${i} ${"p".repeat(3000)}`);
  });
});

describe("heap budget: every user-growable tmpfs structure, to exhaustion", function () {
  this.timeout(120_000);
  let k: Ext4Node;
  beforeEach(async () => {
    k = await Ext4Node.load();
    k.bootMount();
    k.exports.setHeapBudgetLimit(BigInt(1 << 20));
  });
  const alive = () => {
    const r = k.sh("echo alive");
    assert.equal(r.status, 0);
    assert.ok(k.exports.heapBudgetUsed() <= k.exports.heapBudgetLimit());
  };
  // runs make(i) until it fails; returns how many succeeded and the failure's output
  const untilFailure = (make: (i: number) => string, max = 100_000): [number, string] => {
    for (let i = 0; i < max; i++) {
      const r = k.sh(make(i));
      if (r.status !== 0) return [i, r.out];
    }
    return [max, ""];
  };

  it("directories (mkdir)", () => {
    const [n, out] = untilFailure((i) => "mkdir /tmp/d" + i);
    assert.ok(n > 100, `made ${n}`);
    assert.match(out, /no space left on device/);
    alive();
  });
  it("symlinks with long targets", () => {
    const target = "/" + "t".repeat(250) + "/" + "u".repeat(250) + "/" + "v".repeat(250);
    const [n, out] = untilFailure((i) => `ln -s ${target} /tmp/s${i}`);
    assert.ok(n > 100, `made ${n}`);
    assert.match(out, /no space left on device/);
    alive();
  });
  it("hard links with long names", () => {
    assert.equal(k.sh("touch /tmp/one").status, 0);
    const [n, out] = untilFailure((i) => `ln /tmp/one /tmp/${"n".repeat(200)}${i}`);
    assert.ok(n > 100, `made ${n}`);
    assert.match(out, /no space left on device/);
    alive();
  });
  it("renames to longer names are refused before anything changes", () => {
    const [n] = untilFailure((i) => "touch /tmp/" + i);
    assert.ok(n > 100);
    const r = k.sh(`mv /tmp/0 /tmp/${"x".repeat(250)}`);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /no space left on device/);
    assert.equal(k.sh("stat /tmp/0").status, 0, "the old name is still there");
    alive();
  });
  it("file data (pages map, and heap pages on Node) ends in an error, and rm gives it back", () => {
    const text = "x".repeat(3000);
    const [n, out] = untilFailure((i) => `write /tmp/w${i} ${text}`);
    assert.ok(n > 10, `wrote ${n}`);
    assert.match(out, /out of memory|no space left on device/);
    const before = k.exports.heapBudgetUsed();
    assert.equal(k.sh("rm /tmp/w0 /tmp/w1").status, 0);
    assert.ok(k.exports.heapBudgetUsed() < before, "rm gives the charge back");
    assert.equal(k.sh(`write /tmp/again ${text}`).status, 0);
    alive();
  });
  it("mounts: at most MAX_MOUNTS, then ENOSPC", () => {
    assert.equal(k.sh("mkdir /tmp/m").status, 0);
    const [n, out] = untilFailure(() => "mount -t tmpfs tmpfs /tmp/m", 1000);
    assert.ok(n > 10 && n < 1000, `mounted ${n}`);
    assert.match(out, /no space left on device/);
    alive();
  });
  it("unmount gives a tmpfs's whole charge back", () => {
    k.exports.setHeapBudgetLimit(BigInt(16 << 20));
    assert.equal(k.sh("mkdir /tmp/m").status, 0);
    const base = k.exports.heapBudgetUsed();
    assert.equal(k.sh("mount -t tmpfs tmpfs /tmp/m").status, 0);
    for (let i = 0; i < 20; i++) assert.equal(k.sh(`mkdir /tmp/m/d${i}`).status, 0);
    assert.equal(k.sh("write /tmp/m/d3/f hello").status, 0);
    assert.ok(k.exports.heapBudgetUsed() > base);
    assert.equal(k.sh("umount /tmp/m").status, 0);
    assert.equal(k.exports.heapBudgetUsed(), base);
  });
});
