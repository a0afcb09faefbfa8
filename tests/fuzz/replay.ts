// Replays fuzz inputs through the Node build of the same targets (tests/fuzz/targets.entry.ts
// compiled to wasm and run by V8), exactly as harness.c prepares them: the regression tests
// use it, and it shows a crash found natively is a crash of the kernel code, not of the glue.
//
//   tsx tests/fuzz/replay.ts TARGET FILE...      prints "ok" or the trap/abort per file
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { loadKernelModule } from "../host/compile.ts";
import { HostPlatform } from "../host/platform.ts";
import { HEAP_PAGES } from "../host/ext4-node.ts";
import { BASE_IMAGE, JOURNAL_IMAGE, JOURNAL_INFO, generateCorpus } from "./corpus.ts";

export const ENTRY = "tests/fuzz/targets.entry.ts";

function ensureImages(): void {
  if (!fs.existsSync(BASE_IMAGE) || !fs.existsSync(JOURNAL_IMAGE) || !fs.existsSync(JOURNAL_INFO)) generateCorpus();
}

/** Runs one input of a target in a fresh instance; resolves to "ok" or throws the trap/abort. */
export async function replay(target: string, input: Buffer): Promise<string> {
  ensureImages();
  const platform = new HostPlatform();
  const disks = new Map<number, Buffer>();
  let memory: WebAssembly.Memory | null = null;
  platform.addImports("hostblk", {
    read(id: number, lba: bigint, count: number, ptr: number): number {
      const d = disks.get(id)!;
      const off = Number(lba) * 512;
      if (off + count * 512 > d.length) throw new Error(`hostblk: I/O past the end of disk ${id}`);
      d.copy(new Uint8Array(memory!.buffer, ptr, count * 512), 0, off, off + count * 512);
      return 0;
    },
    write(id: number, lba: bigint, count: number, ptr: number): number {
      const d = disks.get(id)!;
      const off = Number(lba) * 512;
      if (off + count * 512 > d.length) throw new Error(`hostblk: I/O past the end of disk ${id}`);
      Buffer.from(memory!.buffer, ptr, count * 512).copy(d, off);
      return 0;
    },
    flush: (_id: number) => 0,
  });
  const k = await loadKernelModule<any>(ENTRY, { pages: HEAP_PAGES }, platform);
  memory = k.memory;
  const e = k.exports;
  const passInput = () => {
    const at = e.inputBuffer(input.length) >>> 0;
    input.copy(new Uint8Array(memory!.buffer, at, input.length));
  };
  const base = () => {
    const b = Buffer.from(fs.readFileSync(BASE_IMAGE));
    disks.set(2, b);
    return BigInt(b.length / 512);
  };
  if (target === "vfs_path") {
    passInput();
    e.fuzzVfsPath(base());
  } else if (target === "shell_parse") {
    passInput();
    e.fuzzShellParse(base());
  } else if (target === "ext4_image") {
    const n = input.length & ~511;
    if (n < 2048) return "ok";
    disks.set(1, Buffer.from(input.subarray(0, n)));
    e.fuzzExt4Image(BigInt(n / 512));
  } else if (target === "jbd2_replay") {
    const info = JSON.parse(fs.readFileSync(JOURNAL_INFO, "utf8"));
    const image = Buffer.from(fs.readFileSync(JOURNAL_IMAGE));
    const room = Math.min(image.length - info.offset, info.bytes);
    input.copy(image, info.offset, 0, Math.min(input.length, room));
    disks.set(1, image);
    e.fuzzExt4Image(BigInt(image.length / 512));
  } else if (target === "net_rx") {
    passInput();
    e.fuzzNetRx();
    return `ok (${e.fuzzNetReport()})`;
  } else {
    throw new Error(`unknown fuzz target '${target}'`);
  }
  return "ok";
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [target, ...files] = process.argv.slice(2);
  let failed = 0;
  for (const f of files) {
    try {
      console.log(`${f}: ${await replay(target, fs.readFileSync(f))}`);
    } catch (err: any) {
      failed++;
      console.log(`${f}: ${err.message ?? err}`);
    }
  }
  process.exit(failed ? 1 : 0);
}
