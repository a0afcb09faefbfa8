// Every crash state of one workload run (issue 7, item 3).
//
// 1. loggedRun(): the workload runs once in QEMU with the crash disk behind blklogwrites.
// 2. Where the syncs are in the log: after every fsync/sync the workload printed
//    "stress synced vdb S", S = sectors the device had completed writing. Every write SIS saw
//    complete is in the log (QEMU logs a write before completing it). A sync is credited to
//    the LAST flush with at most S sectors written before it: the cache may lose everything
//    after that flush when the power goes right after the print. With a correct sync (final
//    flush after its commit block) that flush has exactly S before it; without that flush
//    the credit lands before the commit block and the promise breaks, as it should (crediting
//    the first flush after S, as before issue 23, passed that bug). Counting sectors is exact
//    where counting flushes is not (QEMU drops flushes with no write before them from the log).
// 3. For every flush point f: the disk = pristine image + log entries [0, f]; SIS's ext4 on
//    Node mounts it (journal replay) and the checker demands the promises of every sync whose
//    flush is <= f; then `fsctl verify` and `e2fsck -fn` on the replayed image. Also the end
//    state (every write, flushed or not: the data disk as QEMU left it).
// 4. CrashMonkey-style states: between two flush points, the writes after the first may reach
//    the disk in any order or not at all (a volatile cache). For sampled subsets of those
//    writes, the disk = state at the first flush + the subset, judged by the promises of the
//    first flush.
// 5. Torn writes (issue 23): in the same intervals, one multi-sector write lands only in part,
//    sector by sector (a prefix of it, or a random subset of its sectors: a disk without atomic
//    4 KiB writes), with a sampled subset of the interval's other writes; same judge.
// 6. A sample of the flush-point states is booted in QEMU: SIS recovers them itself.
import * as fs from "node:fs";
import * as path from "node:path";
import { readWriteLog, flushPoints, writeSectorsThrough, ImageReplayer, LogEntry, WriteLog } from "../../host/logwrites.ts";
import { WorkloadModel } from "./model.ts";
import { syncedSectors } from "./check.ts";
import { recoverOnNode, Verdict } from "./node-check.ts";
import { loggedRun, recoverInQemu, RunResult } from "./qemu-runs.ts";
import { crashBaseImage, freshImage } from "./image.ts";
import { Rng } from "./rng.ts";

export interface StateOutcome {
  /** "flush@123", "end", "subset@123+[130,131]" */
  name: string;
  kind: "flush" | "end" | "subset" | "torn" | "qemu";
  syncsDone: number;
  verdict: Verdict | null;
  qemu?: RunResult;
  ok: boolean;
  problems: string[];
}

export interface EnumerationOptions {
  model: WorkloadModel;
  workDir: string;
  /** Flush-point states also booted in QEMU. */
  qemuSamples: number;
  /** CrashMonkey subsets per interval between flushes (0: none), and the cap on all of them. */
  subsetsPerInterval: number;
  maxSubsets: number;
  /** Torn-write states per interval (default: subsetsPerInterval), capped by maxSubsets too. */
  tornPerInterval?: number;
  rng: Rng;
  /** Called for every failing state with what reproduces it. */
  onFailure: (o: StateOutcome, keep: { image?: Buffer | string; log?: string; serial?: string; meta: object }) => void;
  log?: (line: string) => void;
}

export interface EnumerationResult {
  flushPoints: number;
  logEntries: number;
  writes: number;
  syncs: number;
  /** Syncs whose covering flush was found in the log. */
  syncsPlaced: number;
  workloadMs: number;
  outcomes: StateOutcome[];
  problems: string[];
  wallMs: number;
}

function outcome(name: string, kind: StateOutcome["kind"], syncsDone: number, v: Verdict): StateOutcome {
  return { name, kind, syncsDone, verdict: v, ok: v.ok, problems: v.problems };
}

export async function enumerateStates(o: EnumerationOptions): Promise<EnumerationResult> {
  const started = Date.now();
  const say = o.log ?? (() => {});
  fs.mkdirSync(o.workDir, { recursive: true });
  const data = freshImage(path.join(o.workDir, "data.img"));
  const logFile = path.join(o.workDir, "log.img");
  const stateFile = path.join(o.workDir, "state.img");
  const base = crashBaseImage();
  const run = await loggedRun(o.model, data, logFile);
  const result: EnumerationResult = { flushPoints: 0, logEntries: 0, writes: 0, syncs: 0, syncsPlaced: 0, workloadMs: run.workloadMs,
    outcomes: [], problems: [...run.problems], wallMs: 0 };
  if (run.problems.length > 0) {
    o.onFailure({ name: "logged-run", kind: "flush", syncsDone: 0, verdict: null, ok: false, problems: run.problems },
      { log: logFile, serial: run.serial, meta: { kind: "logged-run" } });
    result.wallMs = Date.now() - started;
    return result;
  }
  const log = readWriteLog(logFile);
  const points = flushPoints(log);
  const sums = writeSectorsThrough(log);
  const synced = syncedSectors(run.lines);
  const syncFlush = synced.map((s) => lastFlushWithin(log, points, sums, s));
  result.flushPoints = points.length;
  result.logEntries = log.entries.length;
  result.writes = log.entries.filter((e) => e.dataOffset >= 0).length;
  result.syncs = synced.length;
  result.syncsPlaced = syncFlush.filter((f) => f >= 0).length;
  const total = sums.length ? sums[sums.length - 1] : 0;
  if (synced.length && synced[synced.length - 1] > total) {
    result.problems.push(`the workload reports ${synced[synced.length - 1]} sectors written, the log holds ${total}: the log misses writes`);
  }
  const syncsDoneAt = (f: number) => syncFlush.filter((s) => s >= 0 && s <= f).length;
  say(`  ${o.model.scenario}: workload ${run.workloadMs} ms in QEMU, ${log.entries.length} log entries, ${points.length} flush points, ` +
    `${synced.length} syncs (${result.syncsPlaced} placed in the log)`);

  const replayer = new ImageReplayer(logFile, log, base);
  const meta = (extra: object) => ({ scenario: o.model.scenario, seed: o.model.seed, count: o.model.count, dir: o.model.printed(o.model.dir),
    mountPoint: o.model.mountPoint, ...extra });
  const check = async (name: string, kind: StateOutcome["kind"], image: Buffer, syncsDone: number, extra: object) => {
    fs.writeFileSync(stateFile, image);
    const v = await recoverOnNode(stateFile, o.model, syncsDone);
    const out = outcome(name, kind, syncsDone, v);
    result.outcomes.push(out);
    if (!out.ok) {
      o.onFailure(out, { image, log: logFile, serial: run.serial, meta: meta({ kind: "state", state: name, syncsDone, ...extra }) });
      say(`  FAIL ${o.model.scenario} ${name}: ${out.problems[0]}`);
    }
    return out;
  };

  // states: every flush point, each followed by the subsets of the writes up to the next one
  let subsets = 0;
  let torn = 0;
  const tornPerInterval = o.tornPerInterval ?? o.subsetsPerInterval;
  const logFd = fs.openSync(logFile, "r");
  const intervals = [-1, ...points];
  for (let i = 0; i < intervals.length; i++) {
    const f = intervals[i];
    if (f >= 0) {
      replayer.advanceTo(f);
      await check(`flush@${f}`, "flush", replayer.image, syncsDoneAt(f), { entry: f });
    }
    const next = i + 1 < intervals.length ? intervals[i + 1] : log.entries.length;
    const writes = log.entries.slice(f + 1, next).filter((e) => e.dataOffset >= 0);
    if (writes.length < 2 || o.subsetsPerInterval === 0) continue;
    for (let s = 0; s < o.subsetsPerInterval && subsets < o.maxSubsets; s++) {
      const chosen = pickSubset(writes, o.rng);
      if (!chosen) continue;
      subsets++;
      const image = replayer.withEntries(chosen);
      await check(`subset@${f}+[${chosen.map((e) => e.index).join(",")}]`, "subset", image, f >= 0 ? syncsDoneAt(f) : 0,
        { entry: f, subset: chosen.map((e) => e.index) });
    }
    const sectorsOf = (e: LogEntry) => (e.sectors * log.sectorSize) / 512; // 512-byte sectors
    const multi = writes.filter((e) => sectorsOf(e) > 1);
    for (let s = 0; s < tornPerInterval && torn < o.maxSubsets && multi.length > 0; s++) {
      const victim = multi[o.rng.below(multi.length)];
      const sectors = tornSectors(sectorsOf(victim), o.rng);
      // the others land whole (in log order, before the torn one: it is applied last, so a
      // later whole write of the same sectors would not hide the tear)
      const image = replayer.withEntries(writes.filter((e) => e !== victim && o.rng.below(2) === 0));
      for (const x of sectors) fs.readSync(logFd, image, (victim.sector + x) * 512, 512, victim.dataOffset + x * 512);
      torn++;
      await check(`torn@${f}:${victim.index}[${sectors.join(",")}]`, "torn", image, f >= 0 ? syncsDoneAt(f) : 0,
        { entry: f, torn: victim.index, sectors });
    }
  }
  fs.closeSync(logFd);
  replayer.close();
  // the end state: everything QEMU wrote (the data disk as it is)
  await check("end", "end", fs.readFileSync(data), synced.length, { entry: "end" });

  // QEMU: boot a sample of the flush-point states that needed a journal replay
  const candidates = result.outcomes.filter((x) => x.kind === "flush" && (x.verdict?.replayedTransactions ?? 0) > 0);
  for (let s = 0; s < o.qemuSamples && candidates.length > 0; s++) {
    const pick = candidates.splice(o.rng.below(candidates.length), 1)[0];
    const entry = Number(pick.name.split("@")[1]);
    const r2 = new ImageReplayer(logFile, log, base);
    r2.advanceTo(entry);
    fs.writeFileSync(stateFile, r2.image);
    r2.close();
    const q = await recoverInQemu(stateFile, o.model, pick.syncsDone);
    const out: StateOutcome = { name: `qemu:${pick.name}`, kind: "qemu", syncsDone: pick.syncsDone, verdict: q.verdict, qemu: q, ok: q.ok, problems: q.problems };
    result.outcomes.push(out);
    if (!out.ok) {
      const again = new ImageReplayer(logFile, log, base);
      again.advanceTo(entry);
      o.onFailure(out, { image: Buffer.from(again.image), log: logFile, serial: q.serial, meta: meta({ kind: "state", state: pick.name, syncsDone: pick.syncsDone, entry, qemu: true }) });
      again.close();
      say(`  FAIL ${o.model.scenario} ${out.name} (QEMU): ${out.problems[0]}`);
    }
  }
  fs.rmSync(stateFile, { force: true });
  result.wallMs = Date.now() - started;
  return result;
}

/**
 * Where a sync is credited: the last flush point with at most `sectors` sectors written before
 * it. A sync returns after its final flush; a power cut right after "stress synced" may lose
 * every write since the flush before it (a volatile cache), so its promises must hold at the
 * last flush that cannot have come after the print. Crediting the first flush after `sectors`
 * (a later one) would let a missing flush after the commit block pass (issue 23).
 */
function lastFlushWithin(log: WriteLog, points: number[], sums: number[], sectors: number): number {
  let found = -1;
  for (const p of points) {
    if (sums[p] > sectors) break;
    found = p;
  }
  return log.entries.length > 0 ? found : -1;
}

/** Which sectors of an n-sector write land: a prefix (2 in 3) or a random proper subset. */
function tornSectors(n: number, rng: Rng): number[] {
  if (rng.below(3) !== 0) return [...Array(1 + rng.below(n - 1)).keys()];
  for (;;) {
    const s = [...Array(n).keys()].filter(() => rng.below(2) === 0);
    if (s.length > 0 && s.length < n) return s;
  }
}

/** A random non-trivial subset of the writes (not all, not none), in log order; null if none. */
function pickSubset(writes: LogEntry[], rng: Rng): LogEntry[] | null {
  const n = writes.length;
  for (let tries = 0; tries < 8; tries++) {
    // half the time drop exactly one write, else keep each with probability 1/2
    let chosen: LogEntry[];
    if (rng.below(2) === 0) {
      const drop = rng.below(n);
      chosen = writes.filter((_, i) => i !== drop);
    } else chosen = writes.filter(() => rng.below(2) === 0);
    if (chosen.length > 0 && chosen.length < n) return chosen;
  }
  return null;
}
