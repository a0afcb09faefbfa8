// File-system system calls (paths, stat, read/write, open, dirs, ioctl, fcntl, dup, pipe, cwd, links); shared result codes.
import { Process, sendSignal, waitOn } from "./process";
import { FileRef, FileKind, FdSlot, Pipe, MAX_FDS } from "./files";
import { consoleTerminal } from "./tty";
import { SIGPIPE } from "./signals";
import * as vfs from "../fs/vfs";
import { Stat, S_IFCHR, S_IFIFO, isDir } from "../fs/types";
import {
  ENOENT, EBADF, EAGAIN, EFAULT, ENOTDIR, EISDIR, EINVAL, EMFILE, ERANGE, ENAMETOOLONG, ENOTTY, ESPIPE, EPIPE,
  EACCES,
} from "./errno";

/** The call waits: the svc runs again when the process is woken (see syscalls.ts). */
export const RESULT_BLOCK: i64 = i64.MIN_VALUE;
/** The call set the registers itself (execve, rt_sigreturn): x0 is not written. */
export const RESULT_NONE: i64 = i64.MIN_VALUE + 1;

export const AT_FDCWD: i64 = -100;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
export const AT_REMOVEDIR: u64 = 0x200;
const AT_EMPTY_PATH: u64 = 0x1000;
// open flags as aarch64 Linux numbers them (O_DIRECTORY differs from x86)
const L_O_ACCMODE: i32 = 3;
const L_O_CREAT: i32 = 0x40;
const L_O_EXCL: i32 = 0x80;
const L_O_TRUNC: i32 = 0x200;
const L_O_APPEND: i32 = 0x400;
const L_O_NONBLOCK: i32 = 0x800;
const L_O_DIRECTORY: i32 = 0x4000;
const L_O_CLOEXEC: i32 = 0x80000;
export const PATH_LIMIT: i32 = 4096;
/** Largest single read/write the kernel copies at once (larger requests return a short count). */
export const IO_CHUNK: u64 = 65536;

@inline export function ok(): i64 { return 0; }
@inline export function err(e: i32): i64 { return -<i64>(e < 0 ? -e : e); }

// ---------------------------------------------------------------- paths

/** Joins `path` onto `base` and removes "." and ".." (symlinks are resolved by the VFS). */
function joinPath(base: string, path: string): string {
  const full = path.startsWith("/") ? path : (base.endsWith("/") ? base + path : base + "/" + path);
  const parts = full.split("/");
  const out = new Array<string>(0);
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i];
    if (s.length == 0 || s == ".") continue;
    if (s == "..") { if (out.length > 0) out.pop(); continue; }
    out.push(s);
  }
  let r = "/" + out.join("/");
  if (path.endsWith("/") && r.length > 1) r += "/";
  return r;
}

class PathArg {
  error: i32 = 0;
  path: string = "";
}

/** The absolute path of a (dirfd, user path) pair; "/proc/self/exe" is the program itself. */
export function pathAt(p: Process, dirfd: i64, va: u64, allowEmpty: bool = false): PathArg {
  const r = new PathArg();
  const s = p.space.readString(va, PATH_LIMIT);
  if (s == null) { r.error = va == 0 || p.space.userByte(va, false) == 0 ? -EFAULT : -ENAMETOOLONG; return r; }
  let path = s!;
  if (path.length == 0 && !allowEmpty) { r.error = -ENOENT; return r; }
  if (path == "/proc/self/exe") { r.path = p.exePath; return r; }
  let base = p.cwd;
  if (!path.startsWith("/") && dirfd != AT_FDCWD) {
    const f = p.fd(<i32>dirfd);
    if (f == null) { r.error = -EBADF; return r; }
    if (f.kind != FileKind.Directory && !(allowEmpty && path.length == 0)) { r.error = -ENOTDIR; return r; }
    base = f.path;
  }
  r.path = path.length == 0 ? base : joinPath(base, path);
  return r;
}

// ---------------------------------------------------------------- stat

const STAT_BYTES: u64 = 128;

function writeStat(p: Process, va: u64, st: Stat): i64 {
  const b = heap.alloc(<usize>STAT_BYTES);
  memory.fill(b, 0, <usize>STAT_BYTES);
  store<u64>(b, 0x801); // st_dev: vda
  store<u64>(b + 8, st.ino);
  store<u32>(b + 16, st.mode);
  store<u32>(b + 20, st.nlink);
  store<u32>(b + 24, st.uid);
  store<u32>(b + 28, st.gid);
  store<u64>(b + 32, (<u64>st.rdevMajor << 8) | <u64>st.rdevMinor);
  store<i64>(b + 48, <i64>st.size);
  store<i32>(b + 56, st.blockSize > 0 ? <i32>st.blockSize : 4096);
  store<i64>(b + 64, <i64>st.blocks);
  store<i64>(b + 72, st.atime); store<i64>(b + 80, <i64>st.atimeNs);
  store<i64>(b + 88, st.mtime); store<i64>(b + 96, <i64>st.mtimeNs);
  store<i64>(b + 104, st.ctime); store<i64>(b + 112, <i64>st.ctimeNs);
  const good = p.space.copyOut(va, b, STAT_BYTES);
  heap.free(b);
  return good ? 0 : err(EFAULT);
}

function statOfFile(f: FileRef, st: Stat): i32 {
  if (f.kind == FileKind.File) return vfs.fstat(f.vfsHandle, st);
  if (f.kind == FileKind.Directory) return vfs.stat(f.path, true, st);
  if (f.kind == FileKind.Console) { st.mode = S_IFCHR | 0o620; st.rdevMajor = 136; st.nlink = 1; return 0; }
  if (f.kind == FileKind.Null) { st.mode = S_IFCHR | 0o666; st.rdevMajor = 1; st.rdevMinor = 3; st.nlink = 1; return 0; }
  st.mode = S_IFIFO | 0o600;
  st.nlink = 1;
  return 0;
}

// ---------------------------------------------------------------- read and write

/** Reads into kernel buffer `buf`; may return RESULT_BLOCK. */
function readFile(p: Process, f: FileRef, buf: usize, length: u32): i64 {
  switch (f.kind) {
    case FileKind.Console: {
      if (!consoleTerminal.hasInput()) {
        if ((f.flags & L_O_NONBLOCK) != 0) return err(EAGAIN);
        return waitOn(consoleTerminal.readable);
      }
      return <i64>consoleTerminal.read(buf, length);
    }
    case FileKind.Null: return 0;
    case FileKind.File: {
      const n = vfs.readAt(f.vfsHandle, f.offset, buf, length);
      if (n > 0) f.offset += <u64>n;
      return n;
    }
    case FileKind.Directory: return err(EISDIR);
    case FileKind.PipeRead: {
      const pipe = f.pipe!;
      if (pipe.count == 0) {
        if (pipe.writers == 0) return 0;
        if ((f.flags & L_O_NONBLOCK) != 0) return err(EAGAIN);
        return waitOn(pipe.readable);
      }
      return <i64>pipe.read(buf, length);
    }
    default: return err(EBADF);
  }
}

function writeFile(p: Process, f: FileRef, buf: usize, length: u32): i64 {
  switch (f.kind) {
    case FileKind.Console: consoleTerminal.write(buf, length); return <i64>length;
    case FileKind.Null: return <i64>length;
    case FileKind.File: {
      let e = vfs.seek(f.vfsHandle, f.offset);
      if (e < 0) return err(e);
      const n = vfs.write(f.vfsHandle, buf, length);
      if (n < 0) return n;
      if ((f.flags & L_O_APPEND) != 0) {
        const st = new Stat();
        vfs.fstat(f.vfsHandle, st);
        f.offset = st.size;
      } else {
        f.offset += <u64>n;
      }
      return n;
    }
    case FileKind.PipeWrite: {
      const pipe = f.pipe!;
      if (pipe.readers == 0) { sendSignal(p, SIGPIPE); return err(EPIPE); }
      if (pipe.count == 65536) {
        if ((f.flags & L_O_NONBLOCK) != 0) return err(EAGAIN);
        return waitOn(pipe.writable);
      }
      return <i64>pipe.write(buf, length);
    }
    default: return err(EBADF);
  }
}

export function sysRead(p: Process, fd: i32, va: u64, count: u64): i64 {
  const f = p.fd(fd);
  if (f == null) return err(EBADF);
  if ((f.flags & L_O_ACCMODE) == 1 && f.kind == FileKind.File) return err(EBADF);
  if (count == 0) return 0;
  const n = count < IO_CHUNK ? count : IO_CHUNK;
  if (p.space.userByte(va, true) == 0 || p.space.userByte(va + n - 1, true) == 0) return err(EFAULT);
  const buf = heap.alloc(<usize>n);
  const r = readFile(p, f, buf, <u32>n);
  if (r > 0 && !p.space.copyOut(va, buf, <u64>r)) { heap.free(buf); return err(EFAULT); }
  heap.free(buf);
  return r;
}

export function sysWrite(p: Process, fd: i32, va: u64, count: u64): i64 {
  const f = p.fd(fd);
  if (f == null) return err(EBADF);
  if ((f.flags & L_O_ACCMODE) == 0 && f.kind == FileKind.File) return err(EBADF);
  if (count == 0) return 0;
  const n = count < IO_CHUNK ? count : IO_CHUNK;
  const buf = heap.alloc(<usize>n);
  if (!p.space.copyIn(buf, va, n)) { heap.free(buf); return err(EFAULT); }
  const r = writeFile(p, f, buf, <u32>n);
  heap.free(buf);
  return r;
}

export function sysReadvWritev(p: Process, fd: i32, iov: u64, count: i64, write: bool): i64 {
  if (count < 0 || count > 1024) return err(EINVAL);
  let total: i64 = 0;
  const v = memory.data(16);
  for (let i: i64 = 0; i < count; i++) {
    if (!p.space.copyIn(v, iov + <u64>i * 16, 16)) return total > 0 ? total : err(EFAULT);
    const base = load<u64>(v), len = load<u64>(v + 8);
    if (len == 0) continue;
    const r = write ? sysWrite(p, fd, base, len) : sysRead(p, fd, base, len);
    if (r == RESULT_BLOCK) return total > 0 ? total : r;
    if (r < 0) return total > 0 ? total : r;
    total += r;
    if (<u64>r < len) break;
  }
  return total;
}

// ---------------------------------------------------------------- files

export function sysOpenat(p: Process, dirfd: i64, pathVa: u64, flags: i32, mode: u32): i64 {
  const a = pathAt(p, dirfd, pathVa);
  if (a.error < 0) return err(a.error);
  const path = a.path;
  const cloexec = (flags & L_O_CLOEXEC) != 0;
  if (path == "/dev/null" || path == "/dev/zero") {
    const f = new FileRef(FileKind.Null);
    f.flags = flags;
    return <i64>p.installFd(f, cloexec);
  }
  if (path == "/dev/tty" || path == "/dev/console") {
    const f = new FileRef(FileKind.Console);
    f.flags = flags;
    return <i64>p.installFd(f, cloexec);
  }
  const st = new Stat();
  const se = vfs.stat(path, true, st);
  if (se == 0 && isDir(st.mode)) {
    if ((flags & L_O_ACCMODE) != 0) return err(EISDIR);
    const f = new FileRef(FileKind.Directory);
    f.path = path.endsWith("/") && path.length > 1 ? path.substring(0, path.length - 1) : path;
    f.flags = flags;
    return <i64>p.installFd(f, cloexec);
  }
  if ((flags & L_O_DIRECTORY) != 0) return err(se < 0 ? se : -ENOTDIR);
  let vflags = flags & L_O_ACCMODE;
  if ((flags & L_O_CREAT) != 0) vflags |= vfs.O_CREAT;
  if ((flags & L_O_EXCL) != 0) vflags |= vfs.O_EXCL;
  if ((flags & L_O_TRUNC) != 0) vflags |= vfs.O_TRUNC;
  if ((flags & L_O_APPEND) != 0) vflags |= vfs.O_APPEND;
  const h = vfs.open(path, vflags, mode & ~p.umask & 0o7777);
  if (h < 0) return err(h);
  const f = new FileRef(FileKind.File);
  f.vfsHandle = h;
  f.path = path;
  f.flags = flags;
  return <i64>p.installFd(f, cloexec);
}

export function sysLseek(p: Process, fd: i32, offset: i64, whence: i32): i64 {
  const f = p.fd(fd);
  if (f == null) return err(EBADF);
  if (f.kind == FileKind.Directory) {
    if (whence == 0 && offset == 0) { f.entries = null; f.entryIndex = 0; return 0; }
    return err(EINVAL);
  }
  if (f.kind != FileKind.File) return err(ESPIPE);
  let base: i64 = 0;
  if (whence == 1) base = <i64>f.offset;
  else if (whence == 2) {
    const st = new Stat();
    const e = vfs.fstat(f.vfsHandle, st);
    if (e < 0) return err(e);
    base = <i64>st.size;
  } else if (whence != 0) return err(EINVAL);
  const n = base + offset;
  if (n < 0) return err(EINVAL);
  f.offset = <u64>n;
  return n;
}

export function sysGetdents64(p: Process, fd: i32, va: u64, count: u64): i64 {
  const f = p.fd(fd);
  if (f == null) return err(EBADF);
  if (f.kind != FileKind.Directory) return err(ENOTDIR);
  if (f.entries == null) {
    const list = vfs.listDirectory(f.path);
    if (list == null) return err(vfs.lastError);
    f.entries = list;
    f.entryIndex = 0;
  }
  const entries = f.entries!;
  const limit = count < IO_CHUNK ? count : IO_CHUNK;
  const buf = heap.alloc(<usize>limit);
  let used: u64 = 0;
  while (f.entryIndex < entries.length) {
    const e = entries[f.entryIndex];
    const name = String.UTF8.encode(e.name, true);
    const reclen = (19 + <u64>name.byteLength + 7) & ~(<u64>7);
    if (used + reclen > limit) break;
    const r = buf + <usize>used;
    memory.fill(r, 0, <usize>reclen);
    store<u64>(r, e.ino);
    store<i64>(r + 8, <i64>(f.entryIndex + 1));
    store<u16>(r + 16, <u16>reclen);
    store<u8>(r + 18, e.type);
    memory.copy(r + 19, changetype<usize>(name), <usize>name.byteLength);
    used += reclen;
    f.entryIndex++;
  }
  if (used == 0 && f.entryIndex < entries.length) { heap.free(buf); return err(EINVAL); }
  const good = p.space.copyOut(va, buf, used);
  heap.free(buf);
  return good ? <i64>used : err(EFAULT);
}

export function sysIoctl(p: Process, fd: i32, request: u64, arg: u64): i64 {
  const f = p.fd(fd);
  if (f == null) return err(EBADF);
  if (f.kind != FileKind.Console) return err(ENOTTY);
  const t = consoleTerminal;
  if (request == 0x5401) { // TCGETS: struct termios (36 bytes)
    const b = memory.data(36);
    memory.fill(b, 0, 36);
    store<u32>(b, t.iflag); store<u32>(b + 4, t.oflag); store<u32>(b + 8, t.cflag); store<u32>(b + 12, t.lflag);
    for (let i = 0; i < 19; i++) store<u8>(b + 17 + <usize>i, t.cc[i]);
    return p.space.copyOut(arg, b, 36) ? 0 : err(EFAULT);
  }
  if (request == 0x5402 || request == 0x5403 || request == 0x5404) { // TCSETS, TCSETSW, TCSETSF
    const b = memory.data(36);
    if (!p.space.copyIn(b, arg, 36)) return err(EFAULT);
    t.iflag = load<u32>(b); t.oflag = load<u32>(b + 4); t.cflag = load<u32>(b + 8); t.lflag = load<u32>(b + 12);
    for (let i = 0; i < 19; i++) t.cc[i] = load<u8>(b + 17 + <usize>i);
    return 0;
  }
  if (request == 0x5413) { // TIOCGWINSZ
    const b = memory.data(8);
    store<u16>(b, 24); store<u16>(b + 2, 80); store<u16>(b + 4, 0); store<u16>(b + 6, 0);
    return p.space.copyOut(arg, b, 8) ? 0 : err(EFAULT);
  }
  if (request == 0x540f) { // TIOCGPGRP
    const b = memory.data(4);
    store<i32>(b, p.pgid);
    return p.space.copyOut(arg, b, 4) ? 0 : err(EFAULT);
  }
  if (request == 0x5410 || request == 0x5414) return 0; // TIOCSPGRP, TIOCSWINSZ
  return err(ENOTTY);
}

export function sysFcntl(p: Process, fd: i32, cmd: i32, arg: u64): i64 {
  const f = p.fd(fd);
  if (f == null) return err(EBADF);
  const slot = p.fds[fd]!;
  switch (cmd) {
    case 0: case 1030: { // F_DUPFD, F_DUPFD_CLOEXEC
      if (arg >= <u64>MAX_FDS) return err(EINVAL);
      return <i64>p.installFd(f.retain(), cmd == 1030, <i32>arg);
    }
    case 1: return slot.cloexec ? 1 : 0; // F_GETFD
    case 2: slot.cloexec = (arg & 1) != 0; return 0; // F_SETFD
    case 3: return <i64>(f.flags & ~L_O_CLOEXEC); // F_GETFL
    case 4: f.flags = (f.flags & ~(L_O_APPEND | L_O_NONBLOCK)) | (<i32>arg & (L_O_APPEND | L_O_NONBLOCK)); return 0;
    default: return err(EINVAL);
  }
}

export function sysDup3(p: Process, oldfd: i32, newfd: i32, flags: i32): i64 {
  const f = p.fd(oldfd);
  if (f == null) return err(EBADF);
  if (oldfd == newfd) return err(EINVAL);
  if (newfd < 0 || newfd >= MAX_FDS) return err(EBADF);
  while (p.fds.length <= newfd) p.fds.push(null);
  if (p.fds[newfd] != null) p.closeFd(newfd);
  p.fds[newfd] = new FdSlot(f.retain(), (flags & L_O_CLOEXEC) != 0);
  return <i64>newfd;
}

export function sysPipe2(p: Process, va: u64, flags: i32): i64 {
  if (p.space.userByte(va, true) == 0 || p.space.userByte(va + 7, true) == 0) return err(EFAULT);
  const pipe = new Pipe();
  const r = FileRef.ofPipe(pipe, false), w = FileRef.ofPipe(pipe, true);
  r.flags = flags & L_O_NONBLOCK;
  w.flags = (flags & L_O_NONBLOCK) | 1;
  const cloexec = (flags & L_O_CLOEXEC) != 0;
  const a = p.installFd(r, cloexec);
  if (a < 0) { w.release(); return err(EMFILE); }
  const b = p.installFd(w, cloexec);
  if (b < 0) { p.closeFd(a); return err(EMFILE); }
  const out = memory.data(8);
  store<i32>(out, a);
  store<i32>(out + 4, b);
  p.space.copyOut(va, out, 8);
  return 0;
}

export function sysSendfile(p: Process, outFd: i32, inFd: i32, offsetVa: u64, count: u64): i64 {
  const fin = p.fd(inFd), fout = p.fd(outFd);
  if (fin == null || fout == null) return err(EBADF);
  if (fin.kind != FileKind.File) return err(EINVAL);
  const n = count < IO_CHUNK ? count : IO_CHUNK;
  if (n == 0) return 0;
  let offset = fin.offset;
  const ob = memory.data(8);
  if (offsetVa != 0) {
    if (!p.space.copyIn(ob, offsetVa, 8)) return err(EFAULT);
    offset = load<u64>(ob);
  }
  const buf = heap.alloc(<usize>n);
  const got = vfs.readAt(fin.vfsHandle, offset, buf, <u32>n);
  if (got <= 0) { heap.free(buf); return got; }
  const w = writeFile(p, fout, buf, <u32>got);
  heap.free(buf);
  if (w == RESULT_BLOCK) return w;
  if (w < 0) return w;
  if (offsetVa != 0) { store<u64>(ob, offset + <u64>w); p.space.copyOut(offsetVa, ob, 8); }
  else fin.offset += <u64>w;
  return w;
}

// ---------------------------------------------------------------- cwd, links, stat by path

export function sysGetcwd(p: Process, va: u64, size: u64): i64 {
  const bytes = String.UTF8.encode(p.cwd, true);
  const n = <u64>bytes.byteLength;
  if (size < n) return err(ERANGE);
  return p.space.copyOut(va, changetype<usize>(bytes), n) ? <i64>n : err(EFAULT);
}

export function sysChdir(p: Process, va: u64): i64 {
  const a = pathAt(p, AT_FDCWD, va);
  if (a.error < 0) return err(a.error);
  const st = new Stat();
  const e = vfs.stat(a.path, true, st);
  if (e < 0) return err(e);
  if (!isDir(st.mode)) return err(ENOTDIR);
  p.cwd = a.path.length > 1 && a.path.endsWith("/") ? a.path.substring(0, a.path.length - 1) : a.path;
  return 0;
}

export function sysReadlinkat(p: Process, dirfd: i64, pathVa: u64, bufVa: u64, size: u64): i64 {
  const raw = p.space.readString(pathVa, PATH_LIMIT);
  if (raw == null) return err(EFAULT);
  let target: string;
  if (raw! == "/proc/self/exe") {
    target = p.exePath;
  } else {
    const a = pathAt(p, dirfd, pathVa);
    if (a.error < 0) return err(a.error);
    const t = vfs.readLink(a.path);
    if (t == null) return err(vfs.lastError);
    target = t!;
  }
  if (<i64>size <= 0) return err(EINVAL);
  const bytes = String.UTF8.encode(target);
  const n = <u64>bytes.byteLength < size ? <u64>bytes.byteLength : size;
  return p.space.copyOut(bufVa, changetype<usize>(bytes), n) ? <i64>n : err(EFAULT);
}

export function sysNewfstatat(p: Process, dirfd: i64, pathVa: u64, statVa: u64, flags: u64): i64 {
  const st = new Stat();
  const empty = (flags & AT_EMPTY_PATH) != 0;
  if (empty) {
    const raw = p.space.readString(pathVa, 2);
    if (raw != null && raw!.length == 0) {
      if (dirfd == AT_FDCWD) { const e = vfs.stat(p.cwd, true, st); return e < 0 ? err(e) : writeStat(p, statVa, st); }
      const f = p.fd(<i32>dirfd);
      if (f == null) return err(EBADF);
      const e = statOfFile(f, st);
      return e < 0 ? err(e) : writeStat(p, statVa, st);
    }
  }
  const a = pathAt(p, dirfd, pathVa);
  if (a.error < 0) return err(a.error);
  if (a.path == "/dev/null" || a.path == "/dev/tty" || a.path == "/dev/console") {
    statOfFile(new FileRef(a.path == "/dev/null" ? FileKind.Null : FileKind.Console), st);
    return writeStat(p, statVa, st);
  }
  const e = vfs.stat(a.path, (flags & AT_SYMLINK_NOFOLLOW) == 0, st);
  if (e < 0) return err(e);
  return writeStat(p, statVa, st);
}

export function sysFstat(p: Process, fd: i32, statVa: u64): i64 {
  const f = p.fd(fd);
  if (f == null) return err(EBADF);
  const st = new Stat();
  const e = statOfFile(f, st);
  return e < 0 ? err(e) : writeStat(p, statVa, st);
}

export function sysFaccessat(p: Process, dirfd: i64, pathVa: u64, mode: u64): i64 {
  const a = pathAt(p, dirfd, pathVa);
  if (a.error < 0) return err(a.error);
  if (a.path == "/dev/null" || a.path == "/dev/tty") return 0;
  const st = new Stat();
  const e = vfs.stat(a.path, true, st);
  if (e < 0) return err(e);
  if ((mode & 1) != 0 && (st.mode & 0o111) == 0) return err(EACCES); // X_OK (we are root: any x bit)
  return 0;
}

export function twoPaths(p: Process, d1: i64, v1: u64, d2: i64, v2: u64, out: Array<string>): i32 {
  const a = pathAt(p, d1, v1);
  if (a.error < 0) return a.error;
  const b = pathAt(p, d2, v2);
  if (b.error < 0) return b.error;
  out.push(a.path);
  out.push(b.path);
  return 0;
}
