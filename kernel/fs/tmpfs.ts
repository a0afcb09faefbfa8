// tmpfs: a file system in RAM, for "/" when there is no disk and for /tmp.
//
//   TmpInode   mode, links, times; a directory keeps its names in creation order plus a
//              name -> inode map; a symlink keeps its target; a file keeps 4 KiB pages in a
//              map (page index -> heap block), so sparse files cost nothing for their holes.
//   limit      bytes of file data the mount may hold (ENOSPC beyond it), so a big `cp` cannot
//              eat the kernel heap.
//
// An inode is freed when its last name goes and no handle has it open.
import { FileSystem, Stat, DirEntry, FsStats, AttrChange, S_IFMT, S_IFDIR, S_IFLNK, S_IFREG, isDir, dirTypeOfMode } from "./types";
import { ENOENT, ENOTDIR, EEXIST, ENOTEMPTY, EISDIR, ENOSPC, EINVAL, EFBIG, ENOMEM, EMLINK } from "../lib/errors";
import { wallClockSeconds, wallClockNanos } from "./clock";

const PAGE: u64 = 4096;
const MAX_FILE_SIZE: u64 = <u64>1 << 40;
const MAX_LINKS: u32 = 65000;

class TmpInode {
  mode: u32 = 0;
  nlink: u32 = 0;
  size: u64 = 0;
  atime: i64 = 0;
  mtime: i64 = 0;
  ctime: i64 = 0;
  atimeNs: u32 = 0;
  mtimeNs: u32 = 0;
  ctimeNs: u32 = 0;
  openCount: i32 = 0;
  parent: u64 = 0;
  names: Array<string> = new Array<string>(0);
  children: Map<string, u64> = new Map<string, u64>();
  target: string = "";
  pages: Map<u64, usize> = new Map<u64, usize>();
  constructor(public ino: u64) {}

  /** The inode changed (links, mode, names): ctime now, to the nanosecond. */
  changed(): void {
    this.ctime = wallClockSeconds();
    this.ctimeNs = wallClockNanos();
  }

  /** The contents changed: mtime and ctime now. */
  modified(): void {
    this.changed();
    this.mtime = this.ctime;
    this.mtimeNs = this.ctimeNs;
  }

  /** Read: atime now, with Linux's default relatime rule (only when older than mtime or ctime, or a day old). */
  accessed(): void {
    const now = wallClockSeconds();
    if (this.atime > this.mtime && this.atime > this.ctime && now - this.atime < 86400) return;
    this.atime = now;
    this.atimeNs = wallClockNanos();
  }
}

export class TmpFs extends FileSystem {
  private inodes: Map<u64, TmpInode> = new Map<u64, TmpInode>();
  private nextIno: u64 = 2;
  private usedBytes: u64 = 0;

  constructor(public limitBytes: u64 = 16 << 20) {
    super();
    this.typeName = "tmpfs";
    this.source = "tmpfs";
    const root = this.newInode(S_IFDIR | 0o1777);
    root.nlink = 2;
    root.parent = root.ino;
  }

  rootIno(): u64 {
    return 2;
  }

  private newInode(mode: u32): TmpInode {
    const n = new TmpInode(this.nextIno++);
    n.mode = mode;
    n.modified();
    n.atime = n.mtime;
    n.atimeNs = n.mtimeNs;
    this.inodes.set(n.ino, n);
    return n;
  }

  private get(ino: u64): TmpInode | null {
    return this.inodes.has(ino) ? this.inodes.get(ino) : null;
  }

  private dir(ino: u64): TmpInode | null {
    const d = this.get(ino);
    if (d == null || !isDir(d.mode)) return null;
    return d;
  }

  lookup(dir: u64, name: string): i64 {
    const d = this.get(dir);
    if (d == null) return -ENOENT;
    if (!isDir(d.mode)) return -ENOTDIR;
    if (name == ".") return <i64>dir;
    if (name == "..") return <i64>d.parent;
    if (!d.children.has(name)) return -ENOENT;
    return <i64>d.children.get(name);
  }

  stat(ino: u64, out: Stat): i32 {
    const n = this.get(ino);
    if (n == null) return -ENOENT;
    out.ino = ino;
    out.mode = n.mode;
    out.nlink = n.nlink;
    out.uid = 0;
    out.gid = 0;
    out.size = n.size;
    out.blocks = <u64>n.pages.size * (PAGE / 512);
    out.blockSize = <u32>PAGE;
    out.atime = n.atime;
    out.atimeNs = n.atimeNs;
    out.mtime = n.mtime;
    out.mtimeNs = n.mtimeNs;
    out.ctime = n.ctime;
    out.ctimeNs = n.ctimeNs;
    out.crtime = n.ctime;
    out.crtimeNs = n.ctimeNs;
    out.flags = 0;
    return 0;
  }

  read(ino: u64, offset: u64, buffer: usize, length: u32): i64 {
    const n = this.get(ino);
    if (n == null) return -ENOENT;
    if (isDir(n.mode)) return -EISDIR;
    n.accessed();
    if (offset >= n.size) return 0;
    const total = <u32>min<u64>(<u64>length, n.size - offset);
    let done: u32 = 0;
    while (done < total) {
      const pos = offset + <u64>done;
      const page = pos / PAGE;
      const within = <u32>(pos % PAGE);
      const chunk = min<u32>(total - done, <u32>PAGE - within);
      if (n.pages.has(page)) memory.copy(buffer + <usize>done, n.pages.get(page) + <usize>within, chunk);
      else memory.fill(buffer + <usize>done, 0, chunk);
      done += chunk;
    }
    return <i64>total;
  }

  readDir(dir: u64, cursor: u64, out: DirEntry): i64 {
    const d = this.get(dir);
    if (d == null) return -ENOENT;
    if (!isDir(d.mode)) return -ENOTDIR;
    if (cursor == 0) {
      out.name = ".";
      out.ino = dir;
      out.type = dirTypeOfMode(S_IFDIR);
      return 1;
    }
    if (cursor == 1) {
      out.name = "..";
      out.ino = d.parent;
      out.type = dirTypeOfMode(S_IFDIR);
      return 2;
    }
    const i = <i32>(cursor - 2);
    if (i >= d.names.length) return 0;
    const name = d.names[i];
    out.name = name;
    out.ino = d.children.get(name);
    const child = this.get(out.ino);
    out.type = child != null ? dirTypeOfMode(child.mode) : 0;
    return <i64>cursor + 1;
  }

  readLink(ino: u64, buffer: usize, capacity: u32): i64 {
    const n = this.get(ino);
    if (n == null) return -ENOENT;
    if ((n.mode & S_IFMT) != S_IFLNK) return -EINVAL;
    const bytes = String.UTF8.encode(n.target, false);
    const len = min<i32>(bytes.byteLength, <i32>capacity);
    memory.copy(buffer, changetype<usize>(bytes), <usize>len);
    return len;
  }

  statfs(out: FsStats): i32 {
    out.typeName = "tmpfs";
    out.label = "";
    out.blockSize = <u32>PAGE;
    out.totalBlocks = this.limitBytes / PAGE;
    out.freeBlocks = (this.limitBytes - this.usedBytes) / PAGE;
    out.availableBlocks = out.freeBlocks;
    out.totalInodes = 65536;
    out.freeInodes = 65536 - <u64>this.inodes.size;
    return 0;
  }

  unmount(): i32 {
    const all = this.inodes.values();
    for (let i = 0; i < all.length; i++) this.freeData(all[i], 0);
    this.inodes.clear();
    return 0;
  }

  // ---------------------------------------------------------------- write side

  private addName(d: TmpInode, name: string, child: TmpInode): i64 {
    if (this.inodes.size >= 65536) return -ENOSPC;
    d.children.set(name, child.ino);
    d.names.push(name);
    d.modified();
    return <i64>child.ino;
  }

  private removeName(d: TmpInode, name: string): void {
    d.children.delete(name);
    const i = d.names.indexOf(name);
    if (i >= 0) d.names.splice(i, 1);
    d.modified();
  }

  private makeNode(dir: u64, name: string, mode: u32): i64 {
    const d = this.get(dir);
    if (d == null) return -ENOENT;
    if (!isDir(d.mode)) return -ENOTDIR;
    if (name == "." || name == ".." || name.length == 0) return -EEXIST;
    if (d.children.has(name)) return -EEXIST;
    if (this.inodes.size >= 65536) return -ENOSPC;
    const n = this.newInode(mode);
    n.nlink = 1;
    n.parent = dir;
    return this.addName(d, name, n);
  }

  create(dir: u64, name: string, mode: u32): i64 {
    return this.makeNode(dir, name, (mode & 0xfff) | S_IFREG);
  }

  mkdir(dir: u64, name: string, mode: u32): i64 {
    const d = this.get(dir);
    if (d != null && d.nlink >= MAX_LINKS) return -EMLINK;
    const ino = this.makeNode(dir, name, (mode & 0xfff) | S_IFDIR);
    if (ino < 0) return ino;
    this.get(<u64>ino)!.nlink = 2;
    d!.nlink++;
    return ino;
  }

  symlink(dir: u64, name: string, target: string): i64 {
    const ino = this.makeNode(dir, name, S_IFLNK | 0o777);
    if (ino < 0) return ino;
    const n = this.get(<u64>ino)!;
    n.target = target;
    n.size = <u64>String.UTF8.byteLength(target, false);
    return ino;
  }

  link(dir: u64, name: string, ino: u64): i32 {
    const d = this.get(dir);
    const n = this.get(ino);
    if (d == null || n == null) return -ENOENT;
    if (!isDir(d.mode)) return -ENOTDIR;
    if (d.children.has(name)) return -EEXIST;
    if (n.nlink >= MAX_LINKS) return -EMLINK;
    n.nlink++;
    n.changed();
    const r = this.addName(d, name, n);
    return r < 0 ? <i32>r : 0;
  }

  private release(n: TmpInode): void {
    if (n.nlink == 0 && n.openCount == 0) {
      this.freeData(n, 0);
      this.inodes.delete(n.ino);
    }
  }

  unlink(dir: u64, name: string): i32 {
    const d = this.dir(dir);
    if (d == null) return -ENOTDIR;
    if (!d.children.has(name)) return -ENOENT;
    const n = this.get(d.children.get(name))!;
    if (isDir(n.mode)) return -EISDIR;
    this.removeName(d, name);
    n.nlink--;
    n.changed();
    this.release(n);
    return 0;
  }

  rmdir(dir: u64, name: string): i32 {
    const d = this.dir(dir);
    if (d == null) return -ENOTDIR;
    if (!d.children.has(name)) return -ENOENT;
    const n = this.get(d.children.get(name))!;
    if (!isDir(n.mode)) return -ENOTDIR;
    if (n.names.length > 0) return -ENOTEMPTY;
    this.removeName(d, name);
    d.nlink--;
    n.nlink = 0;
    this.release(n);
    return 0;
  }

  rename(dir: u64, name: string, newDir: u64, newName: string): i32 {
    const a = this.dir(dir);
    const b = this.dir(newDir);
    if (a == null || b == null) return -ENOTDIR;
    if (!a.children.has(name)) return -ENOENT;
    if (name == "." || name == ".." || newName == "." || newName == "..") return -EINVAL;
    const n = this.get(a.children.get(name))!;
    if (dir == newDir && name == newName) return 0;
    if (b.children.has(newName)) {
      const old = this.get(b.children.get(newName))!;
      if (old.ino == n.ino) return 0;
      if (isDir(n.mode) != isDir(old.mode)) return isDir(n.mode) ? -ENOTDIR : -EISDIR;
      if (isDir(old.mode)) {
        if (old.names.length > 0) return -ENOTEMPTY;
        b.nlink--;
        old.nlink = 0;
      } else old.nlink--;
      this.removeName(b, newName);
      this.release(old);
    }
    this.removeName(a, name);
    this.addName(b, newName, n);
    if (isDir(n.mode) && dir != newDir) {
      a.nlink--;
      b.nlink++;
      n.parent = newDir;
    }
    n.changed();
    return 0;
  }

  write(ino: u64, offset: u64, buffer: usize, length: u32): i64 {
    const n = this.get(ino);
    if (n == null) return -ENOENT;
    if (isDir(n.mode)) return -EISDIR;
    if (offset + <u64>length > MAX_FILE_SIZE) return -EFBIG;
    let done: u32 = 0;
    while (done < length) {
      const pos = offset + <u64>done;
      const page = pos / PAGE;
      const within = <u32>(pos % PAGE);
      const chunk = min<u32>(length - done, <u32>PAGE - within);
      let p: usize = 0;
      if (n.pages.has(page)) p = n.pages.get(page);
      else {
        if (this.usedBytes + PAGE > this.limitBytes) break;
        p = heap.alloc(<usize>PAGE);
        if (p == 0) break;
        memory.fill(p, 0, <usize>PAGE);
        n.pages.set(page, p);
        this.usedBytes += PAGE;
      }
      memory.copy(p + <usize>within, buffer + <usize>done, chunk);
      done += chunk;
    }
    if (done == 0 && length > 0) return this.usedBytes + PAGE > this.limitBytes ? -ENOSPC : -ENOMEM;
    const end = offset + <u64>done;
    if (end > n.size) n.size = end;
    n.modified();
    return <i64>done;
  }

  truncate(ino: u64, size: u64): i32 {
    const n = this.get(ino);
    if (n == null) return -ENOENT;
    if (isDir(n.mode)) return -EISDIR;
    if (size > MAX_FILE_SIZE) return -EFBIG;
    if (size < n.size) {
      this.freeData(n, size);
      // zero the tail of the last partial page so that growing again reads zeros
      const page = size / PAGE;
      if (size % PAGE != 0 && n.pages.has(page)) {
        const within = <usize>(size % PAGE);
        memory.fill(n.pages.get(page) + within, 0, <usize>PAGE - within);
      }
    }
    n.size = size;
    n.modified();
    return 0;
  }

  /** Frees whole pages at or beyond byte `from`. */
  private freeData(n: TmpInode, from: u64): void {
    const first = (from + PAGE - 1) / PAGE;
    const keys = n.pages.keys();
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] >= first) {
        heap.free(n.pages.get(keys[i]));
        n.pages.delete(keys[i]);
        this.usedBytes -= PAGE;
      }
    }
  }

  setAttr(ino: u64, change: AttrChange): i32 {
    const n = this.get(ino);
    if (n == null) return -ENOENT;
    if (change.setMode) n.mode = (n.mode & S_IFMT) | (change.mode & 0xfff);
    if (change.setAtime) {
      n.atime = change.atime;
      n.atimeNs = 0;
    }
    if (change.setMtime) {
      n.mtime = change.mtime;
      n.mtimeNs = 0;
    }
    n.changed();
    return 0;
  }

  openRef(ino: u64): void {
    const n = this.get(ino);
    if (n != null) n.openCount++;
  }

  closeRef(ino: u64): void {
    const n = this.get(ino);
    if (n == null) return;
    if (n.openCount > 0) n.openCount--;
    this.release(n);
  }
}
