// The interactive shell on the serial console: prompt `sis> `.
//
// Bytes from the UART go through the line editor; a finished line is tokenized and run
// through the command registry. Every failure is one line starting with "error:".
import { println, printError, writeBytes } from "../platform/console";
import { LineEditor, EditorEvent, MAX_LINE } from "./line_editor";
import { parseCommandLine } from "./parser";
import { findCommand, setRunningCommand } from "./registry";
import { usageText } from "./families";
import { beginCommand } from "../sched/checkpoint";
import { ShellCompleter } from "./completion";
import { expandWords, globError } from "./glob";
import { nowUs } from "../platform/time";

export const PROMPT = "sis> ";

export class Shell {
  editor: LineEditor = new LineEditor(PROMPT);
  commandsRun: u64 = 0;
  lastStatus: i32 = 0;

  constructor() {
    this.editor.completer = new ShellCompleter();
  }

  start(): void {
    this.editor.showPrompt();
    this.flushEcho();
  }

  /** Feeds one input byte; runs the command when a line is complete. */
  feed(b: u8): void {
    const event = this.editor.feed(b, nowUs()); // the time ends a lone ESC
    this.flushEcho();
    if (event == EditorEvent.None) return;
    if (event == EditorEvent.Line) {
      this.lastStatus = this.execute(this.editor.line);
    } else if (event == EditorEvent.TooLong) {
      printError("line too long: " + this.editor.lastDropped.toString() + " bytes over the " +
        MAX_LINE.toString() + "-byte limit; nothing was run");
      this.lastStatus = 1;
    }
    this.editor.showPrompt();
    this.flushEcho();
  }

  /** Runs one command line; returns its status (0 = success). */
  execute(line: string): i32 {
    const parsed = parseCommandLine(line);
    if (!parsed.ok) {
      printError(parsed.error);
      return 1;
    }
    if (parsed.args.length == 0) return 0;
    const name = parsed.args[0];
    const command = findCommand(name);
    if (command == null) {
      printError("unknown command '" + printable(name, 40) + "' (type 'help' for the list of commands)");
      return 127;
    }
    let args = parsed.args.slice(1);
    if (parsed.globs.includes(true)) {
      const expanded = expandWords(args, parsed.globs.slice(1)); // rm -rf /tmp/*
      if (expanded == null) {
        printError(printable(globError, 200));
        return 1;
      }
      args = expanded!;
    }
    this.commandsRun++;
    if (args.length == 1 && (args[0] == "--help" || args[0] == "-h")) {
      println(usageText(command));
      return 0;
    }
    setRunningCommand(command.name);
    beginCommand(); // Ctrl-C from now on stops this command (checkpoint() in its loops)
    return command.handler(args);
  }

  private flushEcho(): void {
    const out = this.editor.takeOutput();
    if (out.length > 0) writeBytes(out.dataStart, out.length);
  }
}

/** A name safe to show: control characters as '?', cut at `limit` characters. */
export function printable(s: string, limit: i32): string {
  let out = "";
  const n = min(s.length, limit);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    out += c < 32 || c == 127 ? "?" : String.fromCharCode(c);
  }
  return s.length > limit ? out + "..." : out;
}

/** The one shell of the console. */
export const consoleShell = new Shell();
