// Command-line tokenizer.
//
//   words split on spaces and tabs     ls -l /etc        -> [ls, -l, /etc]
//   "double quotes" group, \" and \\   echo "a \"b\""    -> [echo, a "b"]
//   'single quotes' are literal        echo 'a\b'        -> [echo, a\b]
//   backslash outside quotes escapes   echo a\ b         -> [echo, a b]
//
// A word with an unquoted *, ? or [ (and none quoted) is marked in `globs` for the shell to
// expand against the file system (glob.ts); quoting or a backslash keeps it literal.
//
// Errors (unterminated quote, trailing backslash, too many words) come back as a message,
// never as a trap.

export const MAX_ARGS: i32 = 256;

export class ParsedLine {
  args: Array<string> = new Array<string>(0);
  /** globs[i]: args[i] holds unquoted glob characters only (a pattern to expand). */
  globs: Array<bool> = new Array<bool>(0);
  error: string = "";
  get ok(): bool {
    return this.error.length == 0;
  }
}

export function parseCommandLine(line: string): ParsedLine {
  const result = new ParsedLine();
  let word = "";
  let inWord = false;
  let globbed = false; // an unquoted * ? [ in this word
  let quotedMeta = false; // a quoted or escaped one
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c == 32 || c == 9) {
      if (inWord) {
        if (!pushWord(result, word, globbed && !quotedMeta)) return result;
        word = "";
        inWord = false;
        globbed = false;
        quotedMeta = false;
      }
      i++;
    } else if (c == 39 /* ' */) {
      const end = line.indexOf("'", i + 1);
      if (end < 0) {
        result.error = "unterminated single quote";
        return result;
      }
      const quoted = line.substring(i + 1, end);
      if (hasGlobChar(quoted)) quotedMeta = true;
      word += quoted;
      inWord = true;
      i = end + 1;
    } else if (c == 34 /* " */) {
      i++;
      let closed = false;
      while (i < n) {
        const d = line.charCodeAt(i);
        if (d == 34) {
          closed = true;
          i++;
          break;
        }
        if (d == 92 /* \ */ && i + 1 < n) {
          const e = line.charCodeAt(i + 1);
          if (e == 34 || e == 92) {
            word += String.fromCharCode(e);
            i += 2;
            continue;
          }
        }
        if (isGlobChar(d)) quotedMeta = true;
        word += String.fromCharCode(d);
        i++;
      }
      if (!closed) {
        result.error = "unterminated double quote";
        return result;
      }
      inWord = true;
    } else if (c == 92 /* \ */) {
      if (i + 1 >= n) {
        result.error = "trailing backslash";
        return result;
      }
      if (isGlobChar(line.charCodeAt(i + 1))) quotedMeta = true;
      word += line.charAt(i + 1);
      inWord = true;
      i += 2;
    } else {
      if (isGlobChar(c)) globbed = true;
      word += String.fromCharCode(c);
      inWord = true;
      i++;
    }
  }
  if (inWord) pushWord(result, word, globbed && !quotedMeta);
  return result;
}

@inline function isGlobChar(c: i32): bool {
  return c == 42 /* * */ || c == 63 /* ? */ || c == 91 /* [ */;
}

function hasGlobChar(s: string): bool {
  for (let i = 0; i < s.length; i++) if (isGlobChar(s.charCodeAt(i))) return true;
  return false;
}

function pushWord(result: ParsedLine, word: string, glob: bool): bool {
  if (result.args.length >= MAX_ARGS) {
    result.error = "too many arguments (max " + MAX_ARGS.toString() + ")";
    return false;
  }
  result.args.push(word);
  result.globs.push(glob);
  return true;
}
