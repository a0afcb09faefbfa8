// The dependency order of kernel/ (toolchain/layers.ts): no import points up
// lib/platform -> mm -> block/drivers -> fs/sched -> ai -> llm/net/proc -> shell -> init/main.
import assert from "node:assert/strict";
import { layerViolations, kernelFiles, importsOf, layerOf } from "../../../toolchain/layers.ts";

describe("toolchain: kernel layers", function () {
  it("no kernel file imports a higher layer, and every file is in a layer", function () {
    const files = kernelFiles();
    assert.ok(files.size > 100, `only ${files.size} kernel files found`);
    const v = layerViolations(files);
    assert.deepEqual(v.map((x) => `${x.file} -> ${x.imports}`), []);
  });

  it("finds an arrow up the order, through every import form", function () {
    const files = new Map<string, string>([
      ["mm/pages.ts", 'import { registerPeriodicTask } from "../sched/periodic";\nimport { x } from "../lib/format";'],
      ["sched/announce.ts", 'import {\n  consoleShell,\n} from "../shell/shell";'],
      ["fs/vfs.ts", 'import * as ai from "../ai/attention";\nexport { y } from "./types";'],
      ["drivers/virtio/blk.ts", 'import "../../fs/vfs";'],
      ["shell/commands/ps.ts", 'import { spawnTask } from "../../sched/scheduler";'],
      ["init.ts", 'import { consoleShell } from "./shell/shell";'],
      ["toys/x.ts", ""],
    ]);
    const v = layerViolations(files).map((x) => `${x.file} -> ${x.imports}`);
    assert.deepEqual(v.sort(), [
      "drivers/virtio/blk.ts -> fs/vfs",
      "fs/vfs.ts -> ai/attention",
      "mm/pages.ts -> sched/periodic",
      "sched/announce.ts -> shell/shell",
      "toys/x.ts -> (this file is in no layer: add its folder to toolchain/layers.ts)",
    ]);
    assert.deepEqual(importsOf('import { a } from "./a";\nimport "./b";\nexport { c } from "./c";'), ["./a", "./b", "./c"]);
    assert.equal(layerOf("ai/oom/model.ts"), 4);
    assert.equal(layerOf("main.ts"), 7);
  });
});
