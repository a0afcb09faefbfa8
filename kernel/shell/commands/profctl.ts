// profctl: the sampling profiler (kernel/prof/, arch-aarch64/prof.c). start/stop a run, show
// the hottest functions, export folded stacks for flame graphs (`make profile` draws them).
import { registerFamily, registerSubcommand } from "../families";
import { Options, noArgs } from "../args";
import { println, printError } from "../../platform/console";
import { fixed } from "../../lib/format";
import { errorMessage } from "../../lib/errors";
import { printTable } from "../output";
import * as vfs from "../../fs/vfs";
import * as profiler from "../../prof/profiler";
import { SYMBOL_FILE } from "../../prof/symbols";
import { jsonString } from "../../lib/json_string";

const USAGE = "profctl start [--hz N] | stop | status | report [--top N] [--json] | export PATH" +
  "\n  start    sample the interrupted PC and frame-pointer call chain N times a second (default " +
  profiler.DEFAULT_HZ.toString() + ", 1.." + profiler.MAX_HZ.toString() + ")" +
  "\n  stop     stop sampling; the samples stay until the next start" +
  "\n  status   running or not, samples, dropped samples, seconds" +
  "\n  report   the hottest functions by self samples (default top 20), with total (inclusive) samples" +
  "\n  export   write folded stacks (\"root;caller;leaf COUNT\" lines, for flame graphs) to PATH" +
  "\nFunctions are named from " + SYMBOL_FILE + " (AssemblyScript names; made by the build from the link map).";

function summary(): string {
  return profiler.sampleCount().toString() + " samples in " + fixed(profiler.seconds(), 2) + " s at " +
    profiler.rate().toString() + " Hz, " + profiler.droppedCount().toString() + " dropped (buffer full)";
}

function start(args: Array<string>): i32 {
  const o = new Options(args, ["--hz"], []);
  if (!o.ok) { printError("profctl start: " + o.error); return 1; }
  if (o.positionals.length > 0) { printError("usage: profctl start [--hz N]"); return 1; }
  const hz = o.integer("--hz", <i64>profiler.DEFAULT_HZ, 1, <i64>profiler.MAX_HZ);
  if (hz < 0) return 1;
  if (profiler.isRunning()) { printError("profctl: already running (profctl stop first)"); return 1; }
  if (!profiler.start(<u32>hz)) { printError("profctl: the sample timer refused " + hz.toString() + " Hz"); return 1; }
  println("profiling at " + hz.toString() + " Hz");
  return 0;
}

function stop(args: Array<string>): i32 {
  if (!noArgs("profctl stop", args)) return 1;
  if (!profiler.isRunning()) { printError("profctl: not running"); return 1; }
  profiler.stop();
  println("stopped: " + summary());
  return 0;
}

function status(args: Array<string>): i32 {
  if (!noArgs("profctl status", args)) return 1;
  if (!profiler.hasRun()) { println("not running; no samples yet"); return 0; }
  println((profiler.isRunning() ? "running: " : "stopped: ") + summary());
  return 0;
}

/** Samples to read: refused while running (the buffer is still being written). */
function readable(cmd: string): bool {
  if (profiler.isRunning()) { printError(cmd + ": still running (profctl stop first)"); return false; }
  if (!profiler.hasRun()) { printError(cmd + ": no samples (profctl start, run something, profctl stop)"); return false; }
  return true;
}

function pct(c: i32, n: i32): string {
  return n == 0 ? "0.0" : fixed(100.0 * <f64>c / <f64>n, 1);
}

function report(args: Array<string>): i32 {
  const o = new Options(args, ["--top"], ["--json"]);
  if (!o.ok) { printError("profctl report: " + o.error); return 1; }
  if (o.positionals.length > 0) { printError("usage: profctl report [--top N] [--json]"); return 1; }
  const top = <i32>o.integer("--top", 20, 1, 10000);
  if (top < 0) return 1;
  if (!readable("profctl report")) return 1;
  const p = profiler.currentProfile();
  const rows = p.top(top);
  const n = p.samples;
  if (o.has("--json")) {
    const parts = new Array<string>(0);
    for (let i = 0; i < rows.length; i++) {
      parts.push("{\"name\":" + jsonString(rows[i].name) + ",\"self\":" + rows[i].self.toString() + ",\"total\":" + rows[i].total.toString() + "}");
    }
    println("{\"samples\":" + n.toString() + ",\"dropped\":" + profiler.droppedCount().toString() + ",\"hz\":" + profiler.rate().toString() +
      ",\"seconds\":" + fixed(profiler.seconds(), 3) + ",\"symbols\":" + (profiler.kernelSymbols() != null ? "true" : "false") +
      ",\"functions\":[" + parts.join(",") + "]}");
    return 0;
  }
  if (profiler.kernelSymbols() == null) println("(no symbols: " + profiler.symbolError + "; addresses are image-relative)");
  println(summary());
  const table = new Array<Array<string>>(0);
  table.push(["SELF%", "SELF", "TOTAL%", "TOTAL", "FUNCTION"]);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    table.push([pct(r.self, n), r.self.toString(), pct(r.total, n), r.total.toString(), r.name]);
  }
  printTable(table);
  return 0;
}

function exportFolded(args: Array<string>): i32 {
  if (args.length != 1 || args[0].startsWith("-")) { printError("usage: profctl export PATH"); return 1; }
  if (!readable("profctl export")) return 1;
  const path = args[0];
  const text = profiler.currentProfile().folded();
  const bytes = String.UTF8.encode(text, false);
  const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC);
  if (fd < 0) { printError("profctl export: " + path + ": " + errorMessage(fd)); return 1; }
  const n = vfs.write(fd, changetype<usize>(bytes), <u32>bytes.byteLength);
  const e = n < 0 ? <i32>n : vfs.fsync(fd);
  vfs.close(fd);
  if (n >= 0 && n < <i64>bytes.byteLength) { printError("profctl export: " + path + ": short write"); return 1; }
  if (e < 0) { printError("profctl export: " + path + ": " + errorMessage(e)); return 1; }
  println("wrote " + bytes.byteLength.toString() + " bytes of folded stacks to " + path);
  return 0;
}

registerFamily("profctl", "sampling profiler: hottest functions, folded stacks for flame graphs", USAGE, "status");
registerSubcommand("profctl", "start", "start sampling",
  "profctl start [--hz N]\n  Samples the interrupted PC and its frame-pointer call chain N times a second (default " +
  profiler.DEFAULT_HZ.toString() + "); a fresh buffer each start.", (rest: Array<string>): i32 => start(rest));
registerSubcommand("profctl", "stop", "stop sampling", "profctl stop\n  Stops sampling; the samples stay for report and export.",
  (rest: Array<string>): i32 => stop(rest));
registerSubcommand("profctl", "status", "running or not, samples", "profctl status\n  Running or not, samples, dropped samples, seconds.",
  (rest: Array<string>): i32 => status(rest));
registerSubcommand("profctl", "report", "the hottest functions",
  "profctl report [--top N] [--json]\n  Functions by self samples (default top 20) with total (inclusive) samples.",
  (rest: Array<string>): i32 => report(rest));
registerSubcommand("profctl", "export", "folded stacks to a file",
  "profctl export PATH\n  Writes \"root;caller;leaf COUNT\" lines (the folded format of flame-graph tools) to PATH.",
  (rest: Array<string>): i32 => exportFolded(rest));
