// Messages that tasks produce while the shell waits for input (a workload's summary, an OOM
// warning). Subsystems queue them here; the shell prints them from the top-level event loop
// between commands (kernel/shell/announce.ts), never in the middle of a command's output.
// A command that runs a nested event loop (sched/wait.ts) holds them back until it returns.

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

/** True when messages are queued and no nested loop holds them back. */
export function announcementsDue(): bool {
  return pending.length > 0 && nestedDepth == 0;
}

/** The queued messages, oldest first; empties the queue. */
export function takeAnnouncements(): Array<string> {
  const out = pending.slice(0);
  pending.length = 0;
  return out;
}

/** Messages waiting to be printed (tests). */
export function pendingAnnouncements(): i32 {
  return pending.length;
}
