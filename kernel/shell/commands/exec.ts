// exec: run a user program in the foreground; procctl: the process table and system-call counts.
import { registerCommand } from "../registry";
import { parseUnsigned } from "../args";
import { println, printError } from "../../platform/console";
import { table } from "../../lib/format";
import { currentDirectory } from "../../fs/vfs";
import { errorMessage } from "../../lib/errors";
import {
  spawnProcess, runForeground, describeStatus, processTable, findProcess, sendSignal, ProcState,
  processesStarted, forkCount, forkRefused, execCount, userTraps, userIrqs, userFaultsHandled, MAX_PROCESSES,
} from "../../proc/process";
import { setSyscallTrace, syscallCount, unknownCount, unknownTotal, syscallName, MAX_SYSCALL } from "../../proc/syscalls";
import { ENOEXEC, EACCES, E2BIG, ECHILD } from "../../proc/errno";
import { SIGTERM, SIGKILL } from "../../proc/signals";
import { fixed } from "../../lib/format";
import { nowTicks, ticksToUs } from "../../platform/time";
import { printable } from "../shell";
import { textCacheEntries, textCachePages, textCacheHits, textCacheMisses } from "../../proc/text_cache";
import { user_tlb_flushes } from "../../proc/user_imports";
import { cowSharedFrames, cowCopies, cowReclaims } from "../../proc/addrspace";

const DEFAULT_ENV = ["PATH=/bin:/sbin:/usr/bin", "HOME=/", "TERM=vt100", "SHELL=/bin/sh", "USER=root"];

function absolute(path: string): string {
  if (path.startsWith("/")) return path;
  const cwd = currentDirectory();
  return (cwd.endsWith("/") ? cwd : cwd + "/") + path;
}

function procError(code: i32): string {
  const c = code < 0 ? -code : code;
  if (c == ENOEXEC) return "not a program this kernel can run";
  if (c == EACCES) return "permission denied";
  if (c == E2BIG) return "argument list too long";
  if (c == ECHILD) return "no child processes";
  return errorMessage(code);
}

/** Starts argv[0] (a path); foreground: waits, and prints the status when it is not 0. */
function start(args: Array<string>, foreground: bool): i32 {
  const path = absolute(args[0]);
  const r = spawnProcess(path, args, DEFAULT_ENV, currentDirectory(), !foreground);
  if (r.process == null) {
    printError(printable(args[0], 80) + ": " + procError(r.error) + (r.reason.length > 0 ? ": " + r.reason : ""));
    return 1;
  }
  const p = r.process!;
  if (!foreground) {
    println("started pid " + p.pid.toString() + " (" + p.name + ")");
    return 0;
  }
  const status = runForeground(p);
  if (status != 0) println(p.name + ": " + describeStatus(status));
  if ((status & 0x7f) != 0) return 128 + (status & 0x7f);
  return (status >> 8) & 0xff;
}

registerCommand("exec", "run a user program in the foreground",
  "exec PATH [ARGS...]\n  Runs the static aarch64 Linux program PATH (e.g. /bin/hello, /bin/busybox ls /) with the" +
  "\n  console as stdin, stdout and stderr. Ctrl-C sends it SIGINT. A non-zero exit status is printed;" +
  "\n  the command's own status is the program's (128 + N when signal N ended it).",
  (args: Array<string>): i32 => {
    if (args.length == 0) { printError("usage: exec PATH [ARGS...]"); return 1; }
    return start(args, true);
  });

function stateName(s: ProcState): string { return s == ProcState.Live ? "live" : "zombie"; }

registerCommand("procctl", "user processes: list, run, kill, system-call counts",
  "procctl [list] [--json]     the process table (PID, PPID, NAME, STATE, PAGES, SYSCALLS, AGE ms)" +
  "\nprocctl run PATH [ARGS...]  start a program in the background (stdin /dev/null)" +
  "\nprocctl kill PID [SIG]      send signal SIG (default 15, SIGTERM; 9 = SIGKILL)" +
  "\nprocctl syscalls [--json]   system calls made since boot, by number; unknown ones (ENOSYS) counted apart" +
  "\nprocctl trace on|off        print every system call with its arguments and result" +
  "\nprocctl stats               processes started, forks, execs, traps",
  (args: Array<string>): i32 => {
    const sub = args.length > 0 ? args[0] : "list";
    const json = args.includes("--json");
    if (sub == "list" || sub == "ps" || sub == "--json") {
      const list = processTable();
      if (json) {
        let s = "[";
        for (let i = 0; i < list.length; i++) {
          const p = list[i];
          s += (i > 0 ? "," : "") + "{\"pid\":" + p.pid.toString() + ",\"ppid\":" + p.ppid.toString() + ",\"name\":\"" +
            p.name.replaceAll("\"", "'") + "\",\"state\":\"" + stateName(p.state) + "\",\"pages\":" + p.space.pages.toString() +
            ",\"syscalls\":" + p.syscalls.toString() + "}";
        }
        println(s + "]");
        return 0;
      }
      const rows = new Array<Array<string>>(0);
      rows.push(["PID", "PPID", "NAME", "STATE", "PAGES", "SYSCALLS", "AGE"]);
      const now = nowTicks();
      for (let i = 0; i < list.length; i++) {
        const p = list[i];
        rows.push([p.pid.toString(), p.ppid.toString(), p.name, stateName(p.state), p.space.pages.toString(),
          p.syscalls.toString(), fixed(<f64>ticksToUs(now - p.startedAt) / 1000, 1)]);
      }
      const text = table(rows);
      println(text.substring(0, text.length - 1));
      println(list.length.toString() + " processes (limit " + MAX_PROCESSES.toString() + ")");
      return 0;
    }
    if (sub == "run") {
      if (args.length < 2) { printError("usage: procctl run PATH [ARGS...]"); return 1; }
      return start(args.slice(1), false);
    }
    if (sub == "kill") {
      if (args.length < 2 || args.length > 3) { printError("usage: procctl kill PID [SIG]"); return 1; }
      const pid = parseUnsigned(args[1]);
      const sig = args.length == 3 ? parseUnsigned(args[2]) : <i64>SIGTERM;
      if (pid <= 0 || pid > 0x7fffffff) { printError("bad pid '" + printable(args[1], 40) + "'"); return 1; }
      if (sig <= 0 || sig > 64) { printError("bad signal '" + printable(args.length == 3 ? args[2] : "", 40) + "' (1-64)"); return 1; }
      const p = findProcess(<i32>pid);
      if (p == null || p.state != ProcState.Live) { printError("no live process with pid " + pid.toString()); return 1; }
      sendSignal(p, <i32>sig);
      println("sent signal " + sig.toString() + " to pid " + pid.toString() + " (" + p.name + ")");
      return 0;
    }
    if (sub == "syscalls") {
      const rows = new Array<Array<string>>(0);
      rows.push(["NR", "NAME", "CALLS", "ENOSYS"]);
      let s = "{\"unknown_total\":" + unknownTotal.toString() + ",\"calls\":{";
      let first = true;
      for (let nr = 0; nr < MAX_SYSCALL; nr++) {
        const c = syscallCount(nr);
        if (c == 0) continue;
        rows.push([nr.toString(), syscallName(nr), c.toString(), unknownCount(nr).toString()]);
        s += (first ? "" : ",") + "\"" + nr.toString() + "\":{\"name\":\"" + syscallName(nr) + "\",\"calls\":" + c.toString() +
          ",\"enosys\":" + unknownCount(nr).toString() + "}";
        first = false;
      }
      if (json) { println(s + "}}"); return 0; }
      const text = table(rows);
      println(text.substring(0, text.length - 1));
      println(unknownTotal.toString() + " calls returned ENOSYS (not implemented)");
      return 0;
    }
    if (sub == "trace") {
      if (args.length != 2 || (args[1] != "on" && args[1] != "off")) { printError("usage: procctl trace on|off"); return 1; }
      setSyscallTrace(args[1] == "on");
      println("system-call trace " + args[1]);
      return 0;
    }
    if (sub == "stats") {
      println("processes started " + processesStarted.toString() + ", forks " + forkCount.toString() + " (refused at the limit " +
        forkRefused.toString() + "), execs " + execCount.toString() + ", user traps " + userTraps.toString() + " (IRQs " +
        userIrqs.toString() + ", page faults served " + userFaultsHandled.toString() + ")");
      println("copy-on-write: " + cowSharedFrames().toString() + " frames shared now, write faults resolved by a copy " +
        cowCopies.toString() + ", by taking the frame back alone " + cowReclaims.toString());
      println("TLB: " + user_tlb_flushes(0).toString() + " flushes, " + user_tlb_flushes(1).toString() +
        " entries to EL0 without one (one table for kernel and process; a flush only on a process switch or a changed mapping)");
      println("program image cache: " + textCacheEntries().toString() + " programs, " + (textCachePages() * 4).toString() +
        " KiB, hits " + textCacheHits.toString() + ", misses " + textCacheMisses.toString());
      return 0;
    }
    printError("unknown subcommand '" + printable(sub, 40) + "' (list, run, kill, syscalls, stats)");
    return 1;
  });
