// User processes: the process table, loading a program, and running a process as a
// scheduler task.
//
// EXECUTION MODEL. The wasm kernel is never re-entered. A process is a Task whose step is
// "run until it traps": user_run() enters EL0 and returns with the trap (system call, fault,
// timer or device IRQ) in the frame. A system call is handled here and the process runs on
// in the same step until its quantum is used up; an IRQ ends the step (the event loop then
// reads the console, polls devices and picks the next task), so a spinning process never
// freezes the shell. A system call that must wait (read on an empty pipe, wait4, nanosleep)
// rewinds the pc to its `svc` and blocks the task on an Event: when woken, the call simply
// runs again. A signal interrupts such a wait (EINTR, or a restart with SA_RESTART).
//
// LIFE CYCLE. spawn/fork -> runnable ... exit or fatal signal -> zombie (status kept, pages
// freed) -> reaped by wait4 of the parent, or at once when nobody will wait (parent 0 and
// not in the foreground). Orphans are handed to pid 0.
import { AddressSpace, PROT_READ, PROT_WRITE, PROT_EXEC } from "./addrspace";
import { parseElf, ElfImage } from "./elf";
import { imageKey, cachedProgram } from "./text_cache";
import { loadSegments } from "./load_segments";
import { VfsFileReader } from "../fs/file_reader";
import { buildStack } from "./stack";
import { PAGE, STACK_TOP, STACK_MAX, MMAP_TOP, SIGRETURN_CODE } from "./layout";
import { FileRef, FileKind, FdSlot, MAX_FDS } from "./files";
import { consoleTerminal } from "./tty";
import {
  user_run, USER_RUN_SYNC_CODE, USER_RUN_TLB_STALE, TRAP_SYNC, TRAP_IRQ, TRAP_UNSUPPORTED, FRAME_BYTES, FRAME_SP, FRAME_PC, FRAME_PSTATE,
  FRAME_ESR, FRAME_FAR, FRAME_TPIDR,
} from "./user_imports";
import * as vfs from "../fs/vfs";
import { Stat, isDir, isReg } from "../fs/types";
import { Task, StepResult, TaskState } from "../sched/task";
import { Event } from "../sched/event";
import { spawnTask, wakeTask, killTask, runScheduler } from "../sched/scheduler";
import { runPollers, idle } from "../kernel_loop";
import { enterNestedLoop, leaveNestedLoop } from "../sched/announce";
import { console_read } from "../platform/imports";
import { println } from "../platform/console";
import { nowTicks } from "../platform/time";
import { ENOENT, ENOEXEC, ENOMEM, EAGAIN, EACCES, E2BIG } from "./errno";
import { handleSyscall, RESULT_BLOCK, RESULT_NONE } from "./syscalls";
import { SIGKILL, SIGSEGV, SIGILL, SIGTRAP, SIGBUS, SIGINT, SIGCHLD, deliverPendingSignal, signalName } from "./signals";

export const MAX_PROCESSES: i32 = 64;

export enum ProcState { Live = 0, Zombie = 1 }

export class SigAction {
  handler: u64 = 0;
  flags: u64 = 0;
  restorer: u64 = 0;
  mask: u64 = 0;
}

export class Process {
  pid: i32 = 0;
  ppid: i32 = 0;
  pgid: i32 = 0;
  name: string = "";
  exePath: string = "";
  cwd: string = "/";
  space: AddressSpace;
  /** User registers (user_imports.ts FRAME_*), in kernel memory. */
  frame: usize = 0;
  fds: Array<FdSlot | null> = new Array<FdSlot | null>(0);
  state: ProcState = ProcState.Live;
  /** wait4 status: (code << 8) for exit, the signal number for a fatal signal. */
  waitStatus: i32 = 0;
  task: ProcessTask | null = null;
  /** Signalled when a child changes state (wait4 waits on it). */
  childEvent: Event = new Event("child");
  pendingSignals: u64 = 0;
  blockedSignals: u64 = 0;
  actions: Array<SigAction> = new Array<SigAction>(65);
  /** set_tid_address / CLONE_CHILD_CLEARTID: zeroed at exit. */
  clearChildTid: u64 = 0;
  /** A waiting system call's pc was rewound to its svc (see the header). */
  inRestartableWait: bool = false;
  /** nanosleep: when the sleep in progress ends (0 = none). */
  sleepDeadline: u64 = 0;
  /** The shell waits for this one (its zombie is reaped by runForeground). */
  foreground: bool = false;
  startedAt: u64 = 0;
  syscalls: u64 = 0;
  /** Why the last execve of this process was refused (for the shell's message). */
  lastExecError: string = "";
  umask: u32 = 0o022;

  constructor() {
    this.space = new AddressSpace();
    this.frame = heap.alloc(FRAME_BYTES);
    memory.fill(this.frame, 0, FRAME_BYTES);
    for (let i = 0; i < 65; i++) this.actions[i] = new SigAction();
  }

  @inline reg(n: u32): u64 { return load<u64>(this.frame + <usize>(n * 8)); }
  @inline setReg(n: u32, v: u64): void { store<u64>(this.frame + <usize>(n * 8), v); }
  @inline pc(): u64 { return load<u64>(this.frame + FRAME_PC); }
  @inline setPc(v: u64): void { store<u64>(this.frame + FRAME_PC, v); }

  fd(n: i32): FileRef | null {
    if (n < 0 || n >= this.fds.length) return null;
    const s = this.fds[n];
    return s == null ? null : s.file;
  }

  /** Installs `f` at the lowest free number >= `from`; returns it or -EMFILE. */
  installFd(f: FileRef, cloexec: bool, from: i32 = 0): i32 {
    for (let i = from; i < MAX_FDS; i++) {
      while (this.fds.length <= i) this.fds.push(null);
      if (this.fds[i] == null) { this.fds[i] = new FdSlot(f, cloexec); return i; }
    }
    f.release();
    return -24;
  }

  closeFd(n: i32): i32 {
    if (n < 0 || n >= this.fds.length || this.fds[n] == null) return -9;
    const s = this.fds[n]!;
    this.fds[n] = null;
    s.file.release();
    return 0;
  }

  closeAllFds(): void {
    for (let i = 0; i < this.fds.length; i++) if (this.fds[i] != null) this.closeFd(i);
  }
}

// ---------------------------------------------------------------- the table

const table = new Array<Process>(0);
let nextPid: i32 = 1;
/** Processes started since boot, and fork/exec counts (procctl). */
export let processesStarted: u64 = 0;
export let forkCount: u64 = 0;
export let forkRefused: u64 = 0;
export let execCount: u64 = 0;

export function processTable(): Array<Process> { return table; }

export function findProcess(pid: i32): Process | null {
  for (let i = 0; i < table.length; i++) if (table[i].pid == pid) return table[i];
  return null;
}

export function liveProcessCount(): i32 { return table.length; }

function allocPid(): i32 {
  for (;;) {
    const pid = nextPid++;
    if (nextPid > 32767) nextPid = 2;
    if (findProcess(pid) == null) return pid;
  }
  return 0;
}

// ---------------------------------------------------------------- loading a program

export class LoadResult {
  /** 0 or -errno; `reason` says more for ENOEXEC. */
  error: i32 = 0;
  reason: string = "";
  space: AddressSpace | null = null;
  entry: u64 = 0;
  sp: u64 = 0;
}

function fail(r: LoadResult, error: i32, reason: string): LoadResult {
  r.error = error;
  r.reason = reason;
  const s = r.space;
  if (s != null) { s.destroy(); r.space = null; }
  return r;
}

/** Loads the static ELF program at absolute `path` into a new address space with its stack. */
export function loadProgram(path: string, argv: Array<string>, envp: Array<string>): LoadResult {
  const r = new LoadResult();
  const st = new Stat();
  const se = vfs.stat(path, true, st);
  if (se < 0) return fail(r, se, "");
  if (isDir(st.mode) || !isReg(st.mode)) return fail(r, -EACCES, "not a regular file");
  if ((st.mode & 0o111) == 0) return fail(r, -EACCES, "not executable (mode " + (st.mode & 0o7777).toString(8) + ")");
  // a cached program (same dev, inode, size, mtime, ctime) is neither opened nor read again
  const key = imageKey(st);
  const known = cachedProgram(key);
  let h: i32 = -1;
  let src: VfsFileReader | null = null;
  let image: ElfImage;
  if (known != null) {
    image = known;
  } else {
    h = vfs.open(path, vfs.O_RDONLY);
    if (h < 0) return fail(r, h, "");
    src = new VfsFileReader(h, st.size); // closed through `h` below
    image = parseElf(src!);
    if (image.error.length > 0) { vfs.close(h); return fail(r, -ENOEXEC, image.error); }
  }
  const space = new AddressSpace();
  r.space = space;
  if (space.l2 == 0) { if (h >= 0) vfs.close(h); return fail(r, -ENOMEM, "out of memory"); }
  const err = loadSegments(space, image, src, key);
  if (h >= 0) vfs.close(h);
  if (err.length > 0) return fail(r, err == "out of memory" ? -ENOMEM : -ENOEXEC, err);
  space.addRegion(STACK_TOP - STACK_MAX, STACK_TOP, PROT_READ | PROT_WRITE, "stack");
  space.addRegion(SIGRETURN_CODE, SIGRETURN_CODE + PAGE, PROT_READ | PROT_EXEC, "sigreturn");
  const code = memory.data(8);
  store<u32>(code, 0xd2801168); // mov x8, #139
  store<u32>(code + 4, 0xd4000001); // svc #0
  if (!space.fill(SIGRETURN_CODE, code, 8)) return fail(r, -ENOMEM, "out of memory");
  space.brkStart = image.end;
  space.brk = image.end;
  space.mmapNext = MMAP_TOP;
  const layout = buildStack(space, image, argv, envp, path);
  if (layout.error.length > 0) return fail(r, layout.error.startsWith("argument") ? -E2BIG : -ENOMEM, layout.error);
  r.entry = image.entry;
  r.sp = layout.sp;
  return r;
}

/** Puts a freshly loaded program into `p`: new space, registers reset, entry and stack set. */
function installProgram(p: Process, r: LoadResult, path: string, argv0: string): void {
  p.space.destroy();
  p.space = r.space!;
  memory.fill(p.frame, 0, FRAME_BYTES);
  p.setPc(r.entry);
  store<u64>(p.frame + FRAME_SP, r.sp);
  p.exePath = path;
  const slash = argv0.lastIndexOf("/");
  p.name = slash >= 0 ? argv0.substring(slash + 1) : argv0;
  if (p.name.length == 0) p.name = path;
  if (p.task != null) p.task!.name = p.name;
}

// ---------------------------------------------------------------- creating processes

export class SpawnResult {
  process: Process | null = null;
  error: i32 = 0;
  reason: string = "";
}

/**
 * Starts the program at absolute `path` as a new process (parent 0: the kernel), with the
 * console as fds 0, 1, 2 (or /dev/null as stdin when `stdinNull`).
 */
export function spawnProcess(path: string, argv: Array<string>, envp: Array<string>, cwd: string, stdinNull: bool): SpawnResult {
  const out = new SpawnResult();
  if (table.length >= MAX_PROCESSES) { out.error = -EAGAIN; out.reason = "process limit reached"; return out; }
  const r = loadProgram(path, argv, envp);
  if (r.error < 0) { out.error = r.error; out.reason = r.reason; return out; }
  const p = new Process();
  p.pid = allocPid();
  p.pgid = p.pid;
  p.cwd = cwd;
  installProgram(p, r, path, argv.length > 0 ? argv[0] : path);
  const con = new FileRef(stdinNull ? FileKind.Null : FileKind.Console);
  p.installFd(con, false);
  const outRef = new FileRef(FileKind.Console);
  p.installFd(outRef, false);
  p.installFd(outRef.retain(), false);
  startTask(p);
  out.process = p;
  return out;
}

function startTask(p: Process): void {
  table.push(p);
  processesStarted++;
  p.startedAt = nowTicks();
  const t = new ProcessTask(p);
  p.task = t;
  spawnTask(t);
}

/** fork(): a copy of `parent` whose clone() returns 0. Returns the child or null (errno in forkError). */
export let forkError: i32 = 0;
export function forkProcess(parent: Process): Process | null {
  if (table.length >= MAX_PROCESSES) { forkRefused++; forkError = -EAGAIN; return null; }
  const space = parent.space.fork();
  if (space == null) { forkError = -ENOMEM; return null; }
  const c = new Process();
  c.space.destroy();
  c.space = space;
  c.pid = allocPid();
  c.ppid = parent.pid;
  c.pgid = parent.pgid;
  c.name = parent.name;
  c.exePath = parent.exePath;
  c.cwd = parent.cwd;
  c.umask = parent.umask;
  memory.copy(c.frame, parent.frame, FRAME_BYTES);
  c.setReg(0, 0);
  for (let i = 0; i < parent.fds.length; i++) {
    const s = parent.fds[i];
    c.fds.push(s == null ? null : new FdSlot(s.file.retain(), s.cloexec));
  }
  for (let i = 0; i < 65; i++) {
    const a = parent.actions[i], b = c.actions[i];
    b.handler = a.handler; b.flags = a.flags; b.restorer = a.restorer; b.mask = a.mask;
  }
  c.blockedSignals = parent.blockedSignals;
  forkCount++;
  startTask(c);
  return c;
}

/** execve(): replaces the program of `p`. Returns 0 or -errno (p unchanged then). */
export function execProcess(p: Process, path: string, argv: Array<string>, envp: Array<string>): i32 {
  const r = loadProgram(path, argv, envp);
  if (r.error < 0) { p.lastExecError = r.reason; return r.error; }
  execCount++;
  installProgram(p, r, path, argv.length > 0 ? argv[0] : path);
  for (let i = 0; i < p.fds.length; i++) {
    const s = p.fds[i];
    if (s != null && s.cloexec) p.closeFd(i);
  }
  // caught signals go back to their default action; ignored ones stay ignored
  for (let i = 0; i < 65; i++) {
    const a = p.actions[i];
    if (a.handler > 1) { a.handler = 0; a.flags = 0; a.mask = 0; a.restorer = 0; }
  }
  p.clearChildTid = 0;
  return 0;
}

// ---------------------------------------------------------------- ending processes

/** Ends `p` with wait status `status`: frees its memory and files, tells the parent. */
export function terminate(p: Process, status: i32): void {
  if (p.state != ProcState.Live) return;
  p.state = ProcState.Zombie;
  p.waitStatus = status;
  if (p.clearChildTid != 0) p.space.writeU64(p.clearChildTid, 0); // (a u32 would do: no futex waiters)
  p.closeAllFds();
  p.space.destroy();
  // children go to pid 0; those already dead are reaped now
  for (let i = 0; i < table.length; ) {
    const c = table[i];
    if (c.ppid == p.pid) {
      c.ppid = 0;
      if (c.state == ProcState.Zombie && !c.foreground) { reapProcess(c); continue; }
    }
    i++;
  }
  const parent = p.ppid != 0 ? findProcess(p.ppid) : null;
  if (parent != null && parent.state == ProcState.Live) {
    parent.childEvent.signal();
    sendSignal(parent, SIGCHLD);
  } else if (!p.foreground) {
    reapProcess(p);
  }
  const t = p.task;
  if (t != null && t.state != TaskState.Running && t.state != TaskState.Exited) killTask(t.id);
}

/** Removes a zombie from the table. */
export function reapProcess(p: Process): void {
  const i = table.indexOf(p);
  if (i >= 0) table.splice(i, 1);
  heap.free(p.frame);
  p.frame = 0;
  zombieReaped.signal();
}

/** Signalled when any zombie is reaped. */
export const zombieReaped = new Event("reaped");

/** Queues signal `sig` for `p` and interrupts a wait it is in. */
export function sendSignal(p: Process, sig: i32): void {
  if (p.state != ProcState.Live || sig <= 0 || sig > 64) return;
  if (sig == SIGKILL) { terminate(p, SIGKILL); return; }
  const a = p.actions[sig];
  if (a.handler == 1) return; // ignored
  if (a.handler == 0 && (sig == SIGCHLD || sig == 28 || sig == 23 || sig == 18)) return; // default: ignore
  p.pendingSignals |= (<u64>1) << <u64>(sig - 1);
  const t = p.task;
  if (t != null && (p.blockedSignals & ((<u64>1) << <u64>(sig - 1))) == 0 &&
    (t.state == TaskState.Blocked || t.state == TaskState.Sleeping)) {
    if (t.waitEvent != null) t.waitEvent!.forget(t);
    wakeTask(t);
  }
}

/** One line for a fatal fault, as the issue asks: "segfault at ADDR, pc PC". */
function reportFault(p: Process, what: string, address: u64): void {
  println("[pid " + p.pid.toString() + " " + p.name + "] " + what + " at 0x" + address.toString(16) +
    ", pc 0x" + p.pc().toString(16));
}

// ---------------------------------------------------------------- running

export let userTraps: u64 = 0;
export let userIrqs: u64 = 0;
export let userFaultsHandled: u64 = 0;

export class ProcessTask extends Task {
  constructor(public process: Process) {
    super(process.name, "process");
  }

  step(): StepResult { return runSlice(this.process, this); }

  /** Killed as a task (`kill ID`) or finished: make sure the process is gone too. */
  onExit(): void {
    const p = this.process;
    if (p.state == ProcState.Live) terminate(p, SIGKILL);
    p.task = null;
  }

  progress(): string {
    const p = this.process;
    return "pid " + p.pid.toString() + ", " + p.space.pages.toString() + " pages";
  }
}

/** Faults that end the process: the signal for an exception class, or 0 for "handled". */
function handleSyncTrap(p: Process, task: ProcessTask): i32 {
  const esr = load<u64>(p.frame + FRAME_ESR);
  const far = load<u64>(p.frame + FRAME_FAR);
  const ec = <u32>(esr >> 26) & 0x3f;
  if (ec == 0x15) return -1; // SVC: the caller handles it
  if (ec == 0x24 || ec == 0x20) { // data / instruction abort from EL0
    const fsc = <u32>esr & 0x3f;
    const write = ec == 0x24 && (esr & (1 << 6)) != 0;
    if (fsc >= 4 && fsc <= 7 && p.space.handleFault(far, write)) { userFaultsHandled++; return 0; }
    // a permission fault on a write: copy-on-write after fork
    if (write && fsc >= 0x0d && fsc <= 0x0f && p.space.handleWriteFault(far)) { userFaultsHandled++; return 0; }
    if (p.space.pages < 0) return SIGSEGV;
    reportFault(p, ec == 0x20 ? "segfault (instruction fetch)" : "segfault", far);
    return SIGSEGV;
  }
  if (ec == 0x22 || ec == 0x26) { reportFault(p, "bus error (alignment)", far); return SIGBUS; }
  if (ec == 0x3c) { reportFault(p, "breakpoint", p.pc()); return SIGTRAP; }
  reportFault(p, "illegal instruction (class 0x" + ec.toString(16) + ")", p.pc());
  return SIGILL;
}

function runSlice(p: Process, task: ProcessTask): StepResult {
  for (;;) {
    if (p.state != ProcState.Live) return task.exit(p.waitStatus);
    if (p.pendingSignals & ~p.blockedSignals) {
      deliverPendingSignal(p);
      if (p.state != ProcState.Live) return task.exit(p.waitStatus);
    }
    const flags = (p.space.codeChanged ? USER_RUN_SYNC_CODE : 0) | (p.space.tlbStale ? USER_RUN_TLB_STALE : 0);
    p.space.codeChanged = false;
    p.space.tlbStale = false;
    const kind = user_run(p.frame, p.space.l2Phys(), flags);
    userTraps++;
    if (kind == TRAP_IRQ) { userIrqs++; return StepResult.Yield; }
    if (kind == TRAP_UNSUPPORTED) {
      println("error: this platform cannot run user code");
      terminate(p, SIGKILL);
      return task.exit(SIGKILL);
    }
    if (kind != TRAP_SYNC) {
      reportFault(p, "system error (SError/FIQ)", p.pc());
      terminate(p, SIGBUS);
      return task.exit(SIGBUS);
    }
    const sig = handleSyncTrap(p, task);
    if (sig > 0) { terminate(p, sig); return task.exit(sig); }
    if (sig < 0) {
      p.syscalls++;
      const r = handleSyscall(p, task);
      if (p.state != ProcState.Live) return task.exit(p.waitStatus);
      if (r == RESULT_BLOCK) {
        p.setPc(p.pc() - 4); // run the svc again when woken
        p.inRestartableWait = true;
        return blockedResult(p, task);
      }
      p.inRestartableWait = false;
      if (r != RESULT_NONE) p.setReg(0, <u64>r);
    }
    if (task.quantumExpired()) return StepResult.Yield;
  }
  return StepResult.Yield;
}

/** What handleSyscall asked to wait for (set through waitOn / sleepTill). */
let waitEvent: Event | null = null;
let waitUntil: u64 = 0;

export function waitOn(e: Event): i64 { waitEvent = e; waitUntil = 0; return RESULT_BLOCK; }
export function sleepTill(ticks: u64): i64 { waitEvent = null; waitUntil = ticks; return RESULT_BLOCK; }

function blockedResult(p: Process, task: ProcessTask): StepResult {
  if (waitEvent != null) {
    const e = waitEvent!;
    waitEvent = null;
    return task.waitFor(e);
  }
  return task.sleepUntil(waitUntil);
}

// ---------------------------------------------------------------- the foreground

const CTRL_C: i32 = 3;

/**
 * Runs the event loop until foreground process `p` has ended; console input goes to the
 * terminal, Ctrl-C sends SIGINT to p's process group. Returns the wait status and reaps p.
 */
export function runForeground(p: Process): i32 {
  p.foreground = true;
  consoleTerminal.reset();
  enterNestedLoop(); // announcements wait until the program is done
  while (p.state == ProcState.Live) {
    let c = console_read();
    while (c >= 0) {
      if (c == CTRL_C && (consoleTerminal.lflag & 1) != 0) {
        consoleTerminal.writeEcho("^C\n");
        for (let i = 0; i < table.length; i++) if (table[i].pgid == p.pgid) sendSignal(table[i], SIGINT);
      } else {
        consoleTerminal.input(<u8>c);
      }
      c = console_read();
    }
    runPollers();
    if (!runScheduler()) idle();
  }
  leaveNestedLoop();
  const status = p.waitStatus;
  p.foreground = false;
  if (findProcess(p.pid) === p) reapProcess(p);
  return status;
}

/** "exit status 3", "killed by SIGINT". */
export function describeStatus(status: i32): string {
  if ((status & 0x7f) == 0) return "exit status " + ((status >> 8) & 0xff).toString();
  return "killed by " + signalName(status & 0x7f);
}
