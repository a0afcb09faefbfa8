// Line editor for the serial console: bytes in, echo bytes and finished lines out.
//
// Keys: printable bytes insert at the cursor; Enter submits; Backspace/DEL delete left;
// Ctrl-C cancels the line; Ctrl-U deletes to the start; Ctrl-K to the end; Ctrl-W the
// word before the cursor; Ctrl-A/Home, Ctrl-E/End, Left/Right move; Up/Down walk the
// history; Ctrl-L clears the screen; Tab completes the word before the cursor through the
// `completer` (command names, then paths: one match is inserted, several are extended to
// their common prefix, or listed when there is nothing to add). ESC starts an escape
// sequence only when '[' or 'O' follows within 50 ms: a lone ESC (a timeout, or another
// byte) is dropped and the next byte is handled as typed. Other control bytes and unknown
// escape sequences are ignored. The line holds at most MAX_LINE bytes: more input is dropped and counted,
// and Enter then reports the overflow instead of running a truncated command.
//
// The editor never prints by itself: it appends to `output`, which the shell writes.
// The line is kept as bytes (UTF-8 passes through unchanged).
import { decodeUtf8 } from "../lib/utf8";

export const MAX_LINE: i32 = 4096;
export const HISTORY_SIZE: i32 = 64;

export enum EditorEvent {
  None = 0,
  Line = 1,
  Cancel = 2,
  TooLong = 3,
}

enum EscapeState {
  Normal,
  Escape, // got ESC
  Csi, // got ESC [ (collecting parameters)
  Ss3, // got ESC O
}

/** Completes a word: every full word that could replace `word` (directories end in "/"). */
export abstract class Completer {
  /** `first`: the word is the first on the line (a command name). */
  abstract candidates(word: string, first: bool): Array<string>;
}

/** How long ESC waits for '[' or 'O' before it counts as a lone ESC. */
const ESCAPE_TIMEOUT_US: u64 = 50_000;
const TAB: u8 = 9;

// @ts-ignore: decorator
@inline function isContinuation(b: u8): bool {
  return (b & 0xc0) == 0x80;
}

export class LineEditor {
  prompt: string;
  output: Array<u8> = new Array<u8>(0);
  /** Bytes dropped because the line was full; reset on each new line. */
  droppedBytes: i32 = 0;
  private buffer: Array<u8> = new Array<u8>(0);
  private cursor: i32 = 0;
  private submitted: string = "";
  private history: Array<Array<u8>> = new Array<Array<u8>>(0);
  private historyIndex: i32 = 0; // == history.length when editing the draft
  private draft: Array<u8> = new Array<u8>(0);
  private escape: EscapeState = EscapeState.Normal;
  private csiParam: i32 = 0;
  private lastWasCR: bool = false;
  private escapeAtUs: u64 = 0;
  /** Tab completion (null: Tab is ignored). */
  completer: Completer | null = null;

  constructor(prompt: string) {
    this.prompt = prompt;
  }

  /** The line submitted by the last Line event. */
  get line(): string {
    return this.submitted;
  }

  get historyLength(): i32 {
    return this.history.length;
  }

  historyEntry(i: i32): string {
    return decodeUtf8(this.history[i]);
  }

  /** Output produced so far, emptied. */
  takeOutput(): Array<u8> {
    const out = this.output;
    this.output = new Array<u8>(0);
    return out;
  }

  showPrompt(): void {
    this.emitString(this.prompt);
  }

  /** Handles one input byte; `nowUs` (the time it arrived, 0 = unknown) times out a lone ESC. */
  feed(b: u8, nowUs: u64 = 0): EditorEvent {
    const afterCR = this.lastWasCR;
    this.lastWasCR = b == 13;
    if (this.escape == EscapeState.Escape && nowUs != 0 && nowUs - this.escapeAtUs > ESCAPE_TIMEOUT_US) {
      this.escape = EscapeState.Normal; // a lone ESC: this byte was typed after it
    }
    if (this.escape != EscapeState.Normal) {
      if (this.feedEscape(b)) return EditorEvent.None;
      // not an escape sequence after all: b is an ordinary key
    }
    if (b == 13 || b == 10) {
      if (b == 10 && afterCR) return EditorEvent.None; // CR LF counts once
      return this.submit();
    }
    if (b == 27) {
      this.escape = EscapeState.Escape;
      this.escapeAtUs = nowUs;
      return EditorEvent.None;
    }
    if (b == TAB) {
      this.complete();
      return EditorEvent.None;
    }
    if (b == 3) return this.cancel();
    if (b == 8 || b == 127) this.backspace();
    else if (b == 21) this.deleteRange(0, this.cursor);
    else if (b == 11) this.deleteRange(this.cursor, this.buffer.length);
    else if (b == 23) this.deleteWord();
    else if (b == 1) this.moveTo(0);
    else if (b == 5) this.moveTo(this.buffer.length);
    else if (b == 12) {
      this.emitString("\x1b[H\x1b[2J");
      this.redraw();
    } else if (b >= 32) this.insert(b);
    // any other control byte is ignored
    return EditorEvent.None;
  }

  /** Returns false when `b` is not part of an escape sequence (a lone ESC before it). */
  private feedEscape(b: u8): bool {
    if (this.escape == EscapeState.Escape) {
      if (b == 91 /* [ */) {
        this.escape = EscapeState.Csi;
        this.csiParam = 0;
      } else if (b == 79 /* O */) {
        this.escape = EscapeState.Ss3;
      } else {
        this.escape = EscapeState.Normal;
        return false; // a lone ESC: b (another ESC too) is handled as typed
      }
      return true;
    }
    if (this.escape == EscapeState.Csi && b >= 48 && b <= 57) {
      this.csiParam = min(this.csiParam * 10 + (b - 48), 9999);
      return true;
    }
    if (this.escape == EscapeState.Csi && b == 59 /* ; */) return true;
    if (b < 0x40 || b > 0x7e) {
      // not a final byte: an intermediate, or garbage; garbage ends the sequence
      if (b < 0x20) this.escape = EscapeState.Normal;
      return true;
    }
    this.escape = EscapeState.Normal;
    if (b == 65) this.historyUp();
    else if (b == 66) this.historyDown();
    else if (b == 67) this.moveRight();
    else if (b == 68) this.moveLeft();
    else if (b == 72) this.moveTo(0);
    else if (b == 70) this.moveTo(this.buffer.length);
    else if (b == 126 /* ~ */) {
      const p = this.csiParam;
      if (p == 1 || p == 7) this.moveTo(0);
      else if (p == 4 || p == 8) this.moveTo(this.buffer.length);
      else if (p == 3) this.deleteAtCursor();
    }
    return true;
  }

  /** Tab: completes the word before the cursor. */
  private complete(): void {
    if (this.completer == null) return;
    let start = this.cursor;
    while (start > 0 && this.buffer[start - 1] != 32) start--;
    let first = true;
    for (let i = 0; i < start; i++) if (this.buffer[i] != 32) first = false;
    const word = decodeUtf8(this.buffer.slice(start, this.cursor));
    const found = this.completer!.candidates(word, first);
    if (found.length == 0) return;
    let common = found[0];
    for (let i = 1; i < found.length; i++) common = commonPrefix(common, found[i]);
    let add = common.length > word.length && common.startsWith(word) ? common.substring(word.length) : "";
    // one match, or the word is already a whole name ("ls" among ls, lsblk, lsdev): a space ends it
    if ((found.length == 1 || found.includes(word)) && !common.endsWith("/") && !word.endsWith("/")) add += " ";
    if (add.length > 0) {
      const bytes = String.UTF8.encode(add);
      const view = Uint8Array.wrap(bytes);
      for (let i = 0; i < view.length; i++) this.insert(view[i]);
      return;
    }
    // several matches and nothing to add: list them under the line, then redraw it
    this.emitString("\r\n");
    const shown = min(found.length, 100);
    for (let i = 0; i < shown; i++) this.emitUtf8(lastPart(found[i]) + (i + 1 < shown ? "  " : ""));
    if (found.length > shown) this.emitString("  ... (" + found.length.toString() + " in all)");
    this.emitString("\r\n");
    this.redraw();
  }

  private emitUtf8(s: string): void {
    const view = Uint8Array.wrap(String.UTF8.encode(s));
    for (let i = 0; i < view.length; i++) this.output.push(view[i]);
  }

  private submit(): EditorEvent {
    this.emitString("\r\n");
    const overflow = this.droppedBytes > 0;
    this.submitted = decodeUtf8(this.buffer);
    if (!overflow && this.buffer.length > 0) {
      const last = this.history.length - 1;
      if (last < 0 || !sameBytes(this.history[last], this.buffer)) {
        if (this.history.length == HISTORY_SIZE) this.history.shift();
        this.history.push(this.buffer.slice(0));
      }
    }
    this.resetLine();
    return overflow ? EditorEvent.TooLong : EditorEvent.Line;
  }

  private cancel(): EditorEvent {
    this.emitString("^C\r\n");
    this.submitted = "";
    this.resetLine();
    return EditorEvent.Cancel;
  }

  /** Bytes dropped on the line just submitted (read before the next feed). */
  lastDropped: i32 = 0;

  private resetLine(): void {
    this.lastDropped = this.droppedBytes;
    this.buffer = new Array<u8>(0);
    this.cursor = 0;
    this.droppedBytes = 0;
    this.historyIndex = this.history.length;
    this.draft = new Array<u8>(0);
  }

  private insert(b: u8): void {
    if (this.buffer.length >= MAX_LINE) {
      this.droppedBytes++;
      return;
    }
    if (this.cursor == this.buffer.length) {
      this.buffer.push(b);
      this.cursor++;
      this.output.push(b);
      return;
    }
    this.buffer = spliceInsert(this.buffer, this.cursor, b);
    this.cursor++;
    this.redraw();
  }

  private backspace(): void {
    if (this.cursor == 0) return;
    let start = this.cursor - 1;
    while (start > 0 && isContinuation(this.buffer[start])) start--;
    this.deleteRange(start, this.cursor);
  }

  private deleteAtCursor(): void {
    if (this.cursor >= this.buffer.length) return;
    let end = this.cursor + 1;
    while (end < this.buffer.length && isContinuation(this.buffer[end])) end++;
    this.deleteRange(this.cursor, end);
  }

  private deleteWord(): void {
    let start = this.cursor;
    while (start > 0 && this.buffer[start - 1] == 32) start--;
    while (start > 0 && this.buffer[start - 1] != 32) start--;
    this.deleteRange(start, this.cursor);
  }

  private deleteRange(start: i32, end: i32): void {
    if (end <= start) return;
    const kept = this.buffer.slice(0, start).concat(this.buffer.slice(end));
    this.buffer = kept;
    this.cursor = start;
    this.redraw();
  }

  private moveLeft(): void {
    if (this.cursor == 0) return;
    let c = this.cursor - 1;
    while (c > 0 && isContinuation(this.buffer[c])) c--;
    this.cursor = c;
    this.emitString("\x1b[D");
  }

  private moveRight(): void {
    if (this.cursor >= this.buffer.length) return;
    let c = this.cursor + 1;
    while (c < this.buffer.length && isContinuation(this.buffer[c])) c++;
    this.cursor = c;
    this.emitString("\x1b[C");
  }

  private moveTo(position: i32): void {
    if (position == this.cursor) return;
    this.cursor = position;
    this.redraw();
  }

  private historyUp(): void {
    if (this.historyIndex == 0) return;
    if (this.historyIndex == this.history.length) this.draft = this.buffer.slice(0);
    this.historyIndex--;
    this.replaceLine(this.history[this.historyIndex]);
  }

  private historyDown(): void {
    if (this.historyIndex >= this.history.length) return;
    this.historyIndex++;
    this.replaceLine(this.historyIndex == this.history.length ? this.draft : this.history[this.historyIndex]);
  }

  private replaceLine(bytes: Array<u8>): void {
    this.buffer = bytes.slice(0);
    this.cursor = this.buffer.length;
    this.redraw();
  }

  /** Reprints prompt and line, then puts the terminal cursor where ours is. */
  private redraw(): void {
    this.emitString("\r");
    this.emitString(this.prompt);
    for (let i = 0; i < this.buffer.length; i++) this.output.push(this.buffer[i]);
    this.emitString("\x1b[K");
    let charsAfter = 0;
    for (let i = this.cursor; i < this.buffer.length; i++) if (!isContinuation(this.buffer[i])) charsAfter++;
    if (charsAfter > 0) this.emitString("\x1b[" + charsAfter.toString() + "D");
  }

  private emitString(s: string): void {
    for (let i = 0; i < s.length; i++) this.output.push(<u8>s.charCodeAt(i));
  }

  /** Current contents (tests). */
  get current(): string {
    return decodeUtf8(this.buffer);
  }

  get cursorPosition(): i32 {
    return this.cursor;
  }
}

function sameBytes(a: Array<u8>, b: Array<u8>): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}

function spliceInsert(bytes: Array<u8>, at: i32, b: u8): Array<u8> {
  const out = bytes.slice(0, at);
  out.push(b);
  return out.concat(bytes.slice(at));
}

function commonPrefix(a: string, b: string): string {
  const n = min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) == b.charCodeAt(i)) i++;
  return a.substring(0, i);
}

/** "dir/name" -> "name", "dir/sub/" -> "sub/" (what a listing of matches shows). */
function lastPart(s: string): string {
  const end = s.endsWith("/") ? s.length - 1 : s.length;
  const slash = s.lastIndexOf("/", end - 1);
  return slash >= 0 ? s.substring(slash + 1) : s;
}
