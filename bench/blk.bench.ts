// virtio-blk throughput in QEMU: boots SIS with a 128 MiB scratch disk of random bytes as vdb
// and runs `bench blk` (512 MiB per sequential run, wrapping over the disk; 128 MiB of random
// 4 KiB reads), which prints one JSON line per measurement:
//   blk.seq_read.qd1/qd32, blk.seq_write.qd1/qd32      128 KiB requests, MB/s (median of 3 runs)
//   blk.rand_read_4k.qd1/qd32                           4 KiB random reads, IOPS
//   blk.irq.*.event_idx_on/off                          interrupts per request with and without
//                                                       EVENT_IDX (refill at once / after 16)
//   blk.poll.*                                          the same with polling instead of interrupts
// Each line also carries mbps, iops, p50_us/p99_us request latency (submit to completion seen
// by the kernel) and irq_per_req/notify_per_req of the median run. Numbers depend on the host (TCG emulation, host page cache).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../host/qemu.ts";
import { runInKernel, BenchResult } from "./lib.ts";

const DISK_MB = 128;
const SEQUENTIAL_MB = 512;

export async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(ROOT, "build", "bench-blk-"));
  const disk = path.join(dir, "scratch.img");
  try {
    const fd = fs.openSync(disk, "w");
    for (let i = 0; i < DISK_MB; i++) fs.writeSync(fd, crypto.randomBytes(1 << 20));
    fs.closeSync(fd);
    const systemDisk = path.join(dir, "system.img");
    fs.copyFileSync(path.join(ROOT, "build/disk.img"), systemDisk);
    return await runInKernel([`bench blk --dev vdb --mb ${SEQUENTIAL_MB} --runs 3`], { systemDisk, disks: [disk] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
