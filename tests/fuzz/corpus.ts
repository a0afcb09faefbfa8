// Images and seed corpora for the fuzz targets, made by e2fsprogs and by rule (deterministic:
// fixed UUIDs, hash seeds and times, so the Node replay sees the bytes the fuzzer saw).
//
//   build/fuzz/images/base.img       4 MiB ext4, 1 KiB blocks, journal: the tree below (vfs_path,
//                                    shell_parse mount it on /mnt)
//   build/fuzz/images/journal.img    3 MiB ext4 whose journal needs recovery (jbd2_replay);
//                                    journal.json: where its journal starts
//   build/fuzz/corpus/TARGET/        the seeds: >= 1,000 per target
//
// Usage: tsx tests/fuzz/corpus.ts  (make fuzz runs it; skipped when this file is unchanged)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { netSeeds } from "./net_seeds.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FUZZ_BUILD = path.join(ROOT, "build/fuzz");
export const IMAGES = path.join(FUZZ_BUILD, "images");
export const CORPUS = path.join(FUZZ_BUILD, "corpus");
export const BASE_IMAGE = path.join(IMAGES, "base.img");
export const JOURNAL_IMAGE = path.join(IMAGES, "journal.img");
export const JOURNAL_INFO = path.join(IMAGES, "journal.json");
/** How much of the journal an input of jbd2_replay covers. */
export const JOURNAL_BYTES = 64 * 1024;
export const TARGETS = ["vfs_path", "ext4_image", "jbd2_replay", "shell_parse", "net_rx"];

const ENV = { ...process.env, E2FSPROGS_FAKE_TIME: "1767225600" };
const UUID = "5153a7f0-0000-4000-8000-00000000f022";
const HASH_SEED = "5153a7f0-1111-4000-8000-00000000f022";

function run(cmd: string, args: string[], okCodes = [0]): string {
  try {
    return execFileSync(cmd, args, { env: ENV, stdio: ["ignore", "pipe", "pipe"] }).toString();
  } catch (e: any) {
    if (okCodes.includes(e.status)) return `${e.stdout ?? ""}`;
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.stderr ?? e.message}`);
  }
}

/** The tree on the images: names and shapes the path code must handle. */
function buildTree(root: string, big: number): void {
  fs.rmSync(root, { recursive: true, force: true });
  const w = (rel: string, data: string | Buffer) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
  };
  w("dir/a", "alpha\n");
  w("dir/b", Buffer.alloc(5000, 0x62));
  w("etc/motd", "welcome to SIS\n");
  for (let i = 0; i < big; i++) w(`big/entry-${String(i).padStart(3, "0")}-${"x".repeat(30)}`, `${i}\n`);
  let deep = "deep";
  for (let i = 0; i < 12; i++) deep += `/${i}`;
  w(`${deep}/leaf`, "deep\n");
  w("n".repeat(255), "long name\n");
  w("utf8-é-名前", "utf8\n");
  // a fragmented file: holes between written blocks make many extents (an extent tree of depth 1)
  const sparse = path.join(root, "sparse");
  const fd = fs.openSync(sparse, "w");
  for (let i = 0; i < 12; i++) fs.writeSync(fd, Buffer.alloc(1024, 0x30 + i), 0, 1024, i * 8192);
  fs.closeSync(fd);
  fs.symlinkSync("dir/a", path.join(root, "fast"));
  fs.symlinkSync("dir/" + "s".repeat(120) + "/../a", path.join(root, "slow"));
  fs.symlinkSync("/mnt/dir", path.join(root, "abs"));
  fs.symlinkSync("loop2", path.join(root, "loop1"));
  fs.symlinkSync("loop1", path.join(root, "loop2"));
  fs.symlinkSync("nowhere", path.join(root, "dangling"));
  fs.symlinkSync("../..", path.join(root, "dir/up"));
  fs.linkSync(path.join(root, "dir/a"), path.join(root, "dir/hard"));
  // fixed times, so the images are the same bytes on every machine
  const t = new Date(1767225600 * 1000);
  const touch = (p: string) => {
    fs.lutimesSync(p, t, t);
    if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) touch(path.join(p, e));
  };
  touch(root);
}

function mkfs(image: string, sizeKiB: number, tree: string, options: string[]): void {
  fs.rmSync(image, { force: true });
  fs.writeFileSync(image, "");
  fs.truncateSync(image, sizeKiB * 1024);
  run("mkfs.ext4", ["-q", "-F", "-U", UUID, "-E", `hash_seed=${HASH_SEED}`, "-L", "sis-fuzz", ...options, "-d", tree, image]);
  run("e2fsck", ["-fyD", image], [0, 1]);
  run("e2fsck", ["-fn", image]);
}

/** Physical byte offset of the journal (inode 8, logical block 0). */
function journalOffset(image: string, blockSize: number): number {
  const out = run("debugfs", ["-R", "bmap <8> 0", image]).trim();
  return Number(out.split("\n").pop()) * blockSize;
}

function writeSeeds(target: string, seeds: Buffer[]): void {
  const dir = path.join(CORPUS, target);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  for (const s of seeds) {
    const h = createHash("sha1").update(s).digest("hex");
    if (seen.has(h)) continue;
    seen.add(h);
    fs.writeFileSync(path.join(dir, h), s);
  }
}

/** xorshift32, seeded: the generated seeds are the same on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

// ---------------------------------------------------------------- vfs_path

/** Paths that reach the corners of resolution (see targets.entry.ts fuzzVfsPath for the format). */
function interestingPaths(): Buffer[] {
  const s = (x: string) => Buffer.from(x, "utf8");
  const list: Buffer[] = [
    "/", "", ".", "..", "/..", "/../../..", "//", "///mnt//dir///a", "/mnt", "/mnt/", "/mnt/.", "/mnt/..",
    "/mnt/dir/a", "/mnt/dir/a/", "/mnt/dir/./a", "/mnt/dir/../dir/a", "/mnt/dir/up/mnt/dir/b", "/mnt/fast", "/mnt/slow",
    "/mnt/abs/a", "/mnt/loop1", "/mnt/loop1/x", "/mnt/dangling", "/mnt/big/entry-042-" + "x".repeat(30),
    "/mnt/big/entry-999", "/mnt/deep/0/1/2/3/4/5/6/7/8/9/10/11/leaf", "/mnt/" + "n".repeat(255), "/mnt/" + "n".repeat(256),
    "/mnt/utf8-é-名前", "/mnt/sparse", "/mnt/etc/motd", "/tmp", "/tmp/file", "/tmp/link", "/tmp/loop", "/tmp/up/dir/a",
    "/tmp/new", "/mnt/new", "/mnt/dir/new", "/mnt/big/new", "tmp/file", "mnt/dir", "../mnt/dir/a",
    "/" + "a/".repeat(2047), "/mnt/" + "x".repeat(4090), "/tmp/" + "d/".repeat(100),
  ].map(s);
  list.push(Buffer.from([0x2f, 0x74, 0x6d, 0x70, 0x2f, 0x00, 0x61])); // NUL inside
  list.push(Buffer.from([0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff, 0xfe, 0x80])); // not UTF-8
  list.push(Buffer.from([0x2f, 0x6d, 0x6e, 0x74, 0x2f, 0xc3])); // truncated sequence
  list.push(Buffer.from([0x2f, 0xed, 0xa0, 0x80])); // an encoded surrogate
  return list;
}

function vfsRecord(op: number, a: Buffer, b?: Buffer, extra: number[] = []): Buffer {
  const parts = [Buffer.from([op, a.length & 0xff, (a.length >> 8) & 0x1f]), a];
  if (b) parts.push(Buffer.from([b.length & 0xff, (b.length >> 8) & 0x1f]), b);
  parts.push(Buffer.from(extra));
  return Buffer.concat(parts);
}

const TWO_PATH_OPS = new Set([5, 8, 12]);

function vfsSeeds(): Buffer[] {
  const paths = interestingPaths();
  const seeds: Buffer[] = [];
  for (let op = 0; op <= 16; op++) {
    for (const p of paths) {
      if (TWO_PATH_OPS.has(op)) seeds.push(vfsRecord(op, p, Buffer.from("/mnt/dir/renamed")));
      else seeds.push(vfsRecord(op, p, undefined, [3, 7]));
    }
  }
  // scripted sequences for the corners of resolution: walks relative to a working directory, chains
  // of links (relative, absolute, through a mount, longer than MAX_SYMLINKS), ".." and "." as the
  // last component of a parent lookup, trailing slashes on files and links
  const b = (x: string) => Buffer.from(x, "utf8");
  const rec = (op: number, x: string, y?: string) => vfsRecord(op, b(x), y === undefined ? undefined : b(y), [5, 9]);
  const chain = (n: number, absolute: boolean): Buffer[] => {
    const out = [rec(4, "/tmp/c")];
    for (let i = 1; i <= n; i++) out.push(rec(8, absolute ? `/tmp/c/l${i - 1}` : `l${i - 1}`, `/tmp/c/l${i}`));
    return out;
  };
  const scripts: Buffer[][] = [
    [rec(10, "/mnt/dir"), rec(0, "a"), rec(0, "./a"), rec(0, "../dir/a"), rec(0, "../../.."), rec(5, "a", "b"), rec(4, "new"),
      rec(3, "new/f"), rec(11, "."), rec(10, ".."), rec(11, "dir"), rec(7, "dir/new"), rec(0, "dir/b/")],
    [rec(10, "/tmp"), rec(8, "file", "rel"), rec(0, "rel"), rec(0, "rel/"), rec(1, "rel/"), rec(9, "rel"), rec(6, "rel/"),
      rec(10, "up"), rec(0, "dir/a"), rec(0, ".."), rec(10, "../.."), rec(0, "tmp/file")],
    [...chain(20, false), rec(0, "/tmp/c/l20"), rec(1, "/tmp/c/l20"), rec(0, "/tmp/c/l20/")],
    [...chain(22, true), rec(0, "/tmp/c/l22"), rec(2, "/tmp/c/l22")],
    [rec(8, "/mnt/dir", "/tmp/m"), rec(0, "/tmp/m/a"), rec(0, "/tmp/m/../dir/a"), rec(0, "/tmp/m/.."), rec(8, "/tmp/m/a", "/mnt/ma"),
      rec(0, "/mnt/ma"), rec(5, "/mnt/ma", "/tmp/ma"), rec(0, "/tmp/ma"), rec(12, "/tmp/ma", "/tmp/hard")],
    [rec(4, "/tmp/.."), rec(4, "/tmp/."), rec(5, "/tmp/..", "/tmp/x"), rec(5, "/tmp/file", "/tmp/."), rec(6, "/mnt/.."),
      rec(7, "/mnt/dir/."), rec(8, "x", "/tmp/.."), rec(12, "/tmp/file", "/mnt/.."), rec(3, "/"), rec(4, "/"), rec(5, "/", "/tmp/r")],
    [rec(0, "/tmp/file/"), rec(0, "/tmp/file/."), rec(0, "/tmp/file/.."), rec(0, "/tmp/link/"), rec(0, "/tmp/file/x"),
      rec(4, "/tmp/file/x"), rec(0, "/mnt/etc/motd/"), rec(0, "/tmp/up/"), rec(0, "/tmp/up/.."), rec(0, "/tmp/up/../tmp/up/dir")],
    [rec(8, "/" + "q".repeat(4094), "/tmp/longlink"), rec(0, "/tmp/longlink"), rec(0, "/tmp/longlink/x"),
      rec(8, "y/".repeat(2047), "/tmp/deeplink"), rec(0, "/tmp/deeplink"), rec(8, "../".repeat(50) + "mnt/dir", "/tmp/dots"),
      rec(0, "/tmp/dots/a")],
    [rec(4, "/tmp/d"), rec(10, "/tmp/d"), rec(7, "/tmp/d"), rec(0, "."), rec(0, ".."), rec(3, "f"), rec(11, "."), rec(10, "/")],
  ];
  for (const script of scripts) {
    for (let k = 1; k <= script.length; k++) seeds.push(Buffer.concat(script.slice(0, Math.min(24, k))));
  }
  // short sequences: create, write, rename, link, remove over both file systems
  const next = rng(19);
  for (let i = 0; i < 400; i++) {
    const records: Buffer[] = [];
    const n = 2 + (next() % 6);
    for (let j = 0; j < n; j++) {
      const op = next() % 17;
      const a = paths[next() % paths.length];
      const b = paths[next() % paths.length];
      records.push(vfsRecord(op | (next() % 8 == 0 ? 0x80 : 0) | (next() % 2 ? 0x20 : 0), a, TWO_PATH_OPS.has(op) ? b : undefined,
        [next() & 0xff, next() & 0xff]));
    }
    seeds.push(Buffer.concat(records));
  }
  return seeds;
}

// ---------------------------------------------------------------- shell_parse

function shellSeeds(): Buffer[] {
  const commands = ["ls", "ls -l", "ls -a", "ls -la", "stat", "cat", "hexdump", "hexdump -n 16", "hexdump -s 100 -n 64",
    "sha256sum", "readlink", "find", "find -name '*a*'", "df", "pwd", "cd", "help", "echo", "version", "uname", "uptime",
    "ticks", "ls --help", "cat --help", "find --help", "hexdump -C", "ls --json", "df --json", "stat --json", "help ls"];
  const args = ["", "/", "/mnt", "/mnt/dir/a", "/mnt/big", "/mnt/fast", "/mnt/loop1", "/tmp/file", "\"/mnt/dir\"", "'/mnt/dir'",
    "/mnt/utf8-é-名前", "/mnt/dir/a /mnt/dir/b", "\\/mnt", "\"unterminated", "'unterminated", "trailing\\", "-x", "--", "-n",
    "-n -1", "-n 99999999999999999999", "-s 0x10", "-n 1e3", "..", "/mnt/sparse", "/mnt/deep/0/1/2", "/mnt/" + "n".repeat(255),
    "a\tb", "\"a \\\"b\\\" c\"", "/mnt/etc/motd /nope"];
  const seeds: Buffer[] = [];
  for (const c of commands) for (const a of args) seeds.push(Buffer.from(`${c} ${a}`.trim(), "utf8"));
  // two-word combinations and odd spacing, so every command also sees several arguments
  const next = rng(23);
  for (let i = 0; i < 300; i++) {
    const c = commands[next() % commands.length];
    const a = args[next() % args.length];
    const b = args[next() % args.length];
    const gap = [" ", "  ", "\t", " \t "][next() % 4];
    seeds.push(Buffer.from(`${gap}${c}${gap}${a}${gap}${b}${next() % 3 == 0 ? gap : ""}`, "utf8"));
  }
  seeds.push(Buffer.from("echo " + "w ".repeat(300)));
  seeds.push(Buffer.from([0x6c, 0x73, 0x20, 0xff, 0xfe]));
  return seeds;
}

// ---------------------------------------------------------------- ext4_image, jbd2_replay

interface SmallImage { name: string; kib: number; options: string[] }
const SMALL_IMAGES: SmallImage[] = [
  { name: "csum", kib: 256, options: ["-b", "1024", "-N", "96", "-O", "^has_journal,metadata_csum_seed"] },
  { name: "blockmap", kib: 256, options: ["-b", "1024", "-N", "96", "-O", "^has_journal,^flex_bg,^extent,^64bit"] },
  { name: "nocsum", kib: 256, options: ["-b", "1024", "-N", "96", "-I", "128", "-O", "^has_journal,^metadata_csum,^64bit,uninit_bg"] },
  { name: "ext2", kib: 256, options: ["-t", "ext2", "-b", "1024", "-N", "96"] },
  { name: "2k", kib: 512, options: ["-b", "2048", "-N", "96", "-O", "^has_journal"] },
];

function imageSeeds(tree: string): Buffer[] {
  const seeds: Buffer[] = [];
  for (const spec of SMALL_IMAGES) {
    const image = path.join(IMAGES, `small-${spec.name}.img`);
    const opts = spec.options[0] === "-t" ? spec.options : spec.options;
    if (opts[0] === "-t") {
      fs.rmSync(image, { force: true });
      fs.writeFileSync(image, "");
      fs.truncateSync(image, spec.kib * 1024);
      run("mkfs.ext2", ["-q", "-F", "-U", UUID, "-E", `hash_seed=${HASH_SEED}`, ...opts.slice(2), "-d", tree, image]);
      run("e2fsck", ["-fyD", image], [0, 1]);
    } else {
      mkfs(image, spec.kib, tree, opts);
    }
    seeds.push(fs.readFileSync(image));
  }
  return seeds;
}

/** Journals needing recovery, written by debugfs: single and multi-block transactions, revokes. */
function journalSeeds(tree: string): { seeds: Buffer[]; offset: number } {
  const pristine = path.join(IMAGES, "journal-pristine.img");
  mkfs(pristine, 3072, tree, ["-b", "1024", "-N", "128", "-J", "size=1", "-O", "metadata_csum_seed"]);
  const offset = journalOffset(pristine, 1024);
  const scripts: string[][] = [
    ["jo", "jw -b 300 /dev/zero", "jc"],
    ["jo -c", "jw -b 300,301,302 /dev/zero", "jc"],
    ["jo", "jw -b 260 /dev/zero", "jw -r 260", "jc"],
    ["jo -c", "jw -b 300 /dev/zero", "jw -b 301,302 /dev/zero", "jw -r 301", "jc"],
    ["jo", "jw -b 1,2 /dev/zero", "jc"],
    ["jo -c", "jw -b 400,401,402,403,404,405,406,407 /dev/zero", "jc"],
    ["jo", "jw -b 500 -c /dev/zero", "jc"],
  ];
  const seeds: Buffer[] = [];
  let i = 0;
  for (const script of scripts) {
    const image = path.join(IMAGES, `journal-${i++}.img`);
    fs.copyFileSync(pristine, image);
    const cmds = path.join(IMAGES, "debugfs.cmds");
    fs.writeFileSync(cmds, script.join("\n") + "\n");
    try {
      run("debugfs", ["-w", "-f", cmds, image]);
    } catch {
      continue; // an option this debugfs lacks: that seed is skipped
    }
    const bytes = fs.readFileSync(image);
    seeds.push(bytes.subarray(offset, offset + JOURNAL_BYTES));
    if (i === 1) fs.copyFileSync(image, JOURNAL_IMAGE); // the image the inputs are laid over
  }
  return { seeds, offset };
}

/** A few deterministic byte flips of each seed, so the corpus starts past the checksums' edge. */
function flipped(seeds: Buffer[], count: number, seed: number, ranges: (b: Buffer) => [number, number]): Buffer[] {
  const next = rng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const b = Buffer.from(seeds[i % seeds.length]);
    const [lo, hi] = ranges(b);
    const k = 1 + (next() % 4);
    for (let j = 0; j < k; j++) b[lo + (next() % (hi - lo))] = next() & 0xff;
    out.push(b);
  }
  return out;
}

export function generateCorpus(): void {
  fs.mkdirSync(IMAGES, { recursive: true });
  const tree = path.join(IMAGES, "tree");
  buildTree(tree, 80);
  mkfs(BASE_IMAGE, 4096, tree, ["-b", "1024", "-N", "256", "-J", "size=1", "-O", "metadata_csum_seed"]);
  const smallTree = path.join(IMAGES, "small-tree");
  buildTree(smallTree, 30);
  const images = imageSeeds(smallTree);
  const journal = journalSeeds(smallTree);
  fs.writeFileSync(JOURNAL_INFO, JSON.stringify({ offset: journal.offset, bytes: JOURNAL_BYTES }) + "\n");
  writeSeeds("vfs_path", vfsSeeds());
  writeSeeds("shell_parse", shellSeeds());
  // images: the originals, and flips in the first 16 KiB (superblock, descriptors, bitmaps, inodes)
  writeSeeds("ext4_image", [...images, ...flipped(images, 1000, 7, () => [1024, 16384])]);
  writeSeeds("jbd2_replay", [...journal.seeds, ...flipped(journal.seeds, 1000, 11, () => [0, 16384])]);
  // frames: the conversations, and flips anywhere after the mode byte
  const net = netSeeds();
  writeSeeds("net_rx", [...net, ...flipped(net, 1000, 13, (b) => [1, b.length])]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  generateCorpus();
  for (const t of TARGETS) console.log(`${t}: ${fs.readdirSync(path.join(CORPUS, t)).length} seeds`);
}
