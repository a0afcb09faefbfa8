// Whole-file helpers for kernel subsystems that keep small files (exported traces, model
// weights): write a string as a file, read a file back as a string. Both go through the VFS,
// so they work on any mounted file system and return negative error codes, never trap.
import * as vfs from "./vfs";
import { Stat } from "./types";
import { EFBIG, ENOSPC } from "../lib/errors";

/** Replaces `path` with `text` (UTF-8) and fsyncs it. Returns the bytes written or an error. */
export function writeTextFile(path: string, text: string): i32 {
  const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC);
  if (fd < 0) return fd;
  const bytes = String.UTF8.encode(text, false);
  let result: i32 = bytes.byteLength;
  if (bytes.byteLength > 0) {
    const n = vfs.write(fd, changetype<usize>(bytes), <u32>bytes.byteLength);
    if (n < 0) result = <i32>n;
    else if (n < bytes.byteLength) result = -ENOSPC;
  }
  if (result >= 0) {
    const e = vfs.fsync(fd);
    if (e < 0) result = e;
  }
  vfs.close(fd);
  return result;
}

/** Error behind the last null from readTextFile. */
export let lastReadError: i32 = 0;

/** The contents of `path` as text, or null (see lastReadError). Files over `limit` bytes are refused. */
export function readTextFile(path: string, limit: u32 = 4 << 20): string | null {
  const st = new Stat();
  let e = vfs.stat(path, true, st);
  if (e < 0) {
    lastReadError = e;
    return null;
  }
  if (st.size > <u64>limit) {
    lastReadError = -EFBIG;
    return null;
  }
  const fd = vfs.open(path, vfs.O_RDONLY);
  if (fd < 0) {
    lastReadError = fd;
    return null;
  }
  const size = <i32>st.size;
  const buffer = new ArrayBuffer(size);
  const n = size > 0 ? vfs.read(fd, changetype<usize>(buffer), <u32>size) : 0;
  vfs.close(fd);
  if (n < 0) {
    lastReadError = <i32>n;
    return null;
  }
  return String.UTF8.decodeUnsafe(changetype<usize>(buffer), <usize>n, false);
}
