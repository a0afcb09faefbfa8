// Tab completion for the console shell: command names for the first word, paths after it
// (and for a first word holding a '/'). Directories complete with a trailing "/".
import { Completer } from "./line_editor";
import { commandNames } from "./registry";
import * as vfs from "../fs/vfs";
import { DT_DIR, DT_LNK, DT_UNKNOWN, Stat, isDir } from "../fs/types";

/** At most this many names are read from one directory for a completion. */
const MAX_CANDIDATES: i32 = 1000;

export class ShellCompleter extends Completer {
  candidates(word: string, first: bool): Array<string> {
    const out = new Array<string>(0);
    if (first && word.indexOf("/") < 0) {
      const names = commandNames();
      for (let i = 0; i < names.length; i++) if (names[i].startsWith(word)) out.push(names[i]);
      return out;
    }
    const slash = word.lastIndexOf("/");
    const dirPart = slash >= 0 ? word.substring(0, slash + 1) : "";
    const base = slash >= 0 ? word.substring(slash + 1) : word;
    const entries = vfs.listDirectory(dirPart.length > 0 ? dirPart : ".");
    if (entries == null) return out;
    for (let i = 0; i < entries.length && out.length < MAX_CANDIDATES; i++) {
      const e = entries[i];
      if (e.name == "." || e.name == "..") continue;
      if (!e.name.startsWith(base)) continue;
      if (base.length == 0 && e.name.startsWith(".")) continue; // hidden names need a '.' typed
      let dir = e.type == DT_DIR;
      if (e.type == DT_UNKNOWN || e.type == DT_LNK) {
        const st = new Stat();
        dir = vfs.stat(dirPart + e.name, true, st) == 0 && isDir(st.mode);
      }
      out.push(dirPart + e.name + (dir ? "/" : ""));
    }
    out.sort((a: string, b: string): i32 => (a < b ? -1 : a > b ? 1 : 0));
    return out;
  }
}
