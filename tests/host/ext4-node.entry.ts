// The Node build of SIS's file systems: the real VFS, tmpfs, ext4 (and jbd2) and the shell's
// file commands, compiled to wasm, with disks backed by host files or buffers through the
// test-only "hostblk" imports (tests/host/ext4-node.ts implements them).
//
// Used by the fs unit tests, the benchmarks and the crash harness: attach an image, mount it,
// run shell commands or the direct helpers below, unmount.
import { BlockDevice, registerBlockDevice, unregisterBlockDevice, findBlockDevice } from "../../kernel/block/device";
import { consoleShell } from "../../kernel/shell/shell";
import * as vfs from "../../kernel/fs/vfs";
import { mountRootAtBoot, mountSource } from "../../kernel/fs/mounting";
import { Stat, FsStats } from "../../kernel/fs/types";
import { errorMessage } from "../../kernel/lib/errors";
import { takeErrorDetail } from "../../kernel/fs/types";
import { sha256OfFile, shaError } from "../../kernel/shell/commands/fs_read";
import { crc32c, crc32cUpdate } from "../../kernel/lib/crc32c";
import { Sha256 } from "../../kernel/lib/sha256";
import { dirHash, NameHash } from "../../kernel/fs/ext4/hash";
import { globMatch, formatTime } from "../../kernel/fs/messages";
import { nowUs } from "../../kernel/platform/time";
import { takeConsoleByte } from "../../kernel/kernel_loop";
import { registerPeriodicTask } from "../../kernel/sched/periodic";
import { COMMIT_CHECK_US } from "../../kernel/fs/mounting";
import "../../kernel/shell/commands/help";
import "../../kernel/shell/commands/system";
import "../../kernel/shell/commands/bench";
import "../../kernel/shell/commands/fs_nav";
import "../../kernel/shell/commands/fs_read";
import "../../kernel/shell/commands/fs_bench";
import "../../kernel/shell/commands/fs_write";
import "../../kernel/shell/commands/fsctl";
import "../../kernel/shell/commands/date";
import { setWallClockFromRtc } from "../../kernel/fs/clock";
import { storePendingIncident } from "../../kernel/fs/incidents";

/** Boot's incident step (kernel/fs/incidents.ts) at wall-clock `nowSeconds`: its banner line. */
export function storeIncidentAtBoot(nowSeconds: i64): string {
  return storePendingIncident(nowSeconds);
}

@external("hostblk", "read") declare function hostRead(disk: i32, lba: u64, count: u32, ptr: usize): i32;
@external("hostblk", "write") declare function hostWrite(disk: i32, lba: u64, count: u32, ptr: usize): i32;
@external("hostblk", "flush") declare function hostFlush(disk: i32): i32;

/** A disk whose sectors live on the host (a file or a buffer), addressed by a host id. */
class HostDisk extends BlockDevice {
  reads: u64 = 0;
  writes: u64 = 0;
  flushes: u64 = 0;
  constructor(name: string, public id: i32, sectors: u64, readOnly: bool) {
    super(name, sectors, readOnly);
  }
  read(lba: u64, count: u32, buffer: usize): i32 {
    if (lba + <u64>count > this.sectorCount) return -5;
    this.reads++;
    return hostRead(this.id, lba, count, buffer);
  }
  write(lba: u64, count: u32, buffer: usize): i32 {
    if (this.readOnly) return -30;
    if (lba + <u64>count > this.sectorCount) return -5;
    this.writes++;
    const r = hostWrite(this.id, lba, count, buffer);
    if (r == 0) {
      this.stats.writes++;
      this.stats.sectorsWritten += <u64>count;
    }
    return r;
  }
  flush(): i32 {
    this.flushes++;
    this.stats.flushes++;
    return hostFlush(this.id);
  }
}

export function attachDisk(name: string, id: i32, sectors: u64, readOnly: bool): void {
  registerBlockDevice(new HostDisk(name, id, sectors, readOnly));
}

export function detachDisk(name: string): void {
  const d = findBlockDevice(name);
  if (d != null) unregisterBlockDevice(d);
}

/** Runs one shell command line; returns its status. Output goes to the captured console. */
export function run(line: string): i32 {
  return consoleShell.execute(line);
}

/** Boot-time mounting: vda at "/" or a tmpfs root (prints the banner line). */
export function bootMount(): void {
  mountRootAtBoot();
}

/** Mounts a source at a path; returns "" or the error message. */
export function mountAt(source: string, path: string, readOnly: bool): string {
  const o = mountSource(source, path, "", readOnly);
  return o.error < 0 ? o.message : "";
}

export function unmountAll(): i32 {
  return vfs.unmountAll();
}

/** SHA-256 of a file's contents, or "error: <message> (<detail>)". */
export function fileSha256(path: string): string {
  const h = sha256OfFile(path);
  if (h == null) return failure(shaError);
  return h!;
}

function failure(code: i32): string {
  const d = takeErrorDetail();
  return "error: " + errorMessage(code) + (d.length > 0 ? " (" + d + ")" : "");
}

/** "type size nlink ino" of a path (symlinks not followed), or an error string. */
export function statLine(path: string): string {
  const st = new Stat();
  const e = vfs.stat(path, false, st);
  if (e < 0) return failure(e);
  return (st.mode & 0xf000).toString(8) + " " + (st.mode & 0xfff).toString(8) + " " + st.size.toString() + " " +
    st.nlink.toString() + " " + st.ino.toString() + " " + st.blocks.toString();
}

/** Names in a directory (with . and ..), "\n"-separated, or an error string. */
export function listNames(path: string): string {
  const entries = vfs.listDirectory(path);
  if (entries == null) return failure(vfs.lastError);
  const lines = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) lines[i] = entries[i].name + "\t" + entries[i].type.toString() + "\t" + entries[i].ino.toString();
  return lines.join("\n");
}

export function readLinkOf(path: string): string {
  const t = vfs.readLink(path);
  if (t == null) return failure(vfs.lastError);
  return t!;
}

/** Microseconds to look `path` up `times` times (resolution only). */
export function lookupMicros(path: string, times: i32): f64 {
  const started = nowUs();
  for (let i = 0; i < times; i++) {
    const r = vfs.resolve(path, true);
    if (r.error < 0) return -1;
  }
  return <f64>(nowUs() - started);
}

/** Reads a file to the end through a handle; returns bytes read, or a negative error. */
export function readAll(path: string): i64 {
  const fd = vfs.open(path, vfs.O_RDONLY);
  if (fd < 0) return fd;
  const buf = heap.alloc(1 << 20);
  let total: i64 = 0;
  while (true) {
    const n = vfs.read(fd, buf, 1 << 20);
    if (n < 0) {
      total = n;
      break;
    }
    if (n == 0) break;
    total += n;
  }
  heap.free(buf);
  vfs.close(fd);
  return total;
}

/** Reads `bytes` at `offset` of a file into a fresh buffer and returns its hex, or an error. */
export function readHex(path: string, offset: u64, bytes: u32): string {
  const fd = vfs.open(path, vfs.O_RDONLY);
  if (fd < 0) return failure(fd);
  const buf = heap.alloc(max<u32>(bytes, 1));
  const n = vfs.readAt(fd, offset, buf, bytes);
  vfs.close(fd);
  if (n < 0) {
    heap.free(buf);
    return failure(<i32>n);
  }
  let s = "";
  for (let i: i64 = 0; i < n; i++) {
    const b = load<u8>(buf + <usize>i);
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  heap.free(buf);
  return s;
}

// ---- library functions, for their own unit tests ----
export function crc32cOf(text: string): u32 {
  const b = String.UTF8.encode(text, false);
  return crc32c(changetype<usize>(b), <usize>b.byteLength);
}
export function crc32cRawOf(seed: u32, text: string): u32 {
  const b = String.UTF8.encode(text, false);
  return crc32cUpdate(seed, changetype<usize>(b), <usize>b.byteLength);
}
export function sha256Of(text: string, chunk: i32): string {
  const b = String.UTF8.encode(text, false);
  const h = new Sha256();
  const p = changetype<usize>(b);
  const n = b.byteLength;
  let i = 0;
  while (i < n) {
    const k = min(chunk, n - i);
    h.update(p + <usize>i, <usize>k);
    i += k;
  }
  return h.digestHex();
}
/** Hash of a name given as Latin-1 (one char per byte): "major minor". */
export function hashOf(version: u32, bytes: string, s0: u32, s1: u32, s2: u32, s3: u32): string {
  const seed = new StaticArray<u32>(4);
  seed[0] = s0; seed[1] = s1; seed[2] = s2; seed[3] = s3;
  const buf = heap.alloc(max<i32>(bytes.length, 1));
  for (let i = 0; i < bytes.length; i++) store<u8>(buf + <usize>i, <u8>bytes.charCodeAt(i));
  const out = new NameHash();
  dirHash(version, buf, bytes.length, seed, out);
  heap.free(buf);
  return out.major.toString() + " " + out.minor.toString();
}
export function glob(pattern: string, name: string): bool {
  return globMatch(pattern, name);
}
export function timeString(seconds: i64): string {
  return formatTime(seconds);
}

// ---- whole-tree exercise (corruption tests, crash harness) ----
let walkErrors: i32 = 0;
let walkFiles: i32 = 0;
let walkDirs: i32 = 0;
let walkDigest: string = "";
const walkSeen = new Set<u64>();
const walkHasher = new Sha256();
let walkBuffer: usize = 0;

function walkDir(path: string, depth: i32): void {
  if (depth > 40) return;
  const entries = vfs.listDirectory(path);
  if (entries == null) {
    walkErrors++;
    takeErrorDetail();
    return;
  }
  walkDirs++;
  for (let i = 0; i < entries.length; i++) {
    const name = entries[i].name;
    if (name == "." || name == "..") continue;
    const child = path == "/" ? "/" + name : path + "/" + name;
    const st = new Stat();
    if (vfs.stat(child, false, st) < 0) {
      walkErrors++;
      takeErrorDetail();
      continue;
    }
    const type = st.mode & 0xf000;
    if (type == 0x4000) {
      if (walkSeen.has(st.ino)) continue; // a directory seen twice (a corrupt tree): once is enough
      walkSeen.add(st.ino);
      walkDir(child, depth + 1);
    } else if (type == 0xa000) {
      if (vfs.readLink(child) == null) walkErrors++;
      takeErrorDetail();
    } else if (type == 0x8000) {
      walkFiles++;
      const fd = vfs.open(child, vfs.O_RDONLY);
      if (fd < 0) {
        walkErrors++;
        takeErrorDetail();
        continue;
      }
      walkHasher.reset();
      let pos: u64 = 0;
      // at most 16 MiB of any file (a corrupt size may claim terabytes of holes)
      while (pos < (16 << 20)) {
        const n = vfs.read(fd, walkBuffer, 1 << 16);
        if (n < 0) {
          walkErrors++;
          takeErrorDetail();
          break;
        }
        if (n == 0) break;
        walkHasher.update(walkBuffer, <usize>n);
        pos += <u64>n;
      }
      walkDigest = walkHasher.digestHex();
      vfs.close(fd);
    }
  }
}

/**
 * Lists, stats, reads and follows everything under path (each directory once); returns
 * "files dirs errors". Never traps on a corrupt file system: that is what it is for.
 */
export function exerciseTree(path: string): string {
  if (walkBuffer == 0) walkBuffer = heap.alloc(1 << 16);
  walkErrors = 0;
  walkFiles = 0;
  walkDirs = 0;
  walkSeen.clear();
  walkDir(path, 0);
  return walkFiles.toString() + " " + walkDirs.toString() + " " + walkErrors.toString();
}

/** Mounts source at path, exercises it and unmounts; returns "mount-error: ..." or the counts. */
export function mountExerciseUnmount(source: string, path: string): string {
  const o = mountSource(source, path, "", true);
  if (o.error < 0) {
    takeErrorDetail();
    return "mount-error: " + o.message;
  }
  const r = exerciseTree(path);
  const e = vfs.unmount(path);
  return r + (e < 0 ? " unmount-error" : "");
}

// ---- writing (random-operation tests, crash harness) ----
/** xorshift32 bytes, the same generator as seededBytes() in images/test-images.ts. */
function fillPattern(p: usize, length: u32, seed: u32): void {
  let x: u32 = seed * 2654435761;
  if (x == 0) x = 1;
  for (let i: u32 = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    store<u8>(p + <usize>i, <u8>(x & 0xff));
  }
}

/**
 * Writes `length` pattern bytes (seed) at `offset` of path (created if missing; emptied
 * first when `truncate`). Returns the bytes written or a negative error.
 */
export function putPattern(path: string, offset: u64, length: u32, seed: u32, truncate: bool): i64 {
  const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | (truncate ? vfs.O_TRUNC : 0));
  if (fd < 0) return fd;
  const buf = heap.alloc(max<u32>(length, 1));
  if (buf == 0) {
    vfs.close(fd);
    return -12;
  }
  fillPattern(buf, length, seed);
  vfs.seek(fd, offset);
  const n = length > 0 ? vfs.write(fd, buf, length) : 0;
  heap.free(buf);
  vfs.close(fd);
  return n;
}

/** Error message of a code (tests compare with it). */
export function errorText(code: i32): string {
  return errorMessage(code);
}

/** Opens a file and keeps the handle (unlink-while-open tests); returns it or an error. */
export function openKeep(path: string): i32 {
  return vfs.open(path, vfs.O_RDONLY);
}
export function closeKept(fd: i32): i32 {
  return vfs.close(fd);
}
/** SHA-256 of an open handle's contents. */
export function handleSha256(fd: i32): string {
  const h = new Sha256();
  const buf = heap.alloc(1 << 16);
  let pos: u64 = 0;
  while (true) {
    const n = vfs.readAt(fd, pos, buf, 1 << 16);
    if (n < 0) {
      heap.free(buf);
      return failure(<i32>n);
    }
    if (n == 0) break;
    h.update(buf, <usize>n);
    pos += <u64>n;
  }
  heap.free(buf);
  return h.digestHex();
}

/** Free bytes of the file system holding path (-1 on error). */
export function freeBytes(path: string): i64 {
  const s = new FsStats();
  if (vfs.statfs(path, s) < 0) return -1;
  return <i64>(s.freeBlocks * <u64>s.blockSize);
}

/** Runs the file systems' periodic work once (what the kernel's event loop does each pass). */
export function pollOnce(): void {
  vfs.pollFileSystems();
}

/**
 * Mounts source read-write at path, walks it, then creates, writes, renames and removes a
 * few things, syncs and unmounts. Returns "mount-error: ..." or "files dirs errors writeErrors".
 */
export function mountWriteUnmount(source: string, path: string): string {
  const o = mountSource(source, path, "", false);
  if (o.error < 0) {
    takeErrorDetail();
    return "mount-error: " + o.message;
  }
  const r = exerciseTree(path);
  let writeErrors = 0;
  if (vfs.makeDirectory(path + "/sis-new", 0o755) < 0) writeErrors++;
  if (putPattern(path + "/sis-new/f", 0, 20000, 5, true) != 20000) writeErrors++;
  if (putPattern(path + "/etc/motd", 3, 5000, 6, false) != 5000) writeErrors++;
  if (vfs.rename(path + "/sis-new/f", path + "/dir/renamed") < 0) writeErrors++;
  if (vfs.removeFile(path + "/files/a.bin") < 0) writeErrors++;
  if (vfs.truncatePath(path + "/files/fragmented.bin", 5000) < 0) writeErrors++;
  if (vfs.makeSymlink("target", path + "/dir/newlink") < 0) writeErrors++;
  if (vfs.removeDirectory(path + "/sis-new") < 0) writeErrors++;
  takeErrorDetail();
  const s = vfs.syncAll();
  const e = vfs.unmount(path);
  if (e < 0) vfs.unmountAll(); // a failing device or file system still goes away
  takeErrorDetail();
  return r + " " + writeErrors.toString() + (s < 0 ? " sync-error" : "") + (e < 0 ? " unmount-error" : "");
}

/** SHA-256 of the first `size` bytes of a file (an error string when shorter or unreadable). */
export function prefixSha256(path: string, size: u64): string {
  const fd = vfs.open(path, vfs.O_RDONLY);
  if (fd < 0) return failure(fd);
  const h = new Sha256();
  const buf = heap.alloc(1 << 16);
  let pos: u64 = 0;
  while (pos < size) {
    const n = vfs.readAt(fd, pos, buf, <u32>min<u64>(1 << 16, size - pos));
    if (n < 0) {
      heap.free(buf);
      vfs.close(fd);
      return failure(<i32>n);
    }
    if (n == 0) break;
    h.update(buf, <usize>n);
    pos += <u64>n;
  }
  heap.free(buf);
  vfs.close(fd);
  if (pos < size) return "error: only " + pos.toString() + " bytes";
  return h.digestHex();
}

/** The next console byte the shell would read (bytes kept by a command's checkpoints first); -1 when none. */
export function takeShellByte(): i32 {
  return takeConsoleByte();
}

/** Types bytes (Latin-1, one char per byte) into the console shell's line editor. */
export function typeToShell(bytes: string): void {
  for (let i = 0; i < bytes.length; i++) consoleShell.feed(<u8>bytes.charCodeAt(i));
}

/** The console shell's half-typed line. */
export function shellLine(): string {
  return consoleShell.editor.current;
}

/** Boot's wall-clock setup: the PL031 RTC (a test installs a fake one on platform.mmio). */
export function clockFromRtc(): string {
  return setWallClockFromRtc();
}

// the heap budget (kernel/lib/heap_budget.ts), for the exhaustion tests
export { heapBudgetUsed, heapBudgetLimit, heapBudgetRefusals, setHeapBudgetLimit, heapUsedBytes, heapFreeBytesSeen } from "../../kernel/lib/heap_budget";
/** Runs a full garbage collection (heap measurements). */
export function collectGarbage(): void { __collect(); }

/** The kernel task "fscommit" as kernel/init.ts starts it (tests of long commands). */
export function startCommitTask(): i32 {
  return registerPeriodicTask("fscommit", COMMIT_CHECK_US, vfs.pollFileSystems);
}
