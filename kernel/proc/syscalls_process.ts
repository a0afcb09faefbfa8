// Memory and process system calls: brk, mmap, munmap, mprotect, clone, execve, wait4, kill, signal masks, clocks.
import {
  Process, forkProcess, forkError, execProcess, processTable, reapProcess, sendSignal, waitOn, sleepTill,
  ProcState,
} from "./process";
import { RESULT_NONE, AT_FDCWD, err, pathAt } from "./syscalls_files";
import { FileRef, FileKind, MAX_FDS } from "./files";
import { PROT_READ, PROT_WRITE } from "./addrspace";
import { PAGE, USER_BASE, USER_TOP, BRK_MAX, STACK_TOP, STACK_MAX } from "./layout";
import { FRAME_TPIDR, FRAME_SP } from "./user_imports";
import { SIGKILL, SIGSTOP } from "./signals";
import * as vfs from "../fs/vfs";
import { Stat } from "../fs/types";
import { wallClockSeconds, wallClockNanos } from "../fs/clock";
import { nowTicks, ticksToNs, usToTicks } from "../platform/time";
import { EBADF, ENOMEM, EFAULT, EINVAL, ENOSYS, ESRCH, ECHILD, EACCES } from "./errno";
import { SIS_VERSION } from "../version";

// ---------------------------------------------------------------- memory

export function sysBrk(p: Process, addr: u64): i64 {
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

export function sysMmap(p: Process, addr: u64, length: u64, prot: u32, flags: u32, fd: i32, offset: u64): i64 {
  const s = p.space;
  if (length == 0) return err(EINVAL);
  if (length > USER_TOP) return err(ENOMEM); // as Linux for a length beyond the user range
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

export function sysMunmap(p: Process, addr: u64, length: u64): i64 {
  if ((addr & (PAGE - 1)) != 0 || length == 0) return err(EINVAL);
  const end = (addr + length + PAGE - 1) & ~(PAGE - 1);
  if (end > USER_TOP || end < addr) return err(EINVAL);
  p.space.removeRange(addr, end);
  return 0;
}

export function sysMprotect(p: Process, addr: u64, length: u64, prot: u32): i64 {
  if ((addr & (PAGE - 1)) != 0) return err(EINVAL);
  const end = (addr + length + PAGE - 1) & ~(PAGE - 1);
  if (end > USER_TOP || end < addr) return err(ENOMEM);
  for (let va = addr; va < end; va += PAGE) if (p.space.findRegion(va) == null) return err(ENOMEM);
  p.space.protectRange(addr, end, prot & 7);
  return 0;
}

// ---------------------------------------------------------------- processes

export function sysClone(p: Process, flags: u64, newSp: u64, parentTid: u64, tls: u64, childTid: u64): i64 {
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

export function sysExecve(p: Process, pathVa: u64, argvVa: u64, envpVa: u64): i64 {
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

export function sysWait4(p: Process, pid: i64, statusVa: u64, options: u64): i64 {
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

export function sysKill(p: Process, pid: i64, sig: i64): i64 {
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

export function sysRtSigaction(p: Process, sig: i64, actVa: u64, oldVa: u64, size: u64): i64 {
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

export function sysRtSigprocmask(p: Process, how: i64, setVa: u64, oldVa: u64, size: u64): i64 {
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

export function sysNanosleep(p: Process, reqVa: u64): i64 {
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

export function sysClockGettime(p: Process, clock: i64, va: u64): i64 {
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

export function sysUname(p: Process, va: u64): i64 {
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

export function sysPrlimit(p: Process, pid: i64, resource: i64, newVa: u64, oldVa: u64): i64 {
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
