// toolchain/wasm2c-patch.ts against this machine's wasm2c: the C it generates for a small
// module loses its software bounds checks and load barriers, and a wasm2c whose output does
// not contain the expected text fails the build instead of being left unpatched.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { patchWasm2cOutput } from "../../../toolchain/wasm2c-patch.ts";

const WAT = `(module (memory 1 1)
  (func (export "sum") (param i32) (result f32)
    (f32.add (f32.load (local.get 0)) (f32.load offset=4 (local.get 0))))
  (func (export "put") (param i32 f32) (f32.store (local.get 0) (local.get 1))))`;

describe("toolchain: wasm2c output patch (guard region instead of bounds checks)", function () {
  let generated = "";
  before(function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "w2c-patch-"));
    fs.writeFileSync(path.join(dir, "m.wat"), WAT);
    execFileSync("wat2wasm", [path.join(dir, "m.wat"), "-o", path.join(dir, "m.wasm")]);
    execFileSync("wasm2c", [path.join(dir, "m.wasm"), "-n", "m", "-o", path.join(dir, "m.c")]);
    generated = fs.readFileSync(path.join(dir, "m.c"), "utf8");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("removes MEMCHECK's range check and the per-load asm barrier, keeps memory.copy/fill checks", function () {
    assert.match(generated, /#define MEMCHECK\(mem, a, t\) RANGE_CHECK/);
    const patched = patchWasm2cOutput(generated);
    assert.doesNotMatch(patched, /#define MEMCHECK\(mem, a, t\) RANGE_CHECK/);
    assert.doesNotMatch(patched, /wasm_asm\("" ::"r"\(result\)\)/);
    assert.match(patched, /RANGE_CHECK\(dest, dest_addr, n\)/, "memory.copy keeps its check");
    assert.match(patched, /RANGE_CHECK\(mem, d, n\)/, "memory.fill keeps its check");
    // -ffreestanding makes plain memcpy a call: reinterprets and NaN helpers use the builtin
    assert.doesNotMatch(patched, /[^_]memcpy\(&(result|tmp|x), &/);
    assert.match(patched, /__builtin_memcpy\(&result, &x, sizeof\(result\)\)/);
  });

  it("refuses output that does not look like the wasm2c it was written for", function () {
    assert.throws(() => patchWasm2cOutput(generated.replace("RANGE_CHECK(mem, a, sizeof(t))", "X")), /expected 1 x/);
    assert.match(patchWasm2cOutput(generated), /&SIS_LINEAR\[addr\]/, "loads and stores use the constant base");
    assert.throws(() => patchWasm2cOutput(patchWasm2cOutput(generated)), /found 0/);
  });
});
