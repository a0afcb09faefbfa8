// Test entry for the domain model's question answering (kernel/llm/infer/, llmctl infer and
// eval) on Node: the engine over the page allocator, the model handed in as bytes, the
// shell commands with their live-state snapshot.
import { initMemory } from "../../../kernel/mm/pages";
import { MemoryFileReader } from "../../../kernel/fs/file_reader";
import { loadModel, loadedModel, unloadModel } from "../../../kernel/llm/engine";
import { infer, modelError, questionError } from "../../../kernel/llm/infer/answer";
import { keywordInfer } from "../../../kernel/llm/infer/keyword";
import { commandProblem, allowlisted } from "../../../kernel/shell/suggested";
import { consoleShell } from "../../../kernel/shell/shell";
// every shell command, so suggested commands are checked against the real registry
import "../../../kernel/shell/commands/bench";
import "../../../kernel/shell/commands/blkctl";
import "../../../kernel/shell/commands/crashctl";
import "../../../kernel/shell/commands/date";
import "../../../kernel/shell/commands/exec";
import "../../../kernel/shell/commands/fs_bench";
import "../../../kernel/shell/commands/fs_nav";
import "../../../kernel/shell/commands/fs_read";
import "../../../kernel/shell/commands/fs_write";
import "../../../kernel/shell/commands/fsctl";
import "../../../kernel/shell/commands/help";
import "../../../kernel/shell/commands/kill";
import "../../../kernel/shell/commands/llmctl";
import "../../../kernel/shell/commands/llmctl_infer";
import "../../../kernel/shell/commands/lsblk";
import "../../../kernel/shell/commands/lsdev";
import "../../../kernel/shell/commands/mem_bench";
import "../../../kernel/shell/commands/mem_stresstest";
import "../../../kernel/shell/commands/memctl";
import "../../../kernel/shell/commands/meminfo";
import "../../../kernel/shell/commands/net";
import "../../../kernel/shell/commands/panic";
import "../../../kernel/shell/commands/ps";
import "../../../kernel/shell/commands/sched_bench";
import "../../../kernel/shell/commands/sched_stresstest";
import "../../../kernel/shell/commands/schedctl";
import "../../../kernel/shell/commands/stresstest";
import "../../../kernel/shell/commands/system";
import "../../../kernel/shell/commands/tracectl";

export function memInit(): void { initMemory(); }
export function hostAlloc(n: u32): u32 { return <u32>heap.alloc(n); }
export function hostFree(p: u32): void { heap.free(p); }

export function load(ckpt: u32, ckptLen: u32, tok: u32, tokLen: u32): string {
  return loadModel(new MemoryFileReader(ckpt, ckptLen), "model", tok != 0 ? new MemoryFileReader(tok, tokLen) : null, "tokenizer");
}
export function unload(): bool { return unloadModel(); }
export function modelProblem(): string { return modelError(loadedModel()); }
export function questionProblem(q: string): string { return questionError(q); }

/** One question on a given state line: "command\tanswer\tprompt_tokens\tgenerated\tlatency_us\tconfidence\ttruncated" or "error: ...". */
export function ask(state: string, question: string): string {
  const r = infer(loadedModel()!, state, question);
  if (r.error.length > 0) return "error: " + r.error;
  return (r.hasMarker ? (r.command.length > 0 ? r.command : "none") : "") + "\t" + r.answer + "\t" + r.promptTokens.toString() + "\t" +
    r.generatedTokens.toString() + "\t" + r.latencyUs.toString() + "\t" + r.confidence.toString() + "\t" + (r.truncated ? "1" : "0");
}
export function keyword(question: string): string {
  const r = keywordInfer(question);
  return r.command.length > 0 ? r.command : "none";
}
export function problem(line: string): string { return commandProblem(line); }
export function isAllowed(line: string): bool { return allowlisted(line); }
export function shellRun(line: string): i32 { return consoleShell.execute(line); }
