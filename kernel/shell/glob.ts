// Glob expansion of command words against the file system: `rm -rf /tmp/*`, `cat /etc/*.conf`,
// `ls /dev/vd?`, `[a-c]*`. Each path component with *, ? or [...] is matched (fs/messages.ts
// globMatch) against the names of its directory, in sorted order; names starting with '.'
// match only a pattern starting with '.'. A word that matches nothing stays as typed, so the
// command reports it ("no such file or directory"), as bash does without nullglob.
import * as vfs from "../fs/vfs";
import { globMatch } from "../fs/messages";
import { Stat, isDir } from "../fs/types";

/** Words a command line may grow to after expansion. */
export const MAX_EXPANDED: i32 = 4096;

/** Set when expandWords() gave up (too many matches). */
export let globError: string = "";

function hasMeta(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 42 || c == 63 || c == 91) return true;
  }
  return false;
}

function compareNames(a: string, b: string): i32 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Paths matching `pattern` (absolute or relative), sorted; empty when none. */
export function expandPattern(pattern: string): Array<string> {
  const absolute = pattern.startsWith("/");
  const parts = pattern.split("/");
  let current = new Array<string>(0);
  current.push(absolute ? "/" : "");
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    if (part.length == 0) continue;
    const last = p == parts.length - 1 || (p == parts.length - 2 && parts[parts.length - 1].length == 0);
    const next = new Array<string>(0);
    for (let c = 0; c < current.length; c++) {
      const base = current[c];
      const prefix = base.length == 0 ? "" : base.endsWith("/") ? base : base + "/";
      if (!hasMeta(part)) {
        next.push(prefix + part);
        continue;
      }
      const entries = vfs.listDirectory(base.length == 0 ? "." : base);
      if (entries == null) continue;
      const names = new Array<string>(0);
      for (let i = 0; i < entries.length; i++) {
        const n = entries[i].name;
        if (n == "." || n == "..") continue;
        if (n.startsWith(".") && !part.startsWith(".")) continue;
        if (globMatch(part, n)) names.push(n);
      }
      names.sort(compareNames);
      for (let i = 0; i < names.length; i++) {
        const path = prefix + names[i];
        if (!last) {
          const st = new Stat();
          if (vfs.stat(path, true, st) != 0 || !isDir(st.mode)) continue; // a/*/b: only directories lead on
        }
        next.push(path);
      }
      if (next.length > MAX_EXPANDED) return next;
    }
    current = next;
    if (current.length == 0) return current;
  }
  // literal parts after a pattern (/g/*/y): keep only paths that exist
  const existing = new Array<string>(0);
  const st = new Stat();
  for (let i = 0; i < current.length; i++) if (vfs.stat(current[i], false, st) == 0) existing.push(current[i]);
  current = existing;
  if (pattern.endsWith("/")) for (let i = 0; i < current.length; i++) if (!current[i].endsWith("/")) current[i] += "/";
  return current;
}

/** The words with patterns expanded (globs[i] marks a pattern); null (globError says why) when too many. */
export function expandWords(words: Array<string>, globs: Array<bool>): Array<string> | null {
  globError = "";
  const out = new Array<string>(0);
  for (let i = 0; i < words.length; i++) {
    const found = i < globs.length && globs[i] ? expandPattern(words[i]) : new Array<string>(0);
    if (found.length == 0) out.push(words[i]);
    else for (let k = 0; k < found.length; k++) out.push(found[k]);
    if (out.length > MAX_EXPANDED) {
      globError = words[i] + ": more than " + MAX_EXPANDED.toString() + " words after expansion";
      return null;
    }
  }
  return out;
}
