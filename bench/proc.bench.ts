// User processes in QEMU (`bench proc`): boots SIS on a copy of the system disk and runs
// `exec /bin/procbench 20` (userspace/procbench.c), which times from inside a process:
//   proc.getpid                   one system call round trip (svc, kernel, eret), ns
//   proc.fork_exec_wait_hello     fork + execve /bin/hello + wait4, us
//   proc.busybox_sh_c_true        fork + execve /bin/busybox sh -c true + wait4, us
// Anchor (FACTS.md): one busybox process start costs about 5 ms in a Linux 6.1 guest on the
// same QEMU flags; the goal is half of that.
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../host/qemu.ts";
import { runInKernel, BenchResult } from "./lib.ts";

export async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(ROOT, "build", "bench-proc-"));
  try {
    const systemDisk = path.join(dir, "system.img");
    fs.copyFileSync(path.join(ROOT, "build/disk.img"), systemDisk);
    return await runInKernel(["exec /bin/procbench 20"], { systemDisk });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
