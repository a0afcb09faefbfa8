// fsctl: file-system control and inspection (ext4): verify, journal.
import { registerFamily, registerSubcommand } from "../families";
import { println, printError } from "../../platform/console";
import { fixed } from "../../lib/format";
import { nowUs } from "../../platform/time";
import * as vfs from "../../fs/vfs";
import { fsError } from "../../fs/messages";
import { Ext4Fs } from "../../fs/ext4/fs";
import { verifyVolume } from "../../fs/ext4/verify";
import { runStress, SCENARIOS } from "../../fs/stress";
import { Options } from "../args";
import { INCOMPAT_REVOKE, INCOMPAT_64BIT, INCOMPAT_CSUM_V2, INCOMPAT_CSUM_V3, INCOMPAT_ASYNC_COMMIT } from "../../fs/jbd2/format";
import { rankIndex } from "../../lib/stats";

registerFamily("fsctl", "file-system checks and journal state (fsctl --help lists them)");

/** The ext4 file system holding path, or null (an error printed). */
function ext4At(command: string, args: Array<string>): Ext4Fs | null {
  if (args.length > 1) {
    printError("usage: fsctl " + command + " [PATH]");
    return null;
  }
  const path = args.length == 1 ? args[0] : "/";
  const m = vfs.mountOf(path);
  if (m == null) {
    fsError("fsctl " + command, path, vfs.lastError);
    return null;
  }
  if (!(m!.fs instanceof Ext4Fs)) {
    printError("fsctl " + command + ": " + m!.path + " is " + m!.fs.typeName + ", not ext2/3/4");
    return null;
  }
  return m!.fs as Ext4Fs;
}

function mountPathOf(args: Array<string>): string {
  const m = vfs.mountOf(args.length == 1 ? args[0] : "/");
  return m != null ? m!.path : "?";
}

registerSubcommand("fsctl", "verify", "check bitmaps, counts and reachable inodes of an ext4 mount",
  "fsctl verify [PATH]\n  Checks the file system holding PATH (default /): every used inode and its blocks, every\n  directory entry, link counts, block and inode bitmaps against use, group and superblock\n  free counts. Prints every inconsistency found; status 1 when there is any.",
  (args: Array<string>): i32 => {
    const fs = ext4At("verify", args);
    if (fs == null) return 1;
    const j = fs!.vol.journal;
    if (j != null && j.live) {
      // verify what is on disk plus the running transaction: commit it first
      fs!.fsync(0);
    }
    const started = nowUs();
    const r = verifyVolume(fs!.vol);
    const ms = <f64>(nowUs() - started) / 1000;
    println("verify " + mountPathOf(args) + " (" + fs!.typeName + " on " + fs!.source + "): " + r.inodesUsed.toString() + " inodes, " +
      r.directories.toString() + " directories, " + r.blocksUsed.toString() + " blocks in use, " + fixed(ms, 1) + " ms");
    if (r.problems.length == 0) {
      println("clean: no inconsistencies");
      return 0;
    }
    println(r.problems.length.toString() + (r.truncated ? "+" : "") + " inconsistencies:");
    for (let i = 0; i < r.problems.length; i++) println("  " + r.problems[i]);
    return 1;
  });

function featureNames(incompat: u32): string {
  let s = "";
  if ((incompat & INCOMPAT_REVOKE) != 0) s += " revoke";
  if ((incompat & INCOMPAT_64BIT) != 0) s += " 64bit";
  if ((incompat & INCOMPAT_ASYNC_COMMIT) != 0) s += " async_commit";
  if ((incompat & INCOMPAT_CSUM_V2) != 0) s += " csum_v2";
  if ((incompat & INCOMPAT_CSUM_V3) != 0) s += " csum_v3";
  return s.length > 0 ? s.substring(1) : "(none)";
}

/** Nearest-rank percentile (0..100) of a non-empty list of microseconds. */
function percentileUs(values: Array<u64>, p: f64): u64 {
  const sorted = values.slice(0);
  sorted.sort();
  return sorted[rankIndex(sorted.length, p)];
}

registerSubcommand("fsctl", "journal", "the jbd2 journal: state, transactions, commit latency",
  "fsctl journal [PATH]\n  State of the journal of the ext4 file system holding PATH (default /): size, features,\n  tail and head, the running transaction, commits, checkpoints, commit latency p50/p99,\n  and what was replayed at mount.",
  (args: Array<string>): i32 => {
    const fs = ext4At("journal", args);
    if (fs == null) return 1;
    const j = fs!.vol.journal;
    if (j == null) {
      println("journal of " + mountPathOf(args) + ": none (" + (fs!.vol.sb.has(4) ? "not loaded" : "the file system has no journal") + ")");
      return 0;
    }
    println("journal of " + mountPathOf(args) + ": " + j.logBlocks.toString() + " log blocks of " + (j.blockSize / 1024).toString() +
      " KiB, features: " + featureNames(j.incompat));
    println("  state: " + (j.live ? "live" : "read-only") + ", " + (j.start == 0 ? "empty" : "tail at block " + j.start.toString() +
      " (tid " + j.sequence.toString() + ")") + ", head at block " + j.head.toString() + ", next tid " + j.nextTid.toString() +
      ", " + j.used.toString() + " blocks used, " + j.free.toString() + " free");
    const t = j.running;
    if (t != null && !t.empty) {
      println("  running transaction: tid " + t.tid.toString() + ", " + t.blocks.length.toString() + " metadata blocks, " +
        t.revokes.length.toString() + " revokes, open for " + ((nowUs() - t.startedUs) / 1000).toString() + " ms");
    } else println("  running transaction: none");
    const s = j.stats;
    println("  commits: " + s.commits.toString() + " (" + s.periodicCommits.toString() + " by the 5 s timer), " + s.blocksLogged.toString() +
      " blocks logged, " + s.revokesLogged.toString() + " revokes, " + s.checkpoints.toString() + " checkpoints");
    if (s.latenciesUs.length > 0) {
      println("  commit latency: p50 " + percentileUs(s.latenciesUs, 50).toString() + " us, p99 " + percentileUs(s.latenciesUs, 99).toString() +
        " us (last " + s.latenciesUs.length.toString() + " commits)");
    }
    println("  replayed at mount: " + s.replayedTransactions.toString() + " transactions, " + s.replayedBlocks.toString() + " blocks, " +
      s.revokedBlocks.toString() + " revoked, in " + (s.replayUs / 1000).toString() + " ms");
    return 0;
  });

registerSubcommand("fsctl", "stress", "seeded crash-test workloads that report what must survive",
  "fsctl stress SCENARIO [--seed S] [--count N] [--dir PATH]\n  Runs a workload in PATH (default /stress) and prints, after each fsync, what must survive a\n  power cut: 'stress durable PATH SIZE SHA256', 'stress prefix PATH SIZE SHA256', 'stress absent PATH'.\n  SCENARIO: write_during_allocation, write_during_inode_create, write_during_journal_commit,\n  write_during_data_write, concurrent_writes, directory_operations, truncate_operations.",
  (args: Array<string>): i32 => {
    const o = new Options(args, ["--seed", "--count", "--dir"], []);
    if (!o.ok || o.positionals.length != 1) {
      printError(o.ok ? "usage: fsctl stress SCENARIO [--seed S] [--count N] [--dir PATH]" : "fsctl stress: " + o.error);
      return 1;
    }
    const seed = o.integer("--seed", 1, 0, 0xffffffff);
    const count = o.integer("--count", 0, 0, 100000);
    if (seed < 0 || count < 0) return 1;
    const scenario = o.positionals[0];
    if (!SCENARIOS.includes(scenario)) {
      printError("fsctl stress: unknown scenario '" + scenario + "' (" + SCENARIOS.join(", ") + ")");
      return 1;
    }
    return runStress(scenario, <u32>seed, o.value("--dir", "/stress"), <i32>count);
  });
