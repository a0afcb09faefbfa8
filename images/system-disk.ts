// The system disk that `make image` builds and QEMU attaches as vda: an ext4 file system
// made by mkfs.ext4 with its default features from images/rootfs/, plus the empty
// directories git cannot hold (/mnt, the usual mount point, and /tmp).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { writeDiskModels } from "../host/llm-models.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOTFS = path.join(HERE, "rootfs");
const EMPTY_DIRS = ["mnt", "tmp"];
export const SYSTEM_DISK_MB = 64;
export const INCIDENT_AREA_BYTES = 4096;

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? [full, ...walk(full)] : [full];
  }).sort();
}

export const SYSTEM_DISK_INPUTS = (): string[] => [path.join(HERE, "system-disk.ts"), path.join(HERE, "../host/llm-models.ts"), ...walk(ROOTFS)];

/** A file built elsewhere (user programs, busybox) and where it goes on the disk. */
export interface ExtraFile { source: string; diskPath: string; mode: number }

export function buildSystemDisk(output: string, extras: ExtraFile[] = []): void {
  const staging = output + ".rootfs";
  fs.rmSync(staging, { recursive: true, force: true });
  fs.cpSync(ROOTFS, staging, { recursive: true });
  for (const e of extras) {
    const dest = path.join(staging, e.diskPath);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(e.source, dest);
    fs.chmodSync(dest, e.mode);
  }
  for (const d of EMPTY_DIRS) fs.mkdirSync(path.join(staging, d), { recursive: true });
  // generated at build time (seeded, ~1 MiB): a stories260K-shaped test model and its tokenizer
  writeDiskModels(path.join(staging, "models"));
  fs.rmSync(output, { force: true });
  // e2fsprogs 1.47's default features plus metadata_csum_seed and orphan_file (newer defaults)
  execFileSync("mkfs.ext4", ["-q", "-F", "-b", "4096", "-L", "sis-root", "-O", "metadata_csum_seed,orphan_file",
    "-d", staging, output, `${SYSTEM_DISK_MB}M`],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, E2FSPROGS_FAKE_TIME: "1767225600" } });
  fs.rmSync(staging, { recursive: true, force: true });
  // the incident area: 4 KiB after the file system, where the panic path writes its report
  // (arch-aarch64/incident.c) and the next boot finds it (kernel/fs/incidents.ts)
  fs.truncateSync(output, SYSTEM_DISK_MB * 1024 * 1024 + INCIDENT_AREA_BYTES);
}
