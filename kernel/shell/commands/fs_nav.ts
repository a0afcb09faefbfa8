// File-system navigation: mount, umount, cd, pwd, ls, stat, df, find, readlink.
import { registerCommand } from "../registry";
import { println, printError } from "../../platform/console";
import { Options, noArgs } from "../args";
import { table, padLeft, bytes } from "../../lib/format";
import { ELOOP, EINVAL } from "../../lib/errors";
import * as vfs from "../../fs/vfs";
import { Stat, FsStats, DirEntry, isDir, isLink, typeLetter, typeName, permissionString, S_IFMT, S_IFCHR, S_IFBLK, DT_DIR, DT_LNK, DT_REG } from "../../fs/types";
import { fsError, formatTime, globMatch, safe } from "../../fs/messages";
import { mountSource } from "../../fs/mounting";
import { checkpoint } from "../../sched/checkpoint";
import { interrupted } from "../progress";
import { printTable } from "../output";

registerCommand("mount", "list mounts, or mount a disk or tmpfs",
  "mount [-r] [-t TYPE] [SOURCE PATH]\n  Without arguments, lists what is mounted where.\n  SOURCE is a block device (vdb, /dev/vdb) holding ext2/3/4, or 'tmpfs'.\n  -r       mount read-only\n  -t TYPE  ext4, ext3, ext2 or tmpfs (default: detect)\n  Example: mount vdb /mnt",
  (args: Array<string>): i32 => {
    const o = new Options(args, ["-t"], ["-r"]);
    if (!o.ok) {
      printError("mount: " + o.error);
      return 1;
    }
    if (o.positionals.length == 0) {
      const mounts = vfs.mountTable();
      for (let i = 0; i < mounts.length; i++) {
        const m = mounts[i];
        println(m.fs.source + " on " + m.path + " type " + m.fs.typeName + " (" + (m.fs.readOnly ? "ro" : "rw") + ")");
      }
      return 0;
    }
    if (o.positionals.length != 2) {
      printError("usage: mount [-r] [-t TYPE] SOURCE PATH");
      return 1;
    }
    const out = mountSource(o.positionals[0], o.positionals[1], o.value("-t"), o.has("-r"));
    if (out.error < 0) {
      printError("mount: " + out.message);
      return 1;
    }
    println("mounted " + out.message);
    for (let i = 0; i < out.notes.length; i++) println("  " + out.notes[i]);
    return 0;
  });

registerCommand("umount", "unmount a file system", "umount PATH\n  Writes everything back and detaches the file system mounted at PATH.",
  (args: Array<string>): i32 => {
    if (args.length != 1) {
      printError("usage: umount PATH");
      return 1;
    }
    const e = vfs.unmount(args[0]);
    if (e == -EINVAL) {
      printError("umount: " + args[0] + ": not mounted");
      return 1;
    }
    if (e < 0) return fsError("umount", args[0], e);
    return 0;
  });

registerCommand("cd", "change the current directory", "cd [PATH]\n  Without PATH, goes to /.",
  (args: Array<string>): i32 => {
    if (args.length > 1) {
      printError("usage: cd [PATH]");
      return 1;
    }
    const path = args.length == 0 ? "/" : args[0];
    const e = vfs.changeDirectory(path);
    if (e < 0) return fsError("cd", path, e);
    return 0;
  });

registerCommand("pwd", "print the current directory", "pwd\n  Prints the absolute path of the current directory.",
  (args: Array<string>): i32 => {
    if (!noArgs("pwd", args)) return 1;
    println(vfs.currentDirectory());
    return 0;
  });

function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : dir + "/" + name;
}

function sizeColumn(st: Stat): string {
  const t = st.mode & S_IFMT;
  if (t == S_IFCHR || t == S_IFBLK) return st.rdevMajor.toString() + ", " + st.rdevMinor.toString();
  return st.size.toString();
}

function longRow(path: string, name: string, st: Stat): Array<string> {
  let shown = safe(name);
  if (isLink(st.mode)) {
    const target = vfs.readLink(path);
    shown += " -> " + (target != null ? safe(target!) : "?");
  }
  return [typeLetter(st.mode) + permissionString(st.mode), st.nlink.toString(), st.uid.toString(), st.gid.toString(),
    sizeColumn(st), formatTime(st.mtime).substring(0, 16), shown];
}

function printRows(rows: Array<Array<string>>): void {
  // right-align the link count and size columns
  const widths = [0, 0, 0, 0, 0];
  for (let r = 0; r < rows.length; r++) for (let c = 1; c < 5; c++) widths[c] = max(widths[c], rows[r][c].length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let c = 1; c < 5; c++) row[c] = padLeft(row[c], widths[c]);
  }
  printTable(rows);
}

function compareEntries(a: DirEntry, b: DirEntry): i32 {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

const LS_MAX_DEPTH: i32 = 64;
let lsRecursive = false;
let lsStopped = false;

/** ls -R: each directory below `path` (not following symlinks), depth-first, sorted. */
function listBelow(path: string, entries: Array<DirEntry>, long: bool, all: bool, depth: i32): i32 {
  let status = 0;
  for (let i = 0; i < entries.length; i++) {
    const n = entries[i].name;
    if (n == "." || n == ".." || (!all && n.startsWith("."))) continue;
    if (lsStopped || checkpoint()) {
      lsStopped = true;
      return status;
    }
    const child = joinPath(path, n);
    let dir = entries[i].type == DT_DIR;
    if (entries[i].type == 0) {
      const st = new Stat();
      dir = vfs.stat(child, false, st) == 0 && isDir(st.mode);
    }
    if (!dir) continue;
    if (depth >= LS_MAX_DEPTH) return fsError("ls", child, -ELOOP);
    println("");
    if (listOne(child, long, all, true, depth + 1) != 0) status = 1;
  }
  return status;
}

function listOne(path: string, long: bool, all: bool, header: bool, depth: i32 = 0): i32 {
  const st = new Stat();
  let e = vfs.stat(path, true, st);
  if (e < 0) {
    // a dangling symlink is still listed
    e = vfs.stat(path, false, st);
    if (e < 0) return fsError("ls", path, e);
  }
  if (!isDir(st.mode)) {
    if (long) printRows([longRow(path, path, st)]);
    else println(safe(path));
    return 0;
  }
  const entries = vfs.listDirectory(path);
  if (entries == null) return fsError("ls", path, vfs.lastError);
  entries.sort(compareEntries);
  if (header) println(safe(path) + ":");
  if (!long) {
    for (let i = 0; i < entries.length; i++) {
      const n = entries[i].name;
      if (!all && n.startsWith(".")) continue;
      println(safe(n) + (entries[i].type == DT_DIR ? "/" : ""));
    }
    return lsRecursive ? listBelow(path, entries, long, all, depth) : 0;
  }
  const rows = new Array<Array<string>>(0);
  let status = 0;
  for (let i = 0; i < entries.length; i++) {
    const n = entries[i].name;
    if (!all && n.startsWith(".")) continue;
    const child = joinPath(path, n);
    const cst = new Stat();
    const ce = vfs.stat(child, false, cst);
    if (ce < 0) {
      if (rows.length > 0) printRows(rows);
      rows.length = 0;
      status = fsError("ls", child, ce);
      continue;
    }
    rows.push(longRow(child, n, cst));
  }
  if (rows.length > 0) printRows(rows);
  if (lsRecursive && listBelow(path, entries, long, all, depth) != 0) status = 1;
  return status;
}

registerCommand("ls", "list a directory", "ls [-l] [-a] [-R] [PATH...]\n  -l  long format: type and permissions, links, owner, group, size, modification time\n  -a  include names starting with '.'\n  -R  list the directories below too (symlinks not followed; Ctrl-C stops)",
  (args: Array<string>): i32 => {
    const o = new Options(args, [], ["-l", "-a", "-R"]);
    if (!o.ok) {
      printError("ls: " + o.error);
      return 1;
    }
    const paths = o.positionals.length > 0 ? o.positionals : ["."];
    let status = 0;
    lsRecursive = o.has("-R");
    lsStopped = false;
    for (let i = 0; i < paths.length && !lsStopped; i++) {
      if (listOne(paths[i], o.has("-l"), o.has("-a"), paths.length > 1 || lsRecursive) != 0) status = 1;
    }
    lsRecursive = false;
    if (lsStopped) return interrupted("ls");
    return status;
  });

registerCommand("stat", "show a file's inode", "stat PATH...\n  Type, size, blocks, inode, links, permissions, owner and times (symlinks are not followed).",
  (args: Array<string>): i32 => {
    if (args.length == 0) {
      printError("usage: stat PATH...");
      return 1;
    }
    let status = 0;
    for (let i = 0; i < args.length; i++) {
      const st = new Stat();
      const e = vfs.stat(args[i], false, st);
      if (e < 0) {
        status = fsError("stat", args[i], e);
        continue;
      }
      let name = safe(args[i]);
      if (isLink(st.mode)) {
        const t = vfs.readLink(args[i]);
        if (t != null) name += " -> " + safe(t!);
      }
      println("  File: " + name);
      println("  Size: " + st.size.toString() + "  Blocks: " + st.blocks.toString() + "  IO Block: " + st.blockSize.toString() + "  " + typeName(st.mode));
      let line = "Inode: " + st.ino.toString() + "  Links: " + st.nlink.toString();
      const t = st.mode & S_IFMT;
      if (t == S_IFCHR || t == S_IFBLK) line += "  Device: " + st.rdevMajor.toString() + "," + st.rdevMinor.toString();
      if (st.flags != 0) line += "  Flags: 0x" + st.flags.toString(16);
      println(line);
      println("Access: (0" + (st.mode & 0xfff).toString(8) + "/" + typeLetter(st.mode) + permissionString(st.mode) + ")  Uid: " +
        st.uid.toString() + "  Gid: " + st.gid.toString());
      println("Access: " + formatTime(st.atime) + "." + padLeft(st.atimeNs.toString(), 9, "0"));
      println("Modify: " + formatTime(st.mtime) + "." + padLeft(st.mtimeNs.toString(), 9, "0"));
      println("Change: " + formatTime(st.ctime) + "." + padLeft(st.ctimeNs.toString(), 9, "0"));
      if (st.crtime != 0) println(" Birth: " + formatTime(st.crtime) + "." + padLeft(st.crtimeNs.toString(), 9, "0"));
    }
    return status;
  });

function dfRow(source: string, where: string, s: FsStats): Array<string> {
  const bs = <u64>s.blockSize;
  const size = s.totalBlocks * bs;
  const used = (s.totalBlocks - s.freeBlocks) * bs;
  const avail = s.availableBlocks * bs;
  const pct = s.totalBlocks == 0 ? 0 : ((s.totalBlocks - s.freeBlocks) * 100 + s.totalBlocks - 1) / s.totalBlocks;
  return [source, s.typeName, bytes(size), bytes(used), bytes(avail), pct.toString() + "%",
    (s.totalInodes - s.freeInodes).toString() + "/" + s.totalInodes.toString(), where];
}

registerCommand("df", "free space of mounted file systems", "df [PATH]\n  Size, used and available space and inodes of every mount (or the one holding PATH).",
  (args: Array<string>): i32 => {
    if (args.length > 1) {
      printError("usage: df [PATH]");
      return 1;
    }
    const rows = new Array<Array<string>>(0);
    rows.push(["Filesystem", "Type", "Size", "Used", "Avail", "Use%", "Inodes", "Mounted on"]);
    const mounts = vfs.mountTable();
    let only: vfs.Mount | null = null;
    if (args.length == 1) {
      only = vfs.mountOf(args[0]);
      if (only == null) return fsError("df", args[0], vfs.lastError);
    }
    for (let i = 0; i < mounts.length; i++) {
      const m = mounts[i];
      if (only != null && m !== only) continue;
      const s = new FsStats();
      const e = m.fs.statfs(s);
      if (e < 0) return fsError("df", m.path, e);
      rows.push(dfRow(m.fs.source, m.path, s));
    }
    printTable(rows);
    return 0;
  });

registerCommand("readlink", "print a symbolic link's target", "readlink PATH\n  Prints the target of the symbolic link PATH (not followed further).",
  (args: Array<string>): i32 => {
    if (args.length != 1) {
      printError("usage: readlink PATH");
      return 1;
    }
    const t = vfs.readLink(args[0]);
    if (t == null) return fsError("readlink", args[0], vfs.lastError);
    println(safe(t!));
    return 0;
  });

// ---------------------------------------------------------------- find

const FIND_MAX_DEPTH: i32 = 64;
let findPattern = "";
let findType = "";
let findStatus = 0;
let findMatches = 0;
let findStopped = false;
/** Directories already searched (by inode): a damaged tree may link a directory twice. */
const findSeen = new Set<u64>();

function findMatchesEntry(name: string, type: u8): bool {
  if (findPattern.length > 0 && !globMatch(findPattern, name)) return false;
  if (findType == "f" && type != DT_REG) return false;
  if (findType == "d" && type != DT_DIR) return false;
  if (findType == "l" && type != DT_LNK) return false;
  return true;
}

function findWalk(path: string, depth: i32): void {
  if (depth > FIND_MAX_DEPTH) {
    findStatus = fsError("find", path, -ELOOP);
    return;
  }
  const entries = vfs.listDirectory(path);
  if (entries == null) {
    findStatus = fsError("find", path, vfs.lastError);
    return;
  }
  entries.sort(compareEntries);
  for (let i = 0; i < entries.length; i++) {
    if (findStopped || checkpoint()) {
      findStopped = true;
      return;
    }
    const e = entries[i];
    if (e.name == "." || e.name == "..") continue;
    const child = joinPath(path, e.name);
    let type = e.type;
    if (type == 0) {
      const st = new Stat();
      if (vfs.stat(child, false, st) == 0) type = isDir(st.mode) ? DT_DIR : isLink(st.mode) ? DT_LNK : DT_REG;
    }
    if (findMatchesEntry(e.name, type)) {
      println(safe(child));
      findMatches++;
    }
    if (type == DT_DIR) {
      // key: (mount, inode) of the directory as resolved (mounts below are searched too)
      const r = vfs.resolve(child, false);
      if (r.error < 0) continue;
      const key = (<u64>vfs.mountTable().indexOf(r.node!.mount) << 40) | r.node!.ino;
      if (findSeen.has(key)) continue;
      findSeen.add(key);
      findWalk(child, depth + 1);
    }
  }
}

registerCommand("find", "search a directory tree", "find [PATH] [-name PATTERN] [-type f|d|l]\n  Prints every path under PATH (default .) whose name matches PATTERN (* ? [...]).\n  Symbolic links are not followed; mounts below PATH are searched too.",
  (args: Array<string>): i32 => {
    const o = new Options(args, ["-name", "-type"], []);
    if (!o.ok) {
      printError("find: " + o.error);
      return 1;
    }
    if (o.positionals.length > 1) {
      printError("usage: find [PATH] [-name PATTERN] [-type f|d|l]");
      return 1;
    }
    findType = o.value("-type");
    if (findType.length > 0 && findType != "f" && findType != "d" && findType != "l") {
      printError("find: -type must be f, d or l");
      return 1;
    }
    findPattern = o.value("-name");
    findStatus = 0;
    findMatches = 0;
    findStopped = false;
    findSeen.clear();
    const root = o.positionals.length > 0 ? o.positionals[0] : ".";
    const st = new Stat();
    const e = vfs.stat(root, true, st);
    if (e < 0) return fsError("find", root, e);
    if (!isDir(st.mode)) {
      if (findMatchesEntry(root, DT_REG)) println(safe(root));
      return 0;
    }
    if (findMatchesEntry(root, DT_DIR) && findPattern.length == 0) println(safe(root));
    findWalk(root, 0);
    findSeen.clear();
    if (findStopped) return interrupted("find");
    return findStatus;
  });
