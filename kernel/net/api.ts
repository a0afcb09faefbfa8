// The HTTP API on port 80 (kernel/net/README.md has the list):
//   GET  /metrics      Prometheus text 0.0.4 (kernel_metrics.ts)
//   GET  /api/state    one JSON snapshot (network, memory, tasks, mounts)
//   POST /api/shell    runs one shell command; body = the command line (or {"command": "..."});
//                      answers {"command", "status", "output"}. Needs Authorization: Bearer TOKEN.
//   GET  /api/bytes?n=N  N bytes of a pattern (throughput measurements)
//   GET|PUT|DELETE|POST /api/files?path=P   the system disk's files (files_api.ts; needs the token)
// TOKEN is 32 hex digits drawn at boot from the counter (kernel/lib/random), printed on the
// console and written to /etc/api-token. Anything that changes state requires it: 401 without.
import { HttpHandler, HttpRequest, HttpResponse, HttpServer, BodySource, utf8 } from "./http";
import { MetricsWriter } from "./metrics";
import { writeKernelMetrics } from "./kernel_metrics";
import { writeNetMetrics } from "./net_metrics";
import { listenTcp } from "./socket";
import { ipToString, macToString } from "./bytes";
import { stateName } from "./tcp";
import { netStack, netDevice, dhcpClient, registerNetService } from "./init";
import { Random } from "../lib/random";
import { nowTicks, nowUs } from "../platform/time";
import { beginCapture, endCapture } from "../platform/console";
import { managedPages, freePagesNow, PAGE_SIZE } from "../mm/pages";
import { liveTasks } from "../sched/scheduler";
import { mountTable } from "../fs/vfs";
import { makeDirectory } from "../fs/vfs";
import { writeTextFile } from "../fs/files";
import { handleFiles } from "./files_api";
import { jsonString } from "../lib/json_string";

export const API_PORT: u32 = 80;
export let apiToken: string = "";
export let apiServer: HttpServer | null = null;
export let shellRequests: u64 = 0;
let shellBusy = false;

export type CommandRunner = (line: string) => i32;
function noShell(line: string): i32 {
  return -1;
}
let runCommand: CommandRunner = noShell;

/** The shell behind POST /api/shell (kernel/init.ts wires the console's shell in). */
export function setCommandRunner(runner: CommandRunner): void {
  runCommand = runner;
}

/** The "command" string of a small JSON object, or null when absent or malformed. */
export function jsonCommandField(body: string): string | null {
  const key = body.indexOf("\"command\"");
  if (key < 0) return null;
  let i = body.indexOf(":", key + 9);
  if (i < 0) return null;
  i++;
  while (i < body.length && (body.charCodeAt(i) == 32 || body.charCodeAt(i) == 9 || body.charCodeAt(i) == 10)) i++;
  if (i >= body.length || body.charCodeAt(i) != 34) return null;
  i++;
  let out = "";
  while (i < body.length) {
    const c = body.charCodeAt(i);
    if (c == 34) return out;
    if (c == 92) {
      if (i + 1 >= body.length) return null;
      const e = body.charCodeAt(i + 1);
      if (e == 110) out += "\n";
      else if (e == 116) out += "\t";
      else if (e == 34 || e == 92 || e == 47) out += String.fromCharCode(e);
      else return null;
      i += 2;
      continue;
    }
    out += String.fromCharCode(c);
    i++;
  }
  return null;
}

function newToken(): string {
  const r = new Random(Random.mix(nowTicks()) ^ 0x5349532d746f6b65);
  let t = "";
  for (let i = 0; i < 2; i++) {
    const v = r.next();
    for (let j = 0; j < 16; j++) t += "0123456789abcdef".charAt(<i32>((v >> <u64>(4 * j)) & 15));
  }
  return t;
}

function authorized(req: HttpRequest): bool {
  const h = req.header("authorization");
  if (h == null) return false;
  const v = h!;
  if (!v.startsWith("Bearer ")) return false;
  const given = v.substring(7);
  if (given.length != apiToken.length) return false;
  let diff = 0;
  for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ apiToken.charCodeAt(i); // constant time
  return diff == 0;
}

function stateJson(): string {
  const s = netStack;
  let net = "null";
  if (s != null && netDevice != null) {
    const conns = s.tcp.connections();
    let cs = "";
    for (let i = 0; i < conns.length; i++) {
      const c = conns[i];
      cs += (i > 0 ? "," : "") + "{\"remote\":" + jsonString(ipToString(c.remoteIp) + ":" + c.remotePort.toString()) +
        ",\"local_port\":" + c.localPort.toString() + ",\"state\":" + jsonString(stateName(c.state)) + "}";
    }
    net = "{\"interface\":\"eth0\",\"mac\":" + jsonString(macToString(netDevice!.mac)) + ",\"address\":" +
      jsonString(ipToString(s.address)) + ",\"gateway\":" + jsonString(ipToString(s.gateway)) + ",\"link_up\":" +
      (netDevice!.linkUp() ? "true" : "false") + ",\"dhcp\":" + jsonString(dhcpClient != null ? dhcpClient!.describe() : "off") +
      ",\"rx_frames\":" + netDevice!.counters.rxFrames.toString() + ",\"tx_frames\":" + netDevice!.counters.txFrames.toString() +
      ",\"tcp_connections\":[" + cs + "]}";
  }
  const tasks = liveTasks();
  let ts = "";
  for (let i = 0; i < tasks.length; i++) {
    ts += (i > 0 ? "," : "") + "{\"id\":" + tasks[i].id.toString() + ",\"name\":" + jsonString(tasks[i].name) + "}";
  }
  const mounts = mountTable();
  let ms = "";
  for (let i = 0; i < mounts.length; i++) ms += (i > 0 ? "," : "") + jsonString(mounts[i].path);
  return "{\"uptime_us\":" + nowUs().toString() + ",\"memory\":{\"managed_bytes\":" +
    (<u64>managedPages() * <u64>PAGE_SIZE).toString() + ",\"free_bytes\":" + (<u64>freePagesNow() * <u64>PAGE_SIZE).toString() +
    "},\"tasks\":[" + ts + "],\"mounts\":[" + ms + "],\"network\":" + net + ",\"api\":{\"shell_requests\":" +
    shellRequests.toString() + "}}";
}

function unauthorized(): HttpResponse {
  const r = HttpResponse.json(401, "{\"error\":\"missing or wrong bearer token (see /etc/api-token)\"}");
  r.headers = "WWW-Authenticate: Bearer\r\n";
  return r;
}

function runShell(req: HttpRequest): HttpResponse {
  if (!authorized(req)) return unauthorized();
  const body = String.UTF8.decode(req.body.slice().buffer); // a command may name files in UTF-8
  let line: string | null = body;
  const trimmed = body.trim();
  if (trimmed.startsWith("{")) line = jsonCommandField(trimmed);
  if (line == null) return HttpResponse.json(400, "{\"error\":\"body must be a command line or {\\\"command\\\": \\\"...\\\"}\"}");
  const command = line!.trim();
  if (command.length == 0 || command.length > 512) return HttpResponse.json(400, "{\"error\":\"command must be 1 to 512 characters\"}");
  if (shellBusy) return HttpResponse.json(503, "{\"error\":\"another shell request is running\"}");
  shellBusy = true;
  shellRequests++;
  beginCapture();
  const status = runCommand(command);
  const out = endCapture();
  shellBusy = false;
  let text = "";
  for (let i = 0; i < out.length; i++) if (out[i] != 13) text += String.fromCharCode(<i32>out[i]);
  text = String.UTF8.decode(utf8Latin(text).buffer);
  return HttpResponse.json(200, "{\"command\":" + jsonString(command) + ",\"status\":" + status.toString() + ",\"output\":" +
    jsonString(text) + "}");
}

/** Bytes of a string whose characters are bytes (so captured UTF-8 decodes as UTF-8). */
function utf8Latin(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = <u8>s.charCodeAt(i);
  return b;
}

/** "abc...z" repeated, made piece by piece as it is sent (so any n fits in a small heap). */
class PatternSource extends BodySource {
  private period: Uint8Array = new Uint8Array(26 * 2 + STREAM_PIECE);
  constructor(length: i64) {
    super(length);
    for (let i = 0; i < this.period.length; i++) this.period[i] = <u8>(97 + i % 26);
  }
  fill(dst: Uint8Array, len: i32, position: i64): void {
    let done = 0;
    while (done < len) {
      const at = <i32>((position + <i64>done) % 26);
      const n = min(len - done, STREAM_PIECE);
      memory.copy(dst.dataStart + <usize>done, this.period.dataStart + <usize>at, <usize>n);
      done += n;
    }
  }
}
const STREAM_PIECE: i32 = 26 * 1260; // 32760: the period table holds one piece from any phase

const BYTES_MAX: i64 = 8 << 20;

function patternBytes(req: HttpRequest): HttpResponse {
  const n = I64.parseInt(req.queryValue("n", "1024"));
  // bodies over 64 KiB are streamed (no heap growth with n); the 8 MiB limit stays from when the
  // body was built whole on the 48 MiB heap (n = 40 MiB panicked SIS), with its one-line refusal
  if (n < 0 || n > BYTES_MAX) return HttpResponse.text(400, "n must be 0 to " + BYTES_MAX.toString() + "\n");
  if (n > 65536) return HttpResponse.streamed(200, "application/octet-stream", new PatternSource(n));
  const len = <i32>n;
  const b = new Uint8Array(len);
  // "abc...z" repeated: one period, then the filled part copied onto itself, doubling (a byte
  // loop with a division per byte was half of the guest's time in a 4 MiB transfer)
  const first = min(len, 26);
  for (let i = 0; i < first; i++) b[i] = <u8>(97 + i);
  let filled = first;
  while (filled < len) {
    const k = min(filled - filled % 26, len - filled);
    memory.copy(b.dataStart + <usize>filled, b.dataStart, <usize>k);
    filled += k;
  }
  return new HttpResponse(200, "application/octet-stream", b);
}

export class ApiHandler extends HttpHandler {
  handle(req: HttpRequest): HttpResponse {
    const p = req.path;
    if (p == "/metrics") {
      if (req.method != "GET" && req.method != "HEAD") return HttpResponse.text(405, "use GET\n");
      const w = new MetricsWriter();
      writeKernelMetrics(w);
      if (netStack != null && netDevice != null) writeNetMetrics(w, netStack!, netDevice!, apiServer, nowUs());
      return new HttpResponse(200, "text/plain; version=0.0.4", utf8(w.text()));
    }
    if (p == "/api/state") {
      if (req.method != "GET") return HttpResponse.text(405, "use GET\n");
      return HttpResponse.json(200, stateJson());
    }
    if (p == "/api/shell") {
      if (req.method != "POST") return HttpResponse.text(405, "use POST\n");
      return runShell(req);
    }
    if (p == "/api/files") return authorized(req) ? handleFiles(req) : unauthorized();
    if (p == "/api/bytes") {
      if (req.method != "GET") return HttpResponse.text(405, "use GET\n");
      return patternBytes(req);
    }
    if (p == "/") return HttpResponse.text(200, "SIS kernel API: GET /metrics, GET /api/state, POST /api/shell (Bearer token)\n");
    return HttpResponse.text(404, "not found\n");
  }
}

function clockUs(): u64 {
  return nowUs();
}

function pollApi(): void {
  const s = apiServer;
  if (s != null) s.poll();
}

/** Starts the API server and makes the token; returns the banner line. */
export function startApi(): string {
  const stack = netStack;
  if (stack == null) return "";
  const l = listenTcp(stack, API_PORT, 64);
  if (l == null) return "error: port 80 is taken";
  apiServer = new HttpServer(l, new ApiHandler(), clockUs);
  registerNetService(pollApi);
  apiToken = newToken();
  makeDirectory("/etc", 0o755);
  const w = writeTextFile("/etc/api-token", apiToken + "\n");
  return "HTTP API on port 80, token " + apiToken + (w < 0 ? " (could not write /etc/api-token: " + w.toString() + ")" : " (in /etc/api-token)");
}

/** Sets the token without starting a server (the net_rx fuzz target; the kernel's comes from startApi). */
export function setApiToken(token: string): void {
  apiToken = token;
}
