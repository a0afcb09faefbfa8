// Test entry for the shell: parser, line editor, registry and the commands, driven from mocha.
import { parseCommandLine } from "../../../kernel/shell/parser";
import { LineEditor, EditorEvent } from "../../../kernel/shell/line_editor";
import { consoleShell } from "../../../kernel/shell/shell";
import * as format from "../../../kernel/lib/format";
import { decodeUtf8 } from "../../../kernel/lib/utf8";
import { SIS_VERSION } from "../../../kernel/version";
import "../../../kernel/shell/commands/help";
import "../../../kernel/shell/commands/system";
import "../../../kernel/shell/commands/meminfo";

/** Words joined by U+0001, or "ERROR:" + message. */
export function parse(line: string): string {
  const p = parseCommandLine(line);
  return p.ok ? p.args.join("\u0001") : "ERROR:" + p.error;
}

const editor = new LineEditor("> ");
let lastEvent: i32 = 0;

export function editorReset(): void {
  // a fresh editor per test keeps history isolated
  editorInstance = new LineEditor("> ");
}
let editorInstance = editor;

/** Feeds bytes (given as a Latin-1 string, one char per byte); returns the last event. */
export function editorFeed(bytes: string): i32 {
  let event: i32 = 0;
  for (let i = 0; i < bytes.length; i++) {
    const e = editorInstance.feed(<u8>bytes.charCodeAt(i));
    if (e != EditorEvent.None) event = e;
  }
  lastEvent = event;
  return event;
}
/** Feeds bytes that all arrive at time `us` (microseconds; the editor times out a lone ESC). */
export function editorFeedAt(bytes: string, us: u64): i32 {
  let event: i32 = 0;
  for (let i = 0; i < bytes.length; i++) {
    const e = editorInstance.feed(<u8>bytes.charCodeAt(i), us);
    if (e != EditorEvent.None) event = e;
  }
  return event;
}
export function shellCurrent(): string { return consoleShell.editor.current; }
export function editorLine(): string { return editorInstance.line; }
export function editorCurrent(): string { return editorInstance.current; }
export function editorCursor(): i32 { return editorInstance.cursorPosition; }
export function editorDropped(): i32 { return editorInstance.lastDropped; }
export function editorHistoryLength(): i32 { return editorInstance.historyLength; }
export function editorOutput(): string {
  const out = editorInstance.takeOutput();
  let s = "";
  for (let i = 0; i < out.length; i++) s += String.fromCharCode(out[i]);
  return s;
}

/** Feeds bytes to the console shell (as the UART would). */
export function shellType(bytes: string): void {
  for (let i = 0; i < bytes.length; i++) consoleShell.feed(<u8>bytes.charCodeAt(i));
}
export function shellRun(line: string): i32 { return consoleShell.execute(line); }
export function shellStart(): void { consoleShell.start(); }

export function fmtHex(v: u64, w: i32): string { return format.hex(v, w); }
export function fmtFixed(v: f64, d: i32): string { return format.fixed(v, d); }
export function fmtBytes(v: u64): string { return format.bytes(v); }
export function fmtClock(s: u64): string { return format.clock(s); }
export function fmtDuration(us: u64): string { return format.duration(us); }
export function utf8(bytes: string): string {
  const a = new Array<u8>(bytes.length);
  for (let i = 0; i < bytes.length; i++) a[i] = <u8>bytes.charCodeAt(i);
  return decodeUtf8(a);
}
export function version(): string { return SIS_VERSION; }
