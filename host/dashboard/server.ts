// The dashboard's web server (127.0.0.1 only): the page, its JSON API, and a WebSocket that
// pushes a chart point every second, the autoctl report every few seconds, the machine's state
// and crash-run progress. Everything it shows comes from SIS (HTTP API, serial log) or QEMU.
//
//   GET  /                      the page (public/), /uplot.js + /uplot.css from node_modules/uplot
//   GET  /api/status            machine state, crash history
//   POST /api/ask {question}    `llmctl infer --json "QUESTION"`: answer + suggested command
//   POST /api/execute {command} runs a command the model suggested (the click is the approval)
//   GET  /api/files?path=P      directory listing or file contents (view)
//   PUT  /api/files?path=P      create/replace (upload) with the body; > MAX_UPLOAD refused (413)
//   POST /api/files?path=P&op=mkdir, DELETE /api/files?path=P
//   POST /api/crash             one "crash during write" run (409 while one is in progress)
//   POST /api/control {action}  "fair" | "attention" | "heuristic" (schedctl policy) or "workload"
//                               (stresstest mixed for 20 s) or "oom" (crashctl run: a live OOM
//                               episode): so the charts and AI cards have something to measure
//   WS   /ws                    {type: "hello"|"point"|"state"|"metrics"|"crash", ...}
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer, WebSocket } from "ws";
import { ROOT } from "../qemu.ts";
import { Machine, ApiError } from "./machine.ts";
import { Sampler } from "./samples.ts";
import { CrashDemo } from "./crash.ts";

export const MAX_UPLOAD = 60 * 1024; // SIS's HTTP server takes bodies up to 64 KiB
const HERE = path.dirname(fileURLToPath(import.meta.url));
const STATIC: Record<string, [string, string]> = {
  "/": [path.join(HERE, "public/index.html"), "text/html; charset=utf-8"],
  "/app.js": [path.join(HERE, "public/app.js"), "text/javascript; charset=utf-8"],
  "/style.css": [path.join(HERE, "public/style.css"), "text/css; charset=utf-8"],
  "/uplot.js": [path.join(ROOT, "node_modules/uplot/dist/uPlot.iife.min.js"), "text/javascript; charset=utf-8"],
  "/uplot.css": [path.join(ROOT, "node_modules/uplot/dist/uPlot.min.css"), "text/css; charset=utf-8"],
};

const CONTROLS: Record<string, string> = {
  fair: "schedctl policy fair", attention: "schedctl policy attention", heuristic: "schedctl policy heuristic",
  workload: "stresstest mixed --seconds 20",
  oom: "crashctl run --seed 7", // a live OOM episode (kernel/ai/oom): the predictor's confidence moves
};

/** "" when `p` may be used on the system disk, else the reason (checked again by SIS). */
export function pathProblem(p: string): string {
  if (typeof p !== "string" || !p.startsWith("/")) return "the path must be absolute (start with /)";
  if (p.includes("\0")) return "the path contains a NUL byte";
  if (Buffer.byteLength(p) > 1024) return "the path is longer than 1024 bytes";
  if (p.split("/").includes("..")) return "'..' is not allowed: the file manager stays on the system disk";
  if (p === "/tmp" || p.startsWith("/tmp/")) return "/tmp is in RAM, not on the system disk";
  return "";
}

function shellQuote(s: string): string {
  return `"${s.replace(/[\\"]/g, "\\$&")}"`;
}

export class DashboardServer {
  server: http.Server;
  wss: WebSocketServer;
  sampler = new Sampler();
  crash: CrashDemo;
  report: any = null;
  suggested = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private sampling = false;

  constructor(public machine: Machine) {
    this.crash = new CrashDemo(machine, (msg) => this.broadcast({ type: "crash", message: msg }));
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => this.send(res, e instanceof ApiError ? e.status : 500, { error: (e as Error).message }));
    });
    this.wss = new WebSocketServer({ server: this.server, path: "/ws" });
    this.wss.on("connection", (ws) => {
      ws.send(JSON.stringify({ type: "hello", state: machine.state, detail: machine.detail, points: this.sampler.points,
        metrics: this.report, history: this.crash.history, running: this.crash.running }));
    });
  }

  /** The machine changed state (Machine's onState calls this). */
  stateChanged(state: string, detail: string): void {
    if (state === "booting" || state === "up") this.sampler.restart();
    this.broadcast({ type: "state", state, detail });
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.timers.push(setInterval(() => void this.samplePoint(), 1000));
        this.timers.push(setInterval(() => void this.refreshReport(), 4000));
        resolve((this.server.address() as any).port);
      });
    });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    await new Promise((r) => this.server.close(r));
  }

  broadcast(msg: object): void {
    const text = JSON.stringify(msg);
    for (const c of this.wss.clients) if (c.readyState === WebSocket.OPEN) c.send(text);
  }

  private async samplePoint(): Promise<void> {
    if (this.sampling || this.machine.state !== "up") return;
    this.sampling = true;
    try {
      const p = this.sampler.add(await this.machine.metrics());
      this.broadcast({ type: "point", point: p });
    } catch { /* the machine's state says why */ } finally {
      this.sampling = false;
    }
  }

  async refreshReport(): Promise<void> {
    if (this.machine.state !== "up") return;
    try {
      const r = await this.machine.shell("autoctl ai-metrics --json", 20000);
      if (r.status === 0) {
        this.report = JSON.parse(r.output);
        this.broadcast({ type: "metrics", metrics: this.report });
      }
    } catch { /* shown by the state */ }
  }

  private send(res: http.ServerResponse, status: number, body: object): void {
    if (res.headersSent) return;
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
  }

  private body(req: http.IncomingMessage, limit: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > limit) {
        reject(new ApiError(`too large: ${declared} bytes (the limit is ${limit} bytes)`, 413));
        req.resume();
        return;
      }
      const parts: Buffer[] = [];
      let n = 0;
      req.on("data", (d: Buffer) => {
        n += d.length;
        if (n > limit) {
          reject(new ApiError(`too large: over ${limit} bytes`, 413));
          req.destroy();
        } else parts.push(d);
      });
      req.on("end", () => resolve(Buffer.concat(parts)));
      req.on("error", reject);
    });
  }

  private async json(req: http.IncomingMessage): Promise<any> {
    try {
      return JSON.parse((await this.body(req, 16384)).toString("utf8") || "{}");
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError("the body must be JSON", 400);
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const st = STATIC[url.pathname];
    if (st && req.method === "GET") {
      res.writeHead(200, { "content-type": st[1], "cache-control": "no-store" });
      res.end(fs.readFileSync(st[0]));
      return;
    }
    if (url.pathname === "/favicon.ico" && req.method === "GET") {
      res.writeHead(200, { "content-type": "image/svg+xml" });
      res.end('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f6fb2"/></svg>');
      return;
    }
    const m = this.machine;
    switch (`${req.method} ${url.pathname}`) {
      case "GET /api/status":
        return this.send(res, 200, { state: m.state, detail: m.detail, history: this.crash.history, running: this.crash.running });
      case "POST /api/ask": {
        const q = String((await this.json(req)).question ?? "").trim();
        if (!q) return this.send(res, 400, { error: "type a question first" });
        if (q.length > 400) return this.send(res, 400, { error: `the question is ${q.length} characters; at most 400` });
        const r = await m.shell(`llmctl infer --json ${shellQuote(q)}`, 120000);
        let parsed: any = null;
        try { parsed = JSON.parse(r.output); } catch { /* an error line */ }
        if (r.status !== 0 || !parsed) return this.send(res, 200, { ok: false, error: r.output.trim() || `exit status ${r.status}` });
        if (typeof parsed.command === "string" && parsed.command) this.suggested.add(parsed.command);
        return this.send(res, 200, { ok: true, ...parsed });
      }
      case "POST /api/execute": {
        const c = String((await this.json(req)).command ?? "");
        if (!this.suggested.has(c)) return this.send(res, 400, { error: "only a command the model suggested can be executed here" });
        const r = await m.shell(c, 120000);
        return this.send(res, 200, r);
      }
      case "POST /api/control": {
        const a = String((await this.json(req)).action ?? "");
        const command = CONTROLS[a];
        if (!command) return this.send(res, 400, { error: `unknown action '${a}'` });
        const r = await m.shell(command, 30000);
        return this.send(res, 200, r);
      }
      case "POST /api/crash": {
        const run = await this.crash.run();
        this.broadcast({ type: "crash", run, history: this.crash.history });
        return this.send(res, 200, run);
      }
    }
    if (url.pathname === "/api/files") return this.files(req, res, url);
    this.send(res, 404, { error: `no such page: ${url.pathname}` });
  }

  private async files(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const p = url.searchParams.get("path") ?? "";
    const problem = pathProblem(p);
    if (problem) return this.send(res, 400, { error: problem });
    const m = this.machine;
    if (req.method === "GET") {
      const r = await m.files("GET", p);
      if (r.json) return this.send(res, r.status, r.json);
      const bytes = r.bytes!;
      const text = bytes.toString("utf8");
      const binary = text.includes("\uFFFD") || /[\0-\x08\x0e-\x1f]/.test(text.slice(0, 4096));
      return this.send(res, 200, { path: p, size: bytes.length, binary,
        text: binary ? undefined : text.slice(0, 65536), hex: binary ? bytes.subarray(0, 512).toString("hex") : undefined });
    }
    if (req.method === "PUT") {
      const body = await this.body(req, MAX_UPLOAD);
      const r = await m.files("PUT", p, body);
      return this.send(res, r.status, r.json ?? {});
    }
    if (req.method === "DELETE") {
      const r = await m.files("DELETE", p);
      return this.send(res, r.status, r.json ?? {});
    }
    if (req.method === "POST" && url.searchParams.get("op") === "mkdir") {
      const r = await m.files("POST", p, undefined, "&op=mkdir");
      return this.send(res, r.status, r.json ?? {});
    }
    this.send(res, 405, { error: "use GET, PUT, DELETE or POST ?op=mkdir" });
  }
}
