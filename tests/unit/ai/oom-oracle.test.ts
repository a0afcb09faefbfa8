// The oracle analysis of the OOM episodes (kernel/ai/oom/oracle.ts) and `crashctl oracle`: the
// probability of an OOM within 10 s from resampled futures, on training seeds.
import assert from "node:assert/strict";
import { loadKernelModule } from "../../host/compile.ts";

describe("OOM oracle (resampled futures of an episode)", function () {
  this.timeout(300000);
  let e: any;
  let k: any;
  before(async () => {
    k = await loadKernelModule("tests/unit/ai/oom.entry.ts", { memoryBase: 64 << 20 });
    k.exports.memInit();
    e = k.exports;
  });

  /** The first seed from `first` (stepping by 5: one class) whose episode ends in an OOM, and its OOM slot. */
  function firstOom(first: number): [bigint, number] {
    for (let s = first; s < first + 200; s += 5) {
      const oomSlot = Number(e.runOff(BigInt(s)).split(",")[0]);
      if (oomSlot >= 150) return [BigInt(s), oomSlot];
    }
    throw new Error("no OOM episode found");
  }

  it("a steady leak: P near 1 five seconds before its OOM, 0 half a minute before it; the same P on a rerun", () => {
    const [seed, oomSlot] = firstOom(5); // class leak
    const near = e.oracleAt(seed, oomSlot - 50, 8);
    const far = e.oracleAt(seed, oomSlot - 300 >= 0 ? oomSlot - 300 : 0, 8);
    assert.ok(near >= 0.75, `P 5 s before the OOM of seed ${seed}: ${near}`);
    assert.ok(far <= 0.125, `P 30 s before: ${far}`);
    assert.equal(e.oracleAt(seed, oomSlot - 50, 8), near, "deterministic");
  });

  it("the futures really differ: a frag episode's P lies strictly between 0 and 1 somewhere before its OOM", () => {
    // frag OOMs need a 1..4 MiB request at the wrong moment: with fresh draws some futures have it, some not
    const [seed, oomSlot] = firstOom(3);
    let between = 0;
    const ps: number[] = [];
    for (let s = oomSlot - 100; s <= oomSlot - 10; s += 15) {
      const p = e.oracleAt(seed, Math.max(0, s), 8);
      ps.push(p);
      assert.ok(p >= 0 && p <= 1);
      if (p > 0 && p < 1) between++;
    }
    assert.ok(between > 0, `seed ${seed}, OOM at ${oomSlot}: P ${ps.join(" ")}`);
  });

  it("crashctl oracle prints the per-class table, and rejects bad options with one line", () => {
    assert.equal(e.shellRun("crashctl oracle --episodes 2 --futures 2 --class leak --seed 5"), 0);
    const out: string = k.platform.takeOutput();
    assert.match(out, /crashctl oracle: 2 episodes per class from seed 5, 2 resampled futures per point/);
    assert.match(out, /^leak +\d\/2 +[\d.]+%/m);
    for (const [cmd, why] of [
      ["crashctl oracle --futures 0", /^error: .*--futures/],
      ["crashctl oracle --episodes 999", /^error: .*--episodes/],
      ["crashctl oracle --class swap", /^error: unknown episode class 'swap'/],
    ] as [string, RegExp][]) {
      assert.notEqual(e.shellRun(cmd), 0, cmd);
      const text: string = k.platform.takeOutput();
      assert.match(text, why, cmd);
      assert.equal(text.trim().split("\n").length, 1, `${cmd}: ${text}`);
    }
  });
});
