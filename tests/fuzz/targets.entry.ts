// The fuzz targets: kernel code (VFS, tmpfs, ext4, jbd2, the shell, the network stack) driven by
// arbitrary bytes.
//
// Built twice from the same source: natively for libFuzzer (asc -> wasm -> wasm2c -> clang,
// tests/fuzz/build.ts, harness.c) and for Node (tests/fuzz/replay.ts, the regression tests).
// Each input runs in a fresh instance: the host copies the input into inputBuffer() (or onto
// host disk 1 for the image targets) and calls one target. A trap or abort is a crash.
//
// Disks come from the "hostblk" imports (tests/host/ext4-node.entry.ts): disk 1 is the input
// image (ext4_image, jbd2_replay), disk 2 the embedded base image (vfs_path, shell_parse).
import { attachDisk, putPattern } from "../host/ext4-node.entry";
import { consoleShell } from "../../kernel/shell/shell";
import { parseCommandLine } from "../../kernel/shell/parser";
import { parseUnsigned, parseDecimal } from "../../kernel/shell/args";
import * as vfs from "../../kernel/fs/vfs";
import { mountSource } from "../../kernel/fs/mounting";
import { Stat, takeErrorDetail } from "../../kernel/fs/types";
import { TmpFs } from "../../kernel/fs/tmpfs";
import { runNetInput, lastNetReport } from "./net_rx.entry";

export { attachDisk };

let input: usize = 0;
let inputLength: i32 = 0;

/** Room for an input of `length` bytes; the host copies the bytes there. */
export function inputBuffer(length: i32): usize {
  input = heap.alloc(<usize>max(length, 1));
  inputLength = length;
  return input;
}

function byteAt(i: i32): u32 {
  return i < inputLength ? <u32>load<u8>(input + <usize>i) : 0;
}

/** Bytes as a string: UTF-8 (invalid sequences as the decoder does them) or one char per byte. */
function bytesToString(at: i32, length: i32, latin1: bool): string {
  const n = min(length, inputLength - at);
  if (n <= 0) return "";
  if (!latin1) return String.UTF8.decodeUnsafe(input + <usize>at, <usize>n, false);
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(byteAt(at + i));
  return s;
}

// ---------------------------------------------------------------- vfs_path

const ioBuffer = heap.alloc(8192);
const walked = new Set<u64>();

/** Lists, stats and reads (the first 8 KiB of) everything under path, each directory once. */
function walkTree(path: string, depth: i32): void {
  if (depth > 40) return;
  const entries = vfs.listDirectory(path);
  takeErrorDetail();
  if (entries == null) return;
  for (let i = 0; i < entries.length && i < 512; i++) {
    const name = entries[i].name;
    if (name == "." || name == "..") continue;
    const child = path == "/" ? "/" + name : path + "/" + name;
    const st = new Stat();
    if (vfs.stat(child, false, st) < 0) {
      takeErrorDetail();
      continue;
    }
    const type = st.mode & 0xf000;
    if (type == 0x4000) {
      if (walked.has(st.ino)) continue;
      walked.add(st.ino);
      walkTree(child, depth + 1);
    } else if (type == 0xa000) {
      vfs.readLink(child);
    } else if (type == 0x8000) {
      const fd = vfs.open(child, vfs.O_RDONLY);
      if (fd >= 0) {
        vfs.read(fd, ioBuffer, 8192);
        if (st.size > 8192) vfs.readAt(fd, st.size - 100, ioBuffer, 100);
        vfs.close(fd);
      }
    }
    takeErrorDetail();
  }
}

function exerciseTree(path: string): void {
  walked.clear();
  walkTree(path, 0);
}

/** A tmpfs root with /tmp and /mnt, the base ext4 image (disk 2) mounted on /mnt. */
function setUpTree(readOnlyExt4: bool): void {
  const root = new TmpFs();
  vfs.mount(root, "/");
  root.mkdir(root.rootIno(), "tmp", 0o1777);
  root.mkdir(root.rootIno(), "mnt", 0o755);
  putPattern("/tmp/file", 0, 3000, 1, true);
  vfs.makeSymlink("file", "/tmp/link");
  vfs.makeSymlink("/tmp/loop", "/tmp/loop");
  vfs.makeSymlink("../mnt", "/tmp/up");
  const o = mountSource("vdb", "/mnt", "", readOnlyExt4);
  if (o.error < 0) abort("fuzz setup: the base image did not mount: " + o.message);
}

/**
 * Operations on paths. The input is a list of records:
 *   op (low 5 bits: the operation; bit 7: paths are Latin-1, else UTF-8), length of the first
 *   path (2 bytes, little-endian, at most 8191), the path, and for two-path operations a
 *   second length and path. At most 24 records. Then everything is unmounted (ext4 writes
 *   back), the image is mounted again and walked.
 */
export function fuzzVfsPath(sectors: u64): i32 {
  attachDisk("vdb", 2, sectors, false);
  setUpTree(false);
  let at = 0;
  const st = new Stat();
  for (let record = 0; record < 24 && at < inputLength; record++) {
    const op = byteAt(at);
    const latin1 = (op & 0x80) != 0;
    const len1 = <i32>((byteAt(at + 1) | (byteAt(at + 2) << 8)) & 0x1fff);
    at += 3;
    const a = bytesToString(at, len1, latin1);
    at += len1;
    let b = "";
    const code = op & 0x1f;
    if (code == 5 || code == 8 || code == 12) {
      const len2 = <i32>((byteAt(at) | (byteAt(at + 1) << 8)) & 0x1fff);
      at += 2;
      b = bytesToString(at, len2, latin1);
      at += len2;
    }
    switch (code) {
      case 0: vfs.stat(a, true, st); break;
      case 1: vfs.stat(a, false, st); break;
      case 2: {
        const fd = vfs.open(a, vfs.O_RDONLY);
        if (fd >= 0) {
          vfs.read(fd, ioBuffer, 8192);
          vfs.close(fd);
        }
        break;
      }
      case 3: putPattern(a, <u64>(byteAt(at) * 1000), 1 + byteAt(at + 1) * 64, op, (op & 0x20) != 0); break;
      case 4: vfs.makeDirectory(a, 0o755); break;
      case 5: vfs.rename(a, b); break;
      case 6: vfs.removeFile(a); break;
      case 7: vfs.removeDirectory(a); break;
      case 8: vfs.makeSymlink(a, b); break;
      case 9: vfs.readLink(a); break;
      case 10: vfs.changeDirectory(a); break;
      case 11: vfs.listDirectory(a); break;
      case 12: vfs.makeHardLink(a, b); break;
      case 13: vfs.truncatePath(a, <u64>(byteAt(at) * 777)); break;
      case 14: {
        const fd = vfs.open(a, vfs.O_RDWR | vfs.O_CREAT | vfs.O_EXCL);
        if (fd >= 0) vfs.close(fd);
        break;
      }
      case 15: vfs.open(a, vfs.O_RDONLY | vfs.O_DIRECTORY); break;
      default: vfs.resolveParent(a); break;
    }
    takeErrorDetail();
  }
  vfs.changeDirectory("/");
  if (vfs.unmountAll() < 0) abort("fuzz: unmount after path operations failed");
  // what was written must mount and read back
  const o = mountSource("vdb", "/", "", true);
  if (o.error < 0) abort("fuzz: the image written by the path operations no longer mounts: " + o.message);
  exerciseTree("/");
  vfs.unmountAll();
  return 0;
}

// ---------------------------------------------------------------- ext4_image, jbd2_replay

/**
 * Disk 1 (the input image, after the host's structure-aware mutation): mount read-only and
 * walk everything; then mount read-write (this replays a journal), walk, write a little,
 * unmount. Errors are fine, traps are not.
 */
export function fuzzExt4Image(sectors: u64): i32 {
  attachDisk("vdc", 1, sectors, false);
  const root = new TmpFs();
  vfs.mount(root, "/");
  root.mkdir(root.rootIno(), "mnt", 0o755);
  let o = mountSource("vdc", "/mnt", "", true);
  if (o.error >= 0) {
    exerciseTree("/mnt");
    vfs.unmount("/mnt");
  }
  takeErrorDetail();
  o = mountSource("vdc", "/mnt", "", false);
  if (o.error >= 0) {
    exerciseTree("/mnt");
    vfs.makeDirectory("/mnt/fuzz-new", 0o755);
    putPattern("/mnt/fuzz-new/f", 0, 5000, 3, true);
    putPattern("/mnt/fuzz-f", 0, 2000, 4, true);
    vfs.rename("/mnt/fuzz-new/f", "/mnt/fuzz-g");
    vfs.removeFile("/mnt/fuzz-g");
    vfs.syncAll();
    vfs.unmount("/mnt");
  }
  takeErrorDetail();
  vfs.unmountAll();
  return 0;
}

// ---------------------------------------------------------------- shell_parse

/** Commands that change nothing: their argument parsing and output are fuzzed. */
const READ_ONLY = ["ls", "stat", "cat", "hexdump", "sha256sum", "readlink", "find", "df", "pwd", "cd", "help",
  "echo", "version", "uname", "uptime", "ticks"];

/** The input as one command line (UTF-8): tokenized, then run when it names a read-only command. */
export function fuzzShellParse(sectors: u64): i32 {
  attachDisk("vdb", 2, sectors, true);
  setUpTree(true);
  const line = bytesToString(0, inputLength, false);
  const parsed = parseCommandLine(line);
  if (parsed.ok && parsed.args.length > 0) {
    for (let i = 0; i < parsed.args.length; i++) {
      parseUnsigned(parsed.args[i]);
      parseDecimal(parsed.args[i]);
    }
    if (READ_ONLY.includes(parsed.args[0])) consoleShell.execute(line);
  }
  vfs.changeDirectory("/");
  vfs.unmountAll();
  return 0;
}

// ---------------------------------------------------------------- net_rx

/** Ethernet frames into a network stack with the HTTP API on it (net_rx.entry.ts has the format). */
export function fuzzNetRx(): i32 {
  const root = new TmpFs();
  vfs.mount(root, "/");
  root.mkdir(root.rootIno(), "tmp", 0o1777);
  putPattern("/tmp/file", 0, 3000, 1, true);
  const frames = runNetInput(input, inputLength);
  takeErrorDetail();
  vfs.unmountAll();
  return frames;
}

/** What the last fuzzNetRx input did (counters; tests/unit/fuzz/net_rx.test.ts). */
export function fuzzNetReport(): string {
  return lastNetReport();
}
