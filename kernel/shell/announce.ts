// Prints the messages subsystems queued (kernel/sched/announce.ts) from the top-level event
// loop: the current input line is erased, the messages printed, then the prompt and the
// half-typed line are drawn again so typing continues where it was.
import { print, println } from "../platform/console";
import { announcementsDue, takeAnnouncements } from "../sched/announce";
import { consoleShell, PROMPT } from "./shell";

/** Prints queued messages followed by a fresh prompt (from the top-level event loop only). */
export function flushAnnouncements(): void {
  if (!announcementsDue()) return;
  print("\r\x1b[K");
  const messages = takeAnnouncements();
  for (let i = 0; i < messages.length; i++) println(messages[i]);
  const line = consoleShell.editor.current;
  print(PROMPT + line);
  const after = line.length - consoleShell.editor.cursorPosition;
  if (after > 0) print("\x1b[" + after.toString() + "D");
}
