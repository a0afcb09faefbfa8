import { QemuSession, freePort } from "/work/wt/net/host/qemu.ts";
import * as http from "node:http";
const port = await freePort();
const s = await QemuSession.start({ systemDiskSnapshot: true, net: { port } });
const base = `http://127.0.0.1:${port}`;
try {
  await s.waitForPrompt(90000);
  await new Promise((r) => setTimeout(r, 2000));
  const fresh = new http.Agent({ keepAlive: false, maxSockets: 100 });
  const get = (path: string) => new Promise<string>((resolve) => {
    const t0 = Date.now();
    http.get(`${base}${path}`, { agent: fresh, timeout: 8000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(`${res.statusCode} ${Date.now() - t0}ms`));
    }).on("error", (e) => resolve("ERR " + e.message)).on("timeout", () => resolve("TIMEOUT"));
  });
  for (const n of [1, 5, 20, 50]) {
    const r = await Promise.all(Array.from({ length: n }, () => get("/api/state")));
    console.log(n, r.join(" | "));
  }
  const conns = JSON.parse((await s.run("netctl conns --json")).trim());
  const byState: Record<string, number> = {};
  for (const c of conns) byState[c.state] = (byState[c.state] ?? 0) + 1;
  console.log(byState);
  console.log(await s.run("netctl status --json"));
  await new Promise((r) => setTimeout(r, 1000));
  console.log(await s.run("netctl status --json"));
  console.log(conns.filter((c: any) => c.state !== "TIME_WAIT").slice(0, 5));
} finally {
  await s.close();
}
