// Replays a kept crash failure: `tsx tests/crash/replay.ts build/crash-failures/<name> [--qemu]`.
//
// The directory holds image.img (the disk as the power cut left it, before any recovery),
// meta.json (scenario, seed, count, directory, how many syncs had completed), serial.txt,
// problems.txt, and for enumerated states log.img (the blklogwrites log of the run).
// Recovers a copy of image.img with SIS's ext4 on Node (or, with --qemu, by booting SIS in
// QEMU with it as vdb), runs the same checks and prints what they find. Exit status 1 while
// the failure reproduces.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { WorkloadModel, Scenario } from "./model.ts";
import { recoverOnNode } from "./node-check.ts";
import { recoverInQemu } from "./qemu-runs.ts";

const dir = process.argv[2];
if (!dir || !fs.existsSync(path.join(dir, "meta.json"))) {
  console.error("usage: tsx tests/crash/replay.ts build/crash-failures/<name> [--qemu]");
  process.exit(2);
}
const meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8"));
const image = path.join(dir, "image.img");
if (!fs.existsSync(image)) {
  console.error(`${image} is missing (the failure happened before a disk state existed: see ${path.join(dir, "problems.txt")})`);
  process.exit(2);
}
const model = new WorkloadModel({ scenario: meta.scenario as Scenario, seed: meta.seed, count: meta.count, dir: meta.dir, mountPoint: meta.mountPoint });
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-crash-replay-"));
const copy = path.join(work, "image.img");
fs.copyFileSync(image, copy);
console.log(`${meta.scenario} seed ${meta.seed}${meta.count ? ` count ${meta.count}` : ""}: ${meta.kind} ${meta.state ?? `run ${meta.run}`}, ` +
  `${meta.syncsDone} of ${model.syncCount} syncs had completed`);
let problems: string[];
if (process.argv.includes("--qemu")) {
  const r = await recoverInQemu(copy, model, meta.syncsDone);
  console.log(r.sis ? `SIS: ${r.sis.mountOutput.trim()}\n${r.sis.sisVerify.trim()}` : "SIS did not get to mount the disk");
  problems = r.problems;
} else {
  const v = await recoverOnNode(copy, model, meta.syncsDone);
  console.log(`Node: ${v.mount.trim()}`);
  problems = v.problems;
}
fs.rmSync(work, { recursive: true, force: true });
if (problems.length === 0) {
  console.log("no problem found: the failure does not reproduce");
  process.exit(0);
}
console.log(`${problems.length} problems:`);
for (const p of problems) console.log(`  ${p}`);
process.exit(1);
