// The fuzz smoke run of `make test`: every target for SMOKE_SECONDS (20 s each; libFuzzer first runs every seed, which takes 20-45 s per target on a loaded machine) through
// `make fuzz`, which exits 1 on any crash, timeout or out-of-memory. The first build of the
// fuzzers (asc, wasm2c, clang of the generated C) takes a few minutes more.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../toolchain/build.ts";
import { TARGETS } from "./corpus.ts";

const SMOKE_SECONDS = Number(process.env.FUZZ_SMOKE_SECONDS ?? 20);

describe("fuzz smoke run (make fuzz)", function () {
  this.timeout(20 * 60_000);

  it(`runs every target for ${SMOKE_SECONDS} s without a crash`, () => {
    const r = spawnSync("make", ["-s", "fuzz", `SECONDS=${SMOKE_SECONDS}`], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, `make fuzz failed:\n${out.slice(-4000)}`);
    for (const target of TARGETS) {
      const result = JSON.parse(fs.readFileSync(path.join(ROOT, "build/fuzz/results", `${target}.json`), "utf8"));
      assert.ok(result.executions > 0, `${target} ran no input`);
      assert.ok(result.coverage > 100, `${target} covered only ${result.coverage} edges`);
      assert.deepEqual(result.crashes, [], `${target} crashed`);
    }
  });

  // Every fixed crash (tests/fuzz/regressions/TARGET/NAME), through the native binary just built:
  // libFuzzer runs the file once and exits non-zero on a trap, abort or sanitizer error.
  const dir = path.join(ROOT, "tests/fuzz/regressions");
  for (const target of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    for (const name of fs.readdirSync(path.join(dir, target)).sort()) {
      it(`regression ${target}/${name} runs without a crash natively`, () => {
        const native = path.join(ROOT, "build/fuzz/bin", target);
        assert.ok(fs.existsSync(native), `${native} was not built by the smoke run`);
        const r = spawnSync(native, [path.join(dir, target, name)], { stdio: ["ignore", "pipe", "pipe"] });
        assert.equal(r.status, 0, `${target}/${name} crashed natively:\n${String(r.stderr).slice(-2000)}`);
      });
    }
  }
});
