// Issue 24, bug 5: crashctl's episodes must not free what `stresstest mem --keep` kept, and the
// OOM events of training and evaluation episodes are not the system's (crashctl status, the log).
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";

const ENTRY = "tests/unit/ai/oom.entry.ts";

describe("OOM episodes leave the user's memory and the live statistics alone (bug 5)", function () {
  this.timeout(300000);
  let k: KernelModule<any>;
  let e: any;
  before(async () => {
    k = await loadKernelModule(ENTRY, { memoryBase: 64 << 20 });
    e = k.exports;
    e.memInit();
  });
  const run = (line: string) => ({ status: e.shellRun(line), out: k.platform.takeOutput() });

  it("crashctl run, eval and train refuse while memory is kept, and free none of it", () => {
    const kept = run("stresstest mem --pressure high --seconds 1 --seed 3 --keep");
    assert.equal(kept.status, 0, kept.out);
    assert.match(kept.out, /kept \d+ allocations/);
    const free = e.freeNow();
    for (const line of ["crashctl run --wait", "crashctl eval --episodes 1", "crashctl train --episodes 2"]) {
      const r = run(line);
      assert.equal(r.status, 1, `${line}: ${r.out}`);
      assert.match(r.out, /^error: .*memory kept by 'stresstest mem --keep' is still held \(\d+ pages\); 'stresstest mem --release' frees it/, line);
      assert.equal(e.freeNow(), free, `${line} freed nothing`);
    }
    assert.match(run("stresstest mem --release").out, /freed|released/i);
    assert.ok(e.freeNow() > free);
  });

  it("training episodes' OOM events are counted apart, not as the system's", () => {
    const r = run("crashctl train --episodes 4");
    assert.equal(r.status, 0, r.out);
    const ended = Number(r.out.match(/(\d+) episodes \((\d+) ended in OOM\)/)![2]);
    assert.ok(ended > 0, "some training episodes end in OOM");
    const status = run("crashctl status").out;
    assert.match(status, /OOM events: +0 since boot/);
    assert.match(status, new RegExp(`^ +${ended} more in training and evaluation episodes`, "m"));
  });
});
