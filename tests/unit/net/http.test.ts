// The HTTP server and the Prometheus writer on Node: the request parser on good, bad and
// hostile input (thousands of random and mutated requests never trap), keep-alive with
// pipelined requests, 400/413/431/501/505, slow clients timing out, and /metrics checked by
// the strict parser of tests/host/prometheus.ts.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";
import { parsePrometheus } from "../../host/prometheus.ts";

let m: KernelModule<any>;
let k: any;

before(async function () {
  this.timeout(120000);
  m = await loadKernelModule("tests/unit/net/http.entry.ts");
  k = m.exports;
});

function put(s: string | Buffer): number {
  const b = typeof s === "string" ? Buffer.from(s, "latin1") : s;
  const ptr = k.setInput(b.length);
  new Uint8Array(m.memory.buffer, ptr, b.length).set(b);
  return b.length;
}

const parse = (s: string) => k.parse(put(s));

describe("net: HTTP request parser", () => {
  it("parses a request with a body, keep-alive by default in HTTP/1.1", () => {
    assert.equal(parse("POST /api/shell HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"),
      "ok 59 POST /api/shell keep body=3 host=x");
    assert.equal(parse("GET /m?x=1 HTTP/1.0\r\n\r\n"), "ok 23 GET /m close body=0 host=-");
    assert.equal(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"), "ok 37 GET / close body=0 host=-");
  });

  it("waits for the rest of a head or body", () => {
    assert.equal(parse("GET / HTTP/1.1\r\nHost: x\r\n"), "incomplete");
    assert.equal(parse("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"), "incomplete");
  });

  it("rejects what is malformed with the right status", () => {
    assert.equal(parse("GET  / HTTP/1.1\r\n\r\n"), "error 400");
    assert.equal(parse("GET nothing HTTP/1.1\r\n\r\n"), "error 400");
    assert.equal(parse("GET / HTTP/2.0\r\n\r\n"), "error 505");
    assert.equal(parse("GET / FTP/1.0\r\n\r\n"), "error 400");
    assert.equal(parse("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"), "error 400");
    assert.equal(parse("GET / HTTP/1.1\r\nnocolon\r\n\r\n"), "error 400");
    assert.equal(parse("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), "error 400");
    assert.equal(parse("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), "error 400");
    assert.equal(parse("GET / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"), "error 413");
    assert.equal(parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), "error 501");
    assert.equal(parse("GET / HTTP/1.1\nHost: x\n\n"), "error 400");
    assert.equal(parse("GET / HTTP/1.1\r\nX: " + "a".repeat(9000)), "error 431");
    assert.equal(parse("GET / HTTP/1.1\r\n" + "X: y\r\n".repeat(70) + "\r\n"), "error 431");
    assert.equal(parse("\x00\x01\x02garbage"), "error 400", "random bytes are refused before a full head");
  });

  it("survives 20000 random and mutated requests", function () {
    this.timeout(60000);
    let accepted = 0;
    for (let seed = 1n; seed <= 20n; seed++) accepted += k.fuzzParser(seed, 1000);
    assert.ok(accepted > 0 && accepted < 20000, `accepted ${accepted}`);
  });
});

describe("net: HTTP server over the stack", () => {
  it("serves pipelined keep-alive requests on one connection, in order", () => {
    const n = put("POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nfirstPOST /echo HTTP/1.1\r\nContent-Length: 6\r\n\r\nsecondGET /nope HTTP/1.1\r\nConnection: close\r\n\r\n");
    const out = k.exchange(n, false);
    const statuses = [...out.matchAll(/HTTP\/1\.1 (\d+)/g)].map((x: any) => x[1]);
    assert.deepEqual(statuses, ["200", "200", "404"]);
    assert.ok(out.indexOf("first") < out.indexOf("second"));
    assert.match(out, /Connection: close\r\n/);
  });

  it("keeps a keep-alive connection open after the response", () => {
    const before = k.openServerConnections();
    const out = k.exchangeAndHold(put("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"), 2000);
    assert.match(out, /^HTTP\/1\.1 404 /);
    assert.equal(k.heldState(), "ESTABLISHED");
    assert.equal(k.openServerConnections(), before + 1);
  });

  it("answers garbage with 400 and closes", () => {
    const out = k.exchange(put(Buffer.from([1, 2, 3, 4, 0, 255, 13, 10, 13, 10])), false);
    assert.match(out, /^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it("times out a client that never finishes its head (408), and frees the slot", () => {
    // a connection that sends half a head and nothing more
    const n = put("GET / HTTP/1.1\r\nHost: slow");
    const before = k.openServerConnections();
    k.exchange(n, false); // returns when the server closes: after the 10 s head timeout of fake time
    assert.equal(k.openServerConnections(), before);
  });

  it("serves /metrics in valid Prometheus text (strict parser), label values escaped", () => {
    k.exchange(put("GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n"), false);
    const out: string = k.exchange(put("GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"), false);
    assert.match(out, /Content-Type: text\/plain; version=0\.0\.4\r\n/);
    const len = Number(/Content-Length: (\d+)/.exec(out)![1]);
    const body = out.slice(out.indexOf("\r\n\r\n") + 4);
    assert.equal(Buffer.byteLength(body, "latin1"), len);
    const families = parsePrometheus(body);
    assert.equal(families.get("test_labels")!.samples[0].labels.v, "a\"b\\c\nd");
    const h = families.get("sis_http_handle_microseconds")!;
    assert.equal(h.type, "histogram");
    assert.ok(h.samples.find((s) => s.name === "sis_http_handle_microseconds_count")!.value >= 1);
    assert.ok(families.get("sis_http_responses_total")!.samples.find((s) => s.labels.code === "4xx")!.value >= 1);
    assert.ok(families.get("sis_net_tcp_segments_in_total")!.samples[0].value > 0);
  });

  it("the strict parser itself rejects broken exposition text", () => {
    assert.throws(() => parsePrometheus("a 1"), /does not end/);
    assert.throws(() => parsePrometheus("# TYPE a counter\na 1\nb 2\na 3\n"), /not contiguous/);
    assert.throws(() => parsePrometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 4\nh_sum 1\nh_count 4\n"), /cumulative/);
    assert.throws(() => parsePrometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"), /\+Inf/);
    assert.throws(() => parsePrometheus("a{x=\"\\q\"} 1\n"), /escape/);
  });
});
