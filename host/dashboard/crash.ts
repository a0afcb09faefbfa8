// "Crash during write": a power cut in the middle of a large write, and what SIS recovered.
//
// One run, with the machine held exclusively (no other API request in between):
//   1. on the serial console: cp PAYLOAD TMP; sync TMP; mv TMP FINAL; sync (the usual atomic
//      replace: FINAL must be whole or absent, never a prefix)
//   2. after a random delay (the cp has started), QMP stop: the CPU halts, the disk image keeps
//      exactly what reached it; then system_reset and cont: SIS boots again on that disk and
//      replays its journal at mount (the banner says how many transactions, in how many ms)
//   3. `fsctl verify /`, `sha256sum FINAL` against the payload's hash (whole / absent /
//      partial), and a host `e2fsck -fn` of a snapshot of the disk taken while QEMU is stopped
//   4. the files of the run are removed, so runs do not fill the disk
// Verdict "recovered, clean": SIS came back, verify clean, e2fsck exit 0, FINAL whole or absent.
// A second request while a run is in progress is refused with 409 (the page disables the
// button too), so runs never overlap.
import * as fs from "node:fs";
import * as path from "node:path";
import { execFile } from "node:child_process";
import { Machine, PAYLOAD_PATH, PAYLOAD_BYTES, ApiError, sleep } from "./machine.ts";

export interface CrashRun {
  id: number;
  startedAt: string;
  cutAfterMs: number;
  /** Commands of the write sequence that had finished when the power was cut (0..4). */
  commandsDone: number;
  phase: string;
  rebootMs: number;
  replayedTransactions: number;
  replayedBlocks: number;
  replayMs: number | null;
  verify: { status: number; output: string };
  fsck: { exit: number; output: string };
  file: "whole" | "absent" | "partial";
  fileDetail: string;
  verdict: string;
  ok: boolean;
  error?: string;
}

const PHASES = ["copying the payload", "syncing the copy", "renaming it into place", "final sync", "all done"];

export class CrashDemo {
  history: CrashRun[] = [];
  running: number | null = null;
  private next = 1;

  constructor(private machine: Machine, private onProgress: (msg: string) => void = () => {}) {}

  async run(): Promise<CrashRun> {
    if (this.running !== null) throw new ApiError(`crash run ${this.running} is still in progress; wait for its verdict`, 409);
    if (this.machine.state !== "up") throw new ApiError(`SIS is ${this.machine.state}; a crash run needs it up`, 503);
    const id = this.next++;
    this.running = id;
    try {
      const r = await this.machine.exclusive(() => this.once(id));
      this.history.unshift(r);
      return r;
    } finally {
      this.running = null;
    }
  }

  private async once(id: number): Promise<CrashRun> {
    const m = this.machine;
    const s = m.session!;
    const final = `/crash/run-${id}.bin`;
    const tmp = `/crash/.run-${id}.tmp`;
    const run: CrashRun = {
      id, startedAt: new Date().toISOString(), cutAfterMs: 0, commandsDone: 0, phase: "", rebootMs: 0,
      replayedTransactions: 0, replayedBlocks: 0, replayMs: null, verify: { status: -1, output: "" },
      fsck: { exit: -1, output: "" }, file: "absent", fileDetail: "", verdict: "", ok: false,
    };
    const from = s.serialLog.length;
    this.onProgress(`run ${id}: writing ${PAYLOAD_BYTES >> 20} MiB to ${final}`);
    m.setStateForCrash("reconnecting", `crash run ${id}: power cut during a write`);
    for (const c of [`cp ${PAYLOAD_PATH} ${tmp}`, `sync ${tmp}`, `mv ${tmp} ${final}`, "sync"]) s.type(c + "\r");
    await s.waitFor(`cp ${PAYLOAD_PATH}`, 10000, from);
    run.cutAfterMs = 30 + Math.floor(Math.random() * 400);
    await sleep(run.cutAfterMs);
    await s.qmp("stop");
    // prompts printed since the commands were typed = commands finished
    run.commandsDone = Math.min(4, (s.serialLog.slice(from).match(/sis> /g) ?? []).length);
    run.phase = PHASES[run.commandsDone];
    this.onProgress(`run ${id}: power cut after ${run.cutAfterMs} ms (${run.phase}); rebooting`);
    const bootFrom = s.serialLog.length;
    await s.qmp("system_reset");
    await s.qmp("cont");
    run.rebootMs = await m.waitBooted(bootFrom);
    const banner = s.serialLog.slice(bootFrom);
    const rep = banner.match(/journal: replayed (\d+) transactions, (\d+) blocks[^\n]*? in ([\d.]+) ms/);
    if (rep) {
      run.replayedTransactions = Number(rep[1]);
      run.replayedBlocks = Number(rep[2]);
      run.replayMs = Number(rep[3]);
    }
    this.onProgress(`run ${id}: SIS is back; checking`);
    const v = await m.shellNow("fsctl verify /");
    run.verify = { status: v.status, output: v.output.trim() };
    const sum = await m.shellNow(`sha256sum ${final}`);
    if (sum.status === 0 && sum.output.includes(m.payloadSha)) {
      run.file = "whole";
      run.fileDetail = `${final}: SHA-256 equals the payload's (${PAYLOAD_BYTES} bytes)`;
    } else if (sum.status !== 0 && /no such file/i.test(sum.output)) {
      run.file = "absent";
      run.fileDetail = `${final}: absent (the cut came before the rename was committed)`;
    } else {
      run.file = "partial";
      run.fileDetail = `${final}: neither whole nor absent: ${sum.output.trim().slice(0, 200)}`;
    }
    run.fsck = await this.fsckSnapshot(id);
    await m.shellNow(`rm -f ${final} ${tmp}`);
    await m.shellNow("sync");
    run.ok = run.verify.status === 0 && run.fsck.exit === 0 && run.file !== "partial";
    run.verdict = run.ok ? "recovered, clean" : "FAILED: " + [run.verify.status !== 0 ? "fsctl verify found problems" : "",
      run.fsck.exit !== 0 ? `e2fsck exit ${run.fsck.exit}` : "", run.file === "partial" ? "file partial" : ""].filter(Boolean).join(", ");
    this.onProgress(`run ${id}: ${run.verdict}`);
    return run;
  }

  /** e2fsck -fn of a copy of the disk taken while QEMU is stopped (so nothing is mid-write). */
  private async fsckSnapshot(id: number): Promise<{ exit: number; output: string }> {
    const m = this.machine;
    const snap = path.join(m.workDir, `snapshot-${id}.img`);
    await m.shellNow("sync"); // the journal checkpointed: the snapshot needs no replay
    await m.session!.qmp("stop");
    try {
      fs.copyFileSync(m.disk, snap);
    } finally {
      await m.session!.qmp("cont");
    }
    const result = await new Promise<{ exit: number; output: string }>((resolve) => {
      execFile("e2fsck", ["-fn", snap], { timeout: 60000 }, (err, stdout, stderr) => {
        const exit = err ? (typeof (err as any).code === "number" ? (err as any).code : 8) : 0;
        resolve({ exit, output: (stdout + stderr).trim().split("\n").slice(-6).join("\n") });
      });
    });
    fs.rmSync(snap, { force: true });
    return result;
  }
}
