// Command families: one command name whose first word picks a subcommand (`memctl stats`,
// `stresstest mem`, `bench sched`...). registerFamily() makes the command; any file may add
// subcommands with registerSubcommand(), before or after it (the subsystems' own shell files
// add theirs to `bench` and `stresstest`).
//
// Every family behaves the same way:
//   FAMILY                  runs the default subcommand, or prints one error line listing the subcommands
//   FAMILY SUB ARGS...      runs SUB
//   FAMILY --help           the family's usage (given, or built from the subcommands' summaries)
//   FAMILY SUB --help       SUB's usage
//   FAMILY BOGUS            one error line: unknown subcommand
import { registerCommand, Command, runningCommand } from "./registry";
import { println, printError } from "../platform/console";
import { padRight } from "../lib/format";
import { printable } from "./shell";

class Subcommand {
  /** Non-empty: this entry runs only when its arguments contain this option (two files share a name). */
  option: string = "";
  constructor(public name: string, public summary: string, public usage: string,
    public handler: (args: Array<string>) => i32) {}
}

class Family {
  subs: Array<Subcommand> = new Array<Subcommand>(0);
  /** Shown by FAMILY --help; "" = built from the subcommands. */
  usage: string = "";
  /** Run when the family is called without a subcommand; "" = an error. */
  defaultSub: string = "";
}

const families = new Map<string, Family>();

function familyOf(name: string): Family {
  if (!families.has(name)) families.set(name, new Family());
  return families.get(name);
}

export function registerSubcommand(family: string, name: string, summary: string, usage: string,
  handler: (args: Array<string>) => i32): void {
  familyOf(family).subs.push(new Subcommand(name, summary, usage, handler));
}

/**
 * A subcommand that takes over FAMILY NAME when its arguments contain `option` (`llmctl eval
 * --adapter NAME` is LoRA's evaluation, plain `llmctl eval` the domain model's). --help of
 * NAME prints every entry's usage.
 */
export function registerSubcommandWhen(family: string, name: string, option: string, summary: string, usage: string,
  handler: (args: Array<string>) => i32): void {
  const s = new Subcommand(name, summary, usage, handler);
  s.option = option;
  familyOf(family).subs.push(s);
}

function sortedSubs(family: string): Array<Subcommand> {
  const subs = familyOf(family).subs.slice(0);
  subs.sort((a: Subcommand, b: Subcommand): i32 => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return subs;
}

function familyUsage(family: string): string {
  const f = familyOf(family);
  if (f.usage.length > 0) return f.usage;
  const subs = sortedSubs(family);
  let width = 0;
  for (let i = 0; i < subs.length; i++) width = max(width, subs[i].name.length);
  let text = family + " SUBCOMMAND [ARGS...]";
  for (let i = 0; i < subs.length; i++) text += "\n  " + padRight(subs[i].name, width) + "  " + subs[i].summary;
  text += "\n'" + family + " SUBCOMMAND --help' shows the options of one.";
  return text;
}

/** "a, b or c": the subcommand names in alphabetical order. */
function subcommandList(family: string): string {
  const subs = sortedSubs(family);
  let s = "";
  for (let i = 0; i < subs.length; i++) {
    if (i > 0) s += i == subs.length - 1 ? " or " : ", ";
    s += subs[i].name;
  }
  return s;
}

function runFamily(family: string, args: Array<string>): i32 {
  const f = familyOf(family);
  let name = "";
  let rest: Array<string>;
  if (args.length == 0) {
    if (f.defaultSub.length == 0) {
      printError(family + " needs a subcommand: " + subcommandList(family) + " (try '" + family + " --help')");
      return 1;
    }
    name = f.defaultSub;
    rest = new Array<string>(0);
  } else {
    name = args[0];
    rest = args.slice(1);
  }
  const subs = f.subs;
  if (rest.length == 1 && (rest[0] == "--help" || rest[0] == "-h")) {
    let found = false;
    for (let i = 0; i < subs.length; i++) if (subs[i].name == name) { println(subs[i].usage); found = true; }
    if (found) return 0;
  }
  // an entry bound to an option it finds in the arguments wins, then the plain entry, then any
  for (let i = 0; i < subs.length; i++) {
    if (subs[i].name == name && subs[i].option.length > 0 && rest.includes(subs[i].option)) return subs[i].handler(rest);
  }
  for (let i = 0; i < subs.length; i++) if (subs[i].name == name && subs[i].option.length == 0) return subs[i].handler(rest);
  for (let i = 0; i < subs.length; i++) if (subs[i].name == name) return subs[i].handler(rest);
  printError("unknown " + family + " subcommand '" + printable(name, 40) + "' (try '" + family + " --help')");
  return 1;
}

/**
 * Makes the command `family`. usage: its --help text ("" = built from the subcommands'
 * summaries, so subcommands registered later are listed too); defaultSub: the subcommand
 * the bare command runs ("" = the bare command is an error listing the subcommands).
 */
export function registerFamily(family: string, summary: string, usage: string = "", defaultSub: string = ""): void {
  const f = familyOf(family);
  f.usage = usage;
  f.defaultSub = defaultSub;
  registerCommand(family, summary, FAMILY_USAGE, (args: Array<string>): i32 => runFamily(runningCommand, args));
}

const FAMILY_USAGE = "@family";

/** The usage text of any command (families list their current subcommands). */
export function usageText(c: Command): string {
  return c.usage == FAMILY_USAGE ? familyUsage(c.name) : c.usage;
}

/** True when `family` is a family with subcommand `name` (suggested commands are checked with it). */
export function hasSubcommand(family: string, name: string): bool {
  if (!families.has(family)) return false;
  const subs = families.get(family).subs;
  for (let i = 0; i < subs.length; i++) if (subs[i].name == name) return true;
  return false;
}

/** True when `name` is a command family (it takes a subcommand). */
export function isFamily(name: string): bool {
  return families.has(name) && families.get(name).subs.length > 0;
}
