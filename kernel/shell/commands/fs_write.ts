// Changing files: write, append, cp, mv, rm, mkdir, rmdir, ln, truncate, touch, chmod, sync.
import { registerCommand } from "../registry";
import { printError } from "../../platform/console";
import { Options, parseU64, parsedOk } from "../args";
import { EEXIST, EISDIR, ENOTDIR, ENOENT, EUCLEAN, EXDEV } from "../../lib/errors";
import * as vfs from "../../fs/vfs";
import { Stat, AttrChange, isDir, isReg } from "../../fs/types";
import { fsError, safe } from "../../fs/messages";
import { Progress, interrupted } from "../progress";
import { ioBuffer, IO_BUFFER_SIZE } from "../../fs/iobuf";
import { wallClockSeconds } from "../../fs/clock";

/** Writes text (UTF-8) to path, replacing or appending; returns the command status. */
function writeText(command: string, path: string, text: string, append: bool): i32 {
  const flags = vfs.O_WRONLY | vfs.O_CREAT | (append ? vfs.O_APPEND : vfs.O_TRUNC);
  const fd = vfs.open(path, flags);
  if (fd < 0) return fsError(command, path, fd);
  const bytes = String.UTF8.encode(text, false);
  let status = 0;
  if (bytes.byteLength > 0) {
    const n = vfs.write(fd, changetype<usize>(bytes), <u32>bytes.byteLength);
    if (n < 0) status = fsError(command, path, <i32>n);
    else if (n < bytes.byteLength) status = fsError(command, path, -28); // ENOSPC: short write
  }
  vfs.close(fd);
  return status;
}

function textOf(o: Options): string {
  const words = o.positionals.slice(1);
  return words.join(" ") + (o.has("-n") ? "" : "\n");
}

registerCommand("write", "write text to a file (replacing it)", "write [-n] PATH TEXT...\n  Creates or empties PATH and writes the words, joined by spaces, and a newline.\n  -n  no newline at the end",
  (args: Array<string>): i32 => {
    const o = new Options(args, [], ["-n"]);
    if (!o.ok || o.positionals.length < 2) {
      printError(o.ok ? "usage: write [-n] PATH TEXT... (no TEXT: 'truncate -s 0 PATH' empties a file)" : "write: " + o.error);
      return 1;
    }
    return writeText("write", o.positionals[0], textOf(o), false);
  });

registerCommand("append", "append text to a file", "append [-n] PATH TEXT...\n  Appends the words, joined by spaces, and a newline to PATH (created if missing).\n  -n  no newline at the end",
  (args: Array<string>): i32 => {
    const o = new Options(args, [], ["-n"]);
    if (!o.ok || o.positionals.length < 2) {
      printError(o.ok ? "usage: append [-n] PATH TEXT..." : "append: " + o.error);
      return 1;
    }
    return writeText("append", o.positionals[0], textOf(o), true);
  });

function baseName(path: string): string {
  let p = path;
  while (p.length > 1 && p.endsWith("/")) p = p.substring(0, p.length - 1);
  const i = p.lastIndexOf("/");
  return i >= 0 ? p.substring(i + 1) : p;
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : dir + "/" + name;
}

/** DST, or DST/basename(SRC) when DST is an existing directory. */
function targetPath(src: string, dst: string): string {
  const st = new Stat();
  if (vfs.stat(dst, true, st) == 0 && isDir(st.mode)) return joinPath(dst, baseName(src));
  return dst;
}

/** Copies the file SRC (stat `st`) to DST in 64 KiB pieces with progress; Ctrl-C stops it. Returns the status. */
function copyFile(command: string, src: string, dst: string, st: Stat): i32 {
  const from = vfs.open(src, vfs.O_RDONLY);
  if (from < 0) return fsError(command, src, from);
  const to = vfs.open(dst, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC, st.mode & 0xfff);
  if (to < 0) {
    vfs.close(from);
    return fsError(command, dst, to);
  }
  const buf = ioBuffer();
  let status = 0;
  const progress = new Progress(command + " " + safe(src), true);
  let done: u64 = 0;
  while (true) {
    if (progress.step(done, st.size)) {
      progress.finish();
      status = interrupted(command); // DST keeps what was copied so far, as with GNU cp
      break;
    }
    const n = vfs.read(from, buf, IO_BUFFER_SIZE);
    if (n < 0) {
      status = fsError(command, src, <i32>n);
      break;
    }
    if (n == 0) break;
    const w = vfs.write(to, buf, <u32>n);
    if (w < 0) {
      status = fsError(command, dst, <i32>w);
      break;
    }
    if (w < n) {
      status = fsError(command, dst, -28);
      break;
    }
    done += <u64>n;
  }
  progress.finish();
  vfs.close(from);
  vfs.close(to);
  return status;
}

registerCommand("cp", "copy a file", "cp SRC DST\n  Copies the file SRC to DST (or into DST when it is a directory), streaming 64 KiB at a time.",
  (args: Array<string>): i32 => {
    if (args.length != 2) {
      printError("usage: cp SRC DST");
      return 1;
    }
    const src = args[0];
    const st = new Stat();
    let e = vfs.stat(src, true, st);
    if (e < 0) return fsError("cp", src, e);
    if (isDir(st.mode)) return fsError("cp", src, -EISDIR);
    const dst = targetPath(src, args[1]);
    // copying a file onto itself (the same name, a hard link, through a symlink) would
    // truncate it before reading: refuse, as GNU cp does, and keep the data
    const dstStat = new Stat();
    if (vfs.stat(dst, true, dstStat) == 0 && vfs.sameFile(st, dstStat)) {
      printError("cp: '" + src + "' and '" + dst + "' are the same file");
      return 1;
    }
    return copyFile("cp", src, dst, st);
  });

/** mv between file systems: copy the file, then remove the source (a directory is refused). */
function moveAcross(src: string, dst: string): i32 {
  const st = new Stat();
  const e = vfs.stat(src, false, st);
  if (e < 0) return fsError("mv", src, e);
  if (!isReg(st.mode)) {
    printError("mv: " + safe(src) + ": only regular files move between file systems (copy directories with cp per file)");
    return 1;
  }
  const existed = vfs.stat(dst, false, new Stat()) == 0;
  const status = copyFile("mv", src, dst, st);
  if (status != 0) {
    if (!existed) vfs.removeFile(dst); // no partial copy left behind; the source is kept
    return status;
  }
  const r = vfs.removeFile(src);
  return r < 0 ? fsError("mv", src, r) : 0;
}

registerCommand("mv", "move or rename", "mv SRC DST\n  Renames SRC to DST (into DST when it is a directory); replaces an existing file or empty directory.\n  Between file systems a regular file is copied, then removed.",
  (args: Array<string>): i32 => {
    if (args.length != 2) {
      printError("usage: mv SRC DST");
      return 1;
    }
    // SRC and DST naming the same file (the same path, or a hard link): nothing to do
    const a = new Stat();
    const b = new Stat();
    if (vfs.stat(args[0], false, a) == 0 && vfs.stat(args[1], false, b) == 0 && vfs.sameFile(a, b)) return 0;
    const dst = targetPath(args[0], args[1]);
    const e = vfs.rename(args[0], dst);
    if (e == -EXDEV) return moveAcross(args[0], dst);
    if (e < 0) return fsError("mv", args[0], e);
    return 0;
  });

let removed = 0;
/** The directories removeTree is inside ("dev:ino"), to see a hard-link cycle. */
const treeAncestors = new Array<string>(0);
/** Set when removeTree stopped at a directory cycle: the path that repeats an ancestor. */
let cycleAt = "";

function removeTree(path: string, depth: i32): i32 {
  const st = new Stat();
  let e = vfs.stat(path, false, st);
  if (e < 0) return e;
  if (!isDir(st.mode)) return vfs.removeFile(path);
  const key = st.dev.toString() + ":" + st.ino.toString();
  if (treeAncestors.includes(key)) {
    cycleAt = path;
    return -EUCLEAN;
  }
  if (depth > 64) return -40;
  treeAncestors.push(key);
  e = removeTreeBelow(path, depth);
  treeAncestors.pop();
  return e;
}

function removeTreeBelow(path: string, depth: i32): i32 {
  let e: i32 = 0;
  const entries = vfs.listDirectory(path);
  if (entries == null) return vfs.lastError;
  for (let i = 0; i < entries.length; i++) {
    const n = entries[i].name;
    if (n == "." || n == "..") continue;
    e = removeTree(joinPath(path, n), depth + 1);
    if (e < 0) return e;
    removed++;
  }
  return vfs.removeDirectory(path);
}

/** Does `path` name the root directory itself ("/", ".", "/etc/..", a symlink's target not counted)? */
function isRootDirectory(path: string): bool {
  const r = vfs.resolve(path, false);
  return r.error == 0 && r.parts.length == 0;
}

registerCommand("rm", "remove files", "rm [-r] [-f] [--no-preserve-root] PATH...\n  Removes files (and symlinks). -r removes directories and everything in them.\n  -f  no error for a missing PATH\n  --no-preserve-root  let -r remove everything under / (refused by default)",
  (args: Array<string>): i32 => {
    const o = new Options(args, [], ["-r", "-f", "--no-preserve-root"]);
    if (!o.ok || o.positionals.length == 0) {
      printError(o.ok ? "usage: rm [-r] [-f] [--no-preserve-root] PATH..." : "rm: " + o.error);
      return 1;
    }
    let status = 0;
    for (let i = 0; i < o.positionals.length; i++) {
      const p = o.positionals[i];
      if (o.has("-r") && !o.has("--no-preserve-root") && isRootDirectory(p)) {
        printError("rm: refusing to remove '/' recursively (--no-preserve-root overrides)");
        status = 1;
        continue;
      }
      cycleAt = "";
      treeAncestors.length = 0;
      const e = o.has("-r") ? removeTree(p, 0) : vfs.removeFile(p);
      if (e == -ENOENT && o.has("-f")) continue;
      if (e == -EUCLEAN && cycleAt.length > 0) {
        printError("rm: " + cycleAt + ": directory cycle (a hard link to a directory above it): the file system needs checking");
        status = 1;
      } else if (e < 0) status = fsError("rm", p, e);
    }
    return status;
  });

registerCommand("mkdir", "make directories", "mkdir [-p] PATH...\n  -p  make missing parents too, and do not fail when PATH exists",
  (args: Array<string>): i32 => {
    const o = new Options(args, [], ["-p"]);
    if (!o.ok || o.positionals.length == 0) {
      printError(o.ok ? "usage: mkdir [-p] PATH..." : "mkdir: " + o.error);
      return 1;
    }
    let status = 0;
    for (let i = 0; i < o.positionals.length; i++) {
      const p = o.positionals[i];
      if (!o.has("-p")) {
        const e = vfs.makeDirectory(p, 0o755);
        if (e < 0) status = fsError("mkdir", p, e);
        continue;
      }
      const parts = p.split("/");
      let prefix = p.startsWith("/") ? "/" : "";
      for (let k = 0; k < parts.length; k++) {
        if (parts[k].length == 0) continue;
        prefix = prefix.length == 0 || prefix.endsWith("/") ? prefix + parts[k] : prefix + "/" + parts[k];
        const e = vfs.makeDirectory(prefix, 0o755);
        if (e < 0 && e != -EEXIST) {
          status = fsError("mkdir", prefix, e);
          break;
        }
        if (e == -EEXIST) {
          const st = new Stat();
          if (vfs.stat(prefix, true, st) < 0 || !isDir(st.mode)) {
            status = fsError("mkdir", prefix, -ENOTDIR);
            break;
          }
        }
      }
    }
    return status;
  });

registerCommand("rmdir", "remove empty directories", "rmdir PATH...\n  Removes each directory, which must be empty.",
  (args: Array<string>): i32 => {
    if (args.length == 0) {
      printError("usage: rmdir PATH...");
      return 1;
    }
    let status = 0;
    for (let i = 0; i < args.length; i++) {
      const e = vfs.removeDirectory(args[i]);
      if (e < 0) status = fsError("rmdir", args[i], e);
    }
    return status;
  });

registerCommand("ln", "make links", "ln [-s] TARGET LINK\n  Makes LINK a hard link to the file TARGET, or with -s a symbolic link whose text is TARGET.",
  (args: Array<string>): i32 => {
    const o = new Options(args, [], ["-s"]);
    if (!o.ok || o.positionals.length != 2) {
      printError(o.ok ? "usage: ln [-s] TARGET LINK" : "ln: " + o.error);
      return 1;
    }
    const target = o.positionals[0];
    const link = o.positionals[1];
    const e = o.has("-s") ? vfs.makeSymlink(target, link) : vfs.makeHardLink(target, link);
    if (e < 0) {
      // a hard link's missing source is the source's fault, not the link's
      const st = new Stat();
      if (!o.has("-s") && e == -ENOENT && vfs.stat(target, false, st) == -ENOENT) return fsError("ln", target, e);
      return fsError("ln", link, e);
    }
    return 0;
  });

registerCommand("truncate", "set a file's size", "truncate -s SIZE PATH...\n  Shrinks (freeing blocks) or grows (with a hole) each file to SIZE bytes; creates missing files.\n  SIZE may end in K, M, G, T (or KiB..TiB: powers of 1024) or KB..TB (powers of 1000): -s 8M",
  (args: Array<string>): i32 => {
    const o = new Options(args, ["-s"], []);
    if (!o.ok || !o.hasValue("-s") || o.positionals.length == 0) {
      printError(o.ok ? "usage: truncate -s SIZE PATH..." : "truncate: " + o.error);
      return 1;
    }
    const size = parseU64(o.value("-s"), true);
    if (!parsedOk()) {
      printError("truncate: SIZE must be a number of bytes, optionally with K, M, G or T (KiB..TiB; KB..TB are powers of 1000)");
      return 1;
    }
    let status = 0;
    for (let i = 0; i < o.positionals.length; i++) {
      const p = o.positionals[i];
      const st = new Stat();
      if (vfs.stat(p, true, st) == -ENOENT) {
        const fd = vfs.open(p, vfs.O_WRONLY | vfs.O_CREAT);
        if (fd < 0) {
          status = fsError("truncate", p, fd);
          continue;
        }
        vfs.close(fd);
      }
      const e = vfs.truncatePath(p, <u64>size);
      if (e < 0) status = fsError("truncate", p, e);
    }
    return status;
  });

registerCommand("touch", "create files or update their times", "touch PATH...\n  Creates each missing file (empty); sets the access and modification times of existing ones to now.",
  (args: Array<string>): i32 => {
    if (args.length == 0) {
      printError("usage: touch PATH...");
      return 1;
    }
    let status = 0;
    for (let i = 0; i < args.length; i++) {
      const p = args[i];
      const st = new Stat();
      const e = vfs.stat(p, true, st);
      if (e == -ENOENT) {
        const fd = vfs.open(p, vfs.O_WRONLY | vfs.O_CREAT);
        if (fd < 0) status = fsError("touch", p, fd);
        else vfs.close(fd);
        continue;
      }
      if (e < 0) {
        status = fsError("touch", p, e);
        continue;
      }
      const change = new AttrChange();
      change.setAtime = true;
      change.setMtime = true;
      change.atime = wallClockSeconds();
      change.mtime = change.atime;
      const r = vfs.setAttributes(p, change);
      if (r < 0) status = fsError("touch", p, r);
    }
    return status;
  });

registerCommand("chmod", "change permission bits", "chmod MODE PATH...\n  MODE is octal, e.g. 644 or 0755.",
  (args: Array<string>): i32 => {
    if (args.length < 2) {
      printError("usage: chmod MODE PATH...");
      return 1;
    }
    const m = args[0];
    let mode: u32 = 0;
    for (let i = 0; i < m.length; i++) {
      const c = m.charCodeAt(i);
      if (c < 48 || c > 55 || m.length > 4) {
        printError("chmod: MODE must be octal digits, like 644");
        return 1;
      }
      mode = mode * 8 + <u32>(c - 48);
    }
    let status = 0;
    for (let i = 1; i < args.length; i++) {
      const change = new AttrChange();
      change.setMode = true;
      change.mode = mode;
      const e = vfs.setAttributes(args[i], change);
      if (e < 0) status = fsError("chmod", args[i], e);
    }
    return status;
  });

registerCommand("sync", "write everything to disk", "sync [PATH]\n  Without PATH: commits and checkpoints every file system (the disk is complete without its\n  journal afterwards). With PATH: fsync of that file (its journal transaction committed).",
  (args: Array<string>): i32 => {
    if (args.length > 1) {
      printError("usage: sync [PATH]");
      return 1;
    }
    if (args.length == 1) {
      const fd = vfs.open(args[0], vfs.O_RDONLY);
      if (fd < 0) return fsError("sync", args[0], fd);
      const e = vfs.fsync(fd);
      vfs.close(fd);
      if (e < 0) return fsError("sync", args[0], e);
      return 0;
    }
    const e = vfs.syncAll();
    if (e < 0) return fsError("sync", "", e);
    return 0;
  });
