// The namespace: the mount table, the current directory and path resolution.
//
//   mounts    [ / -> ext4(vda), /tmp -> tmpfs, /mnt -> ext4(vdb) ]   (later mounts cover earlier)
//   Node      (mount, inode number): a file as the VFS names it
//   resolve   "/a/../b//c" -> Node, walking one component at a time:
//               ""        -> ENOENT           "." -> stay          ".." at a mount root -> the
//               mount point's parent; at "/" -> "/"   symlinks expanded (40 at most: ELOOP)
//               a name over 255 UTF-8 bytes or a path over 4095 -> ENAMETOOLONG
// vfs.ts builds the file operations on it and re-exports what callers use.
import { FileSystem, Stat, DirEntry, FsStats, AttrChange, isDir, isLink, PATH_MAX, NAME_MAX, SYMLINK_MAX, S_IFREG, S_IFDIR } from "./types";
import { ENOENT, ENOTDIR, ENAMETOOLONG, ELOOP, EBUSY, EINVAL, EBADF, EMFILE, EISDIR, EEXIST, EXDEV, ENOMEM, EROFS, ENOTEMPTY, EPERM, ENOSPC } from "../lib/errors";

export class Mount {
  constructor(
    public path: string,
    public fs: FileSystem,
    /** The mount this one covers a directory of (null for "/"). */
    public parent: Mount | null,
    /** The covered directory's inode in parent. */
    public mountpointIno: u64,
  ) {}
}

export class Node {
  constructor(public mount: Mount, public ino: u64) {}

  get fs(): FileSystem {
    return this.mount.fs;
  }
}

export const MAX_SYMLINKS: i32 = 40;

/** An open file: the handle table lives here so unmount can refuse while files are open (vfs.ts opens them). */
export class OpenFile {
  constructor(public node: Node, public flags: i32) {}
  offset: u64 = 0;
}

export const openFiles = new Array<OpenFile | null>(0);

const mounts = new Array<Mount>(0);
/** Mounts at once (each costs heap): beyond it mount fails with ENOSPC, as Linux's mount-max. */
export const MAX_MOUNTS: i32 = 64;

export function mountTable(): Array<Mount> {
  return mounts;
}

export function rootMount(): Mount | null {
  return mounts.length > 0 ? mounts[0] : null;
}

// ---------------------------------------------------------------- the current directory

let cwdNode: Node | null = null;
let cwdParts: Array<string> = new Array<string>(0);

/** The node of the current directory (null until the first cd: "/"). */
export function currentNode(): Node | null {
  return cwdNode;
}

export function currentDirectory(): string {
  return joinParts(cwdParts);
}

export function joinParts(parts: Array<string>): string {
  if (parts.length == 0) return "/";
  let s = "";
  for (let i = 0; i < parts.length; i++) s += "/" + parts[i];
  return s;
}

/** Absolute path of `path` resolved lexically against the current directory (for messages). */
export function absolutePath(path: string): string {
  const parts = path.startsWith("/") ? new Array<string>(0) : cwdParts.slice(0);
  const words = path.split("/");
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w.length == 0 || w == ".") continue;
    if (w == "..") {
      if (parts.length > 0) parts.pop();
    } else parts.push(w);
  }
  return joinParts(parts);
}

/** cd: the directory must exist (symlinks followed). */
export function changeDirectory(path: string): i32 {
  const r = resolve(path, true);
  if (r.error < 0) return r.error;
  const st = new Stat();
  const e = r.node!.fs.stat(r.node!.ino, st);
  if (e < 0) return e;
  if (!isDir(st.mode)) return -ENOTDIR;
  cwdNode = r.node;
  cwdParts = r.parts;
  return 0;
}

// ---------------------------------------------------------------- mounting

/** Mounts fs at path ("/" first). The mount point must be an existing directory. */
export function mount(fs: FileSystem, path: string): i32 {
  if (mounts.length == 0) {
    if (path != "/") return -ENOENT;
    const m = new Mount("/", fs, null, 0);
    mounts.push(m);
    cwdNode = new Node(m, fs.rootIno());
    cwdParts = new Array<string>(0);
    return 0;
  }
  if (mounts.length >= MAX_MOUNTS) return -ENOSPC;
  const r = resolve(path, true);
  if (r.error < 0) return r.error;
  const node = r.node!;
  const st = new Stat();
  const e = node.fs.stat(node.ino, st);
  if (e < 0) return e;
  if (!isDir(st.mode)) return -ENOTDIR;
  const where = joinParts(r.parts);
  for (let i = 0; i < mounts.length; i++) {
    if (mounts[i].fs === fs) return -EBUSY;
  }
  // mounting on the root of a mount stacks on the covered directory of that mount
  mounts.push(new Mount(where, fs, node.mount, node.ino));
  return 0;
}

/** Unmounts the file system mounted at path. Busy while files are open, the current
 *  directory is inside it or another mount sits on it. */
export function unmount(path: string): i32 {
  const r = resolve(path, true);
  if (r.error < 0) return r.error;
  const node = r.node!;
  const m = node.mount;
  if (node.ino != m.fs.rootIno()) return -EINVAL; // not a mount point
  if (m.parent == null) return -EBUSY; // the root stays
  for (let i = 0; i < mounts.length; i++) if (mounts[i].parent === m) return -EBUSY;
  for (let i = 0; i < openFiles.length; i++) {
    const f = openFiles[i];
    if (f != null && f.node.mount === m) return -EBUSY;
  }
  if (cwdNode != null && cwdNode!.mount === m) return -EBUSY;
  const e = m.fs.unmount();
  const i = mounts.indexOf(m);
  if (i >= 0) mounts.splice(i, 1);
  return e;
}

/** Unmounts everything, last mounted first (shutdown). Returns the first error. */
export function unmountAll(): i32 {
  let result = 0;
  for (let i = mounts.length - 1; i >= 0; i--) {
    const e = mounts[i].fs.unmount();
    if (e < 0 && result == 0) result = e;
  }
  mounts.length = 0;
  cwdNode = null;
  cwdParts = new Array<string>(0);
  openFiles.length = 0;
  return result;
}

/** Syncs every mounted file system; returns the first error. */
export function syncAll(): i32 {
  let result = 0;
  for (let i = 0; i < mounts.length; i++) {
    const e = mounts[i].fs.sync();
    if (e < 0 && result == 0) result = e;
  }
  return result;
}

/** Runs each file system's periodic work (journal commit timer). A poller. */
export function pollFileSystems(): void {
  for (let i = 0; i < mounts.length; i++) mounts[i].fs.poll();
}

function mountedOn(node: Node): Mount | null {
  let found: Mount | null = null;
  for (let i = 0; i < mounts.length; i++) {
    const m = mounts[i];
    if (m.parent === node.mount && m.mountpointIno == node.ino) found = m; // the last one wins
  }
  return found;
}

/** Follows mounts stacked on node down to the visible root. */
function crossMounts(node: Node): Node {
  let n = node;
  for (let depth = 0; depth < 64; depth++) {
    const m = mountedOn(n);
    if (m == null) return n;
    n = new Node(m, m.fs.rootIno());
  }
  return n;
}

// ---------------------------------------------------------------- path resolution

export class Resolution {
  error: i32 = 0;
  node: Node | null = null;
  /** Canonical components of node (or of parent when a parent was asked for). */
  parts: Array<string> = new Array<string>(0);
  /** For resolveParent: the directory and the final name ("" when the path names "/", "." or ".."). */
  parent: Node | null = null;
  name: string = "";
  trailingSlash: bool = false;
}

function fail(r: Resolution, code: i32): Resolution {
  r.error = code;
  r.node = null;
  return r;
}

export function utf8Length(s: string): i32 {
  return String.UTF8.byteLength(s, false);
}

/** Resolves path to a node; the last component's symlink is followed when `followLast`. */
export function resolve(path: string, followLast: bool): Resolution {
  return walk(path, followLast, false);
}

/** Resolves all but the last component (which need not exist): for create, unlink, rename. */
export function resolveParent(path: string): Resolution {
  return walk(path, false, true);
}

function walk(path: string, followLast: bool, wantParent: bool): Resolution {
  const r = new Resolution();
  if (path.length == 0) return fail(r, -ENOENT);
  if (utf8Length(path) >= PATH_MAX) return fail(r, -ENAMETOOLONG);
  if (mounts.length == 0) return fail(r, -ENOENT);
  const root = crossMounts(new Node(mounts[0], mounts[0].fs.rootIno()));
  let node: Node;
  let parts: Array<string>;
  if (path.charCodeAt(0) == 47 || cwdNode == null) {
    node = root;
    parts = new Array<string>(0);
  } else {
    node = cwdNode!;
    parts = cwdParts.slice(0);
  }
  r.trailingSlash = path.endsWith("/");
  // queue of components still to walk, in reverse order (pop from the end)
  let queue = splitReversed(path);
  let links = 0;
  const st = new Stat();
  while (queue.length > 0) {
    const name = queue.pop();
    const last = queue.length == 0;
    // the current node must be a directory to look anything up in it
    let e = node.fs.stat(node.ino, st);
    if (e < 0) return fail(r, e);
    if (!isDir(st.mode)) return fail(r, -ENOTDIR);
    if (name == "." || name == "..") {
      if (name == "..") {
        node = parentOf(node, root);
        if (node.ino == 0) return fail(r, -ENOENT);
        if (parts.length > 0) parts.pop();
      }
      if (last && wantParent) {
        r.parent = node;
        r.name = "";
        r.parts = parts;
        r.node = node;
        return r;
      }
      continue;
    }
    if (utf8Length(name) > NAME_MAX) return fail(r, -ENAMETOOLONG);
    if (last && wantParent) {
      r.parent = node;
      r.name = name;
      r.parts = parts;
      const ino = node.fs.lookup(node.ino, name);
      r.node = ino > 0 ? crossMounts(new Node(node.mount, <u64>ino)) : null;
      if (ino < 0 && ino != -ENOENT) return fail(r, <i32>ino);
      return r;
    }
    const ino = node.fs.lookup(node.ino, name);
    if (ino < 0) return fail(r, <i32>ino);
    const child = crossMounts(new Node(node.mount, <u64>ino));
    e = child.fs.stat(child.ino, st);
    if (e < 0) return fail(r, e);
    if (isLink(st.mode) && (!last || followLast || r.trailingSlash)) {
      links++;
      if (links > MAX_SYMLINKS) return fail(r, -ELOOP);
      const target = readLinkOf(child);
      if (target == null) return fail(r, linkError);
      if (target!.length == 0) return fail(r, -ENOENT);
      if (utf8Length(target!) + utf8Length(path) >= PATH_MAX * 2) return fail(r, -ENAMETOOLONG);
      const more = splitReversed(target!);
      for (let i = 0; i < more.length; i++) queue.push(more[i]);
      if (target!.charCodeAt(0) == 47) {
        node = root;
        parts = new Array<string>(0);
      }
      continue;
    }
    node = child;
    parts.push(name);
  }
  if (wantParent) {
    // the path named "/": no final component
    r.parent = node;
    r.name = "";
    r.parts = parts;
    r.node = node;
    return r;
  }
  if (r.trailingSlash) {
    const e = node.fs.stat(node.ino, st);
    if (e < 0) return fail(r, e);
    if (!isDir(st.mode)) return fail(r, -ENOTDIR);
  }
  r.node = node;
  r.parts = parts;
  return r;
}

/** Components of path, last first; empty components dropped. */
function splitReversed(path: string): Array<string> {
  const words = path.split("/");
  const out = new Array<string>(0);
  for (let i = words.length - 1; i >= 0; i--) if (words[i].length > 0) out.push(words[i]);
  return out;
}

/** ".." of node: across a mount root to the covered directory's parent; "/" stays "/". */
function parentOf(node: Node, root: Node): Node {
  let n = node;
  if (n.mount === root.mount && n.ino == root.ino) return n;
  while (n.ino == n.mount.fs.rootIno() && n.mount.parent != null) {
    n = new Node(n.mount.parent!, n.mount.mountpointIno);
  }
  if (n.mount === root.mount && n.ino == root.ino) return n;
  const ino = n.fs.lookup(n.ino, "..");
  if (ino <= 0) return new Node(n.mount, 0);
  return crossMounts(new Node(n.mount, <u64>ino));
}

let linkError: i32 = 0;

/** The error behind readLinkOf()'s last null. */
export function lastLinkError(): i32 {
  return linkError;
}

export function readLinkOf(node: Node): string | null {
  const buffer = heap.alloc(SYMLINK_MAX + 1);
  if (buffer == 0) {
    linkError = -ENOMEM;
    return null;
  }
  const n = node.fs.readLink(node.ino, buffer, <u32>SYMLINK_MAX + 1);
  if (n < 0) {
    heap.free(buffer);
    linkError = <i32>n;
    return null;
  }
  const s = String.UTF8.decodeUnsafe(buffer, <usize>n, false);
  heap.free(buffer);
  return s;
}
