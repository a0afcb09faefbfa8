// Reading files: cat, hexdump, sha256sum. All stream through one 64 KiB buffer, so a
// 64 MiB file costs no more memory than a small one.
import { registerCommand } from "../registry";
import { println, printError, writeBytes } from "../../platform/console";
import { Options, parseSize } from "../args";
import { hex } from "../../lib/format";
import * as vfs from "../../fs/vfs";
import { fsError, safe } from "../../fs/messages";
import { ioBuffer, IO_BUFFER_SIZE } from "../../fs/iobuf";
import { Sha256 } from "../../lib/sha256";
import { Stat } from "../../fs/types";
import { checkpoint } from "../../sched/checkpoint";
import { Progress, interrupted, INTERRUPTED_STATUS } from "../progress";

/** Writes bytes to the console, turning "\n" into "\r\n" for the terminal. */
function writeText(p: usize, n: u32): void {
  let start: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (load<u8>(p + <usize>i) == 10) {
      if (i > start) writeBytes(p + <usize>start, <i32>(i - start));
      writeBytes(changetype<usize>(CRLF), 2);
      start = i + 1;
    }
  }
  if (n > start) writeBytes(p + <usize>start, <i32>(n - start));
}
const CRLF: StaticArray<u8> = [13, 10];
const CAT_PIECE: u32 = 4096;

registerCommand("cat", "print files", "cat PATH...\n  Prints the contents of each file in turn.",
  (args: Array<string>): i32 => {
    if (args.length == 0) {
      printError("usage: cat PATH...");
      return 1;
    }
    const buf = ioBuffer();
    let status = 0;
    for (let i = 0; i < args.length; i++) {
      const fd = vfs.open(args[i], vfs.O_RDONLY);
      if (fd < 0) {
        status = fsError("cat", args[i], fd);
        continue;
      }
      let stopped = false;
      while (true) {
        if (checkpoint()) {
          stopped = true;
          break;
        }
        const n = vfs.read(fd, buf, IO_BUFFER_SIZE);
        if (n < 0) {
          status = fsError("cat", args[i], <i32>n);
          break;
        }
        if (n == 0) break;
        // 4 KiB at a time: the UART drains slowly, so Ctrl-C is seen within a few ms
        for (let off: u32 = 0; off < <u32>n && !stopped; off += CAT_PIECE) {
          writeText(buf + <usize>off, min<u32>(CAT_PIECE, <u32>n - off));
          stopped = checkpoint();
        }
        if (stopped) break;
      }
      vfs.close(fd);
      if (stopped) {
        println("");
        return interrupted("cat");
      }
    }
    return status;
  });

function printable(b: u8): string {
  return b >= 32 && b < 127 ? String.fromCharCode(b) : ".";
}

registerCommand("hexdump", "show a file's bytes in hex", "hexdump [-s OFFSET] [-n LENGTH] PATH\n  Canonical hex + ASCII display (like hexdump -C), 16 bytes a line.\n  -s OFFSET  start at this byte (decimal or 0x hex)\n  -n LENGTH  show at most this many bytes (default 4096)",
  (args: Array<string>): i32 => {
    const o = new Options(args, ["-s", "-n"], []);
    if (!o.ok || o.positionals.length != 1) {
      printError(o.ok ? "usage: hexdump [-s OFFSET] [-n LENGTH] PATH" : "hexdump: " + o.error);
      return 1;
    }
    const offset = parseSize(o.value("-s", "0"));
    const limit = parseSize(o.value("-n", "4096"));
    if (offset < 0 || limit < 0) {
      printError("hexdump: -s and -n take a number");
      return 1;
    }
    const path = o.positionals[0];
    const fd = vfs.open(path, vfs.O_RDONLY);
    if (fd < 0) return fsError("hexdump", path, fd);
    const buf = ioBuffer();
    let pos = <u64>offset;
    let left = <u64>limit;
    let status = 0;
    while (left > 0) {
      if (checkpoint()) {
        status = -1;
        break;
      }
      const want = <u32>min<u64>(left, <u64>(IO_BUFFER_SIZE - IO_BUFFER_SIZE % 16));
      const n = vfs.readAt(fd, pos, buf, want);
      if (n < 0) {
        status = fsError("hexdump", path, <i32>n);
        break;
      }
      if (n == 0) break;
      for (let i: u32 = 0; i < <u32>n; i += 16) {
        if (checkpoint()) break; // the outer loop reports it
        let line = hex(pos + <u64>i, 8) + " ";
        let text = "";
        for (let j: u32 = 0; j < 16; j++) {
          if (j == 8) line += " ";
          if (i + j < <u32>n) {
            const b = load<u8>(buf + <usize>(i + j));
            line += " " + hex(b, 2);
            text += printable(b);
          } else line += "   ";
        }
        println(line + "  |" + text + "|");
      }
      pos += <u64>n;
      left -= <u64>n;
    }
    vfs.close(fd);
    if (status < 0) return interrupted("hexdump");
    if (status == 0) println(hex(pos, 8)); // the end offset closes a complete dump only
    return status;
  });

const hasher = new Sha256();

const shaStat = new Stat();

/**
 * SHA-256 of a file as hex, or null with the error in shaError (INTERRUPTED_STATUS after
 * Ctrl-C). Shows progress on a long file.
 */
export let shaError: i32 = 0;
export function sha256OfFile(path: string): string | null {
  const fd = vfs.open(path, vfs.O_RDONLY);
  if (fd < 0) {
    shaError = fd;
    return null;
  }
  const buf = ioBuffer();
  hasher.reset();
  const total = vfs.fstat(fd, shaStat) == 0 ? shaStat.size : 0;
  const progress = new Progress("sha256sum " + safe(path), true);
  let done: u64 = 0;
  while (true) {
    if (progress.step(done, total)) {
      progress.finish();
      vfs.close(fd);
      shaError = INTERRUPTED_STATUS;
      return null;
    }
    const n = vfs.read(fd, buf, IO_BUFFER_SIZE);
    if (n < 0) {
      progress.finish();
      vfs.close(fd);
      shaError = <i32>n;
      return null;
    }
    if (n == 0) break;
    hasher.update(buf, <usize>n);
    done += <u64>n;
  }
  progress.finish();
  vfs.close(fd);
  return hasher.digestHex();
}

registerCommand("sha256sum", "SHA-256 of files", "sha256sum PATH...\n  Prints the SHA-256 digest and the path of each file, like sha256sum(1).",
  (args: Array<string>): i32 => {
    if (args.length == 0) {
      printError("usage: sha256sum PATH...");
      return 1;
    }
    let status = 0;
    for (let i = 0; i < args.length; i++) {
      const h = sha256OfFile(args[i]);
      if (h == null) {
        if (shaError == INTERRUPTED_STATUS) return interrupted("sha256sum");
        status = fsError("sha256sum", args[i], shaError);
        continue;
      }
      println(h! + "  " + safe(args[i]));
    }
    return status;
  });
