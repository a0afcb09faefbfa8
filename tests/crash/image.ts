// The disk the crash workloads run on: an empty ext4 made by mke2fs with the features of the
// system disk (e2fsprogs 1.47 defaults + metadata_csum_seed + orphan_file: 64bit, extents,
// flex_bg, huge_file, dir_nlink, extra_isize, metadata_csum, a jbd2 journal with csum v3),
// 32 MiB in 4 KiB blocks (a 4 MiB journal). Fixed UUID, hash seed and time, so every build of
// it is the same bytes. Built once into build/crash/.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../host/qemu.ts";

export const CRASH_DIR = path.join(ROOT, "build/crash");
export const IMAGE_MIB = 32;
const MKFS = ["-q", "-F", "-b", "4096", "-O", "metadata_csum_seed,orphan_file", "-L", "sis-crash",
  "-U", "5c5c0001-0000-4000-8000-000000000007", "-E", "hash_seed=5c5c0002-0000-4000-8000-000000000007"];

/** The path of the pristine image (built when missing). Never write to it: copy it. */
export function crashBaseImage(): string {
  const out = path.join(CRASH_DIR, `base-${IMAGE_MIB}m.img`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(CRASH_DIR, { recursive: true });
  const tmp = `${out}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, "");
  fs.truncateSync(tmp, IMAGE_MIB << 20);
  execFileSync("mkfs.ext4", [...MKFS, tmp], { env: { ...process.env, E2FSPROGS_FAKE_TIME: "1767225600" }, stdio: "pipe" });
  execFileSync("e2fsck", ["-fn", tmp], { stdio: "pipe" });
  fs.renameSync(tmp, out);
  return out;
}

/** A private copy of the pristine image at `to`. */
export function freshImage(to: string): string {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(crashBaseImage(), to);
  return to;
}
