// llmctl infer / auto-execute / eval: questions in plain language about the live system,
// answered by the domain model (/models/sis-qa.bin, trained by `make model`) from a snapshot
// of the kernel's state, with a suggested command that runs only after approval.
//
//   infer QUESTION     state -> prompt -> answer + "Suggested command: X" -> Execute? [y/N]
//   infer --json Q     one JSON object, never executes
//   auto-execute on    suggested commands on ALLOWLIST run without asking
//   eval [FILE]        held-out questions x states: actionable, correct, executed, latency
//
// A suggested command that does not parse or does not exist is reported, never run. Every
// infer is a decision in the trace (subsystem "llm").
import { registerSubcommand } from "../families";
import { Options } from "../args";
import { consoleShell } from "../shell";
import { println, print, printError } from "../../platform/console";
import { fixed } from "../../lib/format";
import { nowUs } from "../../platform/time";
import { takeConsoleByte, runPollers, idle } from "../../kernel_loop";
import { loadedModel } from "../../llm/engine";
import { stateLine } from "../../llm/infer/state";
import { infer, modelError, questionError, InferResult } from "../../llm/infer/answer";
import { keywordInfer } from "../../llm/infer/keyword";
import { traceInfer, resolveInfer, ACTION_EXECUTED, ACTION_DECLINED, ACTION_AUTO, ACTION_REFUSED, ACTION_SHOWN, ACTION_NONE } from "../../llm/infer/tracing";
import { snapshotState } from "../system_state";
import { ALLOWLIST, DEFAULT_MODEL, commandProblem, allowlisted, ensureDomainModel, autoExecute, setAutoExecute } from "../suggested";
import { runEval } from "../infer_eval";
import { jsonString } from "../../lib/json_string";

const USAGE = "llmctl infer [--json] [--model domain|keyword] QUESTION\n" +
  "  Asks the domain model about the live system: a snapshot of memory, fragmentation, the OOM\n" +
  "  predictor, recent OOM events, the scheduler, the system disk, file system, network, tasks\n" +
  "  and the trace becomes the prompt's state line; the answer ends with 'Suggested command: X'\n" +
  "  (or none), then 'Execute? [y/N]': only y runs it through the shell. A suggested command that\n" +
  "  does not parse or does not exist is reported and never run. The domain model\n" +
  "  (" + DEFAULT_MODEL + ") is loaded on first use when no model is loaded.\n" +
  "  --json   one JSON object (question, state, answer, command or null, latency_ms,\n" +
  "           prompt_tokens, generated_tokens, confidence, ...); never executes\n" +
  "  --model keyword   the keyword-matching baseline instead of the model\n" +
  "  Questions: ASCII, up to 300 characters (longer ones are cut to fit the context, and say so).";

registerSubcommand("llmctl", "infer", "ask the domain model about the live system (suggests a command)", USAGE, inferCommand);
registerSubcommand("llmctl", "auto-execute", "run allowlisted suggested commands without asking",
  "llmctl auto-execute [on|off]\n  on: a suggested command on the allowlist runs without asking; one outside it is shown\n" +
  "  and asked about as usual. Without an argument: the current setting and the allowlist.\n  Allowlist: " +
  ALLOWLIST.join(", "), autoCommand);
registerSubcommand("llmctl", "eval", "held-out questions x states: actionable, correct, executed, latency",
  "llmctl eval [FILE] [--limit N] [--model domain|keyword|both] [--no-exec] [--json]\n" +
  "  FILE (default /models/sis-qa-eval.tsv): lines 'intent<TAB>state line<TAB>question<TAB>command'\n" +
  "  written by make model from phrasings never trained on. For each: the model's answer for that\n" +
  "  state; actionable = a command that exists and parses, or a correct none; correct = the rule's\n" +
  "  command; executed = allowlisted suggestions run through the shell (output hidden) with exit 0.\n" +
  "  --limit N   the first N lines (default all)   --no-exec   do not run suggestions\n" +
  "  --json      one JSON object per model and line", evalCommand);

function autoCommand(args: Array<string>): i32 {
  if (args.length == 0) {
    println("auto-execute " + (autoExecute() ? "on" : "off") + "; allowlist: " + ALLOWLIST.join(", "));
    return 0;
  }
  if (args.length != 1 || (args[0] != "on" && args[0] != "off")) { printError("usage: llmctl auto-execute [on|off]"); return 1; }
  setAutoExecute(args[0] == "on");
  println("auto-execute " + args[0]);
  return 0;
}

/** Reads y/N from the console (echoed); anything but y/yes, Ctrl-C or 60 s of silence is no. */
function askYes(): bool {
  print("Execute? [y/N] ");
  let line = "";
  const deadline = nowUs() + 60_000_000;
  while (true) {
    const c = takeConsoleByte();
    if (c < 0) {
      if (nowUs() > deadline) { println(""); return false; }
      runPollers();
      idle();
      continue;
    }
    if (c == 3) { println("^C"); return false; }
    if (c == 13 || c == 10) { println(""); break; }
    if ((c == 8 || c == 127) && line.length > 0) { line = line.substring(0, line.length - 1); print("\b \b"); continue; }
    if (c >= 32 && c < 127 && line.length < 16) { line += String.fromCharCode(c); print(String.fromCharCode(c)); }
  }
  const a = line.trim().toLowerCase();
  return a == "y" || a == "yes";
}

function inferCommand(args: Array<string>): i32 {
  const o = new Options(args, ["--model"], ["--json"]);
  if (!o.ok) { printError(o.error); return 1; }
  const kind = o.value("--model", "domain");
  if (kind != "domain" && kind != "keyword") { printError("--model must be domain or keyword"); return 1; }
  const question = o.positionals.join(" ");
  const qe = questionError(question);
  if (qe.length > 0) { printError(qe); return 1; }
  const json = o.has("--json");
  const snap = snapshotState();
  const state = stateLine(snap);
  let r: InferResult;
  if (kind == "keyword") {
    r = keywordInfer(question);
  } else {
    const me = ensureDomainModel();
    if (me.length > 0) { printError(me); return 1; }
    r = infer(loadedModel()!, state, question);
    if (r.error.length > 0) { printError(r.error); return 1; }
  }
  const problem = r.command.length > 0 ? commandProblem(r.command) : "";
  const traceId = traceInfer(snap, r.question, r.command, problem.length == 0, r.confidence);
  if (json) {
    println("{\"question\":" + jsonString(r.question) + ",\"state\":" + jsonString(state) + ",\"answer\":" + jsonString(r.answer) +
      ",\"command\":" + (r.command.length > 0 ? jsonString(r.command) : "null") + ",\"command_valid\":" + (problem.length == 0 ? "true" : "false") +
      ",\"command_problem\":" + jsonString(problem) + ",\"confidence\":" + fixed(r.confidence, 4) + ",\"latency_ms\":" + fixed(<f64>r.latencyUs / 1000, 1) +
      ",\"prompt_tokens\":" + r.promptTokens.toString() + ",\"generated_tokens\":" + r.generatedTokens.toString() +
      ",\"truncated\":" + (r.truncated ? "true" : "false") + ",\"model\":" + jsonString(kind) + ",\"interrupted\":" + (r.interrupted ? "true" : "false") + "}");
    resolveInfer(traceId, ACTION_SHOWN, NaN);
    return 0;
  }
  if (r.truncated) println("(question cut to " + r.question.length.toString() + " characters to fit the model's context)");
  if (r.interrupted) { println("(interrupted)"); return 130; }
  println(r.answer.length > 0 ? r.answer : "(the model wrote no answer)");
  if (!r.hasMarker) { println("The model wrote no 'Suggested command:' line; nothing to run."); resolveInfer(traceId, ACTION_NONE, NaN); return 0; }
  println("Suggested command: " + (r.command.length > 0 ? r.command : "none"));
  if (kind == "domain") println("(" + r.promptTokens.toString() + " prompt + " + r.generatedTokens.toString() + " tokens in " +
    fixed(<f64>r.latencyUs / 1000, 1) + " ms, confidence " + fixed(r.confidence * 100, 0) + "%)");
  if (r.command.length == 0) { resolveInfer(traceId, ACTION_NONE, NaN); return 0; }
  if (problem.length > 0) {
    println("The suggested command " + problem + ": not executed.");
    resolveInfer(traceId, ACTION_REFUSED, NaN);
    return 0;
  }
  let action = ACTION_DECLINED;
  if (autoExecute() && allowlisted(r.command)) {
    println("auto-execute: " + r.command);
    action = ACTION_AUTO;
  } else {
    if (autoExecute()) println("'" + r.command + "' is not on the auto-execute allowlist: asking.");
    if (askYes()) action = ACTION_EXECUTED;
  }
  if (action == ACTION_DECLINED) { println("not executed"); resolveInfer(traceId, ACTION_DECLINED, NaN); return 0; }
  const status = consoleShell.execute(r.command);
  println("(exit status " + status.toString() + ")");
  resolveInfer(traceId, action, <f64>status);
  return 0;
}

function evalCommand(args: Array<string>): i32 {
  const o = new Options(args, ["--limit", "--model"], ["--json", "--no-exec"]);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length > 1) { printError("usage: llmctl eval [FILE] [--limit N] [--model domain|keyword|both] [--no-exec] [--json]"); return 1; }
  const limit = o.integer("--limit", 1 << 30, 1, 1 << 30);
  if (limit < 0) return 1;
  const kind = o.value("--model", "both");
  if (kind != "domain" && kind != "keyword" && kind != "both") { printError("--model must be domain, keyword or both"); return 1; }
  const path = o.positionals.length == 1 ? o.positionals[0] : "/models/sis-qa-eval.tsv";
  return runEval(path, <i32>limit, kind, !o.has("--no-exec"), o.has("--json"));
}
