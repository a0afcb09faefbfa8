// Reader for the write log that QEMU's `blklogwrites` block driver records (the dm-log-writes
// format of Linux), used by the crash harness to rebuild the disk as it was at any flush.
//
// Log layout (all little-endian, in log sectors; the harness always uses 512-byte sectors):
//
//   sector 0      super:  u64 magic 0x6a736677736872 ("rhswfsj")  u64 version (1)
//                         u64 entry count (updated by QEMU on every flush)  u32 sector size
//   sector 1..    entries, each one header sector:
//                         u64 sector (of the data disk)  u64 sector count  u64 flags  u64 data_len
//                 followed by `sector count` sectors of data for a write
//
//   flags: 1 FLUSH, 2 FUA, 4 DISCARD, 8 MARK, 16 METADATA
//
// Writes are logged when they complete, flushes when they complete, so a prefix of the log
// that ends at a flush is a state the disk could really have been in after a power cut.
// QEMU rewrites the entry count in sector 0 at every flush (and every 4096 entries): writes
// after the last flush may be missing from the count (the data disk itself holds them).
// QEMU logs no flush that has no write before it since the previous one, so a guest's flush
// count can exceed the log's; counting written sectors (writeSectorsThrough) is exact.
import * as fs from "node:fs";

export const LOG_MAGIC = 0x6a736677736872n;
export const FLAG_FLUSH = 1;
export const FLAG_FUA = 2;
export const FLAG_DISCARD = 4;
export const FLAG_MARK = 8;

export interface LogEntry {
  index: number;
  sector: number;
  sectors: number;
  flags: number;
  /** Byte offset of the data in the log file (writes only). */
  dataOffset: number;
}

export interface WriteLog {
  sectorSize: number;
  entries: LogEntry[];
}

export function readWriteLog(path: string): WriteLog {
  const fd = fs.openSync(path, "r");
  try {
    const head = Buffer.alloc(512);
    fs.readSync(fd, head, 0, 512, 0);
    if (head.readBigUInt64LE(0) !== LOG_MAGIC) throw new Error(`${path}: not a blklogwrites log (bad magic)`);
    const count = Number(head.readBigUInt64LE(16));
    const sectorSize = head.readUInt32LE(24);
    const entries: LogEntry[] = [];
    let offset = sectorSize;
    const header = Buffer.alloc(32);
    for (let i = 0; i < count; i++) {
      if (fs.readSync(fd, header, 0, 32, offset) < 32) throw new Error(`${path}: log ends inside entry ${i}`);
      const sector = Number(header.readBigUInt64LE(0));
      const sectors = Number(header.readBigUInt64LE(8));
      const flags = Number(header.readBigUInt64LE(16));
      const hasData = sectors > 0 && !(flags & FLAG_DISCARD);
      entries.push({ index: i, sector, sectors, flags, dataOffset: hasData ? offset + sectorSize : -1 });
      offset += sectorSize + (hasData ? sectors * sectorSize : 0);
    }
    return { sectorSize, entries };
  } finally {
    fs.closeSync(fd);
  }
}

/** Indexes of entries after which the disk state is one a power cut could leave: every flush. */
export function flushPoints(log: WriteLog): number[] {
  return log.entries.filter((e) => e.flags & (FLAG_FLUSH | FLAG_FUA)).map((e) => e.index);
}

/**
 * Writes `base` with log entries [0, upTo] applied to `output` (a new file). Entries can be
 * filtered (CrashMonkey-style: drop some writes between two barriers) with `keep`.
 */
export function replayPrefix(logPath: string, log: WriteLog, base: string, upTo: number, output: string,
  keep: (e: LogEntry) => boolean = () => true): void {
  fs.copyFileSync(base, output);
  const out = fs.openSync(output, "r+");
  const src = fs.openSync(logPath, "r");
  try {
    for (const e of log.entries) {
      if (e.index > upTo) break;
      if (e.dataOffset < 0 || !keep(e)) continue;
      const data = Buffer.alloc(e.sectors * log.sectorSize);
      fs.readSync(src, data, 0, data.length, e.dataOffset);
      fs.writeSync(out, data, 0, data.length, e.sector * 512);
    }
  } finally {
    fs.closeSync(out);
    fs.closeSync(src);
  }
}

/** QEMU options that attach `data` as the next virtio disk with every write logged to `log`. */
export function loggedDiskArgs(data: string, log: string, id = "lw0"): string[] {
  return [
    "-blockdev", `driver=file,node-name=${id}-data,filename=${data}`,
    "-blockdev", `driver=file,node-name=${id}-log,filename=${log}`,
    "-blockdev", `driver=blklogwrites,node-name=${id},file=${id}-data,log=${id}-log,log-sector-size=512`,
    "-device", `virtio-blk-device,drive=${id}`,
  ];
}

/** Total sectors written by entries [0, upTo] (writes only), for every entry: prefix sums. */
export function writeSectorsThrough(log: WriteLog): number[] {
  const out: number[] = [];
  let total = 0;
  for (const e of log.entries) {
    if (e.dataOffset >= 0) total += e.sectors;
    out.push(total);
  }
  return out;
}

/**
 * The first flush point at or after which `sectors` sectors of writes are in the log: the
 * earliest log state that holds everything a guest had seen complete when its own counter of
 * written sectors read `sectors`. -1 when no flush follows.
 */
export function flushCovering(log: WriteLog, sums: number[], sectors: number): number {
  let i = 0;
  while (i < log.entries.length && sums[i] < sectors) i++;
  for (; i < log.entries.length; i++) if (log.entries[i].flags & (FLAG_FLUSH | FLAG_FUA)) return i;
  return -1;
}

/**
 * The disk in memory, replayed entry by entry (faster than replayPrefix per state when every
 * state is wanted): `advanceTo(i)` applies entries up to i, `image` is the disk at that point,
 * `withEntries(list)` is a copy with some further writes applied (CrashMonkey-style subsets).
 */
export class ImageReplayer {
  readonly image: Buffer;
  /** Entries applied: [0, next). */
  next = 0;
  private fd: number;

  constructor(readonly logPath: string, readonly log: WriteLog, base: string) {
    this.image = fs.readFileSync(base);
    this.fd = fs.openSync(logPath, "r");
  }

  private apply(target: Buffer, e: LogEntry): void {
    if (e.dataOffset < 0) return;
    const bytes = e.sectors * this.log.sectorSize;
    if (e.sector * 512 + bytes > target.length) throw new Error(`log entry ${e.index} writes past the end of the disk`);
    fs.readSync(this.fd, target, e.sector * 512, bytes, e.dataOffset);
  }

  advanceTo(upTo: number): void {
    while (this.next <= upTo) this.apply(this.image, this.log.entries[this.next++]);
  }

  withEntries(entries: LogEntry[]): Buffer {
    const copy = Buffer.from(this.image);
    for (const e of entries) this.apply(copy, e);
    return copy;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
