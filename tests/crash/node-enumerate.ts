// The crash-state enumeration on Node, with a volatile write cache (issue 23, items 1 and 2).
//
// The workload runs once in SIS's ext4 built for Node; every write (sectors and bytes) and every
// flush is recorded with the number of "stress synced" lines printed before it. The disk is
// modelled as a volatile cache in front of the medium: a flush makes every earlier write
// durable; between two flushes, any subset of the writes may reach the medium, and a write of
// several sectors may reach it only in part (sector by sector: disks without atomic 4 KiB
// writes). A power cut anywhere in the interval (F_i, F_i+1) leaves
//
//   medium = pristine image + every write before F_i + some of the writes of the interval
//
// and must keep every promise printed before F_i+1 was issued: a sync that returned inside the
// interval (or before it) may be cut right after its line was printed, with nothing of the
// interval durable. This is the strict judge: a sync is never credited to a later flush, so a
// missing flush after the commit block breaks a promise instead of passing.
//
// States per interval i (judged by recoverOnNode: mount + journal replay, the workload's
// promises, `fsctl verify`, `e2fsck -fn`):
//   flush    nothing of the interval durable
//   subset   sampled subsets of the interval's writes (drop one, or keep each with p = 1/2)
//   torn     one multi-sector write of the interval cut after k of its sectors (or a random
//            sector subset), with a sampled subset of the other writes
//   end      every write of the run (nothing lost), all promises
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ext4Node } from "../host/ext4-node.ts";
import { WorkloadModel } from "./model.ts";
import { createHash } from "node:crypto";
import { recoverOnNode, e2fsck, Verdict } from "./node-check.ts";
import { crashBaseImage } from "./image.ts";
import { Rng } from "./rng.ts";

const SECTOR = 512;

export type NodeEvent =
  | { kind: "write"; index: number; lba: number; data: Buffer; syncsBefore: number }
  | { kind: "flush"; index: number; syncsBefore: number };

export interface NodeRun {
  events: NodeEvent[];
  /** Indices (into events) of the flushes. */
  flushes: number[];
  syncs: number;
  status: number;
  out: string;
}

/** Runs the workload once on a copy of the pristine image in memory, recording writes and flushes (and the unmount's). */
export async function recordRun(model: WorkloadModel, thenUnmount = false): Promise<NodeRun> {
  const image = fs.readFileSync(crashBaseImage());
  const k = await Ext4Node.load();
  const id = k.attachBuffer("vda", image);
  const events: NodeEvent[] = [];
  let seenBytes = 0;
  let text = "";
  let searchFrom = 0;
  let syncs = 0;
  const syncsNow = () => {
    // count the "stress synced" lines printed so far (the output only grows during the run)
    const bytes = k.platform.outputBytes;
    if (bytes.length > seenBytes) {
      text += Buffer.from(bytes.slice(seenBytes)).toString("latin1");
      seenBytes = bytes.length;
      for (let p = text.indexOf("stress synced ", searchFrom); p >= 0; p = text.indexOf("stress synced ", searchFrom)) {
        syncs++;
        searchFrom = p + 1;
      }
    }
    return syncs;
  };
  const disk = k.disk(id);
  disk.onWrite = (lba, data) => { events.push({ kind: "write", index: events.length, lba, data, syncsBefore: syncsNow() }); };
  disk.onFlush = () => { events.push({ kind: "flush", index: events.length, syncsBefore: syncsNow() }); };
  const mounted = k.exports.mountAt("vda", "/", false);
  if (mounted !== "") throw new Error(`mount of the pristine image failed: ${mounted}`);
  k.platform.takeOutput();
  seenBytes = 0;
  text = "";
  searchFrom = 0;
  syncs = 0;
  const status = k.exports.run(model.command);
  if (thenUnmount && k.exports.unmountAll() !== 0) throw new Error("unmount after the workload failed");
  const total = syncsNow();
  const out = k.platform.takeOutput().replace(/\r\n/g, "\n");
  k.closeFiles();
  return { events, flushes: events.filter((e) => e.kind === "flush").map((e) => e.index), syncs: total, status, out };
}

export interface NodeStateOutcome {
  name: string;
  kind: "flush" | "subset" | "torn" | "end";
  syncsDone: number;
  ok: boolean;
  problems: string[];
  verdict: Verdict;
}

export interface NodeEnumerationOptions {
  model: WorkloadModel;
  /** Sampled subsets and torn writes per flush interval. */
  subsetsPerInterval: number;
  tornPerInterval: number;
  /** Caps on all of them (0: no subsets / no torn states). */
  maxSubsets: number;
  maxTorn: number;
  seed: number;
  /** Stop at the first failing state (the mutation runner only needs one). */
  stopAtFirstFailure?: boolean;
  log?: (line: string) => void;
}

export interface NodeEnumerationResult {
  run: NodeRun;
  writes: number;
  outcomes: NodeStateOutcome[];
  wallMs: number;
}

/** Applies writes (in log order) to image; a torn write lands only in the sectors listed. */
function apply(image: Buffer, w: NodeEvent & { kind: "write" }, sectors?: number[]): void {
  if (!sectors) {
    w.data.copy(image, w.lba * SECTOR);
    return;
  }
  for (const s of sectors) w.data.copy(image, (w.lba + s) * SECTOR, s * SECTOR, (s + 1) * SECTOR);
}

type Write = NodeEvent & { kind: "write" };

/** A random non-trivial subset of writes, in log order (drop one, or keep each with p = 1/2). */
function pickSubset(writes: Write[], rng: Rng): Write[] | null {
  const n = writes.length;
  for (let tries = 0; tries < 8; tries++) {
    const chosen = rng.below(2) === 0 ? ((d) => writes.filter((_, i) => i !== d))(rng.below(n)) : writes.filter(() => rng.below(2) === 0);
    if (chosen.length > 0 && chosen.length < n) return chosen;
  }
  return null;
}

/** Which sectors of an n-sector write land: a prefix of k (the usual tear) or a random proper subset. */
function tornSectors(n: number, rng: Rng): number[] {
  if (rng.below(3) !== 0) {
    const k = 1 + rng.below(n - 1);
    return [...Array(k).keys()];
  }
  for (;;) {
    const s = [...Array(n).keys()].filter(() => rng.below(2) === 0);
    if (s.length > 0 && s.length < n) return s;
  }
}

export async function enumerateOnNode(o: NodeEnumerationOptions): Promise<NodeEnumerationResult> {
  const started = Date.now();
  const say = o.log ?? (() => {});
  const rng = new Rng(o.seed);
  const run = await recordRun(o.model);
  const result: NodeEnumerationResult = { run, writes: run.events.filter((e) => e.kind === "write").length, outcomes: [], wallMs: 0 };
  if (run.status !== 0) throw new Error(`${o.model.command} failed (status ${run.status}):\n${run.out.slice(-2000)}`);
  const dir = fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "sis-node-enum-"));
  const stateFile = path.join(dir, "state.img");
  let stop = false;
  const check = async (name: string, kind: NodeStateOutcome["kind"], image: Buffer, syncsDone: number) => {
    fs.writeFileSync(stateFile, image);
    const v = await recoverOnNode(stateFile, o.model, syncsDone);
    const out: NodeStateOutcome = { name, kind, syncsDone, ok: v.ok, problems: v.problems, verdict: v };
    result.outcomes.push(out);
    if (!v.ok) {
      say(`  FAIL ${o.model.scenario} ${name} (promises of ${syncsDone} syncs): ${v.problems[0]}`);
      if (o.stopAtFirstFailure) stop = true;
    }
  };
  try {
    const cur = fs.readFileSync(crashBaseImage());
    let subsets = 0;
    let torn = 0;
    // interval i runs from flush i-1 (or the start) to flush i (or the end of the run)
    const bounds = [-1, ...run.flushes, run.events.length];
    for (let i = 0; i + 1 < bounds.length && !stop; i++) {
      const from = bounds[i];
      const to = bounds[i + 1];
      const credit = to < run.events.length ? run.events[to].syncsBefore : run.syncs;
      const writes = run.events.slice(from + 1, to).filter((e): e is Write => e.kind === "write");
      if (from >= 0 || writes.length > 0) await check(`flush@${from}`, "flush", cur, credit);
      for (let s = 0; s < o.subsetsPerInterval && subsets < o.maxSubsets && writes.length >= 2 && !stop; s++) {
        const chosen = pickSubset(writes, rng);
        if (!chosen) continue;
        subsets++;
        const image = Buffer.from(cur);
        for (const w of chosen) apply(image, w);
        await check(`subset@${from}+[${chosen.map((w) => w.index).join(",")}]`, "subset", image, credit);
      }
      const multi = writes.filter((w) => w.data.length > SECTOR);
      for (let s = 0; s < o.tornPerInterval && torn < o.maxTorn && multi.length > 0 && !stop; s++) {
        const victim = multi[rng.below(multi.length)];
        const sectors = tornSectors(victim.data.length / SECTOR, rng);
        const others = writes.filter((w) => w !== victim && rng.below(2) === 0);
        const image = Buffer.from(cur);
        // in log order: the torn write lands partly, the others whole
        for (const w of writes) {
          if (w === victim) apply(image, w, sectors);
          else if (others.includes(w)) apply(image, w);
        }
        torn++;
        await check(`torn@${from}:${victim.index}[${sectors.join(",")}]`, "torn", image, credit);
      }
      for (const w of writes) apply(cur, w);
    }
    if (!stop) await check("end", "end", cur, run.syncs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  result.wallMs = Date.now() - started;
  return result;
}

// ---------------------------------------------------------------- scripted workloads
//
// Short hand-written sequences for what the seeded stress workloads do not reach (a block
// logged as metadata, freed and reused as file data before any checkpoint, ...). The script
// drives the kernel and states its own promises: after a sync returned, `promise(path, bytes)`
// (the file holds exactly these bytes) or `promise(path, null)` (it is gone). The states are
// those of enumerateOnNode (strict credit: a promise binds every state of the interval whose
// closing flush came after it), judged by mount + replay, the promises, `fsctl verify` and
// `e2fsck -fn`.

export interface ScriptPromise { at: number; path: string; sha: string | null }

export interface ScriptedOutcome { name: string; kind: "flush" | "subset" | "end"; promises: number; ok: boolean; problems: string[] }

export async function scriptedStates(script: (k: Ext4Node, promise: (path: string, bytes: Buffer | null) => void) => void,
  o: { subsetsPerInterval: number; seed: number }): Promise<{ outcomes: ScriptedOutcome[]; events: number; promises: number }> {
  const rng = new Rng(o.seed);
  const image = fs.readFileSync(crashBaseImage());
  const k = await Ext4Node.load();
  const id = k.attachBuffer("vda", image);
  const events: NodeEvent[] = [];
  const promises: ScriptPromise[] = [];
  k.disk(id).onWrite = (lba, data) => { events.push({ kind: "write", index: events.length, lba, data, syncsBefore: promises.length }); };
  k.disk(id).onFlush = () => { events.push({ kind: "flush", index: events.length, syncsBefore: promises.length }); };
  const mounted = k.exports.mountAt("vda", "/", false);
  if (mounted !== "") throw new Error(`mount of the pristine image failed: ${mounted}`);
  script(k, (p, bytes) => promises.push({ at: events.length, path: p, sha: bytes ? createHash("sha256").update(bytes).digest("hex") : null }));
  k.closeFiles();
  const dir = fs.mkdtempSync(path.join(fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir(), "sis-script-"));
  const stateFile = path.join(dir, "state.img");
  const outcomes: ScriptedOutcome[] = [];
  const judge = async (name: string, kind: ScriptedOutcome["kind"], disk: Buffer, credit: number) => {
    fs.writeFileSync(stateFile, disk);
    const problems: string[] = [];
    const r = await Ext4Node.load();
    r.attach("vda", stateFile);
    const m = r.sh("mount vda /");
    if (m.status !== 0) problems.push(`mount failed: ${m.out.trim()}`);
    else {
      // the newest credited promise about each path
      const want = new Map<string, string | null>();
      for (const p of promises.slice(0, credit)) want.set(p.path, p.sha);
      for (const [p, sha] of want) {
        const st = r.sh(`stat ${p}`);
        if (sha === null) {
          if (st.status === 0) problems.push(`promise broken: ${p} should be gone`);
        } else if (st.status !== 0) problems.push(`promise broken: ${p} is missing`);
        else if (r.fileSha256(p) !== sha) problems.push(`promise broken: ${p} does not hold the bytes synced`);
      }
      const v = r.sh("fsctl verify /");
      if (v.status !== 0) problems.push(`fsctl verify: ${v.out.trim().split("\n").slice(0, 4).join(" | ")}`);
      r.exports.unmountAll();
    }
    r.closeFiles();
    const f = e2fsck(stateFile);
    if (!f.clean) problems.push(`e2fsck -fn: ${f.out.trim().split("\n").slice(0, 6).join(" | ")}`);
    outcomes.push({ name, kind, promises: credit, ok: problems.length === 0, problems });
  };
  try {
    const cur = fs.readFileSync(crashBaseImage());
    const flushes = events.filter((e) => e.kind === "flush").map((e) => e.index);
    const bounds = [-1, ...flushes, events.length];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const [from, to] = [bounds[i], bounds[i + 1]];
      const credit = promises.filter((p) => p.at <= to).length;
      const writes = events.slice(from + 1, to).filter((e): e is Write => e.kind === "write");
      if (from >= 0) await judge(`flush@${from}`, "flush", cur, credit);
      for (let s = 0; s < o.subsetsPerInterval && writes.length >= 2; s++) {
        const chosen = pickSubset(writes, rng);
        if (!chosen) continue;
        const disk = Buffer.from(cur);
        for (const w of chosen) apply(disk, w);
        await judge(`subset@${from}+[${chosen.map((w) => w.index).join(",")}]`, "subset", disk, credit);
      }
      for (const w of writes) apply(cur, w);
    }
    await judge("end", "end", cur, promises.length);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { outcomes, events: events.length, promises: promises.length };
}
