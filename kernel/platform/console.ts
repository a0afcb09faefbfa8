// Console output: UTF-16 kernel strings to UTF-8 bytes on the serial line.
//
// Output goes through one static buffer, flushed when full and at the end of each call,
// so printing never allocates. Every line ends in "\r\n" on the wire ("\n" in strings).
import { console_write } from "./imports";

const BUFFER_SIZE: i32 = 1024;
const buffer = new StaticArray<u8>(BUFFER_SIZE);
let used: i32 = 0;
/** Bytes written since boot (tests and statistics). */
export let consoleBytesWritten: u64 = 0;

// Capture (POST /api/shell): while on, output goes to a byte list instead of the line.
let capturing: bool = false;
let captured = new Array<u8>(0);
const CAPTURE_LIMIT: i32 = 1 << 20;

/** Starts keeping console output instead of sending it. */
export function beginCapture(): void {
  flush();
  capturing = true;
  captured = new Array<u8>(0);
}

/** Stops capturing; returns what was printed (UTF-8 bytes, "\r\n" line ends). */
export function endCapture(): Array<u8> {
  flush();
  capturing = false;
  const out = captured;
  captured = new Array<u8>(0);
  return out;
}

function flush(): void {
  if (used == 0) return;
  if (capturing) {
    for (let i = 0; i < used && captured.length < CAPTURE_LIMIT; i++) captured.push(unchecked(buffer[i]));
    used = 0;
    return;
  }
  console_write(changetype<usize>(buffer), <usize>used);
  consoleBytesWritten += <u64>used;
  used = 0;
}

// @ts-ignore: decorator
@inline function putByte(b: u32): void {
  if (used == BUFFER_SIZE) flush();
  unchecked(buffer[used++] = <u8>b);
}

/** Writes raw bytes (already UTF-8 or control sequences). */
export function writeBytes(ptr: usize, len: i32): void {
  for (let i = 0; i < len; i++) putByte(load<u8>(ptr + <usize>i));
  flush();
}

/** Writes a string; "\n" becomes "\r\n". */
export function print(s: string): void {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = <u32>s.charCodeAt(i);
    if (c < 0x80) {
      if (c == 10) putByte(13);
      putByte(c);
    } else if (c < 0x800) {
      putByte(0xc0 | (c >> 6));
      putByte(0x80 | (c & 63));
    } else {
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
        const low = <u32>s.charCodeAt(i + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      }
      if (c < 0x10000) {
        putByte(0xe0 | (c >> 12));
      } else {
        putByte(0xf0 | (c >> 18));
        putByte(0x80 | ((c >> 12) & 63));
      }
      putByte(0x80 | ((c >> 6) & 63));
      putByte(0x80 | (c & 63));
    }
  }
  flush();
}

export function println(s: string = ""): void {
  print(s);
  print("\n");
}

/** Prints "error: <message>" on one line: the form every command uses for failures. */
export function printError(message: string): void {
  println("error: " + message);
}
