// Test entry for the HTTP server, its request parser and the Prometheus writer: requests
// are parsed from bytes the test gives; a server runs on stack b of the back-to-back link
// (net.entry.ts's fake link is not shared: this entry has its own tiny lossless link).
import { parseRequest, HttpServer, HttpHandler, HttpRequest, HttpResponse, utf8 } from "../../../kernel/net/http";
import { MetricsWriter, label } from "../../../kernel/net/metrics";
import { writeNetMetrics } from "../../../kernel/net/net_metrics";
import { Nic } from "../../../kernel/net/nic";
import { NetStack } from "../../../kernel/net/stack";
import { listenTcp, connectTcp, Socket } from "../../../kernel/net/socket";
import { parseIp, asciiBytes, bytesToAscii } from "../../../kernel/net/bytes";
import { Random } from "../../../kernel/lib/random";

let input = new Uint8Array(0);

export function setInput(n: i32): usize {
  input = new Uint8Array(n);
  return input.dataStart;
}

/** Parses the bytes written at setInput()'s address: "status consumed method path" or "incomplete". */
export function parse(n: i32): string {
  const r = parseRequest(input, n);
  if (r.errorStatus != 0) return "error " + r.errorStatus.toString();
  if (r.request == null) return "incomplete";
  const q = r.request!;
  const host = q.header("host");
  return "ok " + r.consumed.toString() + " " + q.method + " " + q.path + " " + (q.keepAlive ? "keep" : "close") + " body=" +
    q.body.length.toString() + " host=" + (host != null ? host! : "-");
}

/** Random and mutated requests through the parser: returns how many were accepted (no trap is the point). */
export function fuzzParser(seed: u64, count: i32): i32 {
  const r = new Random(seed);
  const base = asciiBytes("POST /api/shell?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello");
  let accepted = 0;
  for (let i = 0; i < count; i++) {
    let b: Uint8Array;
    if (r.below(3) == 0) {
      b = new Uint8Array(<i32>r.below(9000));
      for (let j = 0; j < b.length; j++) b[j] = <u8>r.next();
    } else {
      b = base.slice(0, <i32>r.below(base.length + 1));
      const flips = <i32>r.below(6);
      for (let j = 0; j < flips && b.length > 0; j++) b[<i32>r.below(b.length)] = <u8>(r.below(2) == 0 ? r.next() : 32 + r.below(95));
    }
    const res = parseRequest(b, b.length);
    if (res.request != null) accepted++;
  }
  return accepted;
}

// ---- a server on a lossless link ----

class Link extends Nic {
  inbox: Array<Uint8Array> = new Array<Uint8Array>(0);
  peer: Link | null = null;
  transmit(frame: Uint8Array): bool {
    this.peer!.inbox.push(frame.slice(0));
    return true;
  }
  receive(): Uint8Array | null {
    return this.inbox.length > 0 ? this.inbox.shift() : null;
  }
  linkUp(): bool {
    return true;
  }
}

let now: u64 = 1_000_000;
/** The server's clock moves on every read, as the kernel's does within one pass. */
function clock(): u64 {
  now += 1;
  return now;
}

class Handler extends HttpHandler {
  handle(req: HttpRequest): HttpResponse {
    if (req.path == "/metrics") {
      const w = new MetricsWriter();
      writeNetMetrics(w, b, nicB, server, now);
      w.family("test_labels", "gauge", "label escaping: back\\slash");
      w.sample("test_labels", label("v", "a\"b\\c\nd"), 1.5);
      return new HttpResponse(200, "text/plain; version=0.0.4", utf8(w.text()));
    }
    if (req.path == "/echo") return new HttpResponse(200, "application/octet-stream", req.body);
    return HttpResponse.text(404, "not found\n");
  }
}

const nicA = new Link("a0");
const nicB = new Link("b0");
nicA.mac = 0x020000000001;
nicB.mac = 0x020000000002;
nicA.peer = nicB;
nicB.peer = nicA;
const a = new NetStack(nicA);
const b = new NetStack(nicB);
a.configure(<u32>parseIp("10.1.0.1"), 0xffffff00, 0);
b.configure(<u32>parseIp("10.1.0.2"), 0xffffff00, 0);
a.nowUs = now;
b.nowUs = now;
const server = new HttpServer(listenTcp(b, 80, 16)!, new Handler(), clock);

function step(): void {
  now += 100;
  a.poll(now);
  b.poll(now);
  server.poll();
  a.tcp.flushAcks();
  b.tcp.flushAcks();
}

let lastResponse = "";

/** Sends the bytes at setInput() as one connection's request(s); returns everything the server said. */
export function exchange(n: i32, closeAfterSend: bool): string {
  const s = connectTcp(a, b.address, 80)!;
  let sent = false;
  let out = "";
  const buf = new Uint8Array(65536);
  for (let i = 0; i < 20000; i++) {
    step();
    if (!sent && s.connected) {
      let off = 0;
      while (off < n) {
        const w = s.write(input, off, n - off);
        if (w <= 0) break;
        off += w;
      }
      sent = off == n;
      if (sent && closeAfterSend) s.close();
    }
    const k = s.read(buf, 0, buf.length);
    if (k > 0) out += bytesToAscii(buf, 0, k);
    if (s.eof || s.closed) break;
  }
  if (!s.closed) s.abort();
  for (let i = 0; i < 10; i++) step();
  lastResponse = out;
  return out;
}

export function openServerConnections(): i32 {
  return server.conns.length;
}

export function advance(us: u64): void {
  now += us;
  step();
}

let held: Socket | null = null;

/** Sends one request and keeps the connection open for `steps` steps; returns the reply. */
export function exchangeAndHold(n: i32, steps: i32): string {
  const s = connectTcp(a, b.address, 80)!;
  held = s;
  let sent = false;
  let out = "";
  const buf = new Uint8Array(65536);
  for (let i = 0; i < steps; i++) {
    step();
    if (!sent && s.connected) sent = s.write(input, 0, n) == n;
    const k = s.read(buf, 0, buf.length);
    if (k > 0) out += bytesToAscii(buf, 0, k);
  }
  return out;
}

export function heldState(): string {
  return held == null ? "none" : held!.state + (held!.eof ? " eof" : "");
}
