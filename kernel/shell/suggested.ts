// Suggested commands of the domain model (llmctl infer, llmctl eval): the check that a
// suggestion parses and exists, the auto-execute allowlist, and loading the domain model
// from /models on first use.
import { hasSubcommand, isFamily } from "./families";
import { findCommand } from "./registry";
import { parseCommandLine } from "./parser";
import { VfsFileReader } from "../fs/file_reader";
import { loadModel, loadedModel } from "../llm/engine";
import { modelError } from "../llm/infer/answer";

export const DEFAULT_MODEL = "/models/sis-qa.bin";
export const DEFAULT_TOKENIZER = "/models/sis-qa.tok";

/**
 * Commands auto-execute may run: read-only reports, plus memctl compact and sync (they change
 * no data and are what the model suggests for fragmentation and unsaved writes). Exact lines
 * only: no arguments beyond these. Never rm, write, truncate, mv, poweroff, reboot, panic,
 * policy changes, exec.
 */
export const ALLOWLIST: string[] = [
  "memctl stats", "memctl compact", "memctl check", "meminfo", "ps", "df", "mount", "lsblk", "lsdev", "uptime",
  "version", "uname", "help", "date", "crashctl status", "crashctl history", "schedctl status", "schedctl stats",
  "fsctl journal", "tracectl list", "tracectl stats", "netctl status", "netctl stats", "procctl list", "sync",
];

let auto = false;
export function autoExecute(): bool { return auto; }
export function setAutoExecute(on: bool): void { auto = on; }

/** "" when `line` parses to an existing command (and subcommand), else why not. */
export function commandProblem(line: string): string {
  const p = parseCommandLine(line);
  if (!p.ok) return "does not parse (" + p.error + ")";
  if (p.args.length == 0) return "is empty";
  if (findCommand(p.args[0]) == null) return "does not exist (no command '" + p.args[0] + "')";
  if (isFamily(p.args[0]) && p.args.length > 1 && !p.args[1].startsWith("-") && !hasSubcommand(p.args[0], p.args[1])) {
    return "does not exist (" + p.args[0] + " has no subcommand '" + p.args[1] + "')";
  }
  return "";
}

export function allowlisted(line: string): bool {
  const p = parseCommandLine(line);
  if (!p.ok) return false;
  return ALLOWLIST.includes(p.args.join(" "));
}

/** The domain model, loaded from /models on first use when nothing is loaded; "" or an error. */
export function ensureDomainModel(): string {
  if (loadedModel() != null) return modelError(loadedModel());
  const r = VfsFileReader.open(DEFAULT_MODEL);
  if (r == null) return "no model loaded and " + DEFAULT_MODEL + " is missing (llmctl load CHECKPOINT --tokenizer FILE)";
  const tr = VfsFileReader.open(DEFAULT_TOKENIZER);
  if (tr == null) { r.close(); return "no model loaded and " + DEFAULT_TOKENIZER + " is missing"; }
  const e = loadModel(r, DEFAULT_MODEL, tr, DEFAULT_TOKENIZER);
  r.close();
  tr.close();
  if (e.length > 0) return e;
  return modelError(loadedModel());
}

