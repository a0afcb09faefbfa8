// Side-by-side network throughput of two (or more) SIS builds: the images are booted in turn,
// round after round (A B A B ...), so load on the shared host falls on both alike. Each boot
// measures, from the host through QEMU's user network (the same flags as bench/net.bench.ts):
//   guest_to_host   Mbit/s of GET /api/bytes?n=BYTES (--mib, default 8 MiB, the most /api/bytes serves; median of REPS)
//   host_to_guest   Mbit/s `httpget` reports for as many bytes from a host server (median of REPS)
//   keepalive       requests/s of GET /api/bytes?n=64 over 4 keep-alive connections for 3 s
// Run:
//   node_modules/.bin/tsx bench/net_ab.ts --esp old=/tmp/esp-old.img --esp new=build/esp.img [--rounds 2] [--reps 3] [--mib 8]
// Prints one JSON line per boot and a table of the medians per image at the end (--json: JSON lines only).
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import { QemuSession, freePort } from "../host/qemu.ts";

const BIG = Number(process.argv.includes("--mib") ? process.argv[process.argv.indexOf("--mib") + 1] : "8") << 20;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const images: { label: string; esp: string }[] = [];
process.argv.forEach((a, i) => {
  if (a === "--esp" && i + 1 < process.argv.length) {
    const v = process.argv[i + 1];
    const eq = v.indexOf("=");
    images.push(eq > 0 ? { label: v.slice(0, eq), esp: v.slice(eq + 1) } : { label: v, esp: v });
  }
});
if (process.argv.includes("--help") || images.length === 0) {
  console.log("usage: tsx bench/net_ab.ts --esp LABEL=ESP.img [--esp LABEL=ESP.img ...] [--rounds N] [--reps N] [--mib N] [--json]");
  process.exit(images.length === 0 && !process.argv.includes("--help") ? 2 : 0);
}
const ROUNDS = Number(arg("--rounds", "2"));
const REPS = Number(arg("--reps", "3"));
const JSON_ONLY = process.argv.includes("--json");

function median(xs: number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function get(agent: http.Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http.get(url, { agent, timeout: 60000 }, (res) => {
      let n = 0;
      res.on("data", (d) => (n += d.length));
      res.on("end", () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e9) : reject(new Error(`HTTP ${res.statusCode}`))));
    }).on("error", reject).on("timeout", function (this: http.ClientRequest) { this.destroy(new Error("timeout")); });
  });
}

async function keepalive(base: string): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let n = 0;
  const end = Date.now() + 3000;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (Date.now() < end) {
      await get(agent, `${base}/api/bytes?n=64`);
      n++;
    }
  }));
  agent.destroy();
  return n / ((Date.now() - t0) / 1000);
}

async function measure(label: string, esp: string, round: number, hostPort: number): Promise<Record<string, unknown>> {
  const port = await freePort();
  const s = await QemuSession.start({ esp, systemDiskSnapshot: true, net: { port } });
  try {
    await s.waitForPrompt(120000);
    for (let i = 0; i < 50 && !(await s.run("netctl status")).includes("bound"); i++) await new Promise((r) => setTimeout(r, 200));
    const base = `http://127.0.0.1:${port}`;
    const out: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const agent = new http.Agent({ keepAlive: false });
      out.push((BIG * 8) / (await get(agent, `${base}/api/bytes?n=${BIG}`)) / 1e6);
    }
    const ins: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const text = await s.run(`httpget http://10.0.2.2:${hostPort}/big /tmp/big`, 180000);
      const m = /\(([\d.]+) Mbit\/s\)/.exec(text);
      ins.push(m ? Number(m[1]) : NaN);
      await s.run("rm /tmp/big");
    }
    const rps = await keepalive(base);
    const stats = JSON.parse((await s.run("netctl stats --json")).trim());
    return {
      image: label, round, guest_to_host_mbit: median(out), host_to_guest_mbit: median(ins), keepalive_rps: Math.round(rps),
      g2h: out.map((x) => +x.toFixed(1)), h2g: ins, tcp_retransmits: stats.tcp_retransmits, load1: +os.loadavg()[0].toFixed(2),
    };
  } finally {
    await s.close();
  }
}

const body = Buffer.alloc(BIG, 7);
const server = http.createServer((req, res) => res.writeHead(200, { "Content-Length": body.length }).end(body));
await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
const hostPort = (server.address() as net.AddressInfo).port;
const rows: Record<string, unknown>[] = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const im of images) {
      let row: Record<string, unknown>;
      try {
        row = await measure(im.label, im.esp, r, hostPort);
      } catch (e) {
        // a boot that failed (a kernel panic, a timeout) is reported, and the run goes on
        row = { image: im.label, round: r, error: String((e as Error).message).split("\n")[0].slice(0, 200) };
      }
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
} finally {
  server.close();
}
if (!JSON_ONLY) {
  console.log("\nimage        guest->host Mbit/s   host->guest Mbit/s   keep-alive req/s   (medians over rounds)");
  for (const im of images) {
    const mine = rows.filter((x) => x.image === im.label);
    const m = (k: string) => median(mine.map((x) => x[k] as number));
    console.log(`${im.label.padEnd(12)} ${m("guest_to_host_mbit").toFixed(1).padStart(18)} ${m("host_to_guest_mbit").toFixed(1).padStart(20)} ${m("keepalive_rps").toFixed(0).padStart(18)}`);
  }
}
process.exit(0);
