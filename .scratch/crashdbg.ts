import * as path from "node:path";
import * as fs from "node:fs";
import { Machine } from "../host/dashboard/machine.ts";
import { CrashDemo } from "../host/dashboard/crash.ts";
const dir = "/tmp/crashdbg"; fs.rmSync(dir, { recursive: true, force: true });
const m = new Machine({ workDir: dir, onState: (s, d) => console.log("state", s, d ?? "") });
await m.start();
let stop = false;
(async () => { while (!stop) { const t = Date.now(); try { await m.metrics(); } catch (e) { console.log("metrics err", (e as Error).message, Date.now() - t, "ms"); } await new Promise((r) => setTimeout(r, 1000)); } })();
(async () => { while (!stop) { const t = Date.now(); try { await m.shell("uptime"); } catch (e) { console.log("shell err", (e as Error).message, Date.now() - t, "ms"); } await new Promise((r) => setTimeout(r, 4000)); } })();
await new Promise((r) => setTimeout(r, 5000));
const c = new CrashDemo(m, (msg) => console.log("progress", msg));
const timer = setTimeout(() => { console.log("TIMEOUT; serial tail:\n" + m.session!.serialLog.slice(-3000)); process.exit(1); }, 90000);
try { const r = await c.run(); console.log(JSON.stringify(r).slice(0, 1500)); } catch (e) { console.log("error", e); console.log(m.session!.serialLog.slice(-3000)); }
clearTimeout(timer);
m.session!.kill(); process.exit(0);
