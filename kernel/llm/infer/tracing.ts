// Every `llmctl infer` is an AI decision in the trace (kernel/ai/trace.ts, subsystem "llm"):
//   features: free_mib, frag_pct, big_kib, oom_pct, runnable, disk_pct (the state summary),
//             question_hash (FNV-1a of the question, 32 bits), command_valid (1/0)
//   output:   the suggested command as an index in COMMANDS (0 = none, -1 = another command)
//   confidence: the model's probability of the tokens it wrote for the command
//   action:   ACTION_* below (executed, declined, auto, refused, shown by --json, no command)
//   outcome:  the command's exit status, when it ran
import { registerTraceSubsystem, recordDecision, resolveOutcome, setTraceAction } from "../../ai/trace";
import { SystemState } from "./state";

export const LLM_TRACE: i32 = registerTraceSubsystem("llm",
  ["free_mib", "frag_pct", "big_kib", "oom_pct", "runnable", "disk_pct", "question_hash", "command_valid"], "command", "action");

export const ACTION_NONE: i64 = 0;
export const ACTION_EXECUTED: i64 = 1;
export const ACTION_DECLINED: i64 = 2;
export const ACTION_AUTO: i64 = 3;
export const ACTION_REFUSED: i64 = 4;
export const ACTION_SHOWN: i64 = 5;

/** Commands the domain model is trained to suggest, by trace output index. */
export const COMMANDS: string[] = ["none", "memctl compact", "ps", "crashctl history", "crashctl status", "schedctl status",
  "schedctl policy attention", "schedctl policy fair", "df", "lsblk", "fsctl journal", "tracectl list", "lsdev", "version",
  "sync", "netctl status", "procctl list", "help"];

export function questionHash(q: string): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < q.length; i++) { h ^= <u32>q.charCodeAt(i) & 0xff; h *= 16777619; }
  return h;
}

/** Records the decision (action filled in by resolveInfer); returns the trace id. */
export function traceInfer(s: SystemState, question: string, command: string, valid: bool, confidence: f64): u64 {
  const f = new StaticArray<f64>(8);
  f[0] = <f64>s.freeMiB; f[1] = <f64>s.fragPct; f[2] = <f64>s.bigKiB; f[3] = <f64>s.oomPct;
  f[4] = <f64>s.runnable; f[5] = <f64>s.diskUsedPct; f[6] = <f64>questionHash(question); f[7] = valid ? 1 : 0;
  const idx = COMMANDS.indexOf(command.length == 0 ? "none" : command);
  return recordDecision(LLM_TRACE, 1, f, 8, <f64>idx, confidence, ACTION_NONE);
}

/** The action taken and, when the command ran, its exit status as the outcome. */
export function resolveInfer(id: u64, action: i64, exitStatus: f64): void {
  setTraceAction(id, action);
  if (!isNaN(exitStatus)) resolveOutcome(id, exitStatus);
}
