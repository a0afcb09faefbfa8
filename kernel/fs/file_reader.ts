// The narrow door through which the language model and the ELF loader read files: a size and
// positioned reads into linear memory. Readers of formats never see ext4 or the VFS; the kernel
// opens a path (VfsFileReader), tests hand in bytes already in memory (MemoryFileReader).
import * as vfs from "./vfs";
import { Stat } from "./types";
import { errorMessage } from "../lib/errors";

export abstract class FileReader {
  /** File length in bytes. */
  abstract size(): u64;
  /** Reads up to `length` bytes at `offset` into `dst`; bytes read, or a negative errno. */
  abstract readAt(offset: u64, dst: usize, length: u32): i64;
  /** Releases the file (idempotent). */
  close(): void {}

  /** Reads exactly `length` bytes (any length) or returns false. */
  readFully(offset: u64, dst: usize, length: u64): bool {
    let done: u64 = 0;
    while (done < length) {
      const chunk = length - done > 0x1000000 ? <u32>0x1000000 : <u32>(length - done);
      const n = this.readAt(offset + done, dst + <usize>done, chunk);
      if (n <= 0) return false;
      done += <u64>n;
    }
    return true;
  }
}

/** A file that is already in linear memory (tests, Node benchmarks). */
export class MemoryFileReader extends FileReader {
  constructor(public base: usize, public length: u64) { super(); }
  size(): u64 { return this.length; }
  readAt(offset: u64, dst: usize, length: u32): i64 {
    if (offset >= this.length) return 0;
    const n = <u64>length < this.length - offset ? <u64>length : this.length - offset;
    memory.copy(dst, this.base + <usize>offset, <usize>n);
    return <i64>n;
  }
}

/** A regular file opened through the VFS. open() returns null and sets `error` on failure. */
export class VfsFileReader extends FileReader {
  private fd: i32 = -1;
  private bytes: u64 = 0;
  constructor(fd: i32, bytes: u64) { super(); this.fd = fd; this.bytes = bytes; }

  static error: string = "";

  static open(path: string): VfsFileReader | null {
    const st = new Stat();
    const r = vfs.stat(path, true, st);
    if (r < 0) { VfsFileReader.error = path + ": " + errnoText(r); return null; }
    if ((st.mode & 0xf000) != 0x8000) { VfsFileReader.error = path + ": not a regular file"; return null; }
    const fd = vfs.open(path, vfs.O_RDONLY);
    if (fd < 0) { VfsFileReader.error = path + ": " + errnoText(fd); return null; }
    return new VfsFileReader(fd, st.size);
  }
  size(): u64 { return this.bytes; }
  readAt(offset: u64, dst: usize, length: u32): i64 {
    return this.fd < 0 ? -9 : vfs.readAt(this.fd, offset, dst, length);
  }
  close(): void {
    if (this.fd >= 0) vfs.close(this.fd);
    this.fd = -1;
  }
}

function errnoText(code: i32): string {
  return errorMessage(code);
}
