// The network in QEMU with real outside clients: DHCP lease from the user network; curl
// fetches /metrics (checked by the strict parser of tests/host/prometheus.ts) and
// /api/state; POST /api/shell without, with a wrong and with the right token; 50 clients at
// once; malformed and oversized requests; and `httpget` downloading from a Node HTTP server
// on the host through 10.0.2.2 (content checked by SHA-256).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as http from "node:http";
import * as net from "node:net";
import { promisify } from "node:util";
import { bootForSuite } from "./helpers.ts";
import { freePort } from "../../host/qemu.ts";
import { parsePrometheus } from "../host/prometheus.ts";

const run = promisify(execFile);
const port = await freePort();
const rebootPort = await freePort();
const base = `http://127.0.0.1:${port}`;

async function curl(args: string[]): Promise<{ status: number; body: string; headers: string }> {
  const { stdout } = await run("curl", ["-sS", "-D", "-", "--max-time", "20", ...args], { maxBuffer: 64 << 20 });
  const split = stdout.indexOf("\r\n\r\n");
  const headers = stdout.slice(0, split);
  return { status: Number(headers.split(" ")[1]), headers, body: stdout.slice(split + 4) };
}

function rawRequest(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(port, "127.0.0.1");
    let out = "";
    s.setTimeout(15000, () => {
      s.destroy();
      resolve(out);
    });
    s.on("data", (d) => {
      out += d.toString("latin1");
      if (out.includes("\r\n\r\n")) s.end();
    });
    s.on("end", () => resolve(out));
    s.on("error", reject);
    s.write(bytes);
  });
}

describe("net (QEMU, user networking)", function () {
  this.timeout(90000);
  const boot = bootForSuite({ systemDiskSnapshot: true, net: { port } });
  let token = "";

  it("gets a DHCP lease (10.0.2.15, gateway 10.0.2.2) and prints the API token", async () => {
    const s = boot.get();
    token = s.serialLog.match(/token ([0-9a-f]{32})/)![1];
    let status: any = {};
    for (let i = 0; i < 50; i++) {
      status = JSON.parse((await s.run("netctl status --json")).trim());
      if (status.address !== "0.0.0.0") break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status.address, "10.0.2.15");
    assert.equal(status.gateway, "10.0.2.2");
    assert.equal(status.link_up, true);
    assert.match(status.dhcp, /^bound 10\.0\.2\.15/);
    assert.equal((await s.run("cat /etc/api-token")).trim(), token);
  });

  it("serves /metrics in the Prometheus text format, every subsystem present", async () => {
    await curl([`${base}/api/state`]); // some traffic first, so the HTTP histogram has a count
    const r = await curl([`${base}/metrics`]);
    assert.equal(r.status, 200);
    assert.match(r.headers, /Content-Type: text\/plain; version=0\.0\.4/i);
    const families = parsePrometheus(r.body);
    for (const name of ["sis_memory_free_bytes", "sis_memory_allocations_total", "sis_block_reads_total", "sis_block_cache_hits_total",
      "sis_fs_free_bytes", "sis_sched_dispatches_total", "sis_sched_decision_latency_microseconds", "sis_ai_decisions_total",
      "sis_oom_predictions_total", "sis_trace_decisions_kept", "sis_net_rx_frames_total", "sis_net_tcp_connections",
      "sis_http_requests_total", "sis_http_handle_microseconds"]) {
      assert.ok(families.has(name), `${name} missing`);
    }
    assert.equal(families.get("sis_sched_decision_latency_microseconds")!.type, "histogram");
    const reads = families.get("sis_block_reads_total")!.samples.find((x) => x.labels.device === "vda");
    assert.ok(reads && reads.value > 0, "vda was read at boot");
    const handled = families.get("sis_http_handle_microseconds")!.samples.find((x) => x.name.endsWith("_count"))!;
    assert.ok(handled.value >= 1);
    const subsystems = families.get("sis_ai_decisions_total")!.samples.map((x) => x.labels.subsystem);
    assert.ok(subsystems.includes("sched") && subsystems.includes("oom"), subsystems.join(","));
  });

  it("serves /api/state as JSON", async () => {
    const r = await curl([`${base}/api/state`]);
    assert.equal(r.status, 200);
    const state = JSON.parse(r.body);
    assert.equal(state.network.address, "10.0.2.15");
    assert.ok(state.memory.free_bytes > 0);
    assert.ok(state.tasks.some((t: any) => t.name === "oompredict"));
    assert.ok(state.mounts.includes("/"));
  });

  it("serves /api/bytes?n=N: N bytes of the a-z pattern (the throughput source), streamed up to its 8 MiB limit", async () => {
    for (const n of [0, 5, 26, 27, 100003]) {
      const r = await fetch(`${base}/api/bytes?n=${n}`);
      const body = Buffer.from(await r.arrayBuffer());
      assert.equal(body.length, n);
      for (let i = 0; i < n; i++) if (body[i] !== 97 + (i % 26)) assert.fail(`n=${n}: byte ${i} is ${body[i]}`);
    }
    // over 64 KiB the body is streamed as it is sent: the largest allowed, every byte checked
    const big = Buffer.from(await (await fetch(`${base}/api/bytes?n=${8 << 20}`)).arrayBuffer());
    assert.equal(big.length, 8 << 20);
    for (let i = 0; i < big.length; i++) if (big[i] !== 97 + (i % 26)) assert.fail(`8 MiB: byte ${i} is ${big[i]}`);
    assert.equal((await fetch(`${base}/api/bytes?n=${(8 << 20) + 1}`)).status, 400);
    assert.equal((await boot.get().run("echo still here")).trim(), "still here");
  });

  it("runs POST /api/shell only with the bearer token (401 without or with a wrong one)", async () => {
    const none = await curl(["-X", "POST", "--data-binary", "uname", `${base}/api/shell`]);
    assert.equal(none.status, 401);
    assert.match(none.headers, /WWW-Authenticate: Bearer/i);
    const wrong = await curl(["-X", "POST", "-H", "Authorization: Bearer 0123456789abcdef0123456789abcdef", "--data-binary", "uname",
      `${base}/api/shell`]);
    assert.equal(wrong.status, 401);
    const ok = await curl(["-X", "POST", "-H", `Authorization: Bearer ${token}`, "--data-binary", "echo hello from the API",
      `${base}/api/shell`]);
    assert.equal(ok.status, 200);
    const j = JSON.parse(ok.body);
    assert.equal(j.status, 0);
    assert.equal(j.output, "hello from the API\n");
    const bad = await curl(["-X", "POST", "-H", `Authorization: Bearer ${token}`, "-H", "Content-Type: application/json",
      "--data-binary", JSON.stringify({ command: "nosuchcommand --x" }), `${base}/api/shell`]);
    const b = JSON.parse(bad.body);
    assert.equal(b.status, 127);
    assert.match(b.output, /^error: unknown command 'nosuchcommand'/);
    assert.equal((await boot.get().run("echo still here")).trim(), "still here");
  });

  it("holds 50 connections open at once and answers requests on all of them together", async () => {
    // QEMU's user network accepts forwarded connections with a listen backlog of 1, so a burst
    // of 50 SYNs at the host port costs SYN retransmissions on the host side. The guest's own
    // concurrency is what this checks: 50 sockets are opened (in parallel batches of 5), kept
    // open, and then all 50 send a request at the same moment.
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 50; i += 5) {
      sockets.push(...(await Promise.all(Array.from({ length: 5 }, () => new Promise<net.Socket>((resolve, reject) => {
        const c = net.createConnection(port, "127.0.0.1", () => resolve(c));
        c.once("error", reject);
      })))));
    }
    // (the host side connects at once; the user network opens the guest side later, sometimes
    // seconds later: the replies below wait for all 50)
    const replies = await Promise.all(sockets.map((c) => new Promise<string>((resolve) => {
      let out = "";
      c.on("data", (d) => {
        out += d.toString("latin1");
        const m = /Content-Length: (\d+)\r\n/.exec(out);
        const head = out.indexOf("\r\n\r\n");
        if (m && head >= 0 && out.length >= head + 4 + Number(m[1])) resolve(out.slice(head + 4));
      });
      c.write("GET /api/state HTTP/1.1\r\nHost: sis\r\n\r\n");
    })));
    for (const r of replies) assert.equal(JSON.parse(r).network.address, "10.0.2.15");
    // every reply listed all 50 connections as open at once on the guest
    assert.ok(replies.some((r) => JSON.parse(r).network.tcp_connections.filter((c: any) => c.state === "ESTABLISHED").length >= 50));
    for (const c of sockets) c.destroy();
    // keep-alive: 100 requests over 10 connections
    const kept = new http.Agent({ keepAlive: true, maxSockets: 10 });
    const get = (path: string) => new Promise<number>((resolve, reject) => {
      http.get(`${base}${path}`, { agent: kept, timeout: 30000 }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          JSON.parse(body);
          resolve(res.statusCode!);
        });
      }).on("error", reject);
    });
    const again = await Promise.all(Array.from({ length: 100 }, () => get("/api/state")));
    assert.deepEqual(again, Array(100).fill(200));
    kept.destroy();
    // curl's parallel mode, new connections
    const urls = Array.from({ length: 10 }, () => ["-o", "/dev/null", `${base}/metrics`]).flat();
    const { stdout } = await run("curl", ["-sS", "-Z", "--parallel-max", "10", "-w", "%{http_code}\\n", ...urls]);
    assert.deepEqual(stdout.trim().split("\n"), Array(10).fill("200"));
  });

  it("answers malformed requests with 400, oversized heads with 431, and keeps serving", async () => {
    assert.match(await rawRequest("GARBAGE\r\n\r\n"), /^HTTP\/1\.1 400 /);
    assert.match(await rawRequest("GET /x HTTP/1.1\r\nno colon here\r\n\r\n"), /^HTTP\/1\.1 400 /);
    assert.match(await rawRequest("GET /x HTTP/1.1\r\nContent-Length: -5\r\n\r\n"), /^HTTP\/1\.1 400 /);
    assert.match(await rawRequest("GET /x HTTP/1.1\r\nX-Big: " + "a".repeat(10000) + "\r\n\r\n"), /^HTTP\/1\.1 431 /);
    assert.match(await rawRequest(Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) & 255))), /^HTTP\/1\.1 (400|431) /);
    const r = await curl([`${base}/api/state`]);
    assert.equal(r.status, 200);
  });

  it("httpget downloads from a host server through 10.0.2.2 (content checked)", async () => {
    const body = Buffer.alloc(300 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 2654435761) >>> 24;
    const large = Buffer.alloc(12 << 20);
    for (let i = 0; i < large.length; i += 4096) large.writeUInt32LE(i, i);
    const server = http.createServer((req, res) => {
      if (req.url === "/hello.txt") {
        res.writeHead(200, { "Content-Type": "text/plain" }).end("hello from the host\n");
      } else if (req.url === "/huge") {
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": 40 << 20 }).end(Buffer.alloc(40 << 20));
      } else if (req.url === "/12m") {
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": large.length }).end(large);
      } else if (req.url === "/blob") {
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.length }).end(body);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const hostPort = (server.address() as net.AddressInfo).port;
    try {
      const s = boot.get();
      const small = await s.run(`httpget http://10.0.2.2:${hostPort}/hello.txt`);
      assert.match(small, /^hello from the host\nHTTP 200, 20 bytes/);
      const big = await s.run(`httpget http://10.0.2.2:${hostPort}/blob /tmp/blob`, 60000);
      assert.match(big, /HTTP 200, 307200 bytes in .* saved to \/tmp\/blob/);
      const sum = (await s.run("sha256sum /tmp/blob")).trim().split(/\s+/)[0];
      assert.equal(sum, createHash("sha256").update(body).digest("hex"));
      assert.match(await s.run(`httpget http://10.0.2.2:${hostPort}/missing`), /HTTP 404/);
      // back-to-back downloads of 12 MiB (the whole body is held in the 48 MiB heap): the second
      // one ran the heap out while the buffer doubled to 16 MiB and the first one's was not collected
      for (let i = 0; i < 3; i++) {
        assert.match(await s.run(`httpget http://10.0.2.2:${hostPort}/12m /tmp/12m`, 60000), /HTTP 200, 12582912 bytes in .* saved to \/tmp\/12m/);
        if (i < 2) await s.run("rm /tmp/12m");
      }
      assert.equal((await s.run("sha256sum /tmp/12m")).trim().split(/\s+/)[0], createHash("sha256").update(large).digest("hex"));
      await s.run("rm /tmp/12m");
      // a response larger than httpget may keep in memory: one error line, the kernel keeps running
      assert.match(await s.run(`httpget http://10.0.2.2:${hostPort}/huge /tmp/huge`, 60000), /^error: .*larger than 16 MiB/m);
      // /api/bytes over its 8 MiB limit (building it on the 48 MiB heap panicked SIS at 40 MiB): 400
      assert.equal((await fetch(`${base}/api/bytes?n=${50 << 20}`)).status, 400);
      assert.equal((await (await fetch(`${base}/api/bytes?n=${8 << 20}`)).arrayBuffer()).byteLength, 8 << 20);
      assert.match(await s.run("echo still here"), /still here/);
      assert.match(await s.run("httpget ftp://x/"), /^error: only http:\/\/ URLs/);
    } finally {
      server.close();
    }
  });
});

// Issue 16 (bug): after SIS reboots, a keep-alive socket the host pooled before the reboot must
// get its answer or a reset at once. QEMU's user network keeps its side of the connection
// across the reboot; a request sent on it as SIS comes up reaches SIS before its DHCP lease, and
// SIS dropped it: the host then heard nothing until the user network's retransmission (>= 1 s,
// backing off to 12 s). SIS now holds TCP segments that arrive before it has an address and
// answers them (RST: no such connection) the moment DHCP configures it -- when /etc/net-hold
// exists at boot (off by default: see kernel/net/README.md).
describe("net (QEMU): a pooled keep-alive client across a reboot of SIS", function () {
  this.timeout(120000);
  const rebootBase = `http://127.0.0.1:${rebootPort}`;
  const boot = bootForSuite({ systemDiskSnapshot: true, net: { port: rebootPort } });

  type Outcome = { what: string; reused: boolean; doneAt: number };
  function get(agent: http.Agent): Promise<Outcome> {
    return new Promise((resolve) => {
      const req = http.get(`${rebootBase}/api/bytes?n=16`, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve({ what: String(res.statusCode), reused: req.reusedSocket, doneAt: Date.now() }));
      });
      req.setTimeout(20000, () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
      req.on("error", (e: any) => resolve({ what: e.code ?? e.message, reused: req.reusedSocket, doneAt: Date.now() }));
    });
  }

  it("answers or resets requests on sockets from before the reboot within 700 ms of the prompt", async () => {
    const s = boot.get();
    for (let i = 0; i < 50 && /"address":"0\.0\.0\.0"/.test(await s.run("netctl status --json")); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const warm = await Promise.all(Array.from({ length: 4 }, () => get(agent)));
    assert.deepEqual(warm.map((o) => o.what), ["200", "200", "200", "200"]);
    // holding is off by default (kernel/net/README.md); /etc/net-hold switches it on at boot
    // (the system disk is a snapshot: the file does not outlive this QEMU)
    await s.run("write /etc/net-hold on");
    await s.run("sync");
    const from = s.serialLog.length;
    s.type("reboot\r");
    // "network: eth0 ... DHCP started": the NIC is up, the lease not yet there
    await s.waitFor(/network: +eth0.*holding early TCP segments/, 60000, from);
    const sentAt = Date.now();
    const pending = Promise.all(Array.from({ length: 4 }, () => get(agent)));
    await s.waitFor("sis> ", 60000, from);
    const promptAt = Date.now();
    const outcomes = await pending;
    const stats = JSON.parse((await s.run("netctl stats --json")).trim());
    const detail = `${JSON.stringify(outcomes.map((o) => ({ ...o, afterPromptMs: o.doneAt - promptAt })))}; ` +
      `prompt ${promptAt - sentAt} ms after sending; held ${stats.ip_held_unconfigured}, replayed ${stats.ip_held_replayed}`;
    console.log(`      ${detail}`);
    for (const o of outcomes) {
      assert.ok(o.reused, `the request went out on a pooled socket: ${detail}`);
      assert.ok(o.what === "200" || o.what === "ECONNRESET", `answer or reset, not ${o.what}: ${detail}`);
      assert.ok(o.doneAt - promptAt < 700, `outcome within 700 ms of the prompt: ${detail}`);
    }
    const after = await get(agent);
    assert.equal(after.what, "200", "a new connection after the reboot is served");
    agent.destroy();
  });
});
