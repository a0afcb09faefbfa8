// `make dashboard`: boots SIS in QEMU (a private copy of the system disk under build/dashboard/)
// and serves the dashboard on 127.0.0.1 (DASHBOARD_PORT=, default a free port). When QEMU exits
// the page says so and the server boots it again.
import { Machine } from "./machine.ts";
import { DashboardServer } from "./server.ts";

const want = process.env.DASHBOARD_PORT ? Number(process.env.DASHBOARD_PORT) : 0;
if (!(Number.isInteger(want) && want >= 0 && want < 65536)) {
  console.error(`error: DASHBOARD_PORT=${process.env.DASHBOARD_PORT} is not a port number`);
  process.exit(2);
}
let server: DashboardServer;
const machine = new Machine({ onState: (s, d) => {
  console.log(`sis: ${s}${d ? " (" + d + ")" : ""}`);
  server?.stateChanged(s, d);
} });
server = new DashboardServer(machine);
const port = await server.listen(want);
console.log(`dashboard: http://127.0.0.1:${port}/  (Ctrl-C stops it and QEMU)`);
if (process.env.DASHBOARD_FRESH_DISK !== "0") machine.prepareDisk();

async function keepRunning(): Promise<void> {
  for (;;) {
    try {
      await machine.start();
      console.log(`sis: up; API on 127.0.0.1:${machine.port}`);
      await machine.session!.exited;
    } catch (e) {
      console.error(`sis: ${(e as Error).message.split("\n")[0]}`);
      await machine.stop();
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}
void keepRunning();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, async () => {
    await server.close();
    await machine.stop();
    process.exit(0);
  });
}
