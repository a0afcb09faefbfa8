// autoctl: the measured impact of the AI subsystems (kernel/ai/impact: latency, follow rate, OOM
// accuracy, scheduler change against fair, memory freed by AI-triggered compaction).
import { registerFamily, registerSubcommand } from "../families";
import { Options, noArgs } from "../args";
import { println, printError } from "../../platform/console";
import { buildReport } from "../../ai/impact/report";
import { reportJson, reportText } from "../../ai/impact/format";
import { resetBaseline } from "../../ai/impact/window";
import { writeFile, fileSinkError } from "../../ai/export_sink";
import { printable } from "../shell";

const USAGE = "autoctl ai-metrics [--json] | export-metrics PATH | reset-baseline" +
  "\n  ai-metrics      inference latency p50/p99 per AI subsystem (attention scheduler, OOM model, LLM)," +
  "\n                  decision follow rate, OOM accuracy from resolved outcomes, context switches and" +
  "\n                  turnaround of the AI scheduler against fair, memory freed by AI-triggered compaction" +
  "\n  export-metrics  write the same as JSON to PATH" +
  "\n  reset-baseline  start a new measurement window (the scheduler and compaction numbers restart)" +
  "\nEvery number comes from recorded data; \"no data\" (JSON null) where nothing was recorded. Also at GET /metrics.";

function aiMetrics(args: Array<string>): i32 {
  const o = new Options(args, [], ["--json"]);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length > 0) { printError("unexpected argument '" + printable(o.positionals[0], 40) + "'"); return 1; }
  const r = buildReport();
  if (o.has("--json")) {
    println(reportJson(r));
    return 0;
  }
  const lines = reportText(r);
  for (let i = 0; i < lines.length; i++) println(lines[i]);
  return 0;
}

function exportMetrics(args: Array<string>): i32 {
  if (args.length != 1) { printError("usage: autoctl export-metrics PATH"); return 1; }
  const path = args[0];
  if (path.length == 0) { printError("empty path"); return 1; }
  const r = writeFile(path, reportJson(buildReport()) + "\n");
  if (r < 0) {
    printError("cannot write " + printable(path, 80) + ": " + fileSinkError(r));
    return 1;
  }
  println("wrote " + r.toString() + " bytes to " + path);
  return 0;
}

registerFamily("autoctl", "measured impact of the AI subsystems", USAGE, "ai-metrics");
registerSubcommand("autoctl", "ai-metrics", "latency, follow rate, OOM accuracy, scheduler and compaction impact",
  "autoctl ai-metrics [--json]\n  The AI impact report (see autoctl --help); --json prints one JSON object.",
  (rest: Array<string>): i32 => aiMetrics(rest));
registerSubcommand("autoctl", "export-metrics", "write the report as JSON to a file",
  "autoctl export-metrics PATH\n  Writes the ai-metrics JSON to PATH (replacing it).",
  (rest: Array<string>): i32 => exportMetrics(rest));
registerSubcommand("autoctl", "reset-baseline", "start a new measurement window",
  "autoctl reset-baseline\n  Forgets the scheduler and compaction measurements and starts a new window now\n" +
  "  (latency rings and the trace are not cleared: they hold the newest samples).",
  (rest: Array<string>): i32 => {
    if (!noArgs("autoctl reset-baseline", rest)) return 1;
    resetBaseline();
    println("new measurement window started");
    return 0;
  });
