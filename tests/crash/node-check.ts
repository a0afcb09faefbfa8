// Judging one disk image on the host: SIS's ext4 built for Node mounts it (replaying its
// journal, like a boot after a power cut would), the checker (check.ts) compares the tree with
// the workload model, `fsctl verify` runs in that kernel, and `e2fsck -fn` reads the image.
//
//   recoverOnNode(image, model, syncsDone)   mount read-write (journal replay), check, verify,
//                                            unmount, then e2fsck -fn on the replayed image
//   inspectOnNode(image, model, syncsDone)   e2fsck -fn first, then a read-only mount (an image
//                                            that SIS in QEMU already recovered and unmounted)
import { spawnSync } from "node:child_process";
import { Ext4Node } from "../host/ext4-node.ts";
import { WorkloadModel } from "./model.ts";
import { checkTree, recoveredTree, TreeCheck } from "./check.ts";

export interface Verdict {
  recovered: boolean;
  /** The mount line (and its notes): what mounting said. */
  mount: string;
  /** Mount time including journal replay (ms), as the mount line reports it. */
  mountMs: number | null;
  replayedTransactions: number;
  replayedBlocks: number;
  replayMs: number | null;
  verifyClean: boolean;
  verify: string;
  fsckClean: boolean;
  fsck: string;
  tree: TreeCheck | null;
  /** Every promise kept and nothing that was never written. */
  dataIntact: boolean;
  ok: boolean;
  /** One line per problem. */
  problems: string[];
}

/** Reads "mounted vdb on /mnt: ... (13 ms)" and "journal: replayed 3 transactions, 12 blocks (...) in 4 ms". */
export function parseMount(text: string): Pick<Verdict, "mountMs" | "replayedTransactions" | "replayedBlocks" | "replayMs"> {
  const m = text.match(/mounted \S+ on \S+: .*\((\d+) ms\)/);
  const j = text.match(/journal: replayed (\d+) transactions, (\d+) blocks .* in (\d+) ms/);
  return {
    mountMs: m ? Number(m[1]) : null,
    replayedTransactions: j ? Number(j[1]) : 0,
    replayedBlocks: j ? Number(j[2]) : 0,
    replayMs: j ? Number(j[3]) : null,
  };
}

export function e2fsck(image: string): { clean: boolean; out: string } {
  const r = spawnSync("e2fsck", ["-fn", image], { encoding: "utf8" });
  return { clean: r.status === 0, out: `exit ${r.status}\n${r.stdout}${r.stderr}` };
}

function finish(v: Verdict): Verdict {
  const t = v.tree;
  if (!v.recovered) v.problems.push(`mount failed: ${v.mount.trim()}`);
  if (!v.verifyClean && v.recovered) v.problems.push(`fsctl verify: ${v.verify.trim().split("\n").slice(0, 6).join(" | ")}`);
  if (!v.fsckClean) v.problems.push(`e2fsck -fn: ${v.fsck.trim().split("\n").filter((l) => !/^(Pass \d|e2fsck \d)/.test(l)).slice(0, 8).join(" | ")}`);
  if (t) {
    for (const p of t.brokenPromises) v.problems.push(`promise broken: ${p}`);
    for (const p of t.neverWritten) v.problems.push(`never written: ${p}`);
    if (t.order) v.problems.push(`order: ${t.order}`);
  }
  v.dataIntact = !!t && t.brokenPromises.length === 0 && t.neverWritten.length === 0;
  v.ok = v.recovered && v.verifyClean && v.fsckClean && v.dataIntact && !!t && !t.order;
  return v;
}

function emptyVerdict(): Verdict {
  return { recovered: false, mount: "", mountMs: null, replayedTransactions: 0, replayedBlocks: 0, replayMs: null, verifyClean: false,
    verify: "", fsckClean: false, fsck: "", tree: null, dataIntact: false, ok: false, problems: [] };
}

/** Mounts `image` read-write with SIS's ext4 on Node (journal replay), checks it, e2fsck -fn. */
export async function recoverOnNode(image: string, model: WorkloadModel, syncsDone: number): Promise<Verdict> {
  const v = emptyVerdict();
  const k = await Ext4Node.load();
  k.attach("vda", image);
  try {
    const m = k.sh("mount vda /");
    v.mount = m.out;
    v.recovered = m.status === 0;
    Object.assign(v, parseMount(m.out));
    if (v.recovered) {
      v.tree = checkTree(model, syncsDone, recoveredTree(k, model));
      const f = k.sh("fsctl verify /");
      v.verify = f.out;
      v.verifyClean = f.status === 0;
      if (k.exports.unmountAll() !== 0) v.problems.push("unmount after the check failed");
    }
  } finally {
    k.closeFiles();
  }
  const fsck = e2fsck(image);
  v.fsckClean = fsck.clean;
  v.fsck = fsck.out;
  return finish(v);
}

/** e2fsck -fn, then a read-only mount on Node and the tree check (no `fsctl verify`: SIS ran it). */
export async function inspectOnNode(image: string, model: WorkloadModel, syncsDone: number): Promise<Verdict> {
  const v = emptyVerdict();
  const fsck = e2fsck(image);
  v.fsckClean = fsck.clean;
  v.fsck = fsck.out;
  const k = await Ext4Node.load();
  k.attach("vda", image, { readOnly: true });
  try {
    const m = k.sh("mount -r vda /");
    v.mount = m.out;
    v.recovered = m.status === 0;
    if (v.recovered) {
      v.tree = checkTree(model, syncsDone, recoveredTree(k, model));
      const f = k.sh("fsctl verify /");
      v.verify = f.out;
      v.verifyClean = f.status === 0;
      k.exports.unmountAll();
    }
  } finally {
    k.closeFiles();
  }
  return finish(v);
}
