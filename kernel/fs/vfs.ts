// The VFS: the mount table, path resolution, open file handles and the current directory.
//
//   mounts    [ / -> ext4(vda), /tmp -> tmpfs, /mnt -> ext4(vdb) ]   (later mounts cover earlier)
//   Node      (mount, inode number): a file as the VFS names it
//   resolve   "/a/../b//c" -> Node, walking one component at a time:
//               ""        -> ENOENT           "." -> stay          ".." at a mount root -> the
//               mount point's parent; at "/" -> "/"   symlinks expanded (40 at most: ELOOP)
//               a name over 255 UTF-8 bytes or a path over 4095 -> ENAMETOOLONG
//   handles   small integers -> OpenFile (node, offset, flags); the file system is told
//             (openRef/closeRef) so that an unlinked file lives until its last close.
//
// Everything returns >= 0 or a negative error (kernel/lib/errors.ts); no input traps.
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
export const MAX_OPEN_FILES: i32 = 64;

// open flags (Linux values)
export const O_RDONLY: i32 = 0;
export const O_WRONLY: i32 = 1;
export const O_RDWR: i32 = 2;
export const O_CREAT: i32 = 0x40;
export const O_EXCL: i32 = 0x80;
export const O_TRUNC: i32 = 0x200;
export const O_APPEND: i32 = 0x400;
export const O_DIRECTORY: i32 = 0x10000;

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

export function currentDirectory(): string {
  return joinParts(cwdParts);
}

function joinParts(parts: Array<string>): string {
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

function utf8Length(s: string): i32 {
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

function readLinkOf(node: Node): string | null {
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

// ---------------------------------------------------------------- queries

export function stat(path: string, follow: bool, out: Stat): i32 {
  const r = resolve(path, follow);
  if (r.error < 0) return r.error;
  const e = r.node!.fs.stat(r.node!.ino, out);
  out.dev = r.node!.fs.id;
  return e;
}

/** True when two stats (from stat()) name the same file: same file system, same inode. */
export function sameFile(a: Stat, b: Stat): bool {
  return a.dev == b.dev && a.ino == b.ino;
}

/** The target of a symbolic link. Null on error (see lastError). */
export function readLink(path: string): string | null {
  const r = resolve(path, false);
  if (r.error < 0) {
    lastError = r.error;
    return null;
  }
  const st = new Stat();
  const e = r.node!.fs.stat(r.node!.ino, st);
  if (e < 0) {
    lastError = e;
    return null;
  }
  if (!isLink(st.mode)) {
    lastError = -EINVAL;
    return null;
  }
  const s = readLinkOf(r.node!);
  if (s == null) lastError = linkError;
  return s;
}

/** The error behind the last null. */
export let lastError: i32 = 0;

/** Every entry of a directory (with "." and ".."), in on-disk order. Null on error. */
/** Heap one listed entry takes (DirEntry, its name, the array slot), an upper bound. */
const LIST_ENTRY_COST: u64 = 128;
/** The most a directory listing may hold in the heap (about 60,000 short names). */
const MAX_LIST_BYTES: u64 = 8 << 20;

export function listDirectory(path: string): Array<DirEntry> | null {
  const r = resolve(path, true);
  if (r.error < 0) {
    lastError = r.error;
    return null;
  }
  return listNode(r.node!);
}

export function listNode(node: Node): Array<DirEntry> | null {
  const st = new Stat();
  let e = node.fs.stat(node.ino, st);
  if (e < 0) {
    lastError = e;
    return null;
  }
  if (!isDir(st.mode)) {
    lastError = -ENOTDIR;
    return null;
  }
  const out = new Array<DirEntry>(0);
  let cursor: u64 = 0;
  let heapBytes: u64 = 0;
  while (true) {
    const entry = new DirEntry();
    const next = node.fs.readDir(node.ino, cursor, entry);
    if (next < 0) {
      lastError = <i32>next;
      return null;
    }
    if (next == 0) break;
    if (entry.ino != 0) {
      // a listing is held in the heap at once: a huge directory is ENOMEM, not a trap
      heapBytes += LIST_ENTRY_COST + <u64>entry.name.length * 2;
      if (heapBytes > MAX_LIST_BYTES) {
        lastError = -ENOMEM;
        return null;
      }
      out.push(entry);
    }
    cursor = <u64>next;
  }
  return out;
}

export function statfs(path: string, out: FsStats): i32 {
  const r = resolve(path, true);
  if (r.error < 0) return r.error;
  return r.node!.fs.statfs(out);
}

/** The mount a path lies in (after resolution). */
export function mountOf(path: string): Mount | null {
  const r = resolve(path, true);
  if (r.error < 0) {
    lastError = r.error;
    return null;
  }
  return r.node!.mount;
}

// ---------------------------------------------------------------- changing the tree

/** The parent directory and name for an operation that creates or removes `path`. */
function parentFor(path: string, r: Resolution): i32 {
  if (r.error < 0) return r.error;
  if (r.name.length == 0) return -EEXIST; // "/", "." or ".."
  return 0;
}

export function createFile(path: string, mode: u32): i64 {
  const r = resolveParent(path);
  const e = parentFor(path, r);
  if (e < 0) return e;
  if (r.node != null) return -EEXIST;
  if (r.trailingSlash) return -EISDIR;
  return r.parent!.fs.create(r.parent!.ino, r.name, S_IFREG | (mode & 0xfff));
}

export function makeDirectory(path: string, mode: u32): i32 {
  const r = resolveParent(path);
  const e = parentFor(path, r);
  if (e < 0) return e;
  if (r.node != null) return -EEXIST;
  const ino = r.parent!.fs.mkdir(r.parent!.ino, r.name, S_IFDIR | (mode & 0xfff));
  return ino < 0 ? <i32>ino : 0;
}

export function makeSymlink(target: string, path: string): i32 {
  if (target.length == 0) return -ENOENT;
  if (utf8Length(target) > SYMLINK_MAX) return -ENAMETOOLONG;
  const r = resolveParent(path);
  const e = parentFor(path, r);
  if (e < 0) return e;
  if (r.node != null) return -EEXIST;
  const ino = r.parent!.fs.symlink(r.parent!.ino, r.name, target);
  return ino < 0 ? <i32>ino : 0;
}

export function makeHardLink(existing: string, path: string): i32 {
  const src = resolve(existing, false);
  if (src.error < 0) return src.error;
  const st = new Stat();
  let e = src.node!.fs.stat(src.node!.ino, st);
  if (e < 0) return e;
  if (isDir(st.mode)) return -EPERM;
  const r = resolveParent(path);
  e = parentFor(path, r);
  if (e < 0) return e;
  if (r.node != null) return -EEXIST;
  if (r.parent!.mount !== src.node!.mount) return -EXDEV;
  return r.parent!.fs.link(r.parent!.ino, r.name, src.node!.ino);
}

/** Removes a name that is not a directory. */
export function removeFile(path: string): i32 {
  const r = resolveParent(path);
  if (r.error < 0) return r.error;
  if (r.name.length == 0) return -EISDIR;
  if (r.node == null) return -ENOENT;
  const st = new Stat();
  const e = r.node!.fs.stat(r.node!.ino, st);
  if (e < 0) return e;
  if (isDir(st.mode)) return -EISDIR;
  if (r.trailingSlash) return -ENOTDIR;
  return r.parent!.fs.unlink(r.parent!.ino, r.name);
}

export function removeDirectory(path: string): i32 {
  const r = resolveParent(path);
  if (r.error < 0) return r.error;
  if (r.name.length == 0) return r.parts.length == 0 ? -EBUSY : -EINVAL;
  if (r.node == null) return -ENOENT;
  const node = r.node!;
  if (node.mount !== r.parent!.mount) return -EBUSY; // a mount point
  const st = new Stat();
  const e = node.fs.stat(node.ino, st);
  if (e < 0) return e;
  if (!isDir(st.mode)) return -ENOTDIR;
  if (cwdNode != null && cwdNode!.mount === node.mount && cwdNode!.ino == node.ino) return -EBUSY;
  return r.parent!.fs.rmdir(r.parent!.ino, r.name);
}

export function rename(from: string, to: string): i32 {
  const a = resolveParent(from);
  if (a.error < 0) return a.error;
  if (a.name.length == 0) return -EBUSY;
  if (a.node == null) return -ENOENT;
  const b = resolveParent(to);
  if (b.error < 0) return b.error;
  if (b.name.length == 0) return -EBUSY;
  if (a.parent!.mount !== b.parent!.mount) return -EXDEV;
  if (a.node!.mount !== a.parent!.mount) return -EBUSY; // moving a mount point
  if (b.node != null && b.node!.mount !== b.parent!.mount) return -EBUSY;
  // a directory may not move below itself
  const st = new Stat();
  const e = a.node!.fs.stat(a.node!.ino, st);
  if (e < 0) return e;
  if (isDir(st.mode)) {
    const src = absolutePath(joinParts(a.parts) + "/" + a.name);
    const dst = absolutePath(joinParts(b.parts) + "/" + b.name);
    if (dst.startsWith(src + "/")) return -EINVAL;
  }
  return a.parent!.fs.rename(a.parent!.ino, a.name, b.parent!.ino, b.name);
}

export function truncatePath(path: string, size: u64): i32 {
  const r = resolve(path, true);
  if (r.error < 0) return r.error;
  const st = new Stat();
  const e = r.node!.fs.stat(r.node!.ino, st);
  if (e < 0) return e;
  if (isDir(st.mode)) return -EISDIR;
  return r.node!.fs.truncate(r.node!.ino, size);
}

export function setAttributes(path: string, change: AttrChange): i32 {
  const r = resolve(path, true);
  if (r.error < 0) return r.error;
  return r.node!.fs.setAttr(r.node!.ino, change);
}

// ---------------------------------------------------------------- open files

export class OpenFile {
  constructor(public node: Node, public flags: i32) {}
  offset: u64 = 0;
}

const openFiles = new Array<OpenFile | null>(0);

export function openFileCount(): i32 {
  let n = 0;
  for (let i = 0; i < openFiles.length; i++) if (openFiles[i] != null) n++;
  return n;
}

/** Opens path; returns a handle (>= 0). O_CREAT makes a regular file, O_TRUNC empties it. */
export function open(path: string, flags: i32, mode: u32 = 0o644): i32 {
  let node: Node | null = null;
  const st = new Stat();
  if ((flags & O_CREAT) != 0) {
    const r = resolveParent(path);
    if (r.error < 0) return r.error;
    if (r.name.length == 0) return -EISDIR;
    if (r.node != null) {
      if ((flags & O_EXCL) != 0) return -EEXIST;
      // follow a symlink at the end
      const f = resolve(path, true);
      if (f.error < 0) return f.error;
      node = f.node;
    } else {
      if (r.trailingSlash) return -EISDIR;
      const ino = r.parent!.fs.create(r.parent!.ino, r.name, S_IFREG | (mode & 0xfff));
      if (ino < 0) return <i32>ino;
      node = new Node(r.parent!.mount, <u64>ino);
    }
  } else {
    const r = resolve(path, true);
    if (r.error < 0) return r.error;
    node = r.node;
  }
  const e = node!.fs.stat(node!.ino, st);
  if (e < 0) return e;
  const writing = (flags & 3) != O_RDONLY;
  if (isDir(st.mode) && writing) return -EISDIR;
  if ((flags & O_DIRECTORY) != 0 && !isDir(st.mode)) return -ENOTDIR;
  if (writing && node!.fs.readOnly) return -EROFS;
  let slot = -1;
  for (let i = 0; i < openFiles.length; i++) {
    if (openFiles[i] == null) {
      slot = i;
      break;
    }
  }
  if (slot < 0) {
    if (openFiles.length >= MAX_OPEN_FILES) return -EMFILE;
    slot = openFiles.length;
    openFiles.push(null);
  }
  if ((flags & O_TRUNC) != 0 && writing && (st.mode & 0xf000) == S_IFREG && st.size > 0) {
    const t = node!.fs.truncate(node!.ino, 0);
    if (t < 0) return t;
  }
  const f = new OpenFile(node!, flags);
  openFiles[slot] = f;
  node!.fs.openRef(node!.ino);
  return slot;
}

function handle(fd: i32): OpenFile | null {
  if (fd < 0 || fd >= openFiles.length) return null;
  return openFiles[fd];
}

export function close(fd: i32): i32 {
  const f = handle(fd);
  if (f == null) return -EBADF;
  openFiles[fd] = null;
  f.node.fs.closeRef(f.node.ino);
  return 0;
}

/** Reads at the handle's offset and advances it; returns the count (0 at end of file). */
export function read(fd: i32, buffer: usize, length: u32): i64 {
  const f = handle(fd);
  if (f == null) return -EBADF;
  if ((f.flags & 3) == O_WRONLY) return -EBADF;
  const n = f.node.fs.read(f.node.ino, f.offset, buffer, length);
  if (n > 0) f.offset += <u64>n;
  return n;
}

/** Reads at an explicit offset without moving the handle's offset. */
export function readAt(fd: i32, offset: u64, buffer: usize, length: u32): i64 {
  const f = handle(fd);
  if (f == null) return -EBADF;
  return f.node.fs.read(f.node.ino, offset, buffer, length);
}

export function write(fd: i32, buffer: usize, length: u32): i64 {
  const f = handle(fd);
  if (f == null) return -EBADF;
  if ((f.flags & 3) == O_RDONLY) return -EBADF;
  if ((f.flags & O_APPEND) != 0) {
    const st = new Stat();
    const e = f.node.fs.stat(f.node.ino, st);
    if (e < 0) return e;
    f.offset = st.size;
  }
  const n = f.node.fs.write(f.node.ino, f.offset, buffer, length);
  if (n > 0) f.offset += <u64>n;
  return n;
}

export function seek(fd: i32, offset: u64): i32 {
  const f = handle(fd);
  if (f == null) return -EBADF;
  f.offset = offset;
  return 0;
}

export function fstat(fd: i32, out: Stat): i32 {
  const f = handle(fd);
  if (f == null) return -EBADF;
  const e = f.node.fs.stat(f.node.ino, out);
  out.dev = f.node.fs.id;
  return e;
}

export function fsync(fd: i32): i32 {
  const f = handle(fd);
  if (f == null) return -EBADF;
  return f.node.fs.fsync(f.node.ino);
}

export function ftruncate(fd: i32, size: u64): i32 {
  const f = handle(fd);
  if (f == null) return -EBADF;
  if ((f.flags & 3) == O_RDONLY) return -EBADF;
  return f.node.fs.truncate(f.node.ino, size);
}

export function isEmptyDirectory(node: Node): i32 {
  const entries = listNode(node);
  if (entries == null) return lastError;
  for (let i = 0; i < entries.length; i++) {
    if (entries[i].name != "." && entries[i].name != "..") return -ENOTEMPTY;
  }
  return 0;
}
