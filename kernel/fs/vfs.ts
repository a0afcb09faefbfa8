// The VFS: file operations by path and open file handles, over the namespace (namespace.ts:
// the mount table, the current directory, path resolution), whose API is re-exported here.
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
import { ENOENT, ENOTDIR, ENAMETOOLONG, ELOOP, EBUSY, EINVAL, EBADF, EMFILE, EISDIR, EEXIST, EXDEV, ENOMEM, EROFS, ENOTEMPTY, EPERM } from "../lib/errors";
import {
  Mount, Node, Resolution, resolve, resolveParent, absolutePath, joinParts, utf8Length, readLinkOf, lastLinkError, currentNode,
  OpenFile, openFiles,
} from "./namespace";
export {
  Mount, Node, Resolution, OpenFile, MAX_SYMLINKS, MAX_MOUNTS, mountTable, rootMount, currentDirectory, absolutePath, changeDirectory,
  mount, unmount, unmountAll, syncAll, pollFileSystems, resolve, resolveParent,
} from "./namespace";

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
  if (s == null) lastError = lastLinkError();
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
  const cwd = currentNode();
  if (cwd != null && cwd.mount === node.mount && cwd.ino == node.ino) return -EBUSY;
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
