// tracectl: inspect and export the AI decision trace ring (kernel/ai/trace.ts).
import { registerFamily, registerSubcommand } from "../families";
import { Options, parseUnsigned, noArgs } from "../args";
import { println, printError } from "../../platform/console";
import { fixed, table, padRight } from "../../lib/format";
import * as trace from "../../ai/trace";
import { tracesJson } from "../../ai/trace_json";
import { writeFile, fileSinkError } from "../../ai/export_sink";
import { printable } from "../shell";
import { printTable } from "../output";

const USAGE = "tracectl list [--recent N] | show ID | stats | clear | export [--recent N] (--path FILE | --serial)" +
  "\n  list      the newest decisions (default 20): id, time, subsystem, model version, output, confidence, outcome" +
  "\n  show ID   one decision with its input features" +
  "\n  stats     decisions per subsystem: recorded, resolved, mean outcome, mean |output - outcome|" +
  "\n  clear     forget every held decision (ids keep counting)" +
  "\n  export    write the decisions as JSON to FILE (needs a mounted file system), or --serial to print it" +
  "\nThe ring holds the last " + trace.TRACE_CAPACITY.toString() + " decisions of every AI subsystem.";

function val(v: f64, d: i32): string {
  return isNaN(v) ? "-" : fixed(v, d);
}

function recentOption(o: Options, fallback: i64): i32 {
  return <i32>o.integer("--recent", fallback, 1, trace.TRACE_CAPACITY);
}

function list(args: Array<string>): i32 {
  const o = new Options(args, ["--recent"], []);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length > 0) { printError("unexpected argument '" + printable(o.positionals[0], 40) + "'"); return 1; }
  const recent = recentOption(o, 20);
  if (recent < 0) return 1;
  const newest = trace.newestTraceId();
  const oldest = trace.oldestTraceId();
  if (trace.traceCount() == 0) {
    println("no decisions recorded" + (newest > 0 ? " since the last clear" : "") + " (the scheduler records them while 'schedctl transformer on')");
    return 0;
  }
  const rows = new Array<Array<string>>(0);
  rows.push(["ID", "TIME(ms)", "SUBSYSTEM", "VER", "OUTPUT", "ACTION", "CONF", "OUTCOME"]);
  let from = oldest;
  if (newest + 1 > <u64>recent && newest + 1 - <u64>recent > from) from = newest + 1 - <u64>recent; // (no u64 underflow)
  for (let id = from; id <= newest; id++) {
    if (!trace.traceExists(id)) continue;
    rows.push([id.toString(), fixed(<f64>trace.traceTimeUs(id) / 1000, 3), trace.traceSubsystemName(id),
      trace.traceVersion(id).toString(), fixed(trace.traceOutput(id), 4),
      trace.traceActionName(id) + " " + trace.traceAction(id).toString(), fixed(trace.traceConfidence(id), 3),
      trace.traceResolved(id) ? fixed(trace.traceOutcome(id), 4) : "pending"]);
  }
  printTable(rows);
  println("(" + (rows.length - 1).toString() + " of " + trace.traceCount().toString() + " held; ids " +
    oldest.toString() + ".." + newest.toString() + ")");
  return 0;
}


function show(args: Array<string>): i32 {
  if (args.length != 1) { printError("usage: tracectl show ID"); return 1; }
  const v = parseUnsigned(args[0]);
  if (v <= 0) { printError("bad trace id '" + printable(args[0], 40) + "'"); return 1; }
  const id = <u64>v;
  if (!trace.traceExists(id)) {
    printError("no decision with id " + id.toString() + " (held: " + (trace.traceCount() > 0 ?
      trace.oldestTraceId().toString() + ".." + trace.newestTraceId().toString() : "none") + ")");
    return 1;
  }
  println("decision " + id.toString());
  println("  time:          " + fixed(<f64>trace.traceTimeUs(id) / 1000, 3) + " ms since boot");
  println("  subsystem:     " + trace.traceSubsystemName(id));
  println("  model version: " + trace.traceVersion(id).toString());
  println("  features:");
  for (let i = 0; i < trace.traceFeatureCount(id); i++) {
    println("    " + padRight(trace.traceFeatureName(id, i), 12) + " " + fixed(trace.traceFeature(id, i), 4));
  }
  println("  output:        " + trace.traceOutputName(id) + " = " + fixed(trace.traceOutput(id), 4));
  println("  action:        " + trace.traceActionName(id) + " " + trace.traceAction(id).toString());
  println("  confidence:    " + fixed(trace.traceConfidence(id), 4));
  if (trace.traceResolved(id)) {
    println("  outcome:       " + fixed(trace.traceOutcome(id), 4) + " (known at " +
      fixed(<f64>trace.traceResolvedUs(id) / 1000, 3) + " ms)");
  } else {
    println("  outcome:       pending");
  }
  return 0;
}

function stats(): i32 {
  println("trace ring: " + trace.traceCount().toString() + " of " + trace.TRACE_CAPACITY.toString() +
    " entries held, " + trace.newestTraceId().toString() + " recorded since boot");
  const rows = new Array<Array<string>>(0);
  rows.push(["SUBSYSTEM", "RECORDED", "RESOLVED", "LOST", "HELD", "MEAN OUTCOME", "MEAN |OUT-OUTCOME|", "MEAN CONF"]);
  for (let s = 0; s < trace.traceSubsystemCount(); s++) {
    const h = trace.heldStats(s);
    rows.push([trace.subsystemName(s), trace.subsystemRecorded(s).toString(), trace.subsystemResolved(s).toString(),
      trace.subsystemLostUnresolved(s).toString(), (<i64>h[0]).toString(), val(h[2], 4), val(h[3], 4), val(h[4], 4)]);
  }
  printTable(rows);
  return 0;
}

function exportTraces(args: Array<string>): i32 {
  const o = new Options(args, ["--recent", "--path"], ["--serial"]);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length > 0) { printError("unexpected argument '" + printable(o.positionals[0], 40) + "'"); return 1; }
  const recent = recentOption(o, 0);
  if (recent < 0) return 1;
  const serial = o.has("--serial");
  if (serial == o.hasValue("--path")) { printError("give exactly one of --path FILE and --serial"); return 1; }
  const json = tracesJson(recent);
  if (serial) {
    println(json);
    return 0;
  }
  const path = o.value("--path");
  if (path.length == 0) { printError("empty path"); return 1; }
  const r = writeFile(path, json);
  if (r < 0) {
    printError("cannot write " + printable(path, 80) + ": " + fileSinkError(r));
    return 1;
  }
  println("wrote " + r.toString() + " bytes to " + path);
  return 0;
}

registerFamily("tracectl", "inspect and export AI decision traces", USAGE);
registerSubcommand("tracectl", "list", "the newest decisions",
  "tracectl list [--recent N]\n  The newest decisions (default 20): id, time, subsystem, model version, output, confidence, outcome.",
  (rest: Array<string>): i32 => list(rest));
registerSubcommand("tracectl", "show", "one decision with its input features",
  "tracectl show ID\n  One decision with its input features.",
  (rest: Array<string>): i32 => show(rest));
registerSubcommand("tracectl", "stats", "decisions per subsystem",
  "tracectl stats\n  Decisions per subsystem: recorded, resolved, mean outcome, mean |output - outcome|.",
  (rest: Array<string>): i32 => (noArgs("tracectl stats", rest) ? stats() : 1));
registerSubcommand("tracectl", "clear", "forget every held decision",
  "tracectl clear\n  Forgets every held decision (ids keep counting).",
  (rest: Array<string>): i32 => {
    if (!noArgs("tracectl clear", rest)) return 1;
    const n = trace.traceCount();
    trace.clearTraces();
    println("cleared " + n.toString() + " decisions");
    return 0;
  });
registerSubcommand("tracectl", "export", "write the decisions as JSON",
  "tracectl export [--recent N] (--path FILE | --serial)\n  Writes the decisions as JSON to FILE (needs a mounted file system), or --serial to print it.",
  (rest: Array<string>): i32 => exportTraces(rest));
