// llmctl eval: the domain model and the keyword baseline on held-out questions x states
// (/models/sis-qa-eval.tsv, written by make model from phrasings never trained on).
//   actionable: a suggested command that exists and parses, or "none" when the rule says none
//   correct:    the suggestion is the rule's command for that state (none included)
//   executed:   of the suggestions (not none), the share that ran with exit status 0; only
//               allowlisted ones are run (output hidden); invalid ones count as failures,
//               valid but not allowlisted ones (policy changes) are not run and not counted
//   latency:    per question, prompt + generation, p50 and p99
import { println, printError, print, beginCapture, endCapture } from "../platform/console";
import { fixed } from "../lib/format";
import { percentile } from "../lib/stats";
import { VfsFileReader } from "../fs/file_reader";
import { checkpoint } from "../sched/checkpoint";
import { loadedModel } from "../llm/engine";
import { infer, InferResult } from "../llm/infer/answer";
import { keywordInfer } from "../llm/infer/keyword";
import { commandProblem, allowlisted, ensureDomainModel } from "./suggested";
import { consoleShell } from "./shell";

const MAX_FILE: u64 = 4 << 20;

class Score {
  n: i32 = 0;
  actionable: i32 = 0;
  correct: i32 = 0;
  tried: i32 = 0;
  succeeded: i32 = 0;
  latencies: Array<f64> = new Array<f64>(0);
  constructor(public name: string) {}

  add(r: InferResult, expected: string, exec: bool): void {
    this.n++;
    const got = r.hasMarker ? (r.command.length > 0 ? r.command : "none") : "";
    const valid = got.length > 0 && (got == "none" || commandProblem(got).length == 0);
    if (valid && (got != "none" || expected == "none")) this.actionable++;
    if (got == expected) this.correct++;
    if (got != "none" && got.length > 0) {
      if (!valid) this.tried++;
      else if (exec && allowlisted(got)) {
        this.tried++;
        beginCapture();
        const status = consoleShell.execute(got);
        endCapture();
        if (status == 0) this.succeeded++;
      }
    }
    this.latencies.push(<f64>r.latencyUs / 1000);
  }

  pct(k: i32, n: i32): f64 { return n == 0 ? 0 : <f64>k * 100 / <f64>n; }

  row(): string {
    return this.name + ": " + this.n.toString() + " questions, actionable " + fixed(this.pct(this.actionable, this.n), 1) +
      "%, correct-for-state " + fixed(this.pct(this.correct, this.n), 1) + "%, executed-successfully " +
      fixed(this.pct(this.succeeded, this.tried), 1) + "% (" + this.succeeded.toString() + "/" + this.tried.toString() +
      "), latency p50 " + fixed(percentile(this.latencies, 50), 1) + " ms p99 " + fixed(percentile(this.latencies, 99), 1) + " ms";
  }

  json(): string {
    return "{\"model\":\"" + this.name + "\",\"questions\":" + this.n.toString() + ",\"actionable_pct\":" + fixed(this.pct(this.actionable, this.n), 2) +
      ",\"correct_pct\":" + fixed(this.pct(this.correct, this.n), 2) + ",\"executed_ok_pct\":" + fixed(this.pct(this.succeeded, this.tried), 2) +
      ",\"executed\":" + this.tried.toString() + ",\"latency_p50_ms\":" + fixed(percentile(this.latencies, 50), 2) +
      ",\"latency_p99_ms\":" + fixed(percentile(this.latencies, 99), 2) + "}";
  }
}

function readText(path: string): string | null {
  const r = VfsFileReader.open(path);
  if (r == null) { printError(VfsFileReader.error); return null; }
  const size = r.size();
  if (size > MAX_FILE) { r.close(); printError(path + ": larger than 4 MiB"); return null; }
  const buf = new Uint8Array(<i32>size);
  const n = r.readAt(0, buf.dataStart, <u32>size);
  r.close();
  if (n != <i64>size) { printError(path + ": read failed"); return null; }
  return String.UTF8.decodeUnsafe(buf.dataStart, buf.length);
}

export function runEval(path: string, limit: i32, kind: string, exec: bool, json: bool): i32 {
  const text = readText(path);
  if (text == null) return 1;
  const useModel = kind != "keyword", useKeyword = kind != "domain";
  if (useModel) {
    const e = ensureDomainModel();
    if (e.length > 0) { printError(e); return 1; }
  }
  const lines = text!.split("\n");
  const model = new Score("model"), keyword = new Score("keyword");
  let bad = 0;
  for (let i = 0; i < lines.length && model.n + keyword.n < limit * 2 && (useModel ? model.n : keyword.n) < limit; i++) {
    if (lines[i].trim().length == 0) continue;
    const f = lines[i].split("\t");
    if (f.length != 4) { bad++; continue; }
    if (checkpoint()) { println("(interrupted)"); break; }
    if (useModel) {
      const r = infer(loadedModel()!, f[1], f[2]);
      if (r.error.length > 0) { printError("line " + (i + 1).toString() + ": " + r.error); return 1; }
      model.add(r, f[3], exec);
      if (!json && model.n % 20 == 0) print("\r" + model.n.toString() + " questions ...");
    }
    if (useKeyword) keyword.add(keywordInfer(f[2]), f[3], exec);
  }
  if (!json) print("\r");
  if (json) {
    if (useModel) println(model.json()); // one JSON object per line (make bench reads JSON lines)
    if (useKeyword) println(keyword.json());
  } else {
    if (useModel) println(model.row());
    if (useKeyword) println(keyword.row());
    if (bad > 0) println(bad.toString() + " malformed lines skipped");
  }
  return 0;
}
