// Linux aarch64 system calls: number in x8, arguments in x0..x5, result (or -errno) in x0.
//
// Every user pointer goes through the address space's checked copies (addrspace.ts), so a
// bad pointer is EFAULT and never a kernel fault. A call that must wait returns RESULT_BLOCK
// after process.waitOn()/sleepTill(): the svc runs again when the process is woken.
// Unknown numbers return ENOSYS and are counted per number (`procctl syscalls`).
import {
  Process, ProcessTask, forkProcess, forkError, execProcess, terminate, findProcess, processTable, reapProcess,
  sendSignal, waitOn, sleepTill, ProcState, zombieReaped,
} from "./process";
import { FileRef, FileKind, FdSlot, Pipe, MAX_FDS } from "./files";
import { consoleTerminal, ICANON } from "./tty";
import { PROT_READ, PROT_WRITE, PROT_EXEC } from "./addrspace";
import { PAGE, USER_BASE, USER_TOP, BRK_MAX, STACK_TOP, STACK_MAX } from "./layout";
import { FRAME_TPIDR, FRAME_SP } from "./user_imports";
import { returnFromSignal, SIGKILL, SIGSTOP, SIGPIPE } from "./signals";
import { fillRandom } from "./entropy";
import * as vfs from "../fs/vfs";
import { Stat, DirEntry, S_IFCHR, S_IFIFO, S_IFDIR, isDir, DT_CHR, DT_UNKNOWN } from "../fs/types";
import { wallClockSeconds, wallClockNanos } from "../fs/clock";
import { nowTicks, ticksToNs, usToTicks } from "../platform/time";
import {
  EPERM, ENOENT, EBADF, EAGAIN, ENOMEM, EFAULT, EEXIST, ENOTDIR, EISDIR, EINVAL, EMFILE, ERANGE, ENAMETOOLONG,
  ENOSYS, ESRCH, EINTR, ECHILD, ENOTTY, ESPIPE, EPIPE, EACCES,
} from "./errno";
import { SIS_VERSION } from "../version";
import { println } from "../platform/console";

export const RESULT_BLOCK: i64 = i64.MIN_VALUE;
/** The call set the registers itself (execve, rt_sigreturn): x0 is not written. */
export const RESULT_NONE: i64 = i64.MIN_VALUE + 1;

// ---- statistics ----
export const MAX_SYSCALL: i32 = 512;
const callCounts = new StaticArray<u64>(MAX_SYSCALL);
const unknownCounts = new StaticArray<u64>(MAX_SYSCALL);
export let unknownTotal: u64 = 0;
export function syscallCount(nr: i32): u64 { return nr >= 0 && nr < MAX_SYSCALL ? callCounts[nr] : 0; }
export function unknownCount(nr: i32): u64 { return nr >= 0 && nr < MAX_SYSCALL ? unknownCounts[nr] : 0; }

export function syscallName(nr: i32): string {
  switch (nr) {
    case 17: return "getcwd"; case 23: return "dup"; case 24: return "dup3"; case 25: return "fcntl";
    case 29: return "ioctl"; case 33: return "mknodat"; case 34: return "mkdirat"; case 35: return "unlinkat";
    case 36: return "symlinkat"; case 37: return "linkat"; case 38: return "renameat"; case 46: return "ftruncate";
    case 48: return "faccessat"; case 49: return "chdir"; case 50: return "fchdir"; case 52: return "fchmod";
    case 53: return "fchmodat"; case 54: return "fchownat"; case 56: return "openat"; case 57: return "close";
    case 59: return "pipe2"; case 61: return "getdents64"; case 62: return "lseek"; case 63: return "read";
    case 64: return "write"; case 65: return "readv"; case 66: return "writev"; case 67: return "pread64";
    case 68: return "pwrite64"; case 71: return "sendfile"; case 73: return "ppoll"; case 78: return "readlinkat";
    case 79: return "newfstatat"; case 80: return "fstat"; case 82: return "fsync"; case 88: return "utimensat";
    case 93: return "exit"; case 94: return "exit_group"; case 96: return "set_tid_address"; case 98: return "futex";
    case 99: return "set_robust_list"; case 101: return "nanosleep"; case 113: return "clock_gettime";
    case 115: return "clock_nanosleep"; case 124: return "sched_yield"; case 129: return "kill"; case 130: return "tkill";
    case 131: return "tgkill"; case 132: return "sigaltstack"; case 134: return "rt_sigaction";
    case 135: return "rt_sigprocmask"; case 139: return "rt_sigreturn"; case 153: return "times";
    case 154: return "setpgid"; case 155: return "getpgid"; case 156: return "getsid"; case 157: return "setsid";
    case 160: return "uname"; case 163: return "getrlimit"; case 165: return "getrusage"; case 166: return "umask";
    case 167: return "prctl"; case 169: return "gettimeofday"; case 172: return "getpid"; case 173: return "getppid";
    case 174: return "getuid"; case 175: return "geteuid"; case 176: return "getgid"; case 177: return "getegid";
    case 178: return "gettid"; case 179: return "sysinfo"; case 214: return "brk"; case 215: return "munmap";
    case 220: return "clone"; case 221: return "execve"; case 222: return "mmap"; case 226: return "mprotect";
    case 233: return "madvise"; case 260: return "wait4"; case 261: return "prlimit64"; case 276: return "renameat2";
    case 278: return "getrandom"; case 291: return "statx"; case 293: return "rseq"; case 435: return "clone3";
    case 439: return "faccessat2";
    default: return "#" + nr.toString();
  }
}

const AT_FDCWD: i64 = -100;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_REMOVEDIR: u64 = 0x200;
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
const PATH_LIMIT: i32 = 4096;
/** Largest single read/write the kernel copies at once (larger requests return a short count). */
const IO_CHUNK: u64 = 65536;

@inline function ok(): i64 { return 0; }
@inline function err(e: i32): i64 { return -<i64>(e < 0 ? -e : e); }

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
function pathAt(p: Process, dirfd: i64, va: u64, allowEmpty: bool = false): PathArg {
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

function sysRead(p: Process, fd: i32, va: u64, count: u64): i64 {
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

function sysWrite(p: Process, fd: i32, va: u64, count: u64): i64 {
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

function sysReadvWritev(p: Process, fd: i32, iov: u64, count: i64, write: bool): i64 {
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

function sysOpenat(p: Process, dirfd: i64, pathVa: u64, flags: i32, mode: u32): i64 {
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

function sysLseek(p: Process, fd: i32, offset: i64, whence: i32): i64 {
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

function sysGetdents64(p: Process, fd: i32, va: u64, count: u64): i64 {
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

function sysIoctl(p: Process, fd: i32, request: u64, arg: u64): i64 {
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

function sysFcntl(p: Process, fd: i32, cmd: i32, arg: u64): i64 {
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

function sysDup3(p: Process, oldfd: i32, newfd: i32, flags: i32): i64 {
  const f = p.fd(oldfd);
  if (f == null) return err(EBADF);
  if (oldfd == newfd) return err(EINVAL);
  if (newfd < 0 || newfd >= MAX_FDS) return err(EBADF);
  while (p.fds.length <= newfd) p.fds.push(null);
  if (p.fds[newfd] != null) p.closeFd(newfd);
  p.fds[newfd] = new FdSlot(f.retain(), (flags & L_O_CLOEXEC) != 0);
  return <i64>newfd;
}

function sysPipe2(p: Process, va: u64, flags: i32): i64 {
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

function sysSendfile(p: Process, outFd: i32, inFd: i32, offsetVa: u64, count: u64): i64 {
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

// ---------------------------------------------------------------- memory

function sysBrk(p: Process, addr: u64): i64 {
  const s = p.space;
  if (addr == 0 || addr < s.brkStart || addr > s.brkStart + BRK_MAX) return <i64>s.brk;
  const oldEnd = (s.brk + PAGE - 1) & ~(PAGE - 1);
  const newEnd = (addr + PAGE - 1) & ~(PAGE - 1);
  if (newEnd > oldEnd) {
    if (!s.isFree(oldEnd, newEnd)) return <i64>s.brk;
    s.addRegion(oldEnd, newEnd, PROT_READ | PROT_WRITE, "heap");
  } else if (newEnd < oldEnd) {
    s.removeRange(newEnd, oldEnd);
  }
  s.brk = addr;
  return <i64>addr;
}

function sysMmap(p: Process, addr: u64, length: u64, prot: u32, flags: u32, fd: i32, offset: u64): i64 {
  const s = p.space;
  if (length == 0 || length > USER_TOP) return err(EINVAL);
  if ((offset & (PAGE - 1)) != 0) return err(EINVAL);
  const len = (length + PAGE - 1) & ~(PAGE - 1);
  const MAP_SHARED: u32 = 1, MAP_PRIVATE: u32 = 2, MAP_FIXED: u32 = 0x10, MAP_ANON: u32 = 0x20;
  if ((flags & (MAP_SHARED | MAP_PRIVATE)) == 0) return err(EINVAL);
  let file: FileRef | null = null;
  if ((flags & MAP_ANON) == 0) {
    file = p.fd(fd);
    if (file == null) return err(EBADF);
    if (file.kind != FileKind.File) return err(EACCES);
    if ((flags & MAP_SHARED) != 0 && (prot & PROT_WRITE) != 0) return err(EACCES); // no shared writable file maps
  }
  let at: u64 = 0;
  if ((flags & MAP_FIXED) != 0) {
    if ((addr & (PAGE - 1)) != 0 || addr < USER_BASE || addr + len > USER_TOP || addr + len < addr) return err(EINVAL);
    s.removeRange(addr, addr + len);
    at = addr;
  } else {
    // the hint if it is free, else the highest free gap below the last mapping
    if (addr >= USER_BASE && (addr & (PAGE - 1)) == 0 && addr + len <= STACK_TOP - STACK_MAX && addr + len > addr &&
      s.isFree(addr, addr + len)) {
      at = addr;
    } else {
      let top = s.mmapNext;
      at = 0;
      while (top >= len + USER_BASE) {
        const cand = top - len;
        if (s.isFree(cand, top) && cand >= s.brkStart + BRK_MAX) { at = cand; break; }
        top -= PAGE * 16;
        if (top < s.brkStart + BRK_MAX + len) break;
      }
      if (at == 0) return err(ENOMEM);
      s.mmapNext = at;
    }
  }
  s.addRegion(at, at + len, prot & 7, file != null ? "file" : "anon");
  if (file != null) {
    // private file mapping: the file's bytes are copied in now (no page cache sharing)
    const st = new Stat();
    vfs.fstat(file.vfsHandle, st);
    const buf = heap.alloc(<usize>PAGE);
    for (let done: u64 = 0; done < len && offset + done < st.size; done += PAGE) {
      const n = vfs.readAt(file.vfsHandle, offset + done, buf, <u32>PAGE);
      if (n <= 0) break;
      if (!s.fill(at + done, buf, <u64>n)) { heap.free(buf); s.removeRange(at, at + len); return err(ENOMEM); }
    }
    heap.free(buf);
  }
  return <i64>at;
}

function sysMunmap(p: Process, addr: u64, length: u64): i64 {
  if ((addr & (PAGE - 1)) != 0 || length == 0) return err(EINVAL);
  const end = (addr + length + PAGE - 1) & ~(PAGE - 1);
  if (end > USER_TOP || end < addr) return err(EINVAL);
  p.space.removeRange(addr, end);
  return 0;
}

function sysMprotect(p: Process, addr: u64, length: u64, prot: u32): i64 {
  if ((addr & (PAGE - 1)) != 0) return err(EINVAL);
  const end = (addr + length + PAGE - 1) & ~(PAGE - 1);
  if (end > USER_TOP || end < addr) return err(ENOMEM);
  for (let va = addr; va < end; va += PAGE) if (p.space.findRegion(va) == null) return err(ENOMEM);
  p.space.protectRange(addr, end, prot & 7);
  return 0;
}

// ---------------------------------------------------------------- processes

function sysClone(p: Process, flags: u64, newSp: u64, parentTid: u64, tls: u64, childTid: u64): i64 {
  const CLONE_VM: u64 = 0x100, CLONE_VFORK: u64 = 0x4000, CLONE_THREAD: u64 = 0x10000;
  const CLONE_SETTLS: u64 = 0x80000, CLONE_PARENT_SETTID: u64 = 0x100000;
  const CLONE_CHILD_CLEARTID: u64 = 0x200000, CLONE_CHILD_SETTID: u64 = 0x1000000;
  if ((flags & CLONE_THREAD) != 0) return err(ENOSYS); // no threads
  if ((flags & CLONE_VM) != 0 && (flags & CLONE_VFORK) == 0) return err(ENOSYS);
  // vfork is a fork here: the child gets a copy, which is what vfork's users may assume anyway
  const c = forkProcess(p);
  if (c == null) return err(forkError);
  if (newSp != 0) store<u64>(c.frame + FRAME_SP, newSp);
  if ((flags & CLONE_SETTLS) != 0) store<u64>(c.frame + FRAME_TPIDR, tls);
  const tid = memory.data(4);
  store<i32>(tid, c.pid);
  if ((flags & CLONE_PARENT_SETTID) != 0) { p.space.copyOut(parentTid, tid, 4); c.space.copyOut(parentTid, tid, 4); }
  if ((flags & CLONE_CHILD_SETTID) != 0) c.space.copyOut(childTid, tid, 4);
  if ((flags & CLONE_CHILD_CLEARTID) != 0) c.clearChildTid = childTid;
  return <i64>c.pid;
}

/** Reads a NULL-terminated array of user strings (argv, envp). Null on a bad pointer. */
function readStringArray(p: Process, va: u64, out: Array<string>): i32 {
  if (va == 0) return 0;
  const w = memory.data(8);
  let total = 0;
  for (let i = 0; i < 4096; i++) {
    if (!p.space.copyIn(w, va + <u64>i * 8, 8)) return -EFAULT;
    const sva = load<u64>(w);
    if (sva == 0) return 0;
    const s = p.space.readString(sva, 131072);
    if (s == null) return -EFAULT;
    total += s!.length + 1;
    if (total > 131072) return -7; // E2BIG
    out.push(s!);
  }
  return -7;
}

function sysExecve(p: Process, pathVa: u64, argvVa: u64, envpVa: u64): i64 {
  const a = pathAt(p, AT_FDCWD, pathVa);
  if (a.error < 0) return err(a.error);
  const argv = new Array<string>(0), envp = new Array<string>(0);
  let e = readStringArray(p, argvVa, argv);
  if (e < 0) return err(e);
  e = readStringArray(p, envpVa, envp);
  if (e < 0) return err(e);
  const r = execProcess(p, a.path, argv, envp);
  if (r < 0) return err(r);
  return RESULT_NONE;
}

function sysWait4(p: Process, pid: i64, statusVa: u64, options: u64): i64 {
  const WNOHANG: u64 = 1;
  let any = false;
  const table = processTable();
  for (let i = 0; i < table.length; i++) {
    const c = table[i];
    if (c.ppid != p.pid) continue;
    if (pid > 0 && <i64>c.pid != pid) continue;
    if (pid == 0 && c.pgid != p.pgid) continue;
    if (pid < -1 && <i64>c.pgid != -pid) continue;
    any = true;
    if (c.state != ProcState.Zombie) continue;
    if (statusVa != 0) {
      const b = memory.data(4);
      store<i32>(b, c.waitStatus);
      if (!p.space.copyOut(statusVa, b, 4)) return err(EFAULT);
    }
    const id = c.pid;
    reapProcess(c);
    return <i64>id;
  }
  if (!any) return err(ECHILD);
  if ((options & WNOHANG) != 0) return 0;
  return waitOn(p.childEvent);
}

function sysKill(p: Process, pid: i64, sig: i64): i64 {
  if (sig < 0 || sig > 64) return err(EINVAL);
  const table = processTable();
  let hit = 0;
  for (let i = 0; i < table.length; i++) {
    const t = table[i];
    if (t.state != ProcState.Live) continue;
    const match = pid > 0 ? <i64>t.pid == pid : pid == 0 ? t.pgid == p.pgid : pid == -1 ? t.pid != 1 : <i64>t.pgid == -pid;
    if (!match) continue;
    hit++;
    if (sig != 0) sendSignal(t, <i32>sig);
  }
  return hit > 0 ? 0 : err(ESRCH);
}

function sysRtSigaction(p: Process, sig: i64, actVa: u64, oldVa: u64, size: u64): i64 {
  if (sig < 1 || sig > 64 || size != 8) return err(EINVAL);
  const a = p.actions[<i32>sig];
  const b = memory.data(32);
  if (oldVa != 0) {
    store<u64>(b, a.handler); store<u64>(b + 8, a.flags); store<u64>(b + 16, a.restorer); store<u64>(b + 24, a.mask);
    if (!p.space.copyOut(oldVa, b, 32)) return err(EFAULT);
  }
  if (actVa != 0) {
    if (sig == <i64>SIGKILL || sig == <i64>SIGSTOP) return err(EINVAL);
    if (!p.space.copyIn(b, actVa, 32)) return err(EFAULT);
    a.handler = load<u64>(b); a.flags = load<u64>(b + 8); a.restorer = load<u64>(b + 16); a.mask = load<u64>(b + 24);
    if (a.handler == 1) p.pendingSignals &= ~((<u64>1) << <u64>(sig - 1));
  }
  return 0;
}

function sysRtSigprocmask(p: Process, how: i64, setVa: u64, oldVa: u64, size: u64): i64 {
  if (size != 8) return err(EINVAL);
  const b = memory.data(8);
  if (oldVa != 0) {
    store<u64>(b, p.blockedSignals);
    if (!p.space.copyOut(oldVa, b, 8)) return err(EFAULT);
  }
  if (setVa != 0) {
    if (!p.space.copyIn(b, setVa, 8)) return err(EFAULT);
    const set = load<u64>(b) & ~(((<u64>1) << 8) | ((<u64>1) << 18)); // never SIGKILL, SIGSTOP
    if (how == 0) p.blockedSignals |= set;
    else if (how == 1) p.blockedSignals &= ~set;
    else if (how == 2) p.blockedSignals = set;
    else return err(EINVAL);
  }
  return 0;
}

function sysNanosleep(p: Process, reqVa: u64): i64 {
  const now = nowTicks();
  if (p.sleepDeadline != 0) {
    if (now >= p.sleepDeadline) { p.sleepDeadline = 0; return 0; }
    return sleepTill(p.sleepDeadline);
  }
  const b = memory.data(16);
  if (!p.space.copyIn(b, reqVa, 16)) return err(EFAULT);
  const sec = load<i64>(b), nsec = load<i64>(b + 8);
  if (sec < 0 || nsec < 0 || nsec >= 1000000000) return err(EINVAL);
  const us = <u64>sec * 1000000 + <u64>nsec / 1000;
  if (us == 0) return 0;
  p.sleepDeadline = now + usToTicks(us);
  return sleepTill(p.sleepDeadline);
}

function writeTimespec(p: Process, va: u64, sec: i64, nsec: i64): i64 {
  const b = memory.data(16);
  store<i64>(b, sec);
  store<i64>(b + 8, nsec);
  return p.space.copyOut(va, b, 16) ? 0 : err(EFAULT);
}

function sysClockGettime(p: Process, clock: i64, va: u64): i64 {
  if (clock == 0 || clock == 5 || clock == 8) { // REALTIME, REALTIME_COARSE, REALTIME_ALARM
    return writeTimespec(p, va, wallClockSeconds(), <i64>wallClockNanos());
  }
  if (clock < 0 || clock > 11) return err(EINVAL);
  const ns = ticksToNs(nowTicks());
  return writeTimespec(p, va, <i64>(ns / 1000000000), <i64>(ns % 1000000000));
}

function putField(b: usize, index: i32, s: string): void {
  const bytes = String.UTF8.encode(s);
  const n = bytes.byteLength < 64 ? bytes.byteLength : 64;
  memory.copy(b + <usize>(index * 65), changetype<usize>(bytes), <usize>n);
}

function sysUname(p: Process, va: u64): i64 {
  const b = heap.alloc(65 * 6);
  memory.fill(b, 0, 65 * 6);
  putField(b, 0, "SIS");
  putField(b, 1, "sis");
  putField(b, 2, SIS_VERSION);
  putField(b, 3, "SIS " + SIS_VERSION);
  putField(b, 4, "aarch64");
  putField(b, 5, "(none)");
  const good = p.space.copyOut(va, b, 65 * 6);
  heap.free(b);
  return good ? 0 : err(EFAULT);
}

function sysPrlimit(p: Process, pid: i64, resource: i64, newVa: u64, oldVa: u64): i64 {
  if (pid != 0 && pid != <i64>p.pid) return err(ESRCH);
  if (resource < 0 || resource > 15) return err(EINVAL);
  if (oldVa != 0) {
    const b = memory.data(16);
    let cur = u64.MAX_VALUE, max = u64.MAX_VALUE;
    if (resource == 3) { cur = STACK_MAX; max = STACK_MAX; } // RLIMIT_STACK
    if (resource == 7) { cur = <u64>MAX_FDS; max = <u64>MAX_FDS; } // RLIMIT_NOFILE
    if (resource == 6) { cur = 64; max = 64; } // RLIMIT_NPROC
    store<u64>(b, cur);
    store<u64>(b + 8, max);
    if (!p.space.copyOut(oldVa, b, 16)) return err(EFAULT);
  }
  return 0; // new limits are accepted and not enforced
}

function sysGetcwd(p: Process, va: u64, size: u64): i64 {
  const bytes = String.UTF8.encode(p.cwd, true);
  const n = <u64>bytes.byteLength;
  if (size < n) return err(ERANGE);
  return p.space.copyOut(va, changetype<usize>(bytes), n) ? <i64>n : err(EFAULT);
}

function sysChdir(p: Process, va: u64): i64 {
  const a = pathAt(p, AT_FDCWD, va);
  if (a.error < 0) return err(a.error);
  const st = new Stat();
  const e = vfs.stat(a.path, true, st);
  if (e < 0) return err(e);
  if (!isDir(st.mode)) return err(ENOTDIR);
  p.cwd = a.path.length > 1 && a.path.endsWith("/") ? a.path.substring(0, a.path.length - 1) : a.path;
  return 0;
}

function sysReadlinkat(p: Process, dirfd: i64, pathVa: u64, bufVa: u64, size: u64): i64 {
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

function sysNewfstatat(p: Process, dirfd: i64, pathVa: u64, statVa: u64, flags: u64): i64 {
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

function sysFstat(p: Process, fd: i32, statVa: u64): i64 {
  const f = p.fd(fd);
  if (f == null) return err(EBADF);
  const st = new Stat();
  const e = statOfFile(f, st);
  return e < 0 ? err(e) : writeStat(p, statVa, st);
}

function sysFaccessat(p: Process, dirfd: i64, pathVa: u64, mode: u64): i64 {
  const a = pathAt(p, dirfd, pathVa);
  if (a.error < 0) return err(a.error);
  if (a.path == "/dev/null" || a.path == "/dev/tty") return 0;
  const st = new Stat();
  const e = vfs.stat(a.path, true, st);
  if (e < 0) return err(e);
  if ((mode & 1) != 0 && (st.mode & 0o111) == 0) return err(EACCES); // X_OK (we are root: any x bit)
  return 0;
}

function twoPaths(p: Process, d1: i64, v1: u64, d2: i64, v2: u64, out: Array<string>): i32 {
  const a = pathAt(p, d1, v1);
  if (a.error < 0) return a.error;
  const b = pathAt(p, d2, v2);
  if (b.error < 0) return b.error;
  out.push(a.path);
  out.push(b.path);
  return 0;
}

// ---------------------------------------------------------------- dispatch

@inline function arg(p: Process, n: u32): u64 { return p.reg(n); }
@inline function iarg(p: Process, n: u32): i64 { return <i64>p.reg(n); }
@inline function i32arg(p: Process, n: u32): i32 { return <i32>p.reg(n); }

/** `procctl trace on`: every system call is printed with its first arguments and result. */
export let traceSyscalls: bool = false;
export function setSyscallTrace(on: bool): void { traceSyscalls = on; }

/** Handles the system call in `p`'s frame; returns the value for x0, RESULT_BLOCK or RESULT_NONE. */
export function handleSyscall(p: Process, task: ProcessTask): i64 {
  if (!traceSyscalls) return dispatch(p, task);
  const nr = <i32>p.reg(8);
  const args = "0x" + p.reg(0).toString(16) + ", 0x" + p.reg(1).toString(16) + ", 0x" + p.reg(2).toString(16) +
    ", 0x" + p.reg(3).toString(16);
  const r = dispatch(p, task);
  println("[pid " + p.pid.toString() + "] " + syscallName(nr) + "(" + args + ") = " +
    (r == RESULT_BLOCK ? "(blocks)" : r == RESULT_NONE ? "-" : r.toString()));
  return r;
}

function dispatch(p: Process, task: ProcessTask): i64 {
  const nr = <i32>p.reg(8);
  if (nr >= 0 && nr < MAX_SYSCALL) callCounts[nr]++;
  switch (nr) {
    case 63: return sysRead(p, i32arg(p, 0), arg(p, 1), arg(p, 2));
    case 64: return sysWrite(p, i32arg(p, 0), arg(p, 1), arg(p, 2));
    case 65: return sysReadvWritev(p, i32arg(p, 0), arg(p, 1), iarg(p, 2), false);
    case 66: return sysReadvWritev(p, i32arg(p, 0), arg(p, 1), iarg(p, 2), true);
    case 67: { // pread64
      const f = p.fd(i32arg(p, 0));
      if (f == null) return err(EBADF);
      if (f.kind != FileKind.File) return err(ESPIPE);
      const n = arg(p, 2) < IO_CHUNK ? arg(p, 2) : IO_CHUNK;
      const buf = heap.alloc(<usize>n + 1);
      const r = vfs.readAt(f.vfsHandle, arg(p, 3), buf, <u32>n);
      const good = r <= 0 || p.space.copyOut(arg(p, 1), buf, <u64>r);
      heap.free(buf);
      return good ? r : err(EFAULT);
    }
    case 56: return sysOpenat(p, iarg(p, 0), arg(p, 1), i32arg(p, 2), <u32>arg(p, 3));
    case 57: return <i64>p.closeFd(i32arg(p, 0));
    case 62: return sysLseek(p, i32arg(p, 0), iarg(p, 1), i32arg(p, 2));
    case 61: return sysGetdents64(p, i32arg(p, 0), arg(p, 1), arg(p, 2));
    case 79: return sysNewfstatat(p, iarg(p, 0), arg(p, 1), arg(p, 2), arg(p, 3));
    case 80: return sysFstat(p, i32arg(p, 0), arg(p, 1));
    case 78: return sysReadlinkat(p, iarg(p, 0), arg(p, 1), arg(p, 2), arg(p, 3));
    case 29: return sysIoctl(p, i32arg(p, 0), arg(p, 1), arg(p, 2));
    case 25: return sysFcntl(p, i32arg(p, 0), i32arg(p, 1), arg(p, 2));
    case 23: { const f = p.fd(i32arg(p, 0)); return f == null ? err(EBADF) : <i64>p.installFd(f.retain(), false); }
    case 24: return sysDup3(p, i32arg(p, 0), i32arg(p, 1), i32arg(p, 2));
    case 59: return sysPipe2(p, arg(p, 0), i32arg(p, 1));
    case 71: return sysSendfile(p, i32arg(p, 0), i32arg(p, 1), arg(p, 2), arg(p, 3));
    case 214: return sysBrk(p, arg(p, 0));
    case 222: return sysMmap(p, arg(p, 0), arg(p, 1), <u32>arg(p, 2), <u32>arg(p, 3), i32arg(p, 4), arg(p, 5));
    case 215: return sysMunmap(p, arg(p, 0), arg(p, 1));
    case 226: return sysMprotect(p, arg(p, 0), arg(p, 1), <u32>arg(p, 2));
    case 233: return 0; // madvise: advice only
    case 220: return sysClone(p, arg(p, 0), arg(p, 1), arg(p, 2), arg(p, 3), arg(p, 4));
    case 221: return sysExecve(p, arg(p, 0), arg(p, 1), arg(p, 2));
    case 260: return sysWait4(p, <i64><i32>arg(p, 0), arg(p, 1), arg(p, 2));
    case 93: case 94: terminate(p, (i32arg(p, 0) & 0xff) << 8); return RESULT_NONE;
    case 172: return <i64>p.pid;
    case 173: return <i64>p.ppid;
    case 178: return <i64>p.pid; // gettid: one thread per process
    case 174: case 175: case 176: case 177: return 0; // uid/euid/gid/egid: root
    case 96: p.clearChildTid = arg(p, 0); return <i64>p.pid; // set_tid_address
    case 99: return 0; // set_robust_list: no futexes to clean up
    case 293: break; // rseq: ENOSYS (glibc copes)
    case 261: return sysPrlimit(p, iarg(p, 0), iarg(p, 1), arg(p, 2), arg(p, 3));
    case 163: return sysPrlimit(p, 0, iarg(p, 0), 0, arg(p, 1)); // getrlimit
    case 278: { // getrandom
      const n = arg(p, 1) < 256 ? arg(p, 1) : 256;
      const b = memory.data(256);
      fillRandom(b, <usize>n);
      return p.space.copyOut(arg(p, 0), b, n) ? <i64>n : err(EFAULT);
    }
    case 160: return sysUname(p, arg(p, 0));
    case 113: return sysClockGettime(p, iarg(p, 0), arg(p, 1));
    case 169: { // gettimeofday
      if (arg(p, 0) == 0) return 0;
      const b = memory.data(16);
      store<i64>(b, wallClockSeconds());
      store<i64>(b + 8, <i64>(wallClockNanos() / 1000));
      return p.space.copyOut(arg(p, 0), b, 16) ? 0 : err(EFAULT);
    }
    case 101: return sysNanosleep(p, arg(p, 0));
    case 115: return sysNanosleep(p, arg(p, 2)); // clock_nanosleep, relative only
    case 124: return 0; // sched_yield
    case 17: return sysGetcwd(p, arg(p, 0), arg(p, 1));
    case 49: return sysChdir(p, arg(p, 0));
    case 50: { // fchdir
      const f = p.fd(i32arg(p, 0));
      if (f == null) return err(EBADF);
      if (f.kind != FileKind.Directory) return err(ENOTDIR);
      p.cwd = f.path;
      return 0;
    }
    case 34: { // mkdirat
      const a = pathAt(p, iarg(p, 0), arg(p, 1));
      if (a.error < 0) return err(a.error);
      return err(vfs.makeDirectory(a.path, <u32>arg(p, 2) & ~p.umask & 0o7777));
    }
    case 35: { // unlinkat
      const a = pathAt(p, iarg(p, 0), arg(p, 1));
      if (a.error < 0) return err(a.error);
      return err((arg(p, 2) & AT_REMOVEDIR) != 0 ? vfs.removeDirectory(a.path) : vfs.removeFile(a.path));
    }
    case 38: case 276: { // renameat, renameat2 (flags 0 only)
      if (nr == 276 && arg(p, 4) != 0) return err(EINVAL);
      const paths = new Array<string>(0);
      const e = twoPaths(p, iarg(p, 0), arg(p, 1), iarg(p, 2), arg(p, 3), paths);
      return e < 0 ? err(e) : err(vfs.rename(paths[0], paths[1]));
    }
    case 36: { // symlinkat(target, newdirfd, linkpath)
      const target = p.space.readString(arg(p, 0), PATH_LIMIT);
      if (target == null) return err(EFAULT);
      const a = pathAt(p, iarg(p, 1), arg(p, 2));
      if (a.error < 0) return err(a.error);
      return err(vfs.makeSymlink(target!, a.path));
    }
    case 37: { // linkat
      const paths = new Array<string>(0);
      const e = twoPaths(p, iarg(p, 0), arg(p, 1), iarg(p, 2), arg(p, 3), paths);
      return e < 0 ? err(e) : err(vfs.makeHardLink(paths[0], paths[1]));
    }
    case 48: case 439: return sysFaccessat(p, iarg(p, 0), arg(p, 1), arg(p, 2));
    case 46: { // ftruncate
      const f = p.fd(i32arg(p, 0));
      if (f == null) return err(EBADF);
      if (f.kind != FileKind.File) return err(EINVAL);
      return err(vfs.ftruncate(f.vfsHandle, arg(p, 1)));
    }
    case 82: case 83: { // fsync, fdatasync
      const f = p.fd(i32arg(p, 0));
      if (f == null) return err(EBADF);
      return f.kind == FileKind.File ? err(vfs.fsync(f.vfsHandle)) : 0;
    }
    case 129: return sysKill(p, <i64><i32>arg(p, 0), iarg(p, 1));
    case 130: case 131: { // tkill(tid, sig), tgkill(tgid, tid, sig)
      const tid = nr == 130 ? <i64><i32>arg(p, 0) : <i64><i32>arg(p, 1);
      const sig = nr == 130 ? iarg(p, 1) : iarg(p, 2);
      return tid > 0 ? sysKill(p, tid, sig) : err(EINVAL);
    }
    case 134: return sysRtSigaction(p, iarg(p, 0), arg(p, 1), arg(p, 2), arg(p, 3));
    case 135: return sysRtSigprocmask(p, iarg(p, 0), arg(p, 1), arg(p, 2), arg(p, 3));
    case 139: { // rt_sigreturn
      if (!returnFromSignal(p)) { terminate(p, 11); return RESULT_NONE; }
      return RESULT_NONE;
    }
    case 132: return 0; // sigaltstack: accepted, handlers run on the normal stack
    case 154: { // setpgid(pid, pgid)
      const pid = i32arg(p, 0), pg = i32arg(p, 1);
      const t = pid == 0 ? p : findProcess(pid);
      if (t == null) return err(ESRCH);
      t.pgid = pg == 0 ? t.pid : pg;
      return 0;
    }
    case 155: { const pid = i32arg(p, 0); const t = pid == 0 ? p : findProcess(pid); return t == null ? err(ESRCH) : <i64>t.pgid; }
    case 156: return <i64>p.pgid; // getsid
    case 157: p.pgid = p.pid; return <i64>p.pid; // setsid
    case 166: { const old = p.umask; p.umask = <u32>arg(p, 0) & 0o777; return <i64>old; }
    case 167: { // prctl: PR_SET_NAME / PR_GET_NAME
      if (arg(p, 0) == 15) { const s = p.space.readString(arg(p, 1), 16); if (s != null) p.name = s!; return 0; }
      if (arg(p, 0) == 16) { const b = String.UTF8.encode(p.name, true); return p.space.copyOut(arg(p, 1), changetype<usize>(b), <u64>b.byteLength) ? 0 : err(EFAULT); }
      return err(EINVAL);
    }
    case 165: { // getrusage: zeros (CPU time is in procctl list)
      const b = heap.alloc(144);
      memory.fill(b, 0, 144);
      const good = p.space.copyOut(arg(p, 1), b, 144);
      heap.free(b);
      return good ? 0 : err(EFAULT);
    }
    case 153: return <i64>(ticksToNs(nowTicks()) / 10000000); // times: clock ticks (100 Hz)
    case 88: case 52: case 53: case 54: return 0; // utimensat, fchmod(at), fchownat: accepted, not stored
    case 98: break; // futex: no threads, nothing waits
    default: break;
  }
  if (nr >= 0 && nr < MAX_SYSCALL) unknownCounts[nr]++;
  unknownTotal++;
  return err(ENOSYS);
}
