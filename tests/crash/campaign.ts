// One crash-test campaign: for each scenario, the crash-state enumeration (enumerate.ts) and
// then random power cuts in QEMU (qemu-runs.ts); every failure kept under failuresDir with a
// command that replays it; results as rows for build/crash-results.json and a table.
//
// The power cuts are seeded: run r of a scenario cuts after sync k (uniform over 0..syncs)
// plus d ms (uniform over the mean time between two syncs, from the logged run's duration),
// so the cuts spread over the whole workload whatever the speed of the machine. Cache-loss
// cuts (SIGKILL, the writes after the last completed flush lost: qemu-runs.ts) are placed the
// same way, every other one at once after its sync line (the window in which a sync that
// skipped its final flush has not been made durable by a later one).
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { percentile } from "../../bench/lib.ts";
import { WorkloadModel, Scenario, SCENARIOS } from "./model.ts";
import { enumerateStates, StateOutcome } from "./enumerate.ts";
import { powerCutRun, PowerCutResult, cacheLossCutRun, CacheLossResult, STRESS_DIR, MOUNT_POINT } from "./qemu-runs.ts";
import { freshImage } from "./image.ts";
import { Rng } from "./rng.ts";

/** Failures whose files are kept (each up to ~100 MiB: disk, log, serial). */
const MAX_KEPT = 10;

export interface CampaignOptions {
  scenarios: readonly Scenario[];
  /** Random power cuts in QEMU per scenario. */
  powerCuts: number;
  /** Cache-loss power cuts (SIGKILL, writes after the last completed flush lost) per scenario. */
  cacheLossCuts?: number;
  /** Scenarios whose every crash state is enumerated. */
  enumerate: readonly Scenario[];
  /** --count per scenario (default: the workload's own). */
  counts?: Partial<Record<Scenario, number>>;
  seed: number;
  subsetsPerInterval: number;
  /** Torn-write states per flush interval (default: subsetsPerInterval). */
  tornPerInterval?: number;
  maxSubsets: number;
  qemuSamples: number;
  failuresDir: string;
  workDir: string;
  log: (line: string) => void;
}

export interface Row {
  scenario: string;
  mode: string;
  /** Runs (power cuts) or states (enumeration). */
  states: number;
  recovered: number;
  verifyClean: number;
  fsckClean: number;
  dataIntact: number;
  /** Trees equal to a state of the workload (operation prefix). */
  ordered: number;
  failed: number;
  /** States or runs whose recovery replayed at least one transaction. */
  replayed: number;
  recoveryMs: { where: "qemu" | "node"; n: number; p50: number | null; p99: number | null; max: number | null };
  wallMs: number;
  notes: string[];
  /** The recovery times themselves (pooled by totals(); left out of the JSON). */
  samples: number[];
}

export interface Failure {
  name: string;
  dir: string;
  replay: string;
  problem: string;
  /** The checks that failed ("promise broken", "e2fsck -fn", ...), each once. */
  checks: string[];
}

/** The check behind a problem line: the words before its first colon. */
export const checkOf = (problem: string) => problem.split(":")[0];

export interface CampaignReport {
  rows: Row[];
  failures: Failure[];
  wallMs: number;
}

/** Typical QEMU run time of each workload with its default count (ms), before one was measured. */
const TYPICAL_MS: Record<Scenario, number> = {
  write_during_allocation: 850, write_during_inode_create: 550, write_during_journal_commit: 450, write_during_data_write: 600,
  concurrent_writes: 800, directory_operations: 550, truncate_operations: 1300,
};

function times(values: number[], where: "qemu" | "node"): Row["recoveryMs"] {
  const s = finite(values).sort((a, b) => a - b);
  return { where, n: s.length, p50: s.length ? percentile(s, 50) : null, p99: s.length ? percentile(s, 99) : null, max: s.length ? s[s.length - 1] : null };
}

function rowOf(scenario: string, mode: string, outcomes: StateOutcome[], where: "qemu" | "node", wallMs: number): Row {
  const v = outcomes.map((o) => o.verdict);
  const recovered = outcomes.filter((o) => (o.qemu ? o.qemu.sis?.recovered : o.verdict?.recovered)).length;
  const verifyClean = outcomes.filter((o) => (o.qemu ? o.qemu.sis?.sisVerifyClean : o.verdict?.verifyClean)).length;
  const ms = outcomes.map((o) => (o.qemu ? o.qemu.sis?.mountMs : o.verdict?.mountMs) ?? NaN);
  const replayed = outcomes.filter((o) => ((o.qemu ? o.qemu.sis?.replayedTransactions : o.verdict?.replayedTransactions) ?? 0) > 0).length;
  return {
    scenario, mode, states: outcomes.length, recovered, verifyClean,
    fsckClean: v.filter((x) => x?.fsckClean).length,
    dataIntact: v.filter((x) => x?.dataIntact).length,
    ordered: v.filter((x) => x?.tree && !x.tree.order).length,
    failed: outcomes.filter((o) => !o.ok).length,
    replayed, recoveryMs: times(ms, where), wallMs, notes: [], samples: finite(ms),
  };
}

export const CACHE_LOSS_MODE = "cache-loss power cut (QEMU SIGKILL, writes after the last flush lost)";

function cacheLossRow(scenario: string, runs: CacheLossResult[], wallMs: number): Row {
  const row = powerCutRow(scenario, runs.map((r) => ({ ...r, staleGicPriority: false })), wallMs);
  row.mode = CACHE_LOSS_MODE;
  const lost = runs.map((r) => r.lostBlocks).sort((a, b) => a - b);
  row.notes = [`${runs.filter((r) => !r.finished).length} cut mid-workload; 4 KiB blocks lost with the cache per cut: ` +
    `median ${lost.length ? lost[Math.floor(lost.length / 2)] : 0}, max ${lost.length ? lost[lost.length - 1] : 0}, ${lost.filter((n) => n > 0).length} of ${runs.length} cuts lost some`];
  return row;
}

function powerCutRow(scenario: string, runs: Omit<PowerCutResult, "cutImage">[], wallMs: number): Row {
  const ms = runs.map((r) => r.sis?.mountMs ?? NaN);
  return {
    scenario, mode: "power cut (QEMU system_reset)", states: runs.length,
    recovered: runs.filter((r) => r.sis?.recovered).length,
    verifyClean: runs.filter((r) => r.sis?.sisVerifyClean).length,
    fsckClean: runs.filter((r) => r.verdict.fsckClean).length,
    dataIntact: runs.filter((r) => r.verdict.dataIntact).length,
    ordered: runs.filter((r) => r.verdict.tree && !r.verdict.tree.order).length,
    failed: runs.filter((r) => !r.ok).length,
    replayed: runs.filter((r) => (r.sis?.replayedTransactions ?? 0) > 0).length,
    recoveryMs: times(ms, "qemu"), wallMs, samples: finite(ms),
    notes: [`${runs.filter((r) => !r.finished).length} cut mid-workload, ${runs.filter((r) => r.finished).length} after its end; ` +
      `${runs.filter((r) => r.staleGicPriority).length} reboots found the GIC running priority left raised by the reset and dropped it`],
  };
}

const finite = (values: number[]) => values.filter((v) => Number.isFinite(v));
const safe = (s: string) => s.replace(/[^A-Za-z0-9_.@+-]+/g, "_").slice(0, 80);

export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  const started = Date.now();
  const rows: Row[] = [];
  const failures: Failure[] = [];
  fs.mkdirSync(o.workDir, { recursive: true });
  // the disks and logs of the first MAX_KEPT failures are kept (a log is a 1 GiB sparse file:
  // copied sparse); past that only the problem is reported (a mutant fails hundreds of states)
  const keep = (name: string, problems: string[], files: Record<string, Buffer | string | undefined>, texts: Record<string, string>) => {
    const problem = problems[0] ?? "?";
    const checks = [...new Set(problems.map(checkOf))];
    if (failures.length >= MAX_KEPT) {
      failures.push({ name, dir: "", replay: "(not kept: too many failures)", problem, checks });
      return;
    }
    const dir = path.join(o.failuresDir, safe(name));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const [file, from] of Object.entries(files)) {
      if (from === undefined) continue;
      if (Buffer.isBuffer(from)) fs.writeFileSync(path.join(dir, file), from);
      else if (fs.existsSync(from)) execFileSync("cp", ["--sparse=always", from, path.join(dir, file)]);
    }
    for (const [file, text] of Object.entries(texts)) fs.writeFileSync(path.join(dir, file), text);
    const rel = path.relative(process.cwd(), dir) || dir;
    const f = { name, dir: rel, replay: `node_modules/.bin/tsx tests/crash/replay.ts ${rel}`, problem, checks };
    failures.push(f);
    o.log(`  kept ${rel} (replay: ${f.replay})`);
  };

  for (const scenario of o.scenarios) {
    const si = SCENARIOS.indexOf(scenario);
    const model = new WorkloadModel({ scenario, seed: o.seed, count: o.counts?.[scenario] ?? 0, dir: STRESS_DIR, mountPoint: MOUNT_POINT });
    let workloadMs = TYPICAL_MS[scenario];
    if (o.enumerate.includes(scenario)) {
      const rng = new Rng(o.seed * 7919 + si);
      const e = await enumerateStates({
        model, workDir: path.join(o.workDir, `${scenario}-enum`), qemuSamples: o.qemuSamples,
        subsetsPerInterval: o.subsetsPerInterval, tornPerInterval: o.tornPerInterval, maxSubsets: o.maxSubsets, rng, log: o.log,
        onFailure: (out, k) => keep(`${scenario}-${out.name}`, out.problems,
          { "image.img": k.image, "log.img": k.log }, {
            "meta.json": JSON.stringify(k.meta, null, 1), "serial.txt": k.serial ?? "", "problems.txt": out.problems.join("\n") + "\n",
          }),
      });
      if (e.workloadMs > 0) workloadMs = e.workloadMs;
      const byKind = (k: StateOutcome["kind"][]) => e.outcomes.filter((x) => k.includes(x.kind));
      const share = (n: number) => Math.round((e.wallMs * n) / Math.max(1, e.outcomes.length));
      const flushRow = rowOf(scenario, "every flush point (Node)", byKind(["flush", "end"]), "node", share(byKind(["flush", "end"]).length));
      flushRow.notes.push(`${e.flushPoints} flush points + the end state, ${e.logEntries} log entries (${e.writes} writes), ` +
        `${e.syncsPlaced}/${e.syncs} syncs placed in the log`, ...e.problems);
      if (e.problems.length) flushRow.failed += e.problems.length;
      rows.push(flushRow);
      if (o.subsetsPerInterval > 0) rows.push(rowOf(scenario, "writes after a flush dropped/reordered (Node)", byKind(["subset"]), "node", share(byKind(["subset"]).length)));
      if (byKind(["torn"]).length > 0) rows.push(rowOf(scenario, "a multi-sector write torn, sector by sector (Node)", byKind(["torn"]), "node", share(byKind(["torn"]).length)));
      if (o.qemuSamples > 0) rows.push(rowOf(scenario, "flush-point sample booted (QEMU)", byKind(["qemu"]), "qemu", share(byKind(["qemu"]).length)));
      const bad = e.outcomes.filter((x) => !x.ok).length;
      o.log(`  ${scenario}: ${e.outcomes.length} crash states checked, ${bad} failed (${(e.wallMs / 1000).toFixed(1)} s)`);
    }
    if (o.powerCuts > 0) {
      const t = Date.now();
      const runs: PowerCutResult[] = [];
      const rng = new Rng(o.seed * 104729 + si);
      const gap = workloadMs / (model.syncCount + 1);
      for (let r = 0; r < o.powerCuts; r++) {
        const afterSyncs = rng.below(model.syncCount + 1);
        const delayMs = Math.round(rng.fraction() * gap);
        const dir = path.join(o.workDir, `${scenario}-cut-${r}`);
        const image = freshImage(path.join(dir, "disk.img"));
        const cutImage = path.join(dir, "cut.img");
        const res = await powerCutRun({ model, image, afterSyncs, delayMs, cutImage });
        runs.push(res);
        const what = `cut after sync ${afterSyncs} + ${delayMs} ms: ${res.syncsDone}/${model.syncCount} syncs done` +
          (res.sis ? `, mount ${res.sis.mountMs} ms (${res.sis.replayedTransactions} transactions replayed)` : "");
        if (!res.ok) {
          o.log(`  FAIL ${scenario} power cut ${r}: ${what}: ${res.problems[0]}`);
          keep(`${scenario}-powercut-${r}`, res.problems, { "image.img": cutImage, "after-recovery.img": image }, {
            "meta.json": JSON.stringify({ kind: "powercut", scenario, seed: o.seed, count: model.count, dir: STRESS_DIR, mountPoint: MOUNT_POINT,
              syncsDone: res.syncsDone, afterSyncs, delayMs, run: r }, null, 1),
            "serial.txt": res.serial, "problems.txt": res.problems.join("\n") + "\n",
          });
        } else o.log(`  ${scenario} power cut ${r + 1}/${o.powerCuts}: ${what}: ok (${(res.wallMs / 1000).toFixed(1)} s)`);
        fs.rmSync(dir, { recursive: true, force: true });
      }
      rows.push(powerCutRow(scenario, runs, Date.now() - t));
    }
    if ((o.cacheLossCuts ?? 0) > 0) {
      const t = Date.now();
      const runs: CacheLossResult[] = [];
      const rng = new Rng(o.seed * 15485863 + si);
      const gap = workloadMs / (model.syncCount + 1);
      for (let r = 0; r < o.cacheLossCuts!; r++) {
        const afterSyncs = rng.below(model.syncCount + 1);
        const delayMs = r % 2 === 0 ? 0 : Math.round(rng.fraction() * gap);
        const dir = path.join(o.workDir, `${scenario}-cacheloss-${r}`);
        const res = await cacheLossCutRun({ model, dir, afterSyncs, delayMs });
        runs.push(res);
        const what = `kill after sync ${afterSyncs} + ${delayMs} ms: ${res.syncsDone}/${model.syncCount} syncs done, ` +
          `${res.keptEntries} log entries kept, ${res.lostBlocks} blocks lost` +
          (res.sis ? `, mount ${res.sis.mountMs} ms (${res.sis.replayedTransactions} transactions replayed)` : "");
        if (!res.ok) {
          o.log(`  FAIL ${scenario} cache-loss cut ${r}: ${what}: ${res.problems[0]}`);
          keep(`${scenario}-cacheloss-${r}`, res.problems, { "image.img": res.cutImage }, {
            "meta.json": JSON.stringify({ kind: "cacheloss", scenario, seed: o.seed, count: model.count, dir: STRESS_DIR, mountPoint: MOUNT_POINT,
              syncsDone: res.syncsDone, afterSyncs, delayMs, run: r }, null, 1),
            "serial.txt": res.serial, "problems.txt": res.problems.join("\n") + "\n",
          });
        } else o.log(`  ${scenario} cache-loss cut ${r + 1}/${o.cacheLossCuts}: ${what}: ok (${(res.wallMs / 1000).toFixed(1)} s)`);
        fs.rmSync(dir, { recursive: true, force: true });
      }
      rows.push(cacheLossRow(scenario, runs, Date.now() - t));
    }
  }
  return { rows, failures, wallMs: Date.now() - started };
}

/** All rows of one mode added up (recovery times pooled). */
export function totals(rows: Row[], mode: string): Row | null {
  const rs = rows.filter((r) => r.mode === mode);
  if (!rs.length) return null;
  const sum = (k: keyof Row) => rs.reduce((a, r) => a + (r[k] as number), 0);
  const samples = rs.flatMap((r) => r.samples);
  return {
    scenario: "all", mode, states: sum("states"), recovered: sum("recovered"), verifyClean: sum("verifyClean"), fsckClean: sum("fsckClean"),
    dataIntact: sum("dataIntact"), ordered: sum("ordered"), failed: sum("failed"), replayed: sum("replayed"),
    recoveryMs: times(samples, rs[0].recoveryMs.where), wallMs: sum("wallMs"), notes: [], samples,
  };
}

/** The human summary: one line per row. */
export function table(rows: Row[]): string {
  const head = ["scenario", "mode", "states/runs", "recovered", "verify clean", "fsck clean", "data intact", "ordered", "failed", "replayed", "recovery p50/p99 ms"];
  const lines = rows.map((r) => [r.scenario, r.mode, String(r.states), String(r.recovered), String(r.verifyClean), String(r.fsckClean),
    String(r.dataIntact), String(r.ordered), String(r.failed), String(r.replayed),
    r.recoveryMs.p50 === null ? "-" : `${r.recoveryMs.p50} / ${r.recoveryMs.p99} (${r.recoveryMs.where})`]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  return [fmt(head), "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |", ...lines.map(fmt)].join("\n");
}
