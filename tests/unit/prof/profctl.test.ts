// The profiler's kernel half on Node: samples planted through the prof_* imports (as
// arch-aarch64/prof.c lays them out: [n, pc, ret1..]) come back as AssemblyScript names from
// /boot/kernel.sym, self and total counts are right, the folded export is what flame-graph
// tools read, and every misuse is one error line with the system still working.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";

const ENTRY = "tests/unit/prof/prof.entry.ts";
let k: KernelModule<any>;

const SYMBOLS = "1000 efi_main\n2000 kernel/main/kmain\n3000 kernel/shell/shell/Shell#execute\n4000 kernel/fs/ext4/dir/linearLookup\n" +
  "5000 kernel/block/cache/BlockCache#get\n6000 ~lib/rt/tlsf/allocateBlock\nend 7000\n";
// stacks, leaf first (the interrupted PC, then return addresses)
const KMAIN = 0x2010, EXEC = 0x3020, LOOKUP = 0x4100, CACHE = 0x5004, ALLOC = 0x6abc;

describe("profiler: profctl on Node", function () {
  before(async function () {
    this.timeout(600000);
    k = await loadKernelModule(ENTRY);
    k.exports.mountTmpRoot();
  });
  const run = (line: string) => {
    k.platform.takeOutput();
    const status = k.exports.shellRun(line);
    return { status, out: k.platform.takeOutput() };
  };

  it("symbol lookup: last symbol at or below, hex beyond the end, user and unknown markers", function () {
    assert.equal(k.exports.symbolLookup(SYMBOLS, 0x4fff), "kernel/fs/ext4/dir/linearLookup");
    assert.equal(k.exports.symbolLookup(SYMBOLS, 0x1000), "efi_main");
    assert.equal(k.exports.symbolLookup(SYMBOLS, 0x0fff), "0xfff");
    assert.equal(k.exports.symbolLookup(SYMBOLS, 0x7000), "0x7000");
    assert.equal(k.exports.symbolLookup(SYMBOLS, 0xffffffff), "[user]");
    assert.equal(k.exports.symbolLookup("2000 b\n1000 a\n", 0x1500), "<refused>");
  });

  it("misuse: one error line each, nothing breaks", function () {
    assert.match(run("profctl report").out, /^error: profctl report: no samples/m);
    assert.match(run("profctl start --hz 0").out, /^error: --hz must be an integer from 1 to 20000/m);
    assert.match(run("profctl start --hz abc").out, /^error: /m);
    assert.match(run("profctl stop").out, /^error: profctl: not running/m);
    assert.match(run("profctl bogus").out, /^error: /m);
    assert.equal(run("profctl export").status, 1);
    assert.match(run("profctl start --help").out, /profctl start \[--hz N\]/);
    assert.equal(run("profctl").status, 0); // status by default
  });

  it("report names samples from /boot/kernel.sym; self and total counts", function () {
    assert.equal(k.exports.writeText("/boot/kernel.sym", SYMBOLS), SYMBOLS.length);
    assert.equal(run("profctl start").status, 0);
    assert.equal(k.platform.profRunning, true);
    assert.match(run("profctl start").out, /already running/);
    // 6 samples: 3 in the block cache under lookup, 2 allocating under lookup, 1 in execute
    k.platform.profRecords = [
      [CACHE, LOOKUP, EXEC, KMAIN], [CACHE, LOOKUP, EXEC, KMAIN], [CACHE, LOOKUP, EXEC, KMAIN],
      [ALLOC, LOOKUP, EXEC, KMAIN], [ALLOC, LOOKUP, EXEC, KMAIN], [EXEC, KMAIN],
    ];
    assert.match(run("profctl report").out, /still running/);
    const stop = run("profctl stop");
    assert.equal(stop.status, 0);
    assert.match(stop.out, /stopped: 6 samples in [\d.]+ s at 997 Hz, 0 dropped/);
    const r = run("profctl report --top 3");
    assert.equal(r.status, 0, r.out);
    const lines = r.out.split("\n").filter((l) => /^\d+\.\d /.test(l));
    assert.deepEqual(lines.map((l) => l.trim().split(/\s+/)), [
      ["50.0", "3", "50.0", "3", "kernel/block/cache/BlockCache#get"],
      ["33.3", "2", "33.3", "2", "~lib/rt/tlsf/allocateBlock"],
      ["16.7", "1", "100.0", "6", "kernel/shell/shell/Shell#execute"],
    ]);
    const j = JSON.parse(run("profctl report --json --top 10").out.trim());
    assert.equal(j.samples, 6);
    assert.equal(j.symbols, true);
    const lookup = j.functions.find((f: any) => f.name === "kernel/fs/ext4/dir/linearLookup");
    assert.deepEqual([lookup.self, lookup.total], [0, 5]);
  });

  it("export writes folded stacks, root first", function () {
    const e = run("profctl export /prof.folded");
    assert.equal(e.status, 0, e.out);
    const c = run("cat /prof.folded");
    c.out = c.out.replace(/\r\n/g, "\n"); // the console turns \n into \r\n
    assert.equal(c.out,
      "kernel/main/kmain;kernel/shell/shell/Shell#execute;kernel/fs/ext4/dir/linearLookup;kernel/block/cache/BlockCache#get 3\n" +
      "kernel/main/kmain;kernel/shell/shell/Shell#execute;kernel/fs/ext4/dir/linearLookup;~lib/rt/tlsf/allocateBlock 2\n" +
      "kernel/main/kmain;kernel/shell/shell/Shell#execute 1\n");
    assert.match(run("profctl export /no/such/dir/x").out, /^error: profctl export: \/no\/such\/dir\/x: /m);
  });

  it("without a symbol file: image-relative hex addresses and a note", async function () {
    const k2 = await loadKernelModule(ENTRY);
    k2.exports.mountTmpRoot();
    k2.exports.shellRun("profctl start --hz 100");
    k2.platform.profRecords = [[0x1234, 0x2000], [0xffffffff]];
    k2.exports.shellRun("profctl stop");
    k2.platform.takeOutput();
    k2.exports.shellRun("profctl report");
    const out = k2.platform.takeOutput();
    assert.match(out, /no symbols: \/boot\/kernel\.sym: /);
    assert.match(out, /0x1234/);
    assert.match(out, /\[user\]/);
    void fs;
  });
});
