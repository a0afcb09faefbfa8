// Signals, enough for busybox sh: per-process pending and blocked masks, rt_sigaction
// handlers, default actions (terminate, or ignore for SIGCHLD/SIGWINCH/SIGURG/SIGCONT; no job
// control, so stop signals are ignored), and handler frames on the user stack.
//
// Signal frame (our own layout, built below the interrupted sp, 16-byte aligned):
//   sp ->  siginfo (128 bytes: si_signo, si_errno, si_code)
//          saved user frame (FRAME_BYTES: every register, as user_run keeps them)
//          saved blocked mask (8) | magic (8)
// The handler gets x0 = signal, x1 = &siginfo, x2 = &saved frame, x30 = sa_restorer (or the
// trampoline page SIGRETURN_CODE, since arm64 glibc relies on the vDSO's), whose rt_sigreturn
// restores the frame. Programs that decode uc_mcontext (Linux's ucontext layout)
// would read the wrong fields: busybox does not.
import { Process, terminate } from "./process";
import { FRAME_BYTES, FRAME_SP, FRAME_PC } from "./user_imports";
import { EINTR } from "./errno";
import { SIGRETURN_CODE } from "./layout";

export const SIGHUP: i32 = 1;
export const SIGINT: i32 = 2;
export const SIGQUIT: i32 = 3;
export const SIGILL: i32 = 4;
export const SIGTRAP: i32 = 5;
export const SIGABRT: i32 = 6;
export const SIGBUS: i32 = 7;
export const SIGFPE: i32 = 8;
export const SIGKILL: i32 = 9;
export const SIGUSR1: i32 = 10;
export const SIGSEGV: i32 = 11;
export const SIGUSR2: i32 = 12;
export const SIGPIPE: i32 = 13;
export const SIGALRM: i32 = 14;
export const SIGTERM: i32 = 15;
export const SIGCHLD: i32 = 17;
export const SIGCONT: i32 = 18;
export const SIGSTOP: i32 = 19;
export const SIGTSTP: i32 = 20;
export const SIGTTIN: i32 = 21;
export const SIGTTOU: i32 = 22;

export const SA_SIGINFO: u64 = 4;
export const SA_RESTORER: u64 = 0x04000000;
export const SA_RESTART: u64 = 0x10000000;
export const SA_NODEFER: u64 = 0x40000000;
export const SA_RESETHAND: u64 = 0x80000000;

const SIGFRAME_MAGIC: u64 = 0x5349535f53494721; // "!GIS_SIS"
const SIGINFO_BYTES: u64 = 128;
export const SIGFRAME_BYTES: u64 = SIGINFO_BYTES + <u64>FRAME_BYTES + 16;

const NAMES = ["", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
  "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
  "SIGTSTP", "SIGTTIN", "SIGTTOU"];

export function signalName(sig: i32): string {
  return sig > 0 && sig < NAMES.length ? NAMES[sig] : "signal " + sig.toString();
}

@inline function bit(sig: i32): u64 { return (<u64>1) << <u64>(sig - 1); }

function ignoredByDefault(sig: i32): bool {
  return sig == SIGCHLD || sig == SIGCONT || sig == 23 || sig == 28 ||
    sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/** Acts on the lowest pending, unblocked signal of `p` (called before it runs again). */
export function deliverPendingSignal(p: Process): void {
  const ready = p.pendingSignals & ~p.blockedSignals;
  if (ready == 0) return;
  const sig = <i32>ctz(ready) + 1;
  p.pendingSignals &= ~bit(sig);
  const a = p.actions[sig];
  if (a.handler == 1) return;
  if (a.handler == 0) {
    if (ignoredByDefault(sig)) return;
    terminate(p, sig);
    return;
  }
  // a handler: an interrupted wait returns EINTR unless SA_RESTART (then it reruns after)
  if (p.inRestartableWait) {
    p.inRestartableWait = false;
    p.sleepDeadline = 0;
    if ((a.flags & SA_RESTART) == 0) {
      p.setPc(p.pc() + 4);
      p.setReg(0, <u64>(-EINTR));
    }
  }
  const oldSp = load<u64>(p.frame + FRAME_SP);
  const sp = (oldSp - SIGFRAME_BYTES) & ~(<u64>15);
  const info = heap.alloc(<usize>SIGINFO_BYTES);
  memory.fill(info, 0, <usize>SIGINFO_BYTES);
  store<i32>(info, sig);
  const ok = p.space.copyOut(sp, info, SIGINFO_BYTES) &&
    p.space.copyOut(sp + SIGINFO_BYTES, p.frame, <u64>FRAME_BYTES) &&
    p.space.writeU64(sp + SIGINFO_BYTES + <u64>FRAME_BYTES, p.blockedSignals) &&
    p.space.writeU64(sp + SIGINFO_BYTES + <u64>FRAME_BYTES + 8, SIGFRAME_MAGIC);
  heap.free(info);
  if (!ok) { terminate(p, SIGSEGV); return; } // no room on the stack for the handler
  store<u64>(p.frame + FRAME_SP, sp);
  p.setReg(0, <u64>sig);
  p.setReg(1, sp);
  p.setReg(2, sp + SIGINFO_BYTES);
  p.setReg(30, (a.flags & SA_RESTORER) != 0 ? a.restorer : SIGRETURN_CODE);
  p.setPc(a.handler);
  if ((a.flags & SA_NODEFER) == 0) p.blockedSignals |= bit(sig);
  p.blockedSignals |= a.mask & ~(bit(SIGKILL) | bit(SIGSTOP));
  if ((a.flags & SA_RESETHAND) != 0) { a.handler = 0; a.flags = 0; }
}

/** rt_sigreturn: restores the frame saved by deliverPendingSignal. False when it is not there. */
export function returnFromSignal(p: Process): bool {
  const sp = load<u64>(p.frame + FRAME_SP);
  const tmp = heap.alloc(<usize>FRAME_BYTES);
  const ok = p.space.copyIn(tmp, sp + SIGINFO_BYTES, <u64>FRAME_BYTES);
  const maskBuf = memory.data(16);
  const ok2 = ok && p.space.copyIn(maskBuf, sp + SIGINFO_BYTES + <u64>FRAME_BYTES, 16);
  if (!ok2 || load<u64>(maskBuf + 8) != SIGFRAME_MAGIC) { heap.free(tmp); return false; }
  memory.copy(p.frame, tmp, FRAME_BYTES);
  heap.free(tmp);
  p.blockedSignals = load<u64>(maskBuf) & ~(bit(SIGKILL) | bit(SIGSTOP));
  // the process may not raise its privilege through a forged frame: pstate is forced to EL0t by user_run
  return true;
}
