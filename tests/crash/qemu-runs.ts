// The QEMU side of the crash harness: SIS on the emulated machine, its crash disk attached as
// vdb (a private copy of the pristine image of image.ts; the system disk vda is shared with
// snapshot=on), the workload run by `fsctl stress ... --dir /mnt/stress`.
//
//   powerCutRun()   boot, start a workload, QMP `stop` at a seeded moment (after the k-th sync
//                   point of the workload plus a delay), keep a copy of the disk as the cut left
//                   it, `system_reset`, `cont`: the firmware boots SIS again; `mount vdb /mnt`
//                   replays the journal (its line gives the recovery time), `fsctl verify`,
//                   `umount`, `poweroff`; then e2fsck -fn and the tree check on the host
//   loggedRun()     one whole workload with vdb behind QEMU's blklogwrites driver: the log of
//                   every write and flush, and the serial lines that say where each sync was
//   recoverInQemu() boot SIS with a given disk state as vdb and let it recover (the QEMU
//                   sample of the crash-state enumeration)
//   cacheLossCutRun() a power cut that loses the device's volatile cache: the workload runs
//                   on a logged disk (blklogwrites), QEMU is killed with SIGKILL (nothing is
//                   drained), and the disk after the cut is the pristine image + the log up to
//                   its last COMPLETED flush: every write after it is lost, completed or not.
//                   A second boot of SIS recovers that state (recoverInQemu)
//
// What a reset keeps (QEMU 7.2): the crash disk is a raw file opened with cache.direct=off and
// cache.no-flush=off, the device has write-cache=on. A guest write completes after QEMU's
// pwrite() to the file returned, so the file holds every write SIS saw complete; a guest flush
// is an fdatasync(). `stop` and `system_reset` drain the requests in flight (virtio_blk_reset
// calls blk_drain), so those land too. A reset therefore loses exactly what SIS held in RAM
// (dirty cache blocks, the running transaction), not writes a real disk could still lose from
// its volatile cache: the crash-state enumeration covers those (every flush point, and
// subsets of the writes after it) and cacheLossCutRun() (a real SIGKILL, with the writes
// after the last completed flush dropped).
//
// Why the log's last flush entry is a completed flush (QEMU 7.2 block/blklogwrites.c): a
// guest flush flushes the data file, then appends its FLUSH entry, then rewrites the log's
// entry count in sector 0 and fdatasyncs the log, and only then completes to the guest. So
// every sync whose "stress synced" line SIS printed before the kill has its flush at or
// before the last FLUSH entry the count covers; QEMU dying after the host wrote the files
// loses nothing of them (the host's page cache survives the QEMU process).
import * as fs from "node:fs";
import * as path from "node:path";
import { QemuSession, logTail } from "../../host/qemu.ts";
import { loggedDiskArgs, readWriteLog, replayPrefix, FLAG_FLUSH, FLAG_FUA } from "../../host/logwrites.ts";
import { crashBaseImage } from "./image.ts";
import { WorkloadModel } from "./model.ts";
import { stressLines } from "./check.ts";
import { inspectOnNode, recoverOnNode, parseMount, Verdict } from "./node-check.ts";

export const MOUNT_POINT = "/mnt";
export const STRESS_DIR = "/mnt/stress";
const BOOT_MARK = "UEFI firmware";
/** What arch-aarch64/gic.c prints when a reset left the GIC's running priority raised. */
const STALE_GIC_LINE = "gic: running priority";

export function crashDiskArgs(image: string, id = "crash0"): string[] {
  return [
    "-blockdev", `driver=file,node-name=${id},filename=${image},cache.direct=off,cache.no-flush=off`,
    "-device", `virtio-blk-device,drive=${id},write-cache=on`,
  ];
}

/** The kernel under test (an ESP image); default build/esp.img. The mutant runner sets it. */
let kernelImage: string | undefined;
export function useKernelImage(esp: string | undefined): void {
  if (esp !== undefined && !fs.existsSync(esp)) throw new Error(`${esp}: no such kernel image`);
  kernelImage = esp;
}

function sessionOptions(extra: string[]) {
  return { systemDiskSnapshot: true, extra, ...(kernelImage ? { esp: kernelImage } : {}) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SisRecovery {
  /** SIS mounted the disk (replaying its journal). */
  recovered: boolean;
  mountOutput: string;
  mountMs: number | null;
  replayMs: number | null;
  replayedTransactions: number;
  sisVerifyClean: boolean;
  sisVerify: string;
  umountOk: boolean;
}

/** In a booted SIS: mount vdb (recovery), fsctl verify, umount. */
async function recoverInSession(s: QemuSession): Promise<SisRecovery> {
  const mountOutput = await s.run(`mount vdb ${MOUNT_POINT}`, 120000);
  const parsed = parseMount(mountOutput);
  const recovered = /^mounted vdb on /m.test(mountOutput);
  let sisVerify = "";
  let sisVerifyClean = false;
  let umountOk = false;
  if (recovered) {
    sisVerify = await s.run(`fsctl verify ${MOUNT_POINT}`, 120000);
    sisVerifyClean = /clean: no inconsistencies/.test(sisVerify);
    umountOk = (await s.run(`umount ${MOUNT_POINT}`, 120000)).trim() === "";
  }
  return { recovered, mountOutput, ...parsed, sisVerifyClean, sisVerify, umountOk };
}

async function powerOff(s: QemuSession): Promise<void> {
  s.type("poweroff\r");
  if ((await s.waitExit(30000)) === null) throw new Error("QEMU did not power off");
}

export interface RunResult {
  sis: SisRecovery | null;
  verdict: Verdict;
  /** Problems of the whole run (SIS's and the host's), one line each. */
  problems: string[];
  ok: boolean;
  serial: string;
}

function combine(sis: SisRecovery | null, verdict: Verdict, extra: string[]): RunResult & { ok: boolean } {
  const problems = [...extra];
  if (sis) {
    if (!sis.recovered) problems.push(`SIS could not mount the disk after the cut: ${sis.mountOutput.trim()}`);
    else {
      if (!sis.sisVerifyClean) problems.push(`fsctl verify in SIS: ${sis.sisVerify.trim().split("\n").slice(0, 6).join(" | ")}`);
      if (!sis.umountOk) problems.push("umount in SIS failed");
    }
  }
  problems.push(...verdict.problems);
  return { sis, verdict, problems, ok: problems.length === 0, serial: "" };
}

export interface PowerCutOptions {
  model: WorkloadModel;
  /** The disk: a fresh copy of the crash image (it is written). */
  image: string;
  /** Cut after this many "stress synced" lines (0: after "stress begin")... */
  afterSyncs: number;
  /** ...plus this many milliseconds. */
  delayMs: number;
  /** Where the disk as the cut left it is copied (for failures). */
  cutImage: string;
}

export interface PowerCutResult extends RunResult {
  /** Syncs the workload had completed before the cut (promises in force). */
  syncsDone: number;
  /** The workload had printed "stress end" before the cut. */
  finished: boolean;
  /** The reboot found the GIC's running priority left raised by the reset (arch-aarch64/gic.c). */
  staleGicPriority: boolean;
  wallMs: number;
}

/** One random power cut in QEMU (see the top of the file). */
/**
 * Both kinds of cut start alike: mount the fresh disk, start the workload, wait for its
 * afterSyncs-th sync (or its end), then delayMs. Returns where the workload's output starts.
 */
async function runToCutPoint(s: QemuSession, o: { model: WorkloadModel; afterSyncs: number; delayMs: number }): Promise<number> {
  await s.waitForPrompt(90000);
  const m = await s.run(`mount vdb ${MOUNT_POINT}`);
  if (!/^mounted vdb/m.test(m)) throw new Error(`mounting the fresh disk failed: ${m}`);
  const from = s.serialLog.length;
  s.type(o.model.command + "\r");
  await s.waitFor("stress begin", 60000, from);
  let at = from;
  for (let i = 0; i < o.afterSyncs; i++) {
    const w = await s.waitFor(/stress synced |stress end/, 120000, at);
    if (w[0] === "stress end") break;
    at = w.index! + w[0].length;
  }
  if (o.delayMs > 0) await sleep(o.delayMs);
  return from;
}

export async function powerCutRun(o: PowerCutOptions): Promise<PowerCutResult> {
  const started = Date.now();
  const s = await QemuSession.start(sessionOptions(crashDiskArgs(o.image)));
  let sis: SisRecovery | null = null;
  let lines: string[] = [];
  let diagnostics = "";
  const extra: string[] = [];
  try {
    const from = await runToCutPoint(s, o);
    // the cut: pause (drains the requests in flight), keep the disk as it is, reset, resume
    await s.qmp("stop");
    fs.copyFileSync(o.image, o.cutImage);
    const resetAt = s.serialLog.length;
    await s.qmp("system_reset");
    await s.qmp("cont");
    const boot = await s.waitFor(BOOT_MARK, 60000, resetAt);
    lines = linesBeforeCut(s.serialLog.slice(from, boot.index));
    await s.waitForPrompt(60000, boot.index);
    sis = await recoverInSession(s);
    await powerOff(s);
  } catch (e) {
    extra.push(`harness: ${(e as Error).message.split("\n")[0]}`);
    if (s.exitCode === null) diagnostics = await cpuState(s);
  } finally {
    await s.close();
  }
  const mismatch = o.model.checkAgainstOutput(lines, false);
  if (mismatch) extra.push(`the workload's output differs from the model: ${mismatch}`);
  const syncsDone = lines.filter((l) => l.startsWith("stress synced ")).length;
  // SIS recovered and unmounted the disk: read it as it is; otherwise (the run broke) let the
  // Node build recover the disk as the cut left it, to say something about that state
  const verdict = sis?.recovered ? await inspectOnNode(o.image, o.model, syncsDone)
    : await recoverOnNode(fs.existsSync(o.cutImage) ? o.cutImage : o.image, o.model, syncsDone);
  const r = combine(sis, verdict, extra);
  return { ...r, serial: s.serialLog + (diagnostics ? `\n--- CPU state (QMP, 3 samples) ---\n${diagnostics}` : ""), syncsDone,
    finished: lines.some((l) => l.startsWith("stress end")), staleGicPriority: s.serialLog.includes(STALE_GIC_LINE),
    wallMs: Date.now() - started };
}

/**
 * The stress lines printed before the cut. The reset can cut a line short: a partial line
 * counts only if it is a "stress synced" line (its sync had returned before it was printed).
 */
export function linesBeforeCut(text: string): string[] {
  const t = text.replace(/\r\n/g, "\n");
  const end = t.lastIndexOf("\n");
  const lines = stressLines(t.slice(0, end + 1));
  const partial = t.slice(end + 1);
  if (partial.startsWith("stress synced")) lines.push("stress synced (cut short)");
  return lines;
}

/** Registers of a guest that stopped answering (a few samples of PC, LR, SP), for the failure report. */
async function cpuState(s: QemuSession): Promise<string> {
  const out: string[] = [];
  try {
    const base = await s.qmp("human-monitor-command", { "command-line": "info registers" });
    out.push(base);
    for (let i = 0; i < 2; i++) {
      await sleep(300);
      const r: string = await s.qmp("human-monitor-command", { "command-line": "info registers" });
      out.push(r.split("\n").filter((l) => /PC=|X28|X30/.test(l)).join("\n"));
    }
  } catch (e) {
    out.push(`(no CPU state: ${(e as Error).message})`);
  }
  return out.join("\n");
}

export interface LoggedRunResult {
  /** The workload's stress lines (the whole run). */
  lines: string[];
  serial: string;
  /** Milliseconds from typing the command to its prompt. */
  workloadMs: number;
  problems: string[];
}

/** One whole workload on a logged disk (`data` starts as a fresh copy; `log` is created). */
export async function loggedRun(model: WorkloadModel, data: string, log: string, logBytes = 1 << 30): Promise<LoggedRunResult> {
  fs.writeFileSync(log, "");
  fs.truncateSync(log, logBytes);
  const s = await QemuSession.start(sessionOptions(loggedDiskArgs(data, log)));
  const problems: string[] = [];
  let lines: string[] = [];
  let workloadMs = 0;
  try {
    await s.waitForPrompt(90000);
    const m = await s.run(`mount vdb ${MOUNT_POINT}`);
    if (!/^mounted vdb/m.test(m)) throw new Error(`mounting the fresh disk failed: ${m}`);
    const t = Date.now();
    const out = await s.run(model.command, 600000);
    workloadMs = Date.now() - t;
    lines = stressLines(out);
    const u = await s.run(`umount ${MOUNT_POINT}`);
    if (u.trim()) problems.push(`umount: ${u.trim()}`);
    await powerOff(s);
  } catch (e) {
    problems.push(`harness: ${(e as Error).message.split("\n")[0]}\n${logTail(s.serialLog, 2000)}`);
  } finally {
    await s.close();
  }
  const mismatch = model.checkAgainstOutput(lines, true);
  if (mismatch) problems.push(`the workload's output differs from the model: ${mismatch}`);
  return { lines, serial: s.serialLog, workloadMs, problems };
}

/** Boots SIS with `image` as vdb, lets it recover the disk, then checks the image on the host. */
export async function recoverInQemu(image: string, model: WorkloadModel, syncsDone: number): Promise<RunResult> {
  const s = await QemuSession.start(sessionOptions(crashDiskArgs(image)));
  let sis: SisRecovery | null = null;
  let diagnostics = "";
  const extra: string[] = [];
  try {
    await s.waitForPrompt(90000);
    sis = await recoverInSession(s);
    await powerOff(s);
  } catch (e) {
    extra.push(`harness: ${(e as Error).message.split("\n")[0]}`);
    if (s.exitCode === null) diagnostics = await cpuState(s);
  } finally {
    await s.close();
  }
  const verdict = await inspectOnNode(image, model, syncsDone);
  return { ...combine(sis, verdict, extra), serial: s.serialLog + (diagnostics ? `\n--- CPU state (QMP) ---\n${diagnostics}` : "") };
}

/** Copies what reproduces a failure into dir (created). */
export function keepFailure(dir: string, files: Record<string, string>, texts: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, from] of Object.entries(files)) if (fs.existsSync(from)) fs.copyFileSync(from, path.join(dir, name));
  for (const [name, text] of Object.entries(texts)) fs.writeFileSync(path.join(dir, name), text);
}

export interface CacheLossOptions {
  model: WorkloadModel;
  /** Working directory for the data disk, the log and the state after the cut (created). */
  dir: string;
  /** Kill after this many "stress synced" lines (0: after "stress begin")... */
  afterSyncs: number;
  /** ...plus this many milliseconds (0: at once, inside the window after the sync's flush). */
  delayMs: number;
}

export interface CacheLossResult extends RunResult {
  syncsDone: number;
  finished: boolean;
  /** Log entries up to the last completed flush (the state SIS recovers)... */
  keptEntries: number;
  /** ...and the 4 KiB blocks where the disk QEMU left (every completed write) differs from it: what the cut lost. */
  lostBlocks: number;
  /** The disk after the cut (pristine image + the log through its last flush). */
  cutImage: string;
  wallMs: number;
}

/** One cache-loss power cut (see the top of the file). */
export async function cacheLossCutRun(o: CacheLossOptions): Promise<CacheLossResult> {
  const started = Date.now();
  fs.mkdirSync(o.dir, { recursive: true });
  const data = path.join(o.dir, "data.img");
  const logFile = path.join(o.dir, "log.img");
  const cutImage = path.join(o.dir, "cut.img");
  fs.copyFileSync(crashBaseImage(), data);
  fs.writeFileSync(logFile, "");
  fs.truncateSync(logFile, 1 << 30);
  const extra: string[] = [];
  let lines: string[] = [];
  const s = await QemuSession.start(sessionOptions(loggedDiskArgs(data, logFile)));
  try {
    const from = await runToCutPoint(s, o);
    // the cut: SIGKILL, no drain; what SIS printed before it is what it may rely on
    s.kill();
    await s.waitExit(10000);
    lines = linesBeforeCut(s.serialLog.slice(from));
  } catch (e) {
    extra.push(`harness: ${(e as Error).message.split("\n")[0]}`);
  } finally {
    await s.close();
  }
  const syncsDone = lines.filter((l) => l.startsWith("stress synced ")).length;
  const mismatch = o.model.checkAgainstOutput(lines, false);
  if (mismatch) extra.push(`the workload's output differs from the model: ${mismatch}`);
  let keptEntries = 0;
  let lostBlocks = 0;
  try {
    const log = readWriteLog(logFile);
    let last = -1;
    for (const e of log.entries) if (e.flags & (FLAG_FLUSH | FLAG_FUA)) last = e.index;
    // an entry the count covers but whose header QEMU had not written yet (a request still in
    // flight) reads as zeros: before the last flush it would make the state a guess
    const hole = log.entries.find((e) => e.index <= last && e.sectors === 0 && e.flags === 0 && e.sector === 0);
    if (hole) throw new Error(`log entry ${hole.index} (before the last flush ${last}) is empty`);
    replayPrefix(logFile, log, crashBaseImage(), last, cutImage);
    keptEntries = last + 1;
    lostBlocks = differingBlocks(data, cutImage);
  } catch (e) {
    extra.push(`harness: the write log after the kill: ${(e as Error).message}`);
  }
  fs.rmSync(logFile, { force: true });
  fs.rmSync(data, { force: true });
  if (extra.length || !fs.existsSync(cutImage)) {
    const verdict = await recoverOnNode(fs.existsSync(cutImage) ? cutImage : crashBaseImage(), o.model, syncsDone);
    return { ...combine(null, verdict, extra), serial: s.serialLog, syncsDone, finished: lines.some((l) => l.startsWith("stress end")),
      keptEntries, lostBlocks, cutImage, wallMs: Date.now() - started };
  }
  // SIS recovers the state on a copy (the cut state itself is kept for a failure report)
  const recovering = path.join(o.dir, "recovering.img");
  fs.copyFileSync(cutImage, recovering);
  const r = await recoverInQemu(recovering, o.model, syncsDone);
  fs.rmSync(recovering, { force: true });
  return { ...r, serial: s.serialLog + "\n--- the boot that recovered the disk ---\n" + r.serial, syncsDone,
    finished: lines.some((l) => l.startsWith("stress end")), keptEntries, lostBlocks, cutImage, wallMs: Date.now() - started };
}

/** 4 KiB blocks in which two images of the same size differ. */
function differingBlocks(a: string, b: string): number {
  const x = fs.readFileSync(a);
  const y = fs.readFileSync(b);
  let n = 0;
  for (let off = 0; off < Math.min(x.length, y.length); off += 4096) {
    if (x.compare(y, off, off + 4096, off, off + 4096) !== 0) n++;
  }
  return n;
}
