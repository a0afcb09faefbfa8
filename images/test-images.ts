// The ext2/3/4 image matrix for the file-system tests, made by e2fsprogs from one source tree.
//
//   tree/      small files of many sizes (seeded random bytes), a file with holes, a 5 GiB
//              sparse file (> 4 GiB: 64-bit sizes; sparse on the host too), a directory of
//              10,000 entries (htree after `e2fsck -fD`), a 30-level deep path, long names,
//              UTF-8 names, symlinks (fast, slow, relative, absolute, dangling, looping),
//              hard links, a fifo and device nodes
//   *.img      one image per IMAGE_SPECS entry: block sizes, feature sets, ext2/3/4, hash
//              algorithms, 128-byte inodes
//
// Built once into build/fs-images/ and reused while the hash of this file is unchanged
// (ensureTestImages()). `tsx images/test-images.ts` builds them by hand.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const IMAGES_DIR = path.resolve(HERE, "../build/fs-images");
export const TREE_DIR = path.join(IMAGES_DIR, "tree");
const FAKE_TIME = "1767225600";

export interface ImageSpec {
  name: string;
  /** mkfs program and its options (before the image path). */
  mkfs: string[];
  sizeMiB: number;
  /** Rebuild directory indexes with e2fsck -fD (turns big directories into htrees). */
  index: boolean;
  /** debugfs set_super_value commands run before indexing ("flags 2" = unsigned hash). */
  superValues?: string[];
  what: string;
}

const COMMON = ["-q", "-F", "-N", "16384", "-L", "sis-test"];

export const IMAGE_SPECS: ImageSpec[] = [
  { name: "ext4-4k", what: "ext4, e2fsprogs 1.47 defaults + metadata_csum_seed + orphan_file, 4 KiB blocks",
    mkfs: ["mkfs.ext4", ...COMMON, "-b", "4096", "-O", "metadata_csum_seed,orphan_file"], sizeMiB: 160, index: true },
  { name: "ext4-1k", what: "ext4, same features, 1 KiB blocks",
    mkfs: ["mkfs.ext4", ...COMMON, "-b", "1024", "-O", "metadata_csum_seed,orphan_file"], sizeMiB: 96, index: true },
  { name: "ext4-nocsum-32", what: "ext4 without metadata_csum and 64bit: crc16 group checksums, 32-byte descriptors, 128-byte inodes",
    mkfs: ["mkfs.ext4", ...COMMON, "-b", "4096", "-I", "128", "-O", "^metadata_csum,^64bit,uninit_bg"], sizeMiB: 160, index: true },
  { name: "ext4-tea-unsigned", what: "ext4 with TEA directory hashes, unsigned variant, 2 KiB blocks",
    mkfs: ["mkfs.ext4", ...COMMON, "-b", "2048"], sizeMiB: 96, index: true, superValues: ["def_hash_version tea", "flags 2"] },
  { name: "ext4-legacy-hash", what: "ext4 with the legacy directory hash, no flex_bg, meta_bg",
    mkfs: ["mkfs.ext4", ...COMMON, "-b", "1024", "-O", "^flex_bg,^resize_inode,meta_bg"], sizeMiB: 96, index: true,
    superValues: ["def_hash_version legacy"] },
  { name: "ext3-1k", what: "ext3 (journal, block maps), 1 KiB blocks",
    mkfs: ["mkfs.ext3", ...COMMON, "-b", "1024"], sizeMiB: 96, index: true },
  { name: "ext2-4k", what: "ext2 (block maps, no journal, linear directories)",
    mkfs: ["mkfs.ext2", ...COMMON, "-b", "4096", "-O", "^dir_index"], sizeMiB: 160, index: false },
];

// ---------------------------------------------------------------- the source tree

/** Deterministic bytes (xorshift32). */
export function seededBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export const BIG_DIR = "big-dir";
export const BIG_DIR_ENTRIES = 10000;
export const SPARSE_5G = "sparse/five-gib.bin";
export const SPARSE_5G_SIZE = 5 * 1024 ** 3 + 12345;
export const DEEP_LEVELS = 30;

function buildTree(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
  const w = (rel: string, data: Buffer | string) => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
  };
  w("etc/hostname", "sis-test\n");
  w("etc/motd", "Welcome to the SIS file-system test image.\n");
  const sizes = [0, 1, 59, 60, 511, 512, 1023, 1024, 1025, 2047, 2048, 4095, 4096, 4097, 8191, 12288, 65537, 100000, 1 << 20, 3 * (1 << 20) + 7];
  sizes.forEach((n, i) => w(`files/size-${n}.bin`, seededBytes(i + 1, n)));
  // a file with holes: data at 0, 1 MiB + 5, 5 MiB, and a tail at 10 MiB - 100
  const holes = path.join(root, "sparse/holes.bin");
  fs.mkdirSync(path.dirname(holes), { recursive: true });
  const fd = fs.openSync(holes, "w");
  fs.writeSync(fd, seededBytes(101, 3000), 0, 3000, 0);
  fs.writeSync(fd, seededBytes(102, 5000), 0, 5000, (1 << 20) + 5);
  fs.writeSync(fd, seededBytes(103, 4096), 0, 4096, 5 << 20);
  fs.writeSync(fd, seededBytes(104, 100), 0, 100, (10 << 20) - 100);
  fs.closeSync(fd);
  // > 4 GiB, sparse: a few data pieces, the last one straddling the end
  const big = fs.openSync(path.join(root, SPARSE_5G), "w");
  fs.writeSync(big, seededBytes(201, 4096), 0, 4096, 0);
  fs.writeSync(big, seededBytes(202, 10000), 0, 10000, 4 * 1024 ** 3 + 123);
  fs.writeSync(big, seededBytes(203, 12345), 0, 12345, SPARSE_5G_SIZE - 12345);
  fs.closeSync(big);
  // a directory with 10,000 entries
  fs.mkdirSync(path.join(root, BIG_DIR), { recursive: true });
  for (let i = 0; i < BIG_DIR_ENTRIES; i++) {
    fs.writeFileSync(path.join(root, BIG_DIR, `entry-${String(i).padStart(5, "0")}.txt`), i % 100 === 0 ? `entry ${i}\n` : "");
  }
  // deep path and long names
  let deep = "deep";
  for (let i = 0; i < DEEP_LEVELS; i++) deep += `/level-${i}`;
  w(`${deep}/bottom.txt`, "the bottom of a deep path\n");
  w(`long/${"n".repeat(255)}`, "a 255-byte name\n");
  w(`long/${"d".repeat(200)}/${"e".repeat(200)}/file`, "long components\n");
  // UTF-8 names (bytes >= 0x80 make the signed and unsigned hashes differ)
  w("names/café.txt", "café\n");
  w("names/日本語のファイル.txt", "utf-8 name\n");
  w("names/ünïcödé-ñàmé-ëxtra-lóng-to-cross-a-hash-block-of-sixteen.txt", "long utf-8 name\n");
  for (let i = 0; i < 300; i++) w(`names/é${i}-ü`, "");
  // symlinks
  fs.mkdirSync(path.join(root, "links"), { recursive: true });
  const link = (target: string, rel: string) => fs.symlinkSync(target, path.join(root, rel));
  link("../etc/motd", "links/relative");
  link("/etc/hostname", "links/absolute");
  link("../files", "links/dir");
  link("nowhere/at/all", "links/dangling");
  link("loop-b", "links/loop-a");
  link("loop-a", "links/loop-b");
  link("relative", "links/chain");
  const slowTarget = "../" + "deep/" + Array.from({ length: DEEP_LEVELS }, (_, i) => `level-${i}`).join("/") + "/bottom.txt";
  link(slowTarget, "links/slow");
  link("x".repeat(59), "links/fast-59");
  link("y".repeat(60), "links/slow-60");
  // hard links
  w("hard/original", "one inode, three names\n");
  fs.mkdirSync(path.join(root, "hard/sub"), { recursive: true });
  fs.linkSync(path.join(root, "hard/original"), path.join(root, "hard/second"));
  fs.linkSync(path.join(root, "hard/original"), path.join(root, "hard/sub/third"));
  // special files
  fs.mkdirSync(path.join(root, "dev"), { recursive: true });
  execFileSync("mkfifo", [path.join(root, "dev/fifo")]);
  try {
    execFileSync("mknod", [path.join(root, "dev/null"), "c", "1", "3"]);
    execFileSync("mknod", [path.join(root, "dev/sda1"), "b", "8", "1"]);
  } catch {
    // not root: no device nodes
  }
  fs.mkdirSync(path.join(root, "empty-dir"), { recursive: true });
}

/** A small tree for the corruption and write tests: every structure, few blocks. */
export const SMALL_TREE_DIR = path.join(IMAGES_DIR, "small-tree");

function buildSmallTree(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
  const w = (rel: string, data: Buffer | string) => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
  };
  w("etc/motd", "small image\n");
  w("files/a.bin", seededBytes(7, 3000));
  w("files/b.bin", seededBytes(8, 70000));
  // a fragmented file: written in pieces with holes between, so its extent tree needs a leaf block
  const frag = fs.openSync(path.join(root, "files/fragmented.bin"), "w");
  for (let i = 0; i < 12; i++) fs.writeSync(frag, seededBytes(300 + i, 4096), 0, 4096, i * 3 * 4096);
  fs.closeSync(frag);
  fs.mkdirSync(path.join(root, "dir"), { recursive: true });
  for (let i = 0; i < 300; i++) w(`dir/name-${i}`, i % 10 === 0 ? `${i}\n` : "");
  fs.symlinkSync("../etc/motd", path.join(root, "etc/link"));
  fs.symlinkSync("z".repeat(80), path.join(root, "etc/slow-link"));
  fs.linkSync(path.join(root, "files/a.bin"), path.join(root, "etc/hard"));
  let deep = "deep";
  for (let i = 0; i < 8; i++) deep += `/d${i}`;
  w(`${deep}/f`, "deep\n");
}

export const SMALL_SPECS: ImageSpec[] = [
  { name: "small-1k", what: "4 MiB ext4, default features, 1 KiB blocks",
    mkfs: ["mkfs.ext4", "-q", "-F", "-b", "1024", "-O", "metadata_csum_seed,orphan_file"], sizeMiB: 4, index: true },
  { name: "small-4k", what: "8 MiB ext4, default features, 4 KiB blocks",
    mkfs: ["mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "metadata_csum_seed,orphan_file"], sizeMiB: 8, index: true },
  { name: "small-nocsum", what: "8 MiB ext4 without metadata_csum and 64bit (journal tags without checksums, 32-bit)",
    mkfs: ["mkfs.ext4", "-q", "-F", "-b", "4096", "-I", "128", "-O", "^metadata_csum,^64bit,uninit_bg"], sizeMiB: 8, index: true },
];

// ---------------------------------------------------------------- images

function run(cmd: string, args: string[], okCodes = [0]): void {
  try {
    execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, E2FSPROGS_FAKE_TIME: FAKE_TIME } });
  } catch (e: any) {
    if (okCodes.includes(e.status)) return;
    throw new Error(`${cmd} ${args.join(" ")} failed (${e.status}):\n${e.stdout}${e.stderr}`);
  }
}

export function buildImage(spec: ImageSpec, output: string, tree = TREE_DIR): void {
  fs.rmSync(output, { force: true });
  fs.writeFileSync(output, "");
  fs.truncateSync(output, spec.sizeMiB << 20);
  run(spec.mkfs[0], [...spec.mkfs.slice(1), "-d", tree, output]);
  for (const v of spec.superValues ?? []) run("debugfs", ["-w", "-R", `ssv ${v}`, output]);
  if (spec.index) run("e2fsck", ["-fyD", output], [0, 1]);
  run("e2fsck", ["-fn", output]);
}

function generatorHash(): string {
  return createHash("sha256").update(fs.readFileSync(fileURLToPath(import.meta.url))).digest("hex").slice(0, 16);
}

export function imagePath(name: string): string {
  return path.join(IMAGES_DIR, `${name}.img`);
}

/** Builds the tree and every image unless they exist from this version of the generator. */
export function ensureTestImages(): void {
  const stamp = path.join(IMAGES_DIR, "stamp");
  const hash = generatorHash();
  const fresh = fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === hash &&
    [...IMAGE_SPECS, ...SMALL_SPECS].every((s) => fs.existsSync(imagePath(s.name)));
  if (fresh) return;
  fs.mkdirSync(IMAGES_DIR, { recursive: true });
  fs.rmSync(stamp, { force: true });
  buildTree(TREE_DIR);
  for (const spec of IMAGE_SPECS) buildImage(spec, imagePath(spec.name));
  buildSmallTree(SMALL_TREE_DIR);
  for (const spec of SMALL_SPECS) buildImage(spec, imagePath(spec.name), SMALL_TREE_DIR);
  fs.writeFileSync(stamp, hash);
}

/** A writable copy of an image (sparse, via copy-on-write or a sparse copy). */
export function copyImage(name: string, to: string): string {
  fs.copyFileSync(imagePath(name), to);
  return to;
}

/** An image with one 64 MiB file of random bytes (the cat-throughput benchmark). */
export const BENCH_FILE = "big-64m.bin";
export function ensureBenchImage(): string {
  const out = imagePath("bench-64m");
  if (fs.existsSync(out)) return out;
  const tree = path.join(IMAGES_DIR, "bench-tree");
  fs.rmSync(tree, { recursive: true, force: true });
  fs.mkdirSync(tree, { recursive: true });
  fs.writeFileSync(path.join(tree, BENCH_FILE), seededBytes(64, 64 << 20));
  buildImage({ name: "bench-64m", what: "64 MiB file", mkfs: ["mkfs.ext4", "-q", "-F", "-b", "4096"], sizeMiB: 96, index: false },
    out + ".tmp", tree);
  fs.renameSync(out + ".tmp", out);
  fs.rmSync(tree, { recursive: true, force: true });
  return out;
}

/** An empty 160 MiB ext4 (issue-default features, 4 KiB blocks) for the write benchmarks. */
export function ensureEmptyImage(): string {
  const out = imagePath("bench-empty");
  if (fs.existsSync(out)) return out;
  const tree = path.join(IMAGES_DIR, "empty-tree");
  fs.mkdirSync(tree, { recursive: true });
  buildImage({ name: "bench-empty", what: "empty", mkfs: ["mkfs.ext4", "-q", "-F", "-b", "4096", "-O", "metadata_csum_seed,orphan_file"],
    sizeMiB: 160, index: false }, out + ".tmp", tree);
  fs.renameSync(out + ".tmp", out);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const started = Date.now();
  ensureTestImages();
  console.log(`test images in ${path.relative(process.cwd(), IMAGES_DIR)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
