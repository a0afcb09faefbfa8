// Shell output helpers shared by the commands.
import { println } from "../platform/console";
import { table } from "../lib/format";

/** Prints rows as a table (left-aligned columns two spaces apart), each line after `indent`. */
export function printTable(rows: Array<Array<string>>, indent: string = ""): void {
  const lines = table(rows).split("\n");
  for (let i = 0; i < lines.length; i++) if (lines[i].length > 0) println(indent + lines[i]);
}
