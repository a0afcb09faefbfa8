// Command families: one command name whose first word picks a subcommand that another
// subsystem registered (`stresstest mem`, `stresstest cpu`, `bench mem`, `bench sched`...).
// registerFamily() makes the command; registerSubcommand() may run before or after it.
import { registerCommand, Command, runningCommand } from "./registry";
import { println, printError } from "../platform/console";
import { padRight } from "../lib/format";
import { printable } from "./shell";

class Subcommand {
  constructor(public name: string, public summary: string, public usage: string,
    public handler: (args: Array<string>) => i32) {}
}

const families = new Map<string, Array<Subcommand>>();

function subcommandsOf(family: string): Array<Subcommand> {
  if (!families.has(family)) families.set(family, new Array<Subcommand>(0));
  return families.get(family);
}

export function registerSubcommand(family: string, name: string, summary: string, usage: string,
  handler: (args: Array<string>) => i32): void {
  subcommandsOf(family).push(new Subcommand(name, summary, usage, handler));
}

function familyUsage(family: string): string {
  const subs = subcommandsOf(family).slice(0);
  subs.sort((a: Subcommand, b: Subcommand): i32 => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let width = 0;
  for (let i = 0; i < subs.length; i++) width = max(width, subs[i].name.length);
  let text = family + " SUBCOMMAND [ARGS...]";
  for (let i = 0; i < subs.length; i++) text += "\n  " + padRight(subs[i].name, width) + "  " + subs[i].summary;
  text += "\n'" + family + " SUBCOMMAND --help' shows the options of one.";
  return text;
}

function runFamily(family: string, args: Array<string>): i32 {
  if (args.length == 0) {
    println(familyUsage(family));
    return 1;
  }
  const subs = subcommandsOf(family);
  for (let i = 0; i < subs.length; i++) {
    if (subs[i].name != args[0]) continue;
    const rest = args.slice(1);
    if (rest.length == 1 && (rest[0] == "--help" || rest[0] == "-h")) {
      println(subs[i].usage);
      return 0;
    }
    return subs[i].handler(rest);
  }
  printError("unknown " + family + " subcommand '" + printable(args[0], 40) + "' (try '" + family + " --help')");
  return 1;
}

export function registerFamily(family: string, summary: string): void {
  // The usage text is built when asked, so subcommands registered later are listed too.
  registerCommand(family, summary, FAMILY_USAGE, (args: Array<string>): i32 => runFamily(runningCommand, args));
}

const FAMILY_USAGE = "@family";

/** The usage text of any command (families list their current subcommands). */
export function usageText(c: Command): string {
  return c.usage == FAMILY_USAGE ? familyUsage(c.name) : c.usage;
}
