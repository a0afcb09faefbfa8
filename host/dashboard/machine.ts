// The SIS machine behind the dashboard: QEMU (host/qemu.ts) with a private copy of the system
// disk, the guest's HTTP API through a forwarded port, and QMP for power cuts.
//
// State: "booting" (QEMU started, no prompt yet), "up" (the API answered), "reconnecting" (a
// request failed or the machine rebooted: requests wait until it answers again), "down" (QEMU
// exited; start() boots it again). Every call to the API goes through one queue, because SIS
// runs one shell request at a time (503 otherwise) and a request is synchronous in the kernel.
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { QemuSession, ROOT, freePort } from "../qemu.ts";

export type MachineState = "booting" | "up" | "reconnecting" | "down";

export interface ShellResult { command: string; status: number; output: string }

export class ApiError extends Error {
  constructor(message: string, public status: number) {
    super(message);
  }
}

export interface MachineOptions {
  /** Directory for the disk copy and QEMU's sockets (default build/dashboard). */
  workDir?: string;
  /** The image copied to the machine's disk at first start (default build/disk.img). */
  sourceDisk?: string;
  /** Called with every state change. */
  onState?: (s: MachineState, detail: string) => void;
}

/** Payload the crash demo copies: seeded bytes put on the disk before the first boot. */
export const PAYLOAD_PATH = "/crash/payload.bin";
export const PAYLOAD_BYTES = 4 << 20;

export class Machine {
  session: QemuSession | null = null;
  state: MachineState = "down";
  detail = "";
  token = "";
  port = 0;
  readonly workDir: string;
  readonly disk: string;
  payloadSha = "";
  private queue: Promise<unknown> = Promise.resolve();
  private opts: MachineOptions;
  bootCount = 0;

  constructor(opts: MachineOptions = {}) {
    this.opts = opts;
    this.workDir = opts.workDir ?? path.join(ROOT, "build/dashboard");
    this.disk = path.join(this.workDir, "disk.img");
  }

  private setState(s: MachineState, detail = ""): void {
    this.state = s;
    this.detail = detail;
    this.opts.onState?.(s, detail);
  }

  /** Fresh disk copy with the crash payload (seeded bytes, SHA-256 kept) written by debugfs. */
  prepareDisk(): void {
    fs.mkdirSync(this.workDir, { recursive: true });
    fs.copyFileSync(this.opts.sourceDisk ?? path.join(ROOT, "build/disk.img"), this.disk);
    const payload = path.join(this.workDir, "payload.bin");
    const buf = Buffer.alloc(PAYLOAD_BYTES);
    let x = 0x9e3779b9 >>> 0; // xorshift32, seed fixed: the same payload every run
    for (let i = 0; i < buf.length; i += 4) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      buf.writeUInt32LE(x, i);
    }
    fs.writeFileSync(payload, buf);
    this.payloadSha = sha256(buf);
    // debugfs writes around the journal: a copy whose journal still holds committed transactions
    // (an earlier session killed before its checkpoint) must be recovered first, or SIS's replay at
    // mount would put the old metadata back over debugfs's changes
    recoverJournal(this.disk);
    execFileSync("debugfs", ["-w", "-R", "mkdir /crash", this.disk], { stdio: "ignore" });
    execFileSync("debugfs", ["-w", "-R", `write ${payload} ${PAYLOAD_PATH}`, this.disk], { stdio: "ignore" });
  }

  async start(): Promise<void> {
    if (!fs.existsSync(this.disk)) this.prepareDisk();
    else if (!this.payloadSha) this.payloadSha = sha256(fs.readFileSync(path.join(this.workDir, "payload.bin")));
    this.port = await freePort();
    this.setState("booting", "starting QEMU");
    const qdir = fs.mkdtempSync(path.join(this.workDir, "qemu-"));
    this.session = await QemuSession.start({ systemDisk: this.disk, net: { port: this.port }, workDir: qdir });
    const s = this.session;
    s.exited.then(() => {
      if (this.session === s) this.setState("down", `QEMU exited (${s.exitCode})`);
    });
    await this.waitBooted(0);
  }

  /** Waits for the prompt after serial offset `from`, reads the token, waits for the API. */
  async waitBooted(from: number, timeoutMs = 120000): Promise<number> {
    const s = this.session!;
    const t0 = Date.now();
    await s.waitFor("sis> ", timeoutMs, from);
    const m = s.serialLog.slice(from).match(/token ([0-9a-f]{32})/);
    if (!m) throw new Error("SIS printed no API token (is the network up?)");
    this.token = m[1];
    this.bootCount++;
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${this.port}/api/state`, { headers: { connection: "close" }, signal: AbortSignal.timeout(3000) });
        if (r.ok) break;
      } catch { /* not yet */ }
      if (Date.now() - t0 > timeoutMs) throw new Error("the API did not answer after boot");
      await sleep(200);
    }
    this.setState("up");
    return Date.now() - t0;
  }

  /** Runs `fn` after every earlier queued call (one API request at a time). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async request(pathAndQuery: string, init: RequestInit = {}, timeoutMs = 60000): Promise<Response> {
    if (this.state === "down") throw new ApiError("SIS is not running", 503);
    if (this.state !== "up") throw new ApiError(`SIS is ${this.state}${this.detail ? ": " + this.detail : ""}; try again in a moment`, 503);
    try {
      return await fetch(`http://127.0.0.1:${this.port}${pathAndQuery}`, {
        // connection: close: a pooled keep-alive socket outlives a reboot of SIS, and a request sent
        // on it after the reboot was never answered (the dashboard test's crash run hung on it)
        ...init, headers: { authorization: `Bearer ${this.token}`, connection: "close", ...(init.headers ?? {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      this.reconnect(`request failed: ${(e as Error).message}`);
      throw new ApiError(`SIS did not answer (${(e as Error).message}); reconnecting`, 503);
    }
  }

  /** Marks the connection lost and probes until the API answers again. */
  reconnect(why: string): void {
    if (this.state !== "up") return;
    this.setState("reconnecting", why);
    const probe = async () => {
      while (this.state === "reconnecting") {
        try {
          const r = await fetch(`http://127.0.0.1:${this.port}/api/state`, { headers: { connection: "close" }, signal: AbortSignal.timeout(3000) });
          if (r.ok) { this.setState("up"); return; }
        } catch { /* still gone */ }
        await sleep(500);
      }
    };
    void probe();
  }

  shell(command: string, timeoutMs = 60000): Promise<ShellResult> {
    return this.serial(() => this.shellNow(command, timeoutMs));
  }

  /** The shell request itself, not queued: only inside exclusive(). */
  async shellNow(command: string, timeoutMs = 60000): Promise<ShellResult> {
    const r = await this.request("/api/shell", { method: "POST", body: JSON.stringify({ command }) }, timeoutMs);
    const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
    if (!r.ok) throw new ApiError(body.error ?? `HTTP ${r.status}`, r.status);
    return body as ShellResult;
  }

  /** GET /metrics (not queued: it does not use the shell). */
  async metrics(): Promise<string> {
    const r = await this.request("/metrics", {}, 5000);
    try {
      return await r.text();
    } catch (e) {
      throw new ApiError(`/metrics cut off: ${(e as Error).message}`, 503);
    }
  }

  files(method: string, p: string, body?: Buffer, extra = ""): Promise<{ status: number; json?: any; bytes?: Buffer }> {
    return this.serial(async () => {
      const r = await this.request(`/api/files?path=${encodeURIComponent(p)}${extra}`, { method, body }, 30000);
      const type = r.headers.get("content-type") ?? "";
      try {
        if (type.startsWith("application/json")) return { status: r.status, json: await r.json() };
        return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) };
      } catch (e) {
        this.reconnect(`answer cut off: ${(e as Error).message}`);
        throw new ApiError(`SIS did not answer completely (${(e as Error).message}); reconnecting`, 503);
      }
    });
  }

  /** Stops the machine and waits for QEMU to exit. */
  async stop(): Promise<void> {
    const s = this.session;
    this.session = null;
    this.setState("down", "stopped");
    await s?.close();
  }

  /** For the crash demo: exclusive use of the machine while `fn` runs (no API calls in between). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial(fn);
  }

  setStateForCrash(s: MachineState, detail: string): void {
    this.setState(s, detail);
  }
}

export function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** e2fsck -fy: replays a pending journal and repairs; exit 0 (clean) or 1 (fixed) is fine. */
function recoverJournal(image: string): void {
  const r = spawnSync("e2fsck", ["-fy", image], { encoding: "utf8" });
  if (r.status !== 0 && r.status !== 1) throw new Error(`e2fsck -fy ${image} exited ${r.status}: ${(r.stdout + r.stderr).trim().slice(-300)}`);
}
