// The keyword-matching baseline (`llmctl infer --model keyword`): the first rule whose
// keyword occurs in the lowercased question gives a fixed command, whatever the state.
// This is how the original answered; llmctl eval runs it side by side with the model.
import { InferResult } from "./answer";

// [keyword, command]; order matters (more specific first); "none" = no command
const RULES: string[][] = [
  ["compact", "memctl compact"], ["fragment", "memctl compact"], ["defrag", "memctl compact"],
  ["oom event", "crashctl history"], ["oom kill", "crashctl history"], ["oom history", "crashctl history"],
  ["predictor", "crashctl status"], ["oom", "crashctl status"], ["out of memory", "crashctl status"],
  ["turn on", "schedctl policy attention"], ["enable", "schedctl policy attention"],
  ["turn off", "schedctl policy fair"], ["disable", "schedctl policy fair"],
  ["scheduler", "schedctl status"], ["memory", "memctl stats"], ["ram", "memctl stats"],
  ["busy", "ps"], ["load", "ps"], ["cpu", "ps"], ["journal", "fsctl journal"],
  ["block device", "lsblk"], ["disks", "lsblk"], ["drives", "lsblk"],
  ["disk", "df"], ["space", "df"], ["storage", "df"], ["mount", "df"], ["file system", "df"], ["filesystem", "df"],
  ["trace", "tracectl list"], ["decision", "tracectl list"], ["device", "lsdev"], ["hardware", "lsdev"],
  ["uptime", "none"], ["how long", "none"], ["boot", "none"], ["version", "version"],
  ["process", "procctl list"], ["task", "ps"], ["running", "ps"], ["sync", "sync"], ["flush", "sync"],
  ["network", "netctl status"], ["online", "netctl status"], ["ip", "netctl status"],
  ["help", "help"], ["command", "help"],
];

export function keywordInfer(question: string): InferResult {
  const r = new InferResult();
  r.question = question.trim();
  const q = r.question.toLowerCase();
  for (let i = 0; i < RULES.length; i++) {
    if (q.indexOf(RULES[i][0]) >= 0) {
      r.answer = "Keyword '" + RULES[i][0] + "'.";
      r.command = RULES[i][1] == "none" ? "" : RULES[i][1];
      r.hasMarker = true;
      r.confidence = 1;
      r.text = r.answer + " Suggested command: " + RULES[i][1];
      return r;
    }
  }
  r.answer = "No keyword matched.";
  r.hasMarker = true;
  r.text = r.answer + " Suggested command: none";
  return r;
}
