// Linux aarch64 system calls: number in x8, arguments in x0..x5, result (or -errno) in x0.
//
// Every user pointer goes through the address space's checked copies (addrspace.ts), so a
// bad pointer is EFAULT and never a kernel fault. A call that must wait returns RESULT_BLOCK
// after process.waitOn()/sleepTill(): the svc runs again when the process is woken.
// Unknown numbers return ENOSYS and are counted per number (`procctl syscalls`).
import { Process, ProcessTask, terminate, findProcess } from "./process";
import {
  sysBrk, sysMmap, sysMunmap, sysMprotect, sysClone, sysExecve, sysWait4, sysKill, sysRtSigaction,
  sysRtSigprocmask, sysNanosleep, sysClockGettime, sysUname, sysPrlimit,
} from "./syscalls_process";
import {
  RESULT_BLOCK, RESULT_NONE, AT_REMOVEDIR, PATH_LIMIT, IO_CHUNK, err, pathAt, sysRead, sysWrite, sysReadvWritev,
  sysOpenat, sysLseek, sysGetdents64, sysIoctl, sysFcntl, sysDup3, sysPipe2, sysSendfile, sysGetcwd, sysChdir,
  sysReadlinkat, sysNewfstatat, sysFstat, sysFaccessat, twoPaths,
} from "./syscalls_files";
import { FileKind } from "./files";
import { returnFromSignal } from "./signals";
import { fillRandom } from "./entropy";
import * as vfs from "../fs/vfs";
import { wallClockSeconds, wallClockNanos } from "../fs/clock";
import { nowTicks, ticksToNs } from "../platform/time";
import { EBADF, EFAULT, ENOTDIR, EINVAL, ENOSYS, ESRCH, ESPIPE } from "./errno";
import { println } from "../platform/console";

export { RESULT_BLOCK, RESULT_NONE } from "./syscalls_files";

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
