// QEMU launcher shared by `make qemu`, the target tests, the crash harness and benchmarks.
//
// qemuArgs() builds the command line (DESIGN.md section 4): virt machine, AAVMF firmware
// with a private copy of its variable store, the ESP on virtio-blk-pci (for the firmware),
// the system disk and any extra disks on virtio-mmio (for SIS: vda, vdb, ...).
//
// QemuSession runs QEMU with the serial port and QMP on unix sockets: it starts paused
// (-S), connects both (a socket serial port drops output while no client is connected),
// then sends QMP `cont`. It collects the serial log, types commands and waits for output.
import { spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const FIRMWARE_CODE = "/usr/share/AAVMF/AAVMF_CODE.fd";
export const FIRMWARE_VARS = "/usr/share/AAVMF/AAVMF_VARS.fd";
export const PROMPT = "sis> ";

export interface QemuConfig {
  esp?: string;
  /** The system disk (vda). Default build/disk.img. Pass a copy when the test writes. */
  systemDisk?: string | null;
  /**
   * Attach the system disk with snapshot=on: its writes go to a temporary overlay that QEMU
   * drops at exit (kept across system_reset), so many sessions can share build/disk.img.
   */
  systemDiskSnapshot?: boolean;
  /** Further raw images, attached in order after the system disk (vdb, vdc, ...). */
  disks?: string[];
  /** Raw -blockdev/-device arguments that replace the plain attachment of extra disks. */
  extra?: string[];
  memory?: string;
  /**
   * A virtio-net device on QEMU's user network with host port `port` forwarded to the guest's
   * port 80 (`-netdev user,hostfwd=tcp:127.0.0.1:PORT-:80`). Absent: no network device.
   */
  net?: { port: number };
  /**
   * Boot a Linux kernel instead of SIS (make bench-linux): the same firmware loads it through
   * QEMU's fw_cfg (-kernel/-initrd/-append) and the ESP is not attached.
   */
  linux?: { kernel: string; initrd: string; append: string };
  /** Directory for the firmware variable copy and sockets. */
  workDir: string;
}

export function qemuArgs(config: QemuConfig): string[] {
  const esp = config.esp ?? path.join(ROOT, "build/esp.img");
  const vars = path.join(config.workDir, "AAVMF_VARS.fd");
  if (!fs.existsSync(vars)) fs.copyFileSync(FIRMWARE_VARS, vars);
  const args = [
    "-machine", "virt", "-cpu", "cortex-a57", "-m", config.memory ?? "1G",
    "-nodefaults", "-no-user-config", "-boot", "menu=on,splash-time=0",
    "-drive", `if=pflash,format=raw,readonly=on,file=${FIRMWARE_CODE}`,
    "-drive", `if=pflash,format=raw,file=${vars}`,
    ...(config.linux
      ? ["-kernel", config.linux.kernel, "-initrd", config.linux.initrd, "-append", config.linux.append]
      : ["-drive", `if=none,id=esp,format=raw,file=${esp}`, "-device", "virtio-blk-pci,drive=esp,bootindex=0"]),
    "-global", "virtio-mmio.force-legacy=false",
  ];
  const disks = [
    ...(config.systemDisk === null ? [] : [config.systemDisk ?? path.join(ROOT, "build/disk.img")]),
    ...(config.disks ?? []),
  ];
  disks.forEach((disk, i) => {
    const snapshot = i === 0 && config.systemDisk !== null && config.systemDiskSnapshot ? ",snapshot=on" : "";
    args.push("-drive", `if=none,id=vd${i},format=raw,file=${disk}${snapshot}`, "-device", `virtio-blk-device,drive=vd${i}`);
  });
  if (config.net) {
    args.push("-netdev", `user,id=n0,hostfwd=tcp:127.0.0.1:${config.net.port}-:80`, "-device", "virtio-net-device,netdev=n0");
  }
  args.push(...(config.extra ?? []));
  return args;
}

/** Splits a QEMU_EXTRA-style string on spaces, honouring simple quotes. */
export function splitArgs(s: string | undefined): string[] {
  if (!s) return [];
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

export interface SessionOptions extends Partial<QemuConfig> {
  /** Print the serial output to stdout as it arrives (debugging). */
  echo?: boolean;
  /** The shell prompt run() waits for (default PROMPT; the Linux guest's is "linux> "). */
  prompt?: string;
}

export class QemuSession {
  /** Everything SIS printed, decoded as UTF-8 (sequences split across reads are kept whole). */
  serialLog = "";
  private decoder = new StringDecoder("utf8");
  exitCode: number | null = null;
  exited: Promise<number | null>;
  private proc: ChildProcess;
  private serial!: net.Socket;
  private qmpSocket!: net.Socket;
  private qmpBuffer = "";
  private qmpWaiters: (() => void)[] = [];
  private listeners: (() => void)[] = [];
  private echo: boolean;
  readonly workDir: string;
  readonly startedAt = Date.now();
  qemuStderr = "";
  prompt = PROMPT;

  private constructor(proc: ChildProcess, workDir: string, echo: boolean) {
    this.proc = proc;
    this.workDir = workDir;
    this.echo = echo;
    this.exited = new Promise((resolve) => {
      proc.on("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        resolve(this.exitCode);
        this.notify();
      });
    });
    proc.stderr?.on("data", (d) => (this.qemuStderr += d.toString()));
  }

  static async start(options: SessionOptions = {}): Promise<QemuSession> {
    const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "sis-qemu-"));
    const serialPath = path.join(workDir, "serial.sock");
    const qmpPath = path.join(workDir, "qmp.sock");
    const args = [
      ...qemuArgs({ ...options, workDir }),
      "-display", "none", "-S",
      "-chardev", `socket,id=ser0,path=${serialPath},server=on,wait=off`, "-serial", "chardev:ser0",
      "-chardev", `socket,id=qmp0,path=${qmpPath},server=on,wait=off`, "-mon", "chardev=qmp0,mode=control",
    ];
    const proc = spawn("qemu-system-aarch64", args, { stdio: ["ignore", "ignore", "pipe"] });
    const session = new QemuSession(proc, workDir, options.echo ?? false);
    if (options.prompt) session.prompt = options.prompt;
    try {
      session.serial = await connectWhenReady(serialPath, session);
      session.qmpSocket = await connectWhenReady(qmpPath, session);
    } catch (e) {
      session.kill();
      throw new Error(`${(e as Error).message}\nQEMU said: ${session.qemuStderr}`);
    }
    session.serial.on("data", (d) => {
      const text = session.decoder.write(d);
      session.serialLog += text;
      if (session.echo) process.stdout.write(d);
      session.notify();
    });
    session.serial.on("error", () => {});
    session.qmpSocket.on("data", (d) => session.onQmpData(d.toString()));
    session.qmpSocket.on("error", () => {});
    await session.qmpWait((m) => m.QMP !== undefined);
    await session.qmp("qmp_capabilities");
    await session.qmp("cont");
    return session;
  }

  private notify(): void {
    for (const l of this.listeners.splice(0)) l();
  }

  private onQmpData(text: string): void {
    this.qmpBuffer += text;
    let nl: number;
    while ((nl = this.qmpBuffer.indexOf("\n")) >= 0) {
      const line = this.qmpBuffer.slice(0, nl).trim();
      this.qmpBuffer = this.qmpBuffer.slice(nl + 1);
      if (!line) continue;
      this.qmpEvents.push(JSON.parse(line));
      const waiters = this.qmpWaiters;
      this.qmpWaiters = [];
      for (const w of waiters) w();
    }
  }
  qmpEvents: any[] = [];

  private qmpWait(pred: (m: any) => boolean, timeoutMs = 10000): Promise<any> {
    const existing = this.qmpEvents.findIndex(pred);
    if (existing >= 0) return Promise.resolve(this.qmpEvents.splice(existing, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("QMP timeout")), timeoutMs);
      const check = () => {
        const i = this.qmpEvents.findIndex(pred);
        if (i >= 0) {
          clearTimeout(timer);
          resolve(this.qmpEvents.splice(i, 1)[0]);
        } else this.qmpWaiters.push(check);
      };
      this.qmpWaiters.push(check);
    });
  }

  /** Sends a QMP command and returns its `return` value (throws on `error`). */
  async qmp(execute: string, args?: object): Promise<any> {
    this.qmpSocket.write(JSON.stringify(args ? { execute, arguments: args } : { execute }) + "\n");
    const reply = await this.qmpWait((m) => m.return !== undefined || m.error !== undefined);
    if (reply.error) throw new Error(`QMP ${execute}: ${reply.error.desc}`);
    return reply.return;
  }

  /** Waits until the serial log (from `from`) matches; returns the match. */
  waitFor(pattern: RegExp | string, timeoutMs = 30000, from = 0): Promise<RegExpMatchArray> {
    const re = typeof pattern === "string" ? new RegExp(escapeRegExp(pattern)) : pattern;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}\n--- serial log ---\n${logTail(this.serialLog)}`));
      }, timeoutMs);
      const check = () => {
        const m = this.serialLog.slice(from).match(re);
        if (m) {
          clearTimeout(timer);
          m.index = (m.index ?? 0) + from;
          resolve(m);
        } else if (this.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`QEMU exited (${this.exitCode}) while waiting for ${re}\n--- serial log ---\n${logTail(this.serialLog)}`));
        } else this.listeners.push(check);
      };
      check();
    });
  }

  /** Waits for the first prompt after boot. */
  async waitForPrompt(timeoutMs = 60000, from = 0): Promise<void> {
    await this.waitFor(this.prompt, timeoutMs, from);
  }

  /** Types on the serial line: a string goes as UTF-8 (as a terminal sends it), a Buffer as is. */
  type(bytes: string | Buffer): void {
    this.serial.write(typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes);
  }

  /**
   * Runs one shell command: types it, waits for the next prompt, returns what the command
   * printed (without the echoed line and the prompt), with "\r\n" turned into "\n".
   */
  async run(command: string, timeoutMs = 60000): Promise<string> {
    const start = this.serialLog.length; // anything earlier belongs to earlier commands
    this.type(command + "\r");
    const echoEnd = await this.waitFor("\r\n", timeoutMs, start);
    const outputStart = echoEnd.index! + 2;
    // busybox's line editor follows its prompt with a cursor-position query (ESC [6n)
    const m = await this.waitFor(new RegExp(escapeRegExp(this.prompt) + "(\x1b\\[6n)?$"), timeoutMs, outputStart);
    const promptAt = m.index!;
    return this.serialLog.slice(outputStart, promptAt).replace(/\r\n/g, "\n");
  }

  /** Waits for QEMU to exit; returns its status, or null on timeout. */
  async waitExit(timeoutMs = 30000): Promise<number | null> {
    const timeout = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs));
    return Promise.race([this.exited, timeout]);
  }

  /** Stops QEMU (only the process this session started). */
  kill(): void {
    if (this.exitCode === null) this.proc.kill("SIGKILL");
    this.serial?.destroy();
    this.qmpSocket?.destroy();
  }

  /** Kills QEMU if needed and removes the work directory. */
  async close(): Promise<void> {
    this.kill();
    await this.waitExit(5000);
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** The end of a serial log for error messages, with long runs of one character shortened. */
export function logTail(log: string, chars = 4000): string {
  return log.replace(/(.)\1{100,}/g, (run, c) => `${c.repeat(20)}<...${run.length} x '${c}'>`).slice(-chars);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function connectWhenReady(socketPath: string, session: QemuSession): Promise<net.Socket> {
  const deadline = Date.now() + 15000;
  for (;;) {
    if (session.exitCode !== null) throw new Error(`QEMU exited with ${session.exitCode} before its sockets opened`);
    if (fs.existsSync(socketPath)) {
      try {
        return await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(socketPath, () => resolve(s));
          s.once("error", reject);
        });
      } catch {
        /* not listening yet */
      }
    }
    if (Date.now() > deadline) throw new Error(`QEMU socket ${socketPath} did not appear`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for NET_PORT's default and tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
