// Seeded stress workloads for crash testing (`fsctl stress SCENARIO`), the plan's seven
// scenarios. Each one reports over the console, as it goes, what MUST survive a power cut:
//
//   stress begin <scenario> seed=<S>
//   stress synced <device> <sectors>        an fsync/sync returned; the device holding the
//                                           workload had completed <sectors> sectors of
//                                           writes by then (the crash harness finds this
//                                           point in a block write log: the promises that
//                                           follow hold from the first flush after it)
//   stress durable <path> <size> <sha256>   this file, exactly, is fsync'ed
//   stress prefix <path> <size> <sha256>    at least these first bytes are fsync'ed (the file
//                                           may have grown since)
//   stress absent <path>                    its removal is committed
//   stress end <scenario> ops=<N>
//
// A line is printed only after the fsync (or sync) that makes it true has returned, so a
// checker that finds a line in the serial log may demand it after recovery. Contents come from
// a seeded generator; the same seed gives the same files (tests/crash/model.ts replays the
// generator on the host to know every byte ever written: keep the two in step).
import { println } from "../platform/console";
import { BlockDevice, findBlockDevice } from "../block/device";
import { Sha256 } from "../lib/sha256";
import * as vfs from "./vfs";
import { fsError } from "./messages";

export const SCENARIOS: Array<string> = [
  "write_during_allocation", "write_during_inode_create", "write_during_journal_commit", "write_during_data_write",
  "concurrent_writes", "directory_operations", "truncate_operations",
];

let rngState: u32 = 1;
function next(): u32 {
  let x = rngState;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rngState = x;
  return x;
}
function below(n: u32): u32 {
  return next() % n;
}

let buffer: usize = 0;
const CHUNK: u32 = 64 << 10;
const hasher = new Sha256();
const snapshot = new Sha256();

function fill(length: u32): void {
  for (let i: u32 = 0; i < length; i += 4) store<u32>(buffer + <usize>i, next());
}

let failed = false;
let ops = 0;
/** The device under the workload's directory (null on a RAM file system). */
let device: BlockDevice | null = null;
/** SHA-256 (hex) of the last file writeFile() wrote. */
let lastDigest = "";

/** After an fsync/sync returned, before the promises it makes true. */
function reportSynced(): void {
  if (device != null) println("stress synced " + device!.name + " " + device!.stats.sectorsWritten.toString());
}

function check(what: string, path: string, code: i64): bool {
  if (code < 0) {
    fsError("fsctl stress: " + what, path, <i32>code);
    failed = true;
    return false;
  }
  return true;
}

/** Writes a whole file of `size` seeded bytes; fsyncs when asked; prints "durable". */
function writeFile(path: string, size: u32, fsyncIt: bool): bool {
  const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC);
  if (!check("create", path, fd)) return false;
  hasher.reset();
  let done: u32 = 0;
  while (done < size) {
    const n = min<u32>(CHUNK, size - done);
    fill(n);
    hasher.update(buffer, n);
    const w = vfs.write(fd, buffer, n);
    if (!check("write", path, w < <i64>n ? (w < 0 ? w : -28) : 0)) {
      vfs.close(fd);
      return false;
    }
    done += n;
  }
  const digest = hasher.digestHex();
  lastDigest = digest;
  if (fsyncIt && !check("fsync", path, vfs.fsync(fd))) {
    vfs.close(fd);
    return false;
  }
  vfs.close(fd);
  ops++;
  if (fsyncIt) {
    reportSynced();
    println("stress durable " + path + " " + size.toString() + " " + digest);
  }
  return true;
}

function syncAll(): bool {
  return check("sync", "", vfs.syncAll());
}

function scenarioAllocation(dir: string, count: i32): void {
  const pending = new Array<string>(0);
  const sizes = new Array<u32>(0);
  const digests = new Array<string>(0);
  for (let i = 0; i < count && !failed; i++) {
    const path = dir + "/small-" + i.toString();
    const size = 512 + below(8192);
    // written without fsync, then made durable ten at a time
    const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC);
    if (!check("create", path, fd)) return;
    fill(size);
    hasher.reset();
    hasher.update(buffer, size);
    const w = vfs.write(fd, buffer, size);
    vfs.close(fd);
    if (!check("write", path, w < <i64>size ? (w < 0 ? w : -28) : 0)) return;
    ops++;
    pending.push(path);
    sizes.push(size);
    digests.push(hasher.digestHex());
    if (pending.length == 10 || i == count - 1) {
      if (!syncAll()) return;
      reportSynced();
      for (let k = 0; k < pending.length; k++) println("stress durable " + pending[k] + " " + sizes[k].toString() + " " + digests[k]);
      pending.length = 0;
      sizes.length = 0;
      digests.length = 0;
    }
  }
}

function scenarioInodeCreate(dir: string, count: i32): void {
  const made = new Array<string>(0);
  for (let i = 0; i < count && !failed; i++) {
    const d = dir + "/d" + (i / 10).toString();
    if (i % 10 == 0 && !check("mkdir", d, vfs.makeDirectory(d, 0o755))) return;
    const path = d + "/empty-" + i.toString();
    const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_EXCL);
    if (!check("create", path, fd)) return;
    vfs.close(fd);
    ops++;
    made.push(path);
    if (made.length == 20 || i == count - 1) {
      if (!syncAll()) return;
      reportSynced();
      for (let k = 0; k < made.length; k++) println("stress durable " + made[k] + " 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
      made.length = 0;
    }
  }
}

function scenarioJournalCommit(dir: string, count: i32): void {
  for (let i = 0; i < count && !failed; i++) writeFile(dir + "/big-" + i.toString(), 1 << 20, true);
}

/** Appends chunks to `files` files in turn, fsync after each: "prefix" lines. */
function appendRounds(dir: string, files: i32, rounds: i32): void {
  const hashers = new Array<Sha256>(files);
  const sizes = new Array<u32>(files);
  for (let f = 0; f < files; f++) {
    hashers[f] = new Sha256();
    sizes[f] = 0;
  }
  for (let r = 0; r < rounds && !failed; r++) {
    for (let f = 0; f < files && !failed; f++) {
      const path = dir + "/stream-" + f.toString();
      const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_APPEND);
      if (!check("open", path, fd)) return;
      const n = files == 1 ? CHUNK : 4096 + below(CHUNK - 4096);
      fill(n);
      const w = vfs.write(fd, buffer, n);
      if (!check("write", path, w < <i64>n ? (w < 0 ? w : -28) : 0)) {
        vfs.close(fd);
        return;
      }
      hashers[f].update(buffer, n);
      sizes[f] += n;
      const e = vfs.fsync(fd);
      vfs.close(fd);
      if (!check("fsync", path, e)) return;
      ops++;
      snapshot.copyFrom(hashers[f]);
      reportSynced();
      println("stress prefix " + path + " " + sizes[f].toString() + " " + snapshot.digestHex());
    }
  }
}

function scenarioDirectories(dir: string, count: i32): void {
  for (let round = 0; round < count && !failed; round++) {
    const top = dir + "/tree-" + round.toString();
    if (!check("mkdir", top, vfs.makeDirectory(top, 0o755))) return;
    const sizes = new Array<u32>(4);
    const digests = new Array<string>(4);
    for (let i = 0; i < 4; i++) {
      const sub = top + "/sub-" + i.toString();
      if (!check("mkdir", sub, vfs.makeDirectory(sub, 0o755))) return;
      sizes[i] = 100 + below(3000);
      if (!writeFile(sub + "/file", sizes[i], false)) return;
      digests[i] = lastDigest;
    }
    // rename one subdirectory, remove another (with its file), move a file across
    if (!check("rename", top, vfs.rename(top + "/sub-0", top + "/renamed-0"))) return;
    if (!check("unlink", top, vfs.removeFile(top + "/sub-1/file"))) return;
    if (!check("rmdir", top, vfs.removeDirectory(top + "/sub-1"))) return;
    if (!check("rename", top, vfs.rename(top + "/sub-2/file", top + "/sub-3/moved"))) return;
    if (round > 0 && !check("rename", top, vfs.rename(dir + "/tree-" + (round - 1).toString(), top + "/previous"))) return;
    if (!syncAll()) return;
    ops++;
    reportSynced();
    println("stress durable " + top + "/renamed-0/file " + sizes[0].toString() + " " + digests[0]);
    println("stress durable " + top + "/sub-3/moved " + sizes[2].toString() + " " + digests[2]);
    println("stress durable " + top + "/sub-3/file " + sizes[3].toString() + " " + digests[3]);
    println("stress absent " + top + "/sub-1");
    println("stress absent " + top + "/sub-0");
    println("stress absent " + top + "/sub-2/file");
  }
}

function scenarioTruncate(dir: string, count: i32): void {
  for (let i = 0; i < count && !failed; i++) {
    const path = dir + "/trunc-" + (i % 4).toString();
    const size = 4096 + below(256 << 10);
    if (!writeFile(path, size, true)) return;
    const cut = below(size);
    if (!check("truncate", path, vfs.truncatePath(path, cut))) return;
    // the first `cut` bytes of what was written: hash them again from the same generator
    const fd = vfs.open(path, vfs.O_RDONLY);
    if (!check("open", path, fd)) return;
    hasher.reset();
    let pos: u32 = 0;
    while (pos < cut) {
      const n = vfs.read(fd, buffer, min<u32>(CHUNK, cut - pos));
      if (n <= 0) break;
      hasher.update(buffer, <usize>n);
      pos += <u32>n;
    }
    const e = vfs.fsync(fd);
    vfs.close(fd);
    if (!check("fsync", path, e)) return;
    ops++;
    reportSynced();
    println("stress durable " + path + " " + cut.toString() + " " + hasher.digestHex());
  }
}

/** Runs a scenario in dir; returns 0 or 1. count: operations (scenario-specific default when 0). */
export function runStress(scenario: string, seed: u32, dir: string, count: i32): i32 {
  if (!SCENARIOS.includes(scenario)) return -1;
  if (buffer == 0) buffer = heap.alloc(CHUNK);
  rngState = seed == 0 ? 1 : seed * 2654435761;
  if (rngState == 0) rngState = 1;
  failed = false;
  ops = 0;
  const e = vfs.makeDirectory(dir, 0o755);
  if (e < 0 && e != -17) return check("mkdir", dir, e) ? 0 : 1;
  const m = vfs.mountOf(dir);
  device = m != null ? findBlockDevice(m!.fs.source) : null;
  const base = (dir.endsWith("/") ? dir : dir + "/") + scenario + "-" + seed.toString(); // no "//" under /
  if (!check("mkdir", base, vfs.makeDirectory(base, 0o755))) return 1;
  println("stress begin " + scenario + " seed=" + seed.toString());
  if (scenario == "write_during_allocation") scenarioAllocation(base, count > 0 ? count : 200);
  else if (scenario == "write_during_inode_create") scenarioInodeCreate(base, count > 0 ? count : 300);
  else if (scenario == "write_during_journal_commit") scenarioJournalCommit(base, count > 0 ? count : 4);
  else if (scenario == "write_during_data_write") appendRounds(base, 1, count > 0 ? count : 64);
  else if (scenario == "concurrent_writes") appendRounds(base, 4, count > 0 ? count : 16);
  else if (scenario == "directory_operations") scenarioDirectories(base, count > 0 ? count : 20);
  else scenarioTruncate(base, count > 0 ? count : 40);
  println("stress end " + scenario + " ops=" + ops.toString() + (failed ? " failed" : ""));
  return failed ? 1 : 0;
}
