// Messages that tasks produce while the shell waits for input (a workload's summary).
//
// They are queued and printed from the event loop between commands, never in the middle
// of a command's output: the current input line is erased, the message printed, then the
// prompt and the half-typed line are drawn again so typing continues where it was.
import { print, println } from "../platform/console";
import { consoleShell, PROMPT } from "../shell/shell";

const pending = new Array<string>(0);
/** >0 while a shell command runs a nested event loop (its output owns the console). */
let nestedDepth: i32 = 0;

export function queueAnnouncement(text: string): void {
  pending.push(text);
}

export function enterNestedLoop(): void {
  nestedDepth++;
}

export function leaveNestedLoop(): void {
  nestedDepth--;
}

export function insideCommand(): bool {
  return nestedDepth > 0;
}

/** Prints queued messages followed by a fresh prompt (from the top-level event loop only). */
export function flushAnnouncements(): void {
  if (pending.length == 0 || nestedDepth > 0) return;
  print("\r\x1b[K");
  for (let i = 0; i < pending.length; i++) println(pending[i]);
  pending.length = 0;
  const line = consoleShell.editor.current;
  print(PROMPT + line);
  const after = line.length - consoleShell.editor.cursorPosition;
  if (after > 0) print("\x1b[" + after.toString() + "D");
}

/** Messages waiting to be printed (tests). */
export function pendingAnnouncements(): i32 {
  return pending.length;
}
