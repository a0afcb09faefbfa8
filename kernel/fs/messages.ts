// What the file-system commands print: error lines, dates, sizes, name patterns.
//
//   error: cat: /etc/nope: no such file or directory
//   error: cat: /big: bad message (checksum mismatch) (inode 12: extent block 3310 checksum mismatch)
import { printError } from "../platform/console";
import { errorMessage } from "../lib/errors";
import { takeErrorDetail } from "./types";
import { padLeft } from "../lib/format";

/** Prints "error: CMD: PATH: message (detail)" and returns 1 (the command's status). */
export function fsError(command: string, path: string, code: i32): i32 {
  const detail = takeErrorDetail();
  let line = command + ": " + (path.length > 0 ? safe(path) + ": " : "") + errorMessage(code);
  if (detail.length > 0) line += " (" + detail + ")";
  printError(line);
  return 1;
}

/** A name or path safe to print: control characters as '?', at most 4096 characters. */
export function safe(s: string): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c == 127) {
      clean = false;
      break;
    }
  }
  if (clean && s.length <= 4096) return s;
  let out = "";
  const n = min(s.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    out += c < 32 || c == 127 ? "?" : String.fromCharCode(c);
  }
  return s.length > 4096 ? out + "..." : out;
}

/** Seconds since 1970 (UTC) as "2026-01-01 12:34:56". */
export function formatTime(seconds: i64): string {
  let days = seconds / 86400;
  let rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  // civil-from-days (Howard Hinnant's algorithm)
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  let y = yoe + era * 400;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y += 1;
  const h = rem / 3600;
  const mi = (rem / 60) % 60;
  const s = rem % 60;
  return y.toString() + "-" + two(m) + "-" + two(d) + " " + two(h) + ":" + two(mi) + ":" + two(s);
}

function two(v: i64): string {
  return padLeft(v.toString(), 2, "0");
}

/** Shell-style pattern match: * any run, ? one character, [abc] / [a-z] / [!x] a set. */
export function globMatch(pattern: string, name: string): bool {
  return matchFrom(pattern, 0, name, 0, 0);
}

function matchFrom(p: string, pi: i32, s: string, si: i32, depth: i32): bool {
  if (depth > 64) return false;
  while (pi < p.length) {
    const c = p.charCodeAt(pi);
    if (c == 42 /* * */) {
      while (pi < p.length && p.charCodeAt(pi) == 42) pi++;
      if (pi == p.length) return true;
      for (let k = si; k <= s.length; k++) if (matchFrom(p, pi, s, k, depth + 1)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c == 63 /* ? */) {
      pi++;
      si++;
      continue;
    }
    if (c == 91 /* [ */) {
      const close = p.indexOf("]", pi + 2);
      if (close > pi) {
        let negate = false;
        let i = pi + 1;
        if (p.charCodeAt(i) == 33 || p.charCodeAt(i) == 94) {
          negate = true;
          i++;
        }
        const ch = s.charCodeAt(si);
        let found = false;
        while (i < close) {
          const lo = p.charCodeAt(i);
          if (i + 2 < close && p.charCodeAt(i + 1) == 45) {
            if (ch >= lo && ch <= p.charCodeAt(i + 2)) found = true;
            i += 3;
          } else {
            if (ch == lo) found = true;
            i++;
          }
        }
        if (found == negate) return false;
        pi = close + 1;
        si++;
        continue;
      }
    }
    if (c != s.charCodeAt(si)) return false;
    pi++;
    si++;
  }
  return si == s.length;
}
