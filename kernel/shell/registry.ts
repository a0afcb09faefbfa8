// The command registry: the seam between the shell and every subsystem.
//
// A command family is one file in kernel/shell/commands/ that calls registerCommand() at
// top level; the build passes every file in that folder to the compiler as an entry, so
// nothing else has to list it. A handler gets the words after the command name and returns
// 0 on success or 1 on failure, having printed its own one-line error.

export type CommandHandler = (args: Array<string>) => i32;

export class Command {
  constructor(
    public name: string,
    public summary: string,
    public usage: string,
    public handler: CommandHandler,
  ) {}
}

/** Name of the command being run (set by the shell; families dispatch on it). */
export let runningCommand: string = "";

export function setRunningCommand(name: string): void {
  runningCommand = name;
}

const commands = new Map<string, Command>();
const names = new Array<string>(0);

/**
 * usage: a few lines, the first of them the synopsis ("ls [-l] [-a] [PATH]"), the rest
 * describing options. Shown by `help NAME` and `NAME --help`.
 */
export function registerCommand(name: string, summary: string, usage: string, handler: CommandHandler): void {
  if (commands.has(name)) abort("duplicate shell command: " + name);
  commands.set(name, new Command(name, summary, usage, handler));
  names.push(name);
}

export function findCommand(name: string): Command | null {
  return commands.has(name) ? commands.get(name) : null;
}

/** Command names in alphabetical order. */
export function commandNames(): Array<string> {
  const sorted = names.slice(0);
  sorted.sort();
  return sorted;
}
