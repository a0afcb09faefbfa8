// The crash checker: given what a recovered file system holds and how far the workload is
// known to have got (the number of its fsync/sync points that had returned before the power
// cut), says whether the recovery kept what it must. Shared by the Node power-cut test
// (tests/unit/fs/crash.test.ts), the QEMU power cuts and the crash-state enumeration.
//
// Three judgements, all from the workload model (model.ts):
//   promises       every line printed after a completed sync holds: "durable" files exist
//                  (where later renames may have moved them) with exactly the promised bytes,
//                  "prefix" files start with the promised bytes, "absent" paths are gone;
//                  a promise superseded by a later change of the same file is judged against
//                  that change (it holds when the tree is in a state the change allows)
//   never written  every file holds a prefix of bytes once written at that path, every
//                  directory is one the workload made there; nothing else exists
//   order          the whole tree equals the state after some prefix of the workload's
//                  operations that includes every completed sync (the last operation may be
//                  a write that is only partly there): what an ordered journal guarantees
//
// The recovered tree comes from the file system itself (recoveredTree() reads it with the
// Node build of SIS's ext4).
import { WorkloadModel, Entry } from "./model.ts";
import type { Ext4Node } from "../host/ext4-node.ts";

export type Found = { type: "d" } | { type: "f"; size: number; sha: string } | { type: "other"; what: string };

export interface RecoveredView {
  /** Every path under the workload's directory (inclusive), fs-relative. */
  tree: Map<string, Found>;
  /** Unexpected entries elsewhere (e.g. at the root), as problems. */
  strays: string[];
  /** SHA-256 of the first `size` bytes of the file at path (or an "error: ..." string). */
  prefixSha(path: string, size: number): string;
}

export interface TreeCheck {
  promises: number;
  /** Promises that do not hold. */
  brokenPromises: string[];
  /** Files or directories the workload never made, contents never written. */
  neverWritten: string[];
  /** "" when the tree is a state of the workload, else the closest difference. */
  order: string;
  /** The operation count of the matching state (-1 when none matches). */
  matchedOps: number;
  partial: boolean;
}

const describeEntry = (e: Found | Entry | undefined) =>
  !e ? "nothing" : e.type === "d" ? "a directory" : e.type === "f" ? ("size" in e ? `${e.size} bytes` : `${e.len} bytes`) : e.what;

function same(model: WorkloadModel, t: Found | undefined, m: Entry | undefined): boolean {
  if (!t || !m) return !t && !m;
  if (t.type === "d" || m.type === "d") return t.type === m.type;
  if (t.type !== "f") return false;
  return t.size === m.len && t.sha === model.shaOf(m.stream, m.len);
}

interface BoundPromise {
  line: string;
  kind: "durable" | "prefix" | "absent";
  size: number;
  sha: string;
  /** durable / prefix: the file the promise is about; absent: the path, moved along with renames. */
  node: number;
  alias: string;
  held: boolean;
}

/**
 * Judges a recovered tree. `syncsDone`: how many of the workload's "synced" points had
 * completed (every promise printed after them is in force).
 */
export function checkTree(model: WorkloadModel, syncsDone: number, view: RecoveredView): TreeCheck {
  const result: TreeCheck = { promises: 0, brokenPromises: [], neverWritten: [...view.strays], order: "", matchedOps: -1, partial: false };
  const T = view.tree;
  const K = Math.min(syncsDone, model.syncCount);
  const jK = K === 0 ? 0 : model.syncOps[K] + 1;

  // --- never written
  for (const [p, t] of T) {
    if (t.type === "d") {
      if (!model.everDir.has(p)) result.neverWritten.push(`${p}: a directory the workload never made`);
    } else if (t.type === "f") {
      const streams = model.everAt.get(p);
      if (!streams) {
        result.neverWritten.push(`${p}: a file the workload never made (${t.size} bytes)`);
        continue;
      }
      let ok = false;
      for (const [s, maxLen] of streams) if (t.size <= maxLen && model.shaOf(s, t.size) === t.sha) ok = true;
      if (!ok) result.neverWritten.push(`${p}: ${t.size} bytes that were never written there (sha256 ${t.sha.slice(0, 16)}...)`);
    } else result.neverWritten.push(`${p}: ${t.what}, the workload makes only files and directories`);
  }

  // --- the promises in force: those printed after syncs 1..K, bound to their file at that point
  const promisesAt = new Map<number, BoundPromise[]>(); // op position -> promises to bind there
  let sync = 0;
  for (const line of model.lines) {
    if (line === "stress synced") {
      sync++;
      continue;
    }
    const m = line.match(/^stress (durable|prefix|absent) (\S+)(?: (\d+) ([0-9a-f]{64}))?$/);
    if (!m || sync === 0 || sync > K) continue;
    const at = model.syncOps[sync] + 1;
    if (!promisesAt.has(at)) promisesAt.set(at, []);
    promisesAt.get(at)!.push({ line, kind: m[1] as BoundPromise["kind"], size: Number(m[3] ?? 0), sha: m[4] ?? "",
      node: -1, alias: model.fsPath(m[2]), held: false });
  }
  const bound: BoundPromise[] = [];
  const prefixCache = new Map<string, string>();
  const holds = (p: BoundPromise, r: ReturnType<WorkloadModel["replayer"]>): boolean => {
    if (p.kind === "absent") return !T.has(p.alias) || r.tree.has(p.alias);
    const path = r.pathOf.get(p.node);
    if (path === undefined) return true; // removed by a later operation of this state
    const t = T.get(path);
    if (p.kind === "durable") return same(model, t, r.tree.get(path));
    if (!t || t.type !== "f" || t.size < p.size) return false;
    // a file that is a known prefix of a stream: its first bytes are the stream's
    for (const [s, maxLen] of model.everAt.get(path) ?? []) {
      if (t.size <= maxLen && model.shaOf(s, t.size) === t.sha) return model.shaOf(s, p.size) === p.sha;
    }
    const key = `${path}:${p.size}`;
    if (!prefixCache.has(key)) prefixCache.set(key, view.prefixSha(path, p.size));
    return prefixCache.get(key) === p.sha;
  };

  // --- one pass over the workload's states
  const r = model.replayer();
  const mismatched = new Set<string>();
  const recheck = (p: string) => {
    if (same(model, T.get(p), r.tree.get(p))) mismatched.delete(p);
    else mismatched.add(p);
  };
  let closest = { count: Infinity, at: -1, paths: [] as string[] };
  for (let j = 0; j <= model.ops.length; j++) {
    if (j > 0) {
      const op = model.ops[j - 1];
      const touched = r.step();
      if (op.kind === "rename") {
        for (const b of bound) {
          if (b.kind === "absent" && (b.alias === op.from || b.alias.startsWith(op.from + "/"))) b.alias = op.to + b.alias.slice(op.from.length);
        }
      }
      if (j > jK) for (const p of touched) recheck(p);
    }
    for (const p of promisesAt.get(j) ?? []) {
      if (p.kind !== "absent") {
        const e = r.tree.get(p.alias);
        if (!e || e.type !== "f") throw new Error(`model: promise '${p.line}' names no file`);
        p.node = e.node;
      }
      bound.push(p);
    }
    if (j < jK) continue;
    if (j === jK) for (const p of new Set([...T.keys(), ...r.tree.keys()])) recheck(p);
    for (const b of bound) if (!b.held && holds(b, r)) b.held = true;
    if (result.matchedOps < 0) {
      if (mismatched.size === 0) result.matchedOps = j;
      else if (mismatched.size === 1 && j > jK) {
        // the last operation may be a write that is only partly on the disk
        const op = model.ops[j - 1];
        const [p] = mismatched;
        const t = T.get(p);
        const m = r.tree.get(p);
        if (op.kind === "append" && op.path === p && t?.type === "f" && m?.type === "f" &&
            t.size >= m.len - op.bytes && t.size <= m.len && model.shaOf(m.stream, t.size) === t.sha) {
          result.matchedOps = j;
          result.partial = true;
        }
      }
      if (mismatched.size < closest.count) closest = { count: mismatched.size, at: j, paths: [...mismatched].slice(0, 4) };
    }
  }
  result.promises = bound.length;
  for (const b of bound) if (!b.held) result.brokenPromises.push(b.line);
  if (result.matchedOps < 0) {
    // describe the closest state
    const r2 = model.replayer();
    r2.advanceTo(closest.at);
    result.order = `the tree is no state of the workload after sync ${K} (closest: after ${closest.at} of ${model.ops.length} operations, ` +
      `${closest.count} paths differ: ` + closest.paths.map((p) => `${p} holds ${describeEntry(T.get(p))}, expected ${describeEntry(r2.tree.get(p))}`).join("; ") + ")";
  }
  return result;
}

/** Reads the tree under the model's directory from a mounted Ext4Node (mounted at `at`). */
export function recoveredTree(k: Ext4Node, model: WorkloadModel, at = ""): RecoveredView {
  const tree = new Map<string, Found>();
  const strays: string[] = [];
  const top = model.dir.split("/")[1];
  const rootNames = k.exports.listNames(at || "/") as string;
  if (rootNames.startsWith("error:")) strays.push(`/: cannot list the root: ${rootNames}`);
  else {
    for (const line of rootNames.split("\n")) {
      const name = line.split("\t")[0];
      if (name && ![".", "..", "lost+found", top].includes(name)) strays.push(`/${name}: not made by the workload`);
    }
  }
  const walk = (p: string) => {
    const st = k.exports.statLine(at + p) as string;
    if (st.startsWith("error:")) {
      if (!/no such file/.test(st)) strays.push(`${p}: ${st}`);
      return;
    }
    const [type, , size] = st.split(" ");
    if (type === "40000") {
      tree.set(p, { type: "d" });
      const names = k.exports.listNames(at + p) as string;
      if (names.startsWith("error:")) {
        strays.push(`${p}: cannot list: ${names}`);
        return;
      }
      for (const line of names.split("\n")) {
        const name = line.split("\t")[0];
        if (name && name !== "." && name !== "..") walk(`${p}/${name}`);
      }
    } else if (type === "100000") {
      const sha = k.fileSha256(at + p);
      if (sha.startsWith("error:")) tree.set(p, { type: "other", what: `an unreadable file (${sha})` });
      else tree.set(p, { type: "f", size: Number(size), sha });
    } else tree.set(p, { type: "other", what: `a file of type ${type}` });
  };
  walk(model.dir);
  return { tree, strays, prefixSha: (p, size) => k.exports.prefixSha256(at + p, BigInt(size)) as string };
}

/** The stress lines of a console log, in order. */
export function stressLines(log: string): string[] {
  return log.replace(/\r\n/g, "\n").split("\n").filter((l) => /^stress (begin|end|synced|durable|prefix|absent) /.test(l));
}

/** "stress synced DEV SECTORS" lines: the sector counts, in order. */
export function syncedSectors(lines: string[]): number[] {
  return lines.filter((l) => l.startsWith("stress synced ")).map((l) => Number(l.split(" ")[3]));
}
