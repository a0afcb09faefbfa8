// A small HTTP/1.1 client for `httpget`: GET one URL (http://a.b.c.d[:port]/path, no DNS),
// Connection: close, body by Content-Length or until the server closes. It advances by
// step() from the caller's event loop and never blocks.
import { NetStack } from "./stack";
import { Socket, connectTcp } from "./socket";
import { parseIp, asciiBytes } from "./bytes";

export class ParsedUrl {
  ok: bool = false;
  error: string = "";
  host: u32 = 0;
  hostText: string = "";
  port: u32 = 80;
  path: string = "/";
}

export function parseUrl(url: string): ParsedUrl {
  const u = new ParsedUrl();
  if (!url.startsWith("http://")) {
    u.error = "only http:// URLs are supported";
    return u;
  }
  const rest = url.substring(7);
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.substring(0, slash);
  u.path = slash < 0 ? "/" : rest.substring(slash);
  const colon = authority.indexOf(":");
  u.hostText = colon < 0 ? authority : authority.substring(0, colon);
  if (colon >= 0) {
    const p = authority.substring(colon + 1);
    let v: i32 = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 48 || c > 57 || v > 65535) {
        u.error = "bad port '" + p + "'";
        return u;
      }
      v = v * 10 + (c - 48);
    }
    if (p.length == 0 || v == 0 || v > 65535) {
      u.error = "bad port '" + p + "'";
      return u;
    }
    u.port = <u32>v;
  }
  const ip = parseIp(u.hostText);
  if (ip < 0) {
    u.error = "host must be an IPv4 address (no DNS): '" + u.hostText + "'";
    return u;
  }
  for (let i = 0; i < u.path.length; i++) {
    const c = u.path.charCodeAt(i);
    if (c <= 32 || c >= 127) {
      u.error = "the path has a space or control character";
      return u;
    }
  }
  u.host = <u32>ip;
  u.ok = true;
  return u;
}

export class HttpGet {
  socket: Socket | null = null;
  response: Uint8Array = new Uint8Array(65536);
  length: i32 = 0;
  done: bool = false;
  error: string = "";
  status: i32 = 0;
  bodyStart: i32 = -1;
  contentLength: i64 = -1;
  chunked: bool = false;
  private sent: bool = false;
  private request: Uint8Array;
  /**
   * The whole response stays in the kernel heap (48 MiB) until it is printed or saved, and growing
   * the buffer briefly holds the old and the new copy: 16 MiB keeps that under half the heap.
   * Above it httpget stops with an error instead of running the kernel out of memory.
   */
  static readonly MAX_BYTES: i32 = 16 << 20;

  constructor(stack: NetStack, public url: ParsedUrl) {
    this.request = asciiBytes("GET " + url.path + " HTTP/1.1\r\nHost: " + url.hostText + ":" + url.port.toString() +
      "\r\nUser-Agent: sis-httpget\r\nConnection: close\r\n\r\n");
    this.socket = connectTcp(stack, url.host, url.port);
    if (this.socket == null) this.fail("no free connection slot");
  }

  private fail(why: string): void {
    this.error = why;
    this.done = true;
  }

  get bodyLength(): i32 {
    return this.bodyStart < 0 ? 0 : this.length - this.bodyStart;
  }

  step(): void {
    if (this.done) return;
    const s = this.socket!;
    if (s.closed && !s.eof) {
      this.fail(s.error.length > 0 ? s.error : "connection closed");
      return;
    }
    if (!this.sent && s.connected) {
      if (s.write(this.request, 0, this.request.length) == this.request.length) this.sent = true;
    }
    while (s.readable > 0) {
      if (this.length == this.response.length) {
        if (this.response.length >= HttpGet.MAX_BYTES) {
          s.abort();
          this.fail("response larger than " + (HttpGet.MAX_BYTES >> 20).toString() + " MiB (httpget keeps it in memory)");
          return;
        }
        const bigger = new Uint8Array(min(this.response.length * 2, HttpGet.MAX_BYTES));
        bigger.set(this.response, 0);
        this.response = bigger;
      }
      this.length += s.read(this.response, this.length, this.response.length - this.length);
    }
    if (this.bodyStart < 0) this.parseHead();
    if (this.error.length > 0) return;
    if (this.contentLength > <i64>(HttpGet.MAX_BYTES - this.bodyStart)) {
      s.abort();
      this.fail("response of " + this.contentLength.toString() + " bytes is larger than " + (HttpGet.MAX_BYTES >> 20).toString() +
        " MiB (httpget keeps it in memory)");
      return;
    }
    // the size is known: one buffer of exactly that size instead of doubling (a doubling to 16 MiB
    // for an 8 MiB body held 24 MiB at once; the second such download ran the heap out)
    if (this.bodyStart >= 0 && this.contentLength >= 0) {
      const want = this.bodyStart + <i32>this.contentLength;
      if (this.response.length < want) {
        const exact = new Uint8Array(want);
        exact.set(this.response.subarray(0, this.length), 0);
        this.response = exact;
      }
    }
    const complete = this.bodyStart >= 0 && this.contentLength >= 0 && <i64>this.bodyLength >= this.contentLength;
    if (complete || (s.eof && this.sent)) {
      if (this.bodyStart < 0) {
        this.fail("the server closed before a complete response head");
        return;
      }
      if (this.contentLength >= 0 && <i64>this.bodyLength < this.contentLength) {
        this.fail("the body ended after " + this.bodyLength.toString() + " of " + this.contentLength.toString() + " bytes");
        return;
      }
      if (this.contentLength >= 0) this.length = this.bodyStart + <i32>this.contentLength;
      else if (this.chunked && !this.dechunk()) {
        this.fail("malformed chunked body");
        return;
      }
      s.close();
      this.done = true;
    }
  }

  /** Rewrites a chunked body in place (RFC 9112 7.1: size CRLF data CRLF ... 0 CRLF CRLF). */
  private dechunk(): bool {
    const r = this.response;
    let i = this.bodyStart;
    let out = this.bodyStart;
    while (true) {
      let size: i32 = 0;
      let digits = 0;
      while (i < this.length) {
        const c = <i32>r[i];
        const v = c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;
        if (v < 0) break;
        if (size > 0x7ffffff) return false;
        size = size * 16 + v;
        digits++;
        i++;
      }
      if (digits == 0) return false;
      while (i < this.length && r[i] != 10) i++; // chunk extensions
      i++;
      if (size == 0) break;
      if (i + size > this.length) return false;
      r.copyWithin(out, i, i + size);
      out += size;
      i += size + 2;
    }
    this.length = out;
    return true;
  }

  private parseHead(): void {
    const r = this.response;
    for (let i = 3; i < this.length; i++) {
      if (r[i] == 10 && r[i - 1] == 13 && r[i - 2] == 10 && r[i - 3] == 13) {
        this.bodyStart = i + 1;
        break;
      }
    }
    if (this.bodyStart < 0) {
      if (this.length > 16384) this.fail("response head over 16 KiB");
      return;
    }
    let head = "";
    for (let i = 0; i < this.bodyStart; i++) head += String.fromCharCode(<i32>r[i]);
    if (!head.startsWith("HTTP/1.") || head.length < 12) {
      this.fail("not an HTTP response");
      return;
    }
    this.status = I32.parseInt(head.substring(9, 12));
    const lines = head.split("\r\n");
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i].toLowerCase();
      if (l.startsWith("content-length:")) this.contentLength = I64.parseInt(l.substring(15).trim());
      if (l.startsWith("transfer-encoding:") && l.includes("chunked")) this.chunked = true;
    }
  }
}
