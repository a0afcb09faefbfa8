// Every crash the fuzzers found and that was fixed, replayed: tests/fuzz/regressions/TARGET/NAME
// (the input as libFuzzer saved it). Each runs through the Node build of the fuzz targets (the
// kernel code compiled to wasm, tests/fuzz/replay.ts). The native libFuzzer binaries replay them in
// tests/fuzz/smoke.test.ts, right after `make fuzz` has built them. A trap or abort fails the test.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../../toolchain/build.ts";
import { replay } from "../../fuzz/replay.ts";

const DIR = path.join(ROOT, "tests/fuzz/regressions");
const cases: [string, string][] = [];
for (const target of fs.existsSync(DIR) ? fs.readdirSync(DIR).sort() : []) {
  for (const name of fs.readdirSync(path.join(DIR, target)).sort()) cases.push([target, name]);
}

describe("fuzz regressions (crashes found by make fuzz, fixed)", function () {
  this.timeout(600_000); // the first compile of the targets takes a minute or two

  it("has at least one regression input per fixed crash", () => {
    assert.ok(cases.length > 0);
  });

  for (const [target, name] of cases) {
    it(`${target}/${name} runs without a trap on Node`, async () => {
      const input = fs.readFileSync(path.join(DIR, target, name));
      assert.match(await replay(target, input), /^ok/);
    });
  }
});
