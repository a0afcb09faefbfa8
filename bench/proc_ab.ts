// A/B of process costs between kernel builds: boots each ESP image with its system disk (a copy),
// alternating, ROUNDS times (default 2), runs `exec /bin/procbench 20` and prints one JSON line per
// figure with the round and label. Keep a build with `cp build/esp.img build/disk.img` somewhere first.
// Usage: tsx bench/proc_ab.ts ESP:DISK:LABEL [ESP:DISK:LABEL ...]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runInKernel } from "./lib.ts";

const pairs = process.argv.slice(2).map((s) => s.split(":"));
if (pairs.length === 0 || pairs.some((p) => p.length !== 3)) {
  console.error("usage: tsx bench/proc_ab.ts ESP:DISK:LABEL [ESP:DISK:LABEL ...]   (ROUNDS=n, default 2)");
  process.exit(2);
}
const rounds = Number(process.env.ROUNDS ?? 2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "proc-ab-"));
try {
  for (let r = 0; r < rounds; r++) {
    for (const [esp, disk, label] of pairs) {
      const copy = path.join(dir, `${label}.img`);
      fs.copyFileSync(disk, copy);
      const res = await runInKernel(["exec /bin/procbench 20"], { esp, systemDisk: copy });
      for (const x of res) console.log(JSON.stringify({ round: r, label, load: +os.loadavg()[0].toFixed(2), ...x }));
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
