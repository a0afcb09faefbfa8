// File-system benchmarks: `cat` throughput of a 64 MiB file against a raw device read,
// path-lookup latency in a 10,000-entry directory, hashed (htree) and linear; creating 1,000
// small files, sequential write MB/s, fsync latency and journal commit latency.
//
// Both run the in-kernel `bench fs` commands (kernel/shell/commands/fs_bench.ts): on Node
// through the wasm build of the kernel with file-backed disks ("where":"node"), and in QEMU
// ("where":"qemu"). What the figures measure: fs.read_file_vs_raw is the ratio of the two
// medians beside it; fs.lookup_* resolve names in a directory whose blocks are in the buffer
// cache; fs.write_sequential's writes land in QEMU's host page cache (one fsync at the end);
// "max" stands for the worst of few samples (a "p99" only from 100 samples up).
import { Ext4Node } from "../tests/host/ext4-node.ts";
import { QemuSession } from "../host/qemu.ts";
import { jsonLines, BenchResult } from "./lib.ts";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureTestImages, ensureBenchImage, ensureEmptyImage, imagePath, BENCH_FILE, BIG_DIR } from "../images/test-images.ts";

// vde is a writable copy of an empty 160 MiB ext4
const COMMANDS = [
  "mount -r vdb /mnt", `bench fs read /mnt/${BENCH_FILE} --repeat 5`, "umount /mnt",
  "mount -r vdc /mnt", `bench fs lookup /mnt/${BIG_DIR} --count 3000`, "umount /mnt",
  "mount -r vdd /mnt", `bench fs lookup /mnt/${BIG_DIR} --count 3000`, "umount /mnt",
  "mount vde /mnt", "bench fs create /mnt --count 1000", "bench fs write /mnt/seq.bin --mib 32 --repeat 3",
  "bench fs fsync /mnt/fsync.bin --count 200", "umount /mnt",
];

async function onNode(images: string[]): Promise<BenchResult[]> {
  const k = await Ext4Node.load();
  k.bootMount();
  ["vdb", "vdc", "vdd"].forEach((name, i) => k.attach(name, images[i], { readOnly: true }));
  k.attach("vde", images[3]);
  const out: BenchResult[] = [];
  for (const c of COMMANDS) {
    const r = k.sh(c);
    if (r.status !== 0) throw new Error(`${c}: ${r.out}`);
    out.push(...jsonLines(r.out).map((x) => ({ ...x, where: "node" })));
  }
  return out;
}

async function inQemu(images: string[]): Promise<BenchResult[]> {
  const s = await QemuSession.start({ disks: images });
  try {
    await s.waitForPrompt();
    if (/no disk vda/.test(s.serialLog)) throw new Error("fs.bench: booted with disks, but the kernel found none ('no disk vda')");
    const out: BenchResult[] = [];
    for (const c of COMMANDS) out.push(...jsonLines(await s.run(c, 600000)).map((x) => ({ ...x, where: "qemu" })));
    return out;
  } finally {
    await s.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  ensureTestImages();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "sis-fs-bench-"));
  try {
    const writable = () => {
      const copy = path.join(scratch, `empty-${Date.now()}.img`);
      fs.copyFileSync(ensureEmptyImage(), copy);
      return copy;
    };
    const readOnly = [ensureBenchImage(), imagePath("ext4-4k"), imagePath("ext2-4k")];
    return [...(await onNode([...readOnly, writable()])), ...(await inQemu([...readOnly, writable()]))];
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
