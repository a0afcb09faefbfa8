// help: the list of commands, or one command's usage.
import { registerCommand, commandNames, findCommand } from "../registry";
import { println, printError } from "../../platform/console";
import { padRight } from "../../lib/format";
import { printable } from "../shell";
import { usageText } from "../families";

registerCommand("help", "list commands, or show how to use one", "help [COMMAND]\n  Without an argument, lists every command with a one-line summary.\n  With one, shows that command's usage (same as COMMAND --help).",
  (args: Array<string>): i32 => {
    if (args.length > 1) {
      printError("help takes at most one command name");
      return 1;
    }
    if (args.length == 1) {
      const c = findCommand(args[0]);
      if (c == null) {
        printError("no such command '" + printable(args[0], 40) + "'");
        return 1;
      }
      println(usageText(c));
      return 0;
    }
    const names = commandNames();
    let width = 0;
    for (let i = 0; i < names.length; i++) width = max(width, names[i].length);
    for (let i = 0; i < names.length; i++) {
      println("  " + padRight(names[i], width) + "  " + findCommand(names[i])!.summary);
    }
    println("Type 'help COMMAND' or 'COMMAND --help' for details.");
    return 0;
  });
