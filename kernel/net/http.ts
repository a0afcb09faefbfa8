// HTTP/1.1 server (RFC 9112) over the socket interface: keep-alive, Content-Length bodies,
// one request at a time per connection (pipelined requests wait their turn).
//
// The parser trusts nothing: the head must fit in MAX_HEAD bytes (else 431), at most
// MAX_HEADERS header lines (else 431), the request line is METHOD SP /target SP HTTP/1.x with
// token characters only (else 400), Content-Length is digits only and at most MAX_BODY (else
// 400 / 413), Transfer-Encoding is refused (501). Idle connections close after IDLE_US and a
// request head must arrive within HEAD_US, so slow clients cannot hold a slot forever; at
// most MAX_CONNECTIONS are served, the listen backlog bounds the rest.
import { Socket, ListenSocket } from "./socket";
import { asciiBytes } from "./bytes";

export const MAX_HEAD: i32 = 8192;
export const MAX_HEADERS: i32 = 64;
export const MAX_BODY: i32 = 65536;
const IDLE_US: u64 = 30_000_000;
const HEAD_US: u64 = 10_000_000;
const MAX_CONNECTIONS: i32 = 128;

export class HttpRequest {
  method: string = "";
  target: string = "";
  path: string = "";
  query: string = "";
  version: string = "";
  headerNames: Array<string> = new Array<string>(0); // lower case
  headerValues: Array<string> = new Array<string>(0);
  body: Uint8Array = new Uint8Array(0);
  keepAlive: bool = true;

  header(name: string): string | null {
    for (let i = 0; i < this.headerNames.length; i++) if (this.headerNames[i] == name) return this.headerValues[i];
    return null;
  }

  /** The value of `name` in the query string, or `fallback`. */
  queryValue(name: string, fallback: string): string {
    const parts = this.query.split("&");
    for (let i = 0; i < parts.length; i++) {
      const eq = parts[i].indexOf("=");
      if (eq > 0 && parts[i].substring(0, eq) == name) return parts[i].substring(eq + 1);
    }
    return fallback;
  }
}

/**
 * A body made while it is sent (GET /api/bytes): `length` bytes, fill() writes `len` of them
 * from `position` on. Nothing of its size is ever held in memory (the kernel heap is 48 MiB).
 */
/** Most bytes of a streamed body made per write. */
const STREAM_CHUNK: i32 = 32768;

export abstract class BodySource {
  constructor(public length: i64) {}
  abstract fill(dst: Uint8Array, len: i32, position: i64): void;
}

export class HttpResponse {
  headers: string = "";
  /** When set, the body comes from here (and `body` is empty). */
  source: BodySource | null = null;
  constructor(public status: i32, public contentType: string, public body: Uint8Array) {}

  static streamed(status: i32, contentType: string, source: BodySource): HttpResponse {
    const r = new HttpResponse(status, contentType, new Uint8Array(0));
    r.source = source;
    return r;
  }

  static text(status: i32, text: string): HttpResponse {
    return new HttpResponse(status, "text/plain; charset=utf-8", asciiBytes(text));
  }

  static json(status: i32, json: string): HttpResponse {
    return new HttpResponse(status, "application/json", utf8(json));
  }
}

export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s, false));
}

export function reasonPhrase(status: i32): string {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
  }
  return "Unknown";
}

export abstract class HttpHandler {
  abstract handle(request: HttpRequest): HttpResponse;
}

/** Result of parsing a buffered head: a request, "need more bytes", or an error status. */
export class ParseResult {
  request: HttpRequest | null = null;
  /** 0 when incomplete; else bytes of this request (head + body) in the buffer. */
  consumed: i32 = 0;
  errorStatus: i32 = 0;
}

function isTokenChar(c: i32): bool {
  if (c >= 48 && c <= 57) return true;
  if ((c | 32) >= 97 && (c | 32) <= 122) return true;
  return c == 33 || c == 35 || c == 36 || c == 37 || c == 38 || c == 39 || c == 42 || c == 43 || c == 45 || c == 46 ||
    c == 94 || c == 95 || c == 96 || c == 124 || c == 126;
}

function lower(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  }
  return out;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) == 32 || s.charCodeAt(a) == 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) == 32 || s.charCodeAt(b - 1) == 9)) b--;
  return s.substring(a, b);
}

/** Parses the request at the start of buf[0..length). Pure: the Node tests call it directly. */
export function parseRequest(buf: Uint8Array, length: i32): ParseResult {
  const r = new ParseResult();
  // find the end of the head
  let end = -1;
  const limit = min(length, MAX_HEAD);
  for (let i = 3; i < limit; i++) {
    if (buf[i] == 10 && buf[i - 1] == 13 && buf[i - 2] == 10 && buf[i - 3] == 13) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) {
    // not complete yet: refuse now what can never become a valid head (random bytes)
    for (let i = 0; i < limit; i++) {
      const c = <i32>buf[i];
      if ((c < 32 && c != 9 && c != 10 && c != 13) || c == 127 || (c == 10 && (i == 0 || buf[i - 1] != 13)) ||
        (c == 13 && i + 1 < limit && buf[i + 1] != 10)) {
        r.errorStatus = 400;
        return r;
      }
    }
    if (length >= MAX_HEAD) r.errorStatus = 431;
    return r;
  }
  // split lines (CRLF; a bare LF or a control character is an error)
  const lines = new Array<string>(0);
  let start = 0;
  for (let i = 0; i < end - 2; i++) {
    const c = <i32>buf[i];
    if (c == 13) {
      if (buf[i + 1] != 10) {
        r.errorStatus = 400;
        return r;
      }
      let line = "";
      for (let j = start; j < i; j++) line += String.fromCharCode(<i32>buf[j]);
      lines.push(line);
      i++;
      start = i + 1;
    } else if (c == 10 || c == 0 || c == 127 || (c < 32 && c != 9) || c >= 128) {
      if (c >= 128) continue; // obs-text is allowed in header values
      r.errorStatus = 400;
      return r;
    }
  }
  if (lines.length == 0) {
    r.errorStatus = 400;
    return r;
  }
  if (lines.length - 1 > MAX_HEADERS) {
    r.errorStatus = 431;
    return r;
  }
  const req = new HttpRequest();
  // request line
  const first = lines[0];
  const sp1 = first.indexOf(" ");
  const sp2 = sp1 < 0 ? -1 : first.indexOf(" ", sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || first.indexOf(" ", sp2 + 1) >= 0) {
    r.errorStatus = 400;
    return r;
  }
  req.method = first.substring(0, sp1);
  req.target = first.substring(sp1 + 1, sp2);
  req.version = first.substring(sp2 + 1);
  for (let i = 0; i < req.method.length; i++) {
    if (!isTokenChar(req.method.charCodeAt(i))) {
      r.errorStatus = 400;
      return r;
    }
  }
  if (req.target.length == 0 || req.target.charCodeAt(0) != 47) {
    r.errorStatus = 400;
    return r;
  }
  for (let i = 0; i < req.target.length; i++) {
    const c = req.target.charCodeAt(i);
    if (c <= 32 || c >= 127) {
      r.errorStatus = 400;
      return r;
    }
  }
  if (req.version != "HTTP/1.1" && req.version != "HTTP/1.0") {
    r.errorStatus = req.version.startsWith("HTTP/") ? 505 : 400;
    return r;
  }
  const q = req.target.indexOf("?");
  req.path = q < 0 ? req.target : req.target.substring(0, q);
  req.query = q < 0 ? "" : req.target.substring(q + 1);
  req.keepAlive = req.version == "HTTP/1.1";
  let contentLength: i64 = -1;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) {
      r.errorStatus = 400;
      return r;
    }
    const name = lower(line.substring(0, colon));
    for (let j = 0; j < name.length; j++) {
      if (!isTokenChar(name.charCodeAt(j))) {
        r.errorStatus = 400;
        return r;
      }
    }
    const value = trimOws(line.substring(colon + 1));
    req.headerNames.push(name);
    req.headerValues.push(value);
    if (name == "content-length") {
      if (value.length == 0 || value.length > 10) {
        r.errorStatus = value.length > 10 ? 413 : 400;
        return r;
      }
      let v: i64 = 0;
      for (let j = 0; j < value.length; j++) {
        const c = value.charCodeAt(j);
        if (c < 48 || c > 57) {
          r.errorStatus = 400;
          return r;
        }
        v = v * 10 + <i64>(c - 48);
      }
      if (contentLength >= 0 && contentLength != v) {
        r.errorStatus = 400;
        return r;
      }
      contentLength = v;
    } else if (name == "transfer-encoding") {
      r.errorStatus = 501;
      return r;
    } else if (name == "connection") {
      const v = lower(value);
      if (v.includes("close")) req.keepAlive = false;
      else if (v.includes("keep-alive")) req.keepAlive = true;
    }
  }
  if (contentLength > <i64>MAX_BODY) {
    r.errorStatus = 413;
    return r;
  }
  const bodyLength = contentLength < 0 ? 0 : <i32>contentLength;
  if (length - end < bodyLength) return r; // the body is still coming
  req.body = buf.slice(end, end + bodyLength);
  r.request = req;
  r.consumed = end + bodyLength;
  return r;
}

/** Status-line + headers + body as bytes. */
export function serializeResponse(res: HttpResponse, keepAlive: bool): Uint8Array {
  const head = "HTTP/1.1 " + res.status.toString() + " " + reasonPhrase(res.status) + "\r\n" +
    "Content-Type: " + res.contentType + "\r\nContent-Length: " +
    (res.source != null ? res.source!.length.toString() : res.body.length.toString()) + "\r\n" +
    (keepAlive ? "" : "Connection: close\r\n") + res.headers + "\r\n";
  const h = asciiBytes(head);
  const out = new Uint8Array(h.length + res.body.length);
  out.set(h, 0);
  out.set(res.body, h.length);
  return out;
}

class HttpConnection {
  input: Uint8Array = new Uint8Array(2048);
  inputLength: i32 = 0;
  output: Uint8Array | null = null;
  outputOffset: i32 = 0;
  /** A streamed body still being sent after `output` (the head), and how far it got. */
  source: BodySource | null = null;
  sourcePosition: i64 = 0;
  closeAfterOutput: bool = false;
  lastActivityUs: u64;
  headStartedUs: u64 = 0;
  requests: u64 = 0;
  done: bool = false;

  constructor(public socket: Socket, now: u64) {
    this.lastActivityUs = now;
  }
}

export class HttpServerCounters {
  connections: u64 = 0;
  requests: u64 = 0;
  status2xx: u64 = 0;
  status4xx: u64 = 0;
  status5xx: u64 = 0;
  badRequests: u64 = 0;
  timeouts: u64 = 0;
  rejected: u64 = 0;
  bytesIn: u64 = 0;
  bytesOut: u64 = 0;
}

/** Handling time of requests (head parsed -> response queued), cumulative buckets in us. */
export const HANDLE_BOUNDS_US: StaticArray<f64> = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000, 250000, 1000000];

export class HttpServer {
  conns: Array<HttpConnection> = new Array<HttpConnection>(0);
  counters: HttpServerCounters = new HttpServerCounters();
  handleBuckets: StaticArray<u64> = new StaticArray<u64>(HANDLE_BOUNDS_US.length + 1);
  handleSumUs: f64 = 0;
  handleCount: u64 = 0;
  private scratch: Uint8Array = new Uint8Array(16384);
  private chunk: Uint8Array = new Uint8Array(STREAM_CHUNK);

  constructor(public listener: ListenSocket, public handler: HttpHandler, public clock: () => u64) {}

  /** One pass: accept, read, parse, handle, write, expire. */
  poll(): void {
    const now = this.clock();
    let s = this.listener.accept();
    while (s != null) {
      if (this.conns.length >= MAX_CONNECTIONS) {
        this.counters.rejected++;
        s.abort();
      } else {
        this.conns.push(new HttpConnection(s, now));
        this.counters.connections++;
      }
      s = this.listener.accept();
    }
    for (let i = 0; i < this.conns.length; i++) this.service(this.conns[i], now);
    let kept = 0;
    for (let i = 0; i < this.conns.length; i++) if (!this.conns[i].done) this.conns[kept++] = this.conns[i];
    this.conns.length = kept;
  }

  private service(c: HttpConnection, now: u64): void {
    const sock = c.socket;
    if (sock.closed) {
      c.done = true;
      return;
    }
    // read what there is (bounded by the head + body limits)
    while (sock.readable > 0) {
      const room = c.input.length - c.inputLength;
      if (room == 0) {
        if (c.input.length >= MAX_HEAD + MAX_BODY) break;
        const bigger = new Uint8Array(min(c.input.length * 2, MAX_HEAD + MAX_BODY));
        bigger.set(c.input.subarray(0, c.inputLength), 0);
        c.input = bigger;
        continue;
      }
      const n = sock.read(c.input, c.inputLength, room);
      if (n <= 0) break;
      if (c.inputLength == 0) c.headStartedUs = now;
      c.inputLength += n;
      c.lastActivityUs = now;
      this.counters.bytesIn += <u64>n;
    }
    // one request at a time: parse only when the previous response is out
    if (c.output == null && c.inputLength > 0 && !c.closeAfterOutput) {
      const parsed = parseRequest(c.input, c.inputLength);
      if (parsed.errorStatus != 0) {
        this.counters.badRequests++;
        this.respond(c, HttpResponse.text(parsed.errorStatus, reasonPhrase(parsed.errorStatus).toLowerCase() + "\n"), false);
        c.inputLength = 0;
      } else if (parsed.request != null) {
        const req = parsed.request!;
        const started = this.clock();
        const res = this.handler.handle(req);
        this.recordHandleTime(this.clock() - started);
        this.counters.requests++;
        c.requests++;
        const rest = c.inputLength - parsed.consumed;
        c.input.copyWithin(0, parsed.consumed, c.inputLength);
        c.inputLength = rest;
        if (rest > 0) c.headStartedUs = now;
        this.respond(c, res, req.keepAlive);
      } else if (c.inputLength >= MAX_HEAD + MAX_BODY) {
        this.respond(c, HttpResponse.text(413, "content too large\n"), false);
      }
    }
    this.flushOutput(c);
    // the peer finished and there is nothing left to say: close our side
    if (c.output == null && sock.eof) {
      sock.close();
      c.done = true;
      return;
    }
    if (c.output == null && c.closeAfterOutput && sock.unacknowledged == 0) {
      sock.close();
      c.done = true;
      return;
    }
    // slow or idle clients
    // (times are compared as now > then first: the activity stamps may be later than `now`)
    const headLate = c.inputLength > 0 && c.output == null && now > c.headStartedUs && now - c.headStartedUs > HEAD_US;
    if (headLate || (now > c.lastActivityUs && now - c.lastActivityUs > IDLE_US)) {
      this.counters.timeouts++;
      if (headLate) {
        this.respond(c, HttpResponse.text(408, "request timeout\n"), false);
        this.flushOutput(c);
      }
      sock.close();
      c.done = true;
    }
  }

  private respond(c: HttpConnection, res: HttpResponse, keepAlive: bool): void {
    const status = res.status;
    if (status < 300) this.counters.status2xx++;
    else if (status < 500) this.counters.status4xx++;
    else this.counters.status5xx++;
    c.output = serializeResponse(res, keepAlive);
    c.outputOffset = 0;
    c.source = res.source;
    c.sourcePosition = 0;
    if (!keepAlive) c.closeAfterOutput = true;
  }

  private flushOutput(c: HttpConnection): void {
    const out = c.output;
    if (out == null) return;
    while (c.outputOffset < out.length) {
      const n = c.socket.write(out, c.outputOffset, out.length - c.outputOffset);
      if (n <= 0) {
        if (n < 0) {
          c.output = null; // the peer is gone
          c.done = true;
        }
        return;
      }
      c.outputOffset += n;
      this.counters.bytesOut += <u64>n;
      c.lastActivityUs = this.clock();
    }
    const src = c.source;
    if (src != null) {
      // the body in pieces as the send buffer drains (the head stays in `output` until then)
      while (c.sourcePosition < src.length) {
        const room = c.socket.writable;
        if (room <= 0) return;
        const n = <i32>min<i64>(<i64>min(room, STREAM_CHUNK), src.length - c.sourcePosition);
        src.fill(this.chunk, n, c.sourcePosition);
        const w = c.socket.write(this.chunk, 0, n);
        if (w <= 0) {
          if (w < 0) {
            c.output = null;
            c.source = null;
            c.done = true;
          }
          return;
        }
        c.sourcePosition += <i64>w;
        this.counters.bytesOut += <u64>w;
        c.lastActivityUs = this.clock();
      }
      c.source = null;
    }
    c.output = null;
  }

  private recordHandleTime(us: u64): void {
    const v = <f64>us;
    let i = 0;
    while (i < HANDLE_BOUNDS_US.length && v > HANDLE_BOUNDS_US[i]) i++;
    this.handleBuckets[i]++;
    this.handleSumUs += v;
    this.handleCount++;
  }
}
