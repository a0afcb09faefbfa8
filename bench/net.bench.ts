// Network in QEMU (user networking, TCG): boots SIS with virtio-net and measures from the host
//   net.http.keepalive      requests/s and p50/p99 latency (ms) of GET /api/bytes?n=64 over
//                           CONNECTIONS keep-alive connections for SECONDS
//   net.http.new_conn       the same with a new TCP connection per request (Connection: close)
//   net.tcp.guest_to_host   Mbit/s of one 4 MiB body (GET /api/bytes?n=4194304), median of 3
//   net.tcp.host_to_guest   Mbit/s of `httpget` downloading 4 MiB from a host server into /tmp
// Run: `make bench` (all) or `node_modules/.bin/tsx bench/run.ts net`.
import * as http from "node:http";
import * as net from "node:net";
import { QemuSession, freePort } from "../host/qemu.ts";
import { BenchResult, summarize } from "./lib.ts";

const CONNECTIONS = 8;
const SECONDS = 5;
const BIG = 4 << 20;

function request(agent: http.Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http.get(url, { agent, timeout: 30000 }, (res) => {
      let n = 0;
      res.on("data", (d) => (n += d.length));
      res.on("end", () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`HTTP ${res.statusCode}`))));
    }).on("error", reject);
  });
}

async function load(url: string, keepAlive: boolean): Promise<BenchResult> {
  const agent = new http.Agent({ keepAlive, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (Date.now() < end) {
      try {
        latencies.push(await request(agent, url));
      } catch {
        errors++;
      }
    }
  }));
  const elapsed = (Date.now() - started) / 1000;
  agent.destroy();
  return summarize(keepAlive ? "net.http.keepalive" : "net.http.new_conn", "ms", latencies,
    { requests_per_s: Math.round(latencies.length / elapsed), connections: CONNECTIONS, errors, where: "qemu" });
}

async function download(url: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const agent = new http.Agent({ keepAlive: false });
  await request(agent, url);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return (BIG * 8) / s / 1e6;
}

export async function run(): Promise<BenchResult[]> {
  const port = await freePort();
  const session = await QemuSession.start({ systemDiskSnapshot: true, net: { port } });
  const base = `http://127.0.0.1:${port}`;
  const body = Buffer.alloc(BIG, 7);
  const server = http.createServer((req, res) => res.writeHead(200, { "Content-Length": body.length }).end(body));
  try {
    await session.waitForPrompt();
    for (let i = 0; i < 50 && !(await session.run("netctl status")).includes("bound"); i++) await new Promise((r) => setTimeout(r, 200));
    const results: BenchResult[] = [];
    results.push(await load(`${base}/api/bytes?n=64`, true));
    results.push(await load(`${base}/api/bytes?n=64`, false));
    const out: number[] = [];
    for (let i = 0; i < 3; i++) out.push(await download(`${base}/api/bytes?n=${BIG}`));
    out.sort((a, b) => a - b);
    results.push({ name: "net.tcp.guest_to_host", unit: "Mbit/s", n: 3, p50: out[1], min: out[0], max: out[2], bytes: BIG, where: "qemu" });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const hostPort = (server.address() as net.AddressInfo).port;
    const ins: number[] = [];
    for (let i = 0; i < 3; i++) {
      const text = await session.run(`httpget http://10.0.2.2:${hostPort}/big /tmp/big`, 120000);
      const m = /\(([\d.]+) Mbit\/s\)/.exec(text);
      if (m) ins.push(Number(m[1]));
      await session.run("rm /tmp/big");
    }
    ins.sort((a, b) => a - b);
    results.push({ name: "net.tcp.host_to_guest", unit: "Mbit/s", n: ins.length, p50: ins[Math.floor(ins.length / 2)], min: ins[0],
      max: ins[ins.length - 1], bytes: BIG, where: "qemu" });
    return results;
  } finally {
    server.close();
    await session.close();
  }
}
