// The build driver is incremental: with the image already built (make test and make
// test-target depend on it), a second build does no work: every step reports "up to date".
// A target test (not a unit test): `make test-unit` builds no image, and here a missing image
// is a failure, not a skip (issue 23).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";

describe("toolchain: incremental build", function () {
  this.timeout(120000);
  it("a second build with no change runs no step", function () {
    assert.ok(fs.existsSync("build/esp.img"), "build/esp.img is missing: make test-target builds it first (make image)");
    const first = execFileSync("node_modules/.bin/tsx", ["toolchain/build.ts"], { encoding: "utf8" });
    const second = execFileSync("node_modules/.bin/tsx", ["toolchain/build.ts"], { encoding: "utf8" });
    void first;
    const steps = second.split("\n").filter((l) => /^\s+\[/.test(l));
    assert.ok(steps.length >= 15, second);
    for (const step of steps) assert.match(step, /^\s+\[up to date\] /, step);
  });
});
