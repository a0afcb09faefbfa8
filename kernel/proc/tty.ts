// The console as a terminal for user processes: canonical input (a line is delivered when
// Enter is pressed; Backspace edits; input is echoed) or raw input when a program turns
// ICANON off with TCSETS, output with "\n" -> "\r\n" (ONLCR). Ctrl-C is not input: the
// foreground loop (process.ts runForeground) turns it into SIGINT for the foreground process.
import { console_write } from "../platform/imports";
import { Event } from "../sched/event";

export const ICANON: u32 = 0x2;
export const ECHO: u32 = 0x8;

export class Terminal {
  /** Bytes ready for read(). */
  ready: Array<u8> = new Array<u8>(0);
  /** The line being typed (canonical mode). */
  line: Array<u8> = new Array<u8>(0);
  lflag: u32 = ICANON | ECHO | 0x1 | 0x8000; // ICANON ECHO ISIG IEXTEN
  iflag: u32 = 0x500; // ICRNL IXON
  oflag: u32 = 0x5; // OPOST ONLCR
  cflag: u32 = 0xbf; // B38400 CS8 CREAD
  cc: StaticArray<u8> = new StaticArray<u8>(19);
  /** Signalled when input becomes readable. */
  readable: Event = new Event("tty-input");
  /** Bytes written by processes (statistics). */
  written: u64 = 0;
  eofPending: bool = false;

  constructor() {
    this.cc[0] = 3; this.cc[1] = 28; this.cc[2] = 127; this.cc[3] = 21; this.cc[4] = 4; this.cc[6] = 1;
  }

  /** A byte typed at the console while a process holds it. */
  input(b: u8): void {
    if (b == 13 && (this.iflag & 0x100) != 0) b = 10; // ICRNL
    if ((this.lflag & ICANON) == 0) {
      this.ready.push(b);
      if ((this.lflag & ECHO) != 0) this.echo(b);
      this.readable.signal();
      return;
    }
    if (b == 127 || b == 8) {
      if (this.line.length > 0) {
        this.line.pop();
        if ((this.lflag & ECHO) != 0) this.writeRaw("\b \b");
      }
      return;
    }
    if (b == 4) { // Ctrl-D: end of file (or deliver a partial line)
      if (this.line.length == 0) this.eofPending = true;
      this.flushLine();
      return;
    }
    this.line.push(b);
    if ((this.lflag & ECHO) != 0) this.echo(b);
    if (b == 10) this.flushLine();
  }

  private flushLine(): void {
    for (let i = 0; i < this.line.length; i++) this.ready.push(this.line[i]);
    this.line.length = 0;
    this.readable.signal();
  }

  private echo(b: u8): void {
    if (b == 10) this.writeRaw("\r\n");
    else {
      const tmp = memory.data(1);
      store<u8>(tmp, b);
      console_write(tmp, 1);
    }
  }

  /** Kernel text to the terminal ("^C\n"), with "\n" as "\r\n". */
  writeEcho(s: string): void {
    this.writeRaw(s.replaceAll("\n", "\r\n"));
  }

  private writeRaw(s: string): void {
    const bytes = String.UTF8.encode(s);
    console_write(changetype<usize>(bytes), <usize>bytes.byteLength);
  }

  /** True when read() would not block. */
  hasInput(): bool { return this.ready.length > 0 || this.eofPending; }

  /** Takes up to `length` bytes into `dst`; returns the count (0 = end of file). */
  read(dst: usize, length: u32): i32 {
    if (this.ready.length == 0 && this.eofPending) { this.eofPending = false; return 0; }
    let n: u32 = 0;
    while (n < length && this.ready.length > 0) {
      const b = this.ready.shift();
      store<u8>(dst + <usize>n, b);
      n++;
      if (b == 10 && (this.lflag & ICANON) != 0) break;
    }
    return <i32>n;
  }

  /** Output from a process; "\n" becomes "\r\n" when ONLCR is on. */
  write(src: usize, length: u32): void {
    this.written += <u64>length;
    if ((this.oflag & 0x4) == 0) { console_write(src, <usize>length); return; }
    let start: u32 = 0;
    const crlf = memory.data(2);
    store<u8>(crlf, 13);
    store<u8>(crlf + 1, 10);
    for (let i: u32 = 0; i < length; i++) {
      if (load<u8>(src + <usize>i) == 10) {
        if (i > start) console_write(src + <usize>start, <usize>(i - start));
        console_write(crlf, 2);
        start = i + 1;
      }
    }
    if (length > start) console_write(src + <usize>start, <usize>(length - start));
  }

  /** Forgets typed input (a new foreground program starts with an empty line). */
  reset(): void {
    this.ready.length = 0;
    this.line.length = 0;
    this.eofPending = false;
    this.lflag = ICANON | ECHO | 0x1 | 0x8000;
  }
}

export const consoleTerminal = new Terminal();
