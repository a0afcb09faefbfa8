// `make qemu`: boots SIS with the serial console on this terminal (Ctrl-A X quits QEMU).
//   DISK=<raw image>   attach an extra disk after the system disk (vdb)
//   QEMU_EXTRA='...'   pass further options to QEMU
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { qemuArgs, splitArgs, ROOT } from "./qemu.ts";

const workDir = path.join(ROOT, "build/qemu");
fs.mkdirSync(workDir, { recursive: true });
const disks = process.env.DISK ? [path.resolve(process.env.DISK)] : [];
for (const d of disks) {
  if (!fs.existsSync(d)) {
    console.error(`error: DISK=${d} does not exist`);
    process.exit(2);
  }
}
const args = [...qemuArgs({ workDir, disks, extra: splitArgs(process.env.QEMU_EXTRA) }),
  "-nographic", "-serial", "mon:stdio"];
console.log(`qemu-system-aarch64 ${args.join(" ")}\n(Ctrl-A X quits QEMU; 'poweroff' in SIS does too)`);
const child = spawn("qemu-system-aarch64", args, { stdio: "inherit" });
child.on("exit", (code) => process.exit(code ?? 1));
