// File-system benchmarks: `cat` throughput of a 64 MiB file against a raw device read, and
// path-lookup latency in a 10,000-entry directory, hashed (htree) and linear.
//
// Both run the in-kernel `bench fs` commands (kernel/shell/commands/fs_bench.ts): on Node
// through the wasm build of the kernel with file-backed disks ("where":"node"), and in QEMU
// when the kernel there has a virtio-blk driver ("where":"qemu").
import { Ext4Node } from "../tests/host/ext4-node.ts";
import { QemuSession } from "../host/qemu.ts";
import { jsonLines, BenchResult } from "./lib.ts";
import { ensureTestImages, ensureBenchImage, imagePath, BENCH_FILE, BIG_DIR } from "../images/test-images.ts";

const COMMANDS = [
  "mount -r vdb /mnt", `bench fs read /mnt/${BENCH_FILE} --repeat 5`, "umount /mnt",
  "mount -r vdc /mnt", `bench fs lookup /mnt/${BIG_DIR} --count 3000`, "umount /mnt",
  "mount -r vdd /mnt", `bench fs lookup /mnt/${BIG_DIR} --count 3000`, "umount /mnt",
];

async function onNode(images: string[]): Promise<BenchResult[]> {
  const k = await Ext4Node.load();
  k.bootMount();
  ["vdb", "vdc", "vdd"].forEach((name, i) => k.attach(name, images[i], { readOnly: true }));
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
    if (/no disk vda/.test(s.serialLog)) {
      console.error("# fs.bench: the kernel has no virtio-blk driver: QEMU numbers skipped");
      return [];
    }
    const out: BenchResult[] = [];
    for (const c of COMMANDS) out.push(...jsonLines(await s.run(c, 600000)).map((x) => ({ ...x, where: "qemu" })));
    return out;
  } finally {
    await s.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  ensureTestImages();
  const images = [ensureBenchImage(), imagePath("ext4-4k"), imagePath("ext2-4k")];
  return [...(await onNode(images)), ...(await inQemu(images))];
}
