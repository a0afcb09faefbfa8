// Debugging helper (not a test): boots SIS in QEMU on a scratch copy of build/disk.img and
// runs the shell commands given as arguments, printing each command's raw output.
// node_modules/.bin/tsx tests/unit/sched/qrun.ts "bench sched --seeds 2 --seconds 1" "schedctl stats"
import fs from "node:fs";
import { QemuSession } from "../../../host/qemu.ts";

const scratch = process.env.QRUN_DISK ?? `/tmp/qrun-${process.pid}.img`;
fs.copyFileSync("build/disk.img", scratch);
const session = await QemuSession.start({ systemDisk: scratch });
try {
  await session.waitForPrompt();
  for (const c of process.argv.slice(2)) {
    const t0 = Date.now();
    const out = await session.run(c, 1800000);
    console.log(`### ${c} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n${out}`);
  }
} finally {
  await session.close();
  fs.rmSync(scratch, { force: true });
}
