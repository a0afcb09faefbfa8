// Open files of processes: what a file descriptor refers to. A FileRef is one "open file
// description" (shared by dup and fork, with its offset); a process's table maps numbers to
// FileRefs plus the close-on-exec flag.
//
//   kind        backed by
//   Console     the console terminal (tty.ts)
//   Null        /dev/null
//   File        a VFS handle (kernel/fs/vfs.ts); the offset is kept here
//   Directory   a listing taken at open, read by getdents64
//   PipeRead/PipeWrite   a Pipe: a 64 KiB ring with reader and writer counts
import * as vfs from "../fs/vfs";
import { DirEntry } from "../fs/types";
import { Event } from "../sched/event";

export enum FileKind { Console = 0, Null = 1, File = 2, Directory = 3, PipeRead = 4, PipeWrite = 5 }

export const PIPE_BYTES: i32 = 65536;

export class Pipe {
  buffer: StaticArray<u8> = new StaticArray<u8>(PIPE_BYTES);
  head: i32 = 0;
  count: i32 = 0;
  readers: i32 = 0;
  writers: i32 = 0;
  /** Signalled when data arrives or the last writer closes. */
  readable: Event = new Event("pipe-read");
  /** Signalled when space frees up or the last reader closes. */
  writable: Event = new Event("pipe-write");

  read(dst: usize, length: u32): i32 {
    let n: i32 = 0;
    while (<u32>n < length && this.count > 0) {
      store<u8>(dst + <usize>n, unchecked(this.buffer[this.head]));
      this.head = (this.head + 1) % PIPE_BYTES;
      this.count--;
      n++;
    }
    if (n > 0) this.writable.signal();
    return n;
  }

  write(src: usize, length: u32): i32 {
    let n: i32 = 0;
    while (<u32>n < length && this.count < PIPE_BYTES) {
      unchecked(this.buffer[(this.head + this.count) % PIPE_BYTES] = load<u8>(src + <usize>n));
      this.count++;
      n++;
    }
    if (n > 0) this.readable.signal();
    return n;
  }
}

export class FileRef {
  refs: i32 = 1;
  vfsHandle: i32 = -1;
  offset: u64 = 0;
  /** Absolute path (files and directories): for *at() calls relative to this descriptor. */
  path: string = "";
  /** O_* flags as the program gave them (O_APPEND, O_NONBLOCK, access mode). */
  flags: i32 = 0;
  pipe: Pipe | null = null;
  entries: Array<DirEntry> | null = null;
  entryIndex: i32 = 0;

  constructor(public kind: FileKind) {}

  static ofPipe(pipe: Pipe, writeEnd: bool): FileRef {
    const f = new FileRef(writeEnd ? FileKind.PipeWrite : FileKind.PipeRead);
    f.pipe = pipe;
    if (writeEnd) pipe.writers++; else pipe.readers++;
    return f;
  }

  retain(): FileRef { this.refs++; return this; }

  /** Drops one reference; the last one closes the VFS handle or the pipe end. */
  release(): void {
    if (--this.refs > 0) return;
    if (this.vfsHandle >= 0) { vfs.close(this.vfsHandle); this.vfsHandle = -1; }
    const p = this.pipe;
    if (p != null) {
      if (this.kind == FileKind.PipeWrite) { p.writers--; p.readable.signal(); }
      else { p.readers--; p.writable.signal(); }
      this.pipe = null;
    }
  }
}

export class FdSlot {
  constructor(public file: FileRef, public cloexec: bool) {}
}

export const MAX_FDS: i32 = 256;
