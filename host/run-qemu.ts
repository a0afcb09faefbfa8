// `make qemu`: boots SIS with the serial console on this terminal (Ctrl-A X quits QEMU).
//   DISK=<raw image>   attach an extra disk after the system disk (vdb)
//   QEMU_EXTRA='...'   pass further options to QEMU
//   NET_PORT=<port>    host port forwarded to the guest's HTTP API on port 80 (default: a free one)
//   NET=off            no network device
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { qemuArgs, splitArgs, freePort, ROOT } from "./qemu.ts";

const workDir = path.join(ROOT, "build/qemu");
fs.mkdirSync(workDir, { recursive: true });
const disks = process.env.DISK ? [path.resolve(process.env.DISK)] : [];
for (const d of disks) {
  if (!fs.existsSync(d)) {
    console.error(`error: DISK=${d} does not exist`);
    process.exit(2);
  }
}
const netOff = process.env.NET === "off";
const port = netOff ? 0 : process.env.NET_PORT ? Number(process.env.NET_PORT) : await freePort();
if (!netOff && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  console.error(`error: NET_PORT=${process.env.NET_PORT} is not a port number`);
  process.exit(2);
}
const args = [...qemuArgs({ workDir, disks, extra: splitArgs(process.env.QEMU_EXTRA), net: netOff ? undefined : { port } }),
  "-nographic", "-serial", "mon:stdio"];
console.log(`qemu-system-aarch64 ${args.join(" ")}\n(Ctrl-A X quits QEMU; 'poweroff' in SIS does too)`);
if (!netOff) console.log(`HTTP API: http://127.0.0.1:${port}/metrics  (token: printed at boot, /etc/api-token)`);
const child = spawn("qemu-system-aarch64", args, { stdio: "inherit" });
child.on("exit", (code) => process.exit(code ?? 1));
