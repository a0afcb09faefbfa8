// tmpfs: a file system in RAM, for "/" when there is no disk and for /tmp.
//
//   TmpInode   mode, links, times; a directory keeps its names in creation order plus a
//              name -> inode map; a symlink keeps its target; a file keeps 4 KiB pages in a
//              map (page index -> heap block), so sparse files cost nothing for their holes.
//   limit      bytes of file data the mount may hold (ENOSPC beyond it).
//   memory     file pages come from kernel/mm (allocPages; ENOMEM when RAM is out). Inodes,
//              names, symlink targets and the page maps live in the heap and are charged to
//              the heap budget (lib/heap_budget.ts) before they are made: a refused charge is
//              ENOSPC for that request, so no number of files can exhaust the heap. Without
//              a page allocator (Node tests) pages come from the heap, charged too.
//
// An inode is freed when its last name goes and no handle has it open.
import { FileSystem, Stat, DirEntry, FsStats, AttrChange, S_IFMT, S_IFDIR, S_IFLNK, S_IFREG, isDir, dirTypeOfMode } from "./types";
import { ENOENT, ENOTDIR, EEXIST, ENOTEMPTY, EISDIR, ENOSPC, EINVAL, EFBIG, ENOMEM, EMLINK } from "../lib/errors";
import { wallClockSeconds, wallClockNanos } from "./clock";
import { heapReserve, heapRelease, heapBudgetLimit, heapBudgetUsed } from "../lib/heap_budget";
import { memoryReady, allocPages, freePages } from "../mm/pages";

const PAGE: u64 = 4096;
const MAX_FILE_SIZE: u64 = <u64>1 << 40;
const MAX_LINKS: u32 = 65000;
const MAX_INODES: u64 = 65536;

// Heap bytes charged per item: upper bounds of what AssemblyScript's allocator spends (object
// headers, map entries and buckets, arrays growing by doubling), checked against the real heap
// by tests/unit/fs/heap-budget.test.ts.
/** A file or symlink inode and its entry in the inode map. */
const INODE_COST: u64 = 256;
/** A directory's extra: its name array and name map. */
const DIR_COST: u64 = 512;
/** A name in a directory: the string, its map entry and array slot, before the UTF-16 text. */
const NAME_COST: u64 = 96;
/** A file's page map itself (made on the first write, dropped with the last page). */
const PAGE_MAP_COST: u64 = 256;
/** A data page taken from the heap (no page allocator: Node tests), with its block header. */
const HEAP_PAGE_COST: u64 = PAGE + 64;
/** One page in a file's page map. */
const PAGE_ENTRY_COST: u64 = 48;

function textCost(s: string): u64 {
  return <u64>s.length * 2;
}

class TmpDir {
  /** Names in creation order (readDir's cursor indexes it). */
  names: Array<string> = new Array<string>(0);
  children: Map<string, u64> = new Map<string, u64>();
}

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
  /** Heap bytes charged for the inode itself (INODE_COST, DIR_COST, a symlink's target). */
  charged: u64 = 0;
  /** Directories only. */
  entries: TmpDir | null = null;
  target: string = "";
  /** Regular files only, made on the first write: page index -> page address. */
  pages: Map<u64, usize> | null = null;
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

  get pageCount(): i32 {
    const p = this.pages;
    return p == null ? 0 : p.size;
  }
  get childCount(): i32 {
    const e = this.entries;
    return e == null ? 0 : e.names.length;
  }
}

export class TmpFs extends FileSystem {
  private inodes: Map<u64, TmpInode> = new Map<u64, TmpInode>();
  private nextIno: u64 = 2;
  private usedBytes: u64 = 0;
  /** File pages come from kernel/mm (decided once: frees go back where pages came from). */
  private pagesFromMm: bool = memoryReady();

  constructor(public limitBytes: u64 = 16 << 20) {
    super();
    this.typeName = "tmpfs";
    this.source = "tmpfs";
    // the root is not charged: a mount always has one
    const root = this.newInode(S_IFDIR | 0o1777, 0);
    root.nlink = 2;
    root.parent = root.ino;
  }

  rootIno(): u64 {
    return 2;
  }

  /** A new inode (the caller charged `charged` bytes for it). */
  private newInode(mode: u32, charged: u64): TmpInode {
    const n = new TmpInode(this.nextIno++);
    n.mode = mode;
    n.charged = charged;
    if (isDir(mode)) n.entries = new TmpDir();
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
    const e = d.entries!;
    if (!e.children.has(name)) return -ENOENT;
    return <i64>e.children.get(name);
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
    out.blocks = <u64>n.pageCount * (PAGE / 512);
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
    const pages = n.pages;
    let done: u32 = 0;
    while (done < total) {
      const pos = offset + <u64>done;
      const page = pos / PAGE;
      const within = <u32>(pos % PAGE);
      const chunk = min<u32>(total - done, <u32>PAGE - within);
      if (pages != null && pages.has(page)) memory.copy(buffer + <usize>done, pages.get(page) + <usize>within, chunk);
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
    const e = d.entries!;
    const i = <i32>(cursor - 2);
    if (i >= e.names.length) return 0;
    const name = e.names[i];
    out.name = name;
    out.ino = e.children.get(name);
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
    // free inodes: what the inode limit and the heap budget both still allow (an empty file
    // with a one-character name), so df says all are used when create would fail
    const used = <u64>this.inodes.size;
    const byLimit = used >= MAX_INODES ? 0 : MAX_INODES - used;
    const budgetLeft = heapBudgetLimit() > heapBudgetUsed() ? heapBudgetLimit() - heapBudgetUsed() : 0;
    const byBudget = budgetLeft / (INODE_COST + NAME_COST + 2);
    out.freeInodes = min<u64>(byLimit, byBudget);
    out.totalInodes = used + out.freeInodes;
    return 0;
  }

  unmount(): i32 {
    const all = this.inodes.values();
    for (let i = 0; i < all.length; i++) {
      const n = all[i];
      this.freeData(n, 0);
      heapRelease(n.charged);
      const e = n.entries;
      if (e != null) for (let j = 0; j < e.names.length; j++) heapRelease(NAME_COST + textCost(e.names[j]));
    }
    this.inodes.clear();
    return 0;
  }

  // ---------------------------------------------------------------- write side

  /** Adds a name (its heap cost already reserved by the caller). */
  private addName(d: TmpInode, name: string, child: TmpInode): void {
    const e = d.entries!;
    e.children.set(name, child.ino);
    e.names.push(name);
    d.modified();
  }

  /** Removes a name and gives back its heap cost. */
  private removeName(d: TmpInode, name: string): void {
    const e = d.entries!;
    e.children.delete(name);
    const i = e.names.indexOf(name);
    if (i >= 0) e.names.splice(i, 1);
    heapRelease(NAME_COST + textCost(name));
    d.modified();
  }

  private makeNode(dir: u64, name: string, mode: u32, target: string): i64 {
    const d = this.get(dir);
    if (d == null) return -ENOENT;
    if (!isDir(d.mode)) return -ENOTDIR;
    if (name == "." || name == ".." || name.length == 0) return -EEXIST;
    if (d.entries!.children.has(name)) return -EEXIST;
    if (<u64>this.inodes.size >= MAX_INODES) return -ENOSPC;
    const inodeCost = INODE_COST + (isDir(mode) ? DIR_COST : 0) + textCost(target);
    const nameCost = NAME_COST + textCost(name);
    if (!heapReserve(inodeCost + nameCost)) return -ENOSPC;
    const n = this.newInode(mode, inodeCost);
    n.nlink = 1;
    n.parent = dir;
    this.addName(d, name, n);
    return <i64>n.ino;
  }

  create(dir: u64, name: string, mode: u32): i64 {
    return this.makeNode(dir, name, (mode & 0xfff) | S_IFREG, "");
  }

  mkdir(dir: u64, name: string, mode: u32): i64 {
    const d = this.get(dir);
    if (d != null && d.nlink >= MAX_LINKS) return -EMLINK;
    const ino = this.makeNode(dir, name, (mode & 0xfff) | S_IFDIR, "");
    if (ino < 0) return ino;
    this.get(<u64>ino)!.nlink = 2;
    d!.nlink++;
    return ino;
  }

  symlink(dir: u64, name: string, target: string): i64 {
    const ino = this.makeNode(dir, name, S_IFLNK | 0o777, target);
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
    if (d.entries!.children.has(name)) return -EEXIST;
    if (n.nlink >= MAX_LINKS) return -EMLINK;
    if (!heapReserve(NAME_COST + textCost(name))) return -ENOSPC;
    n.nlink++;
    n.changed();
    this.addName(d, name, n);
    return 0;
  }

  private release(n: TmpInode): void {
    if (n.nlink == 0 && n.openCount == 0) {
      this.freeData(n, 0);
      heapRelease(n.charged);
      n.charged = 0;
      this.inodes.delete(n.ino);
    }
  }

  unlink(dir: u64, name: string): i32 {
    const d = this.dir(dir);
    if (d == null) return -ENOTDIR;
    const e = d.entries!;
    if (!e.children.has(name)) return -ENOENT;
    const n = this.get(e.children.get(name))!;
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
    const e = d.entries!;
    if (!e.children.has(name)) return -ENOENT;
    const n = this.get(e.children.get(name))!;
    if (!isDir(n.mode)) return -ENOTDIR;
    if (n.childCount > 0) return -ENOTEMPTY;
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
    const ae = a.entries!;
    const be = b.entries!;
    if (!ae.children.has(name)) return -ENOENT;
    if (name == "." || name == ".." || newName == "." || newName == "..") return -EINVAL;
    const n = this.get(ae.children.get(name))!;
    if (dir == newDir && name == newName) return 0;
    // the new name is charged before anything changes (the old one is given back below)
    if (!heapReserve(NAME_COST + textCost(newName))) return -ENOSPC;
    if (be.children.has(newName)) {
      const old = this.get(be.children.get(newName))!;
      let refused: i32 = 0;
      if (old.ino == n.ino) refused = 1;
      else if (isDir(n.mode) != isDir(old.mode)) refused = isDir(n.mode) ? -ENOTDIR : -EISDIR;
      else if (isDir(old.mode) && old.childCount > 0) refused = -ENOTEMPTY;
      if (refused != 0) {
        heapRelease(NAME_COST + textCost(newName));
        return refused > 0 ? 0 : refused;
      }
      if (isDir(old.mode)) {
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

  /** A zeroed page for file data: from kernel/mm, or (no page allocator) the charged heap. */
  private allocDataPage(): usize {
    let p: usize = 0;
    if (this.pagesFromMm) p = allocPages(0);
    else if (heapReserve(HEAP_PAGE_COST)) {
      p = heap.alloc(<usize>PAGE);
    }
    if (p != 0) memory.fill(p, 0, <usize>PAGE);
    return p;
  }

  private freeDataPage(p: usize): void {
    if (this.pagesFromMm) freePages(p, 0);
    else {
      heap.free(p);
      heapRelease(HEAP_PAGE_COST);
    }
  }

  write(ino: u64, offset: u64, buffer: usize, length: u32): i64 {
    const n = this.get(ino);
    if (n == null) return -ENOENT;
    if (isDir(n.mode)) return -EISDIR;
    if (offset + <u64>length > MAX_FILE_SIZE) return -EFBIG;
    let pages = n.pages;
    if (pages == null && length > 0) {
      if (!heapReserve(PAGE_MAP_COST)) return -ENOMEM;
      pages = new Map<u64, usize>();
      n.pages = pages;
    }
    let failure: i32 = 0;
    let done: u32 = 0;
    while (done < length) {
      const pos = offset + <u64>done;
      const page = pos / PAGE;
      const within = <u32>(pos % PAGE);
      const chunk = min<u32>(length - done, <u32>PAGE - within);
      let p: usize = 0;
      if (pages!.has(page)) p = pages!.get(page);
      else {
        if (this.usedBytes + PAGE > this.limitBytes) { failure = -ENOSPC; break; }
        if (!heapReserve(PAGE_ENTRY_COST)) { failure = -ENOMEM; break; }
        p = this.allocDataPage();
        if (p == 0) {
          heapRelease(PAGE_ENTRY_COST);
          failure = -ENOMEM;
          break;
        }
        pages!.set(page, p);
        this.usedBytes += PAGE;
      }
      memory.copy(p + <usize>within, buffer + <usize>done, chunk);
      done += chunk;
    }
    if (done == 0 && length > 0) {
      if (pages!.size == 0) {
        n.pages = null;
        heapRelease(PAGE_MAP_COST);
      }
      return failure;
    }
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
      const pages = n.pages;
      if (size % PAGE != 0 && pages != null && pages.has(page)) {
        const within = <usize>(size % PAGE);
        memory.fill(pages.get(page) + within, 0, <usize>PAGE - within);
      }
    }
    n.size = size;
    n.modified();
    return 0;
  }

  /** Frees whole pages at or beyond byte `from`. */
  private freeData(n: TmpInode, from: u64): void {
    const pages = n.pages;
    if (pages == null) return;
    const first = (from + PAGE - 1) / PAGE;
    const keys = pages.keys();
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] >= first) {
        this.freeDataPage(pages.get(keys[i]));
        pages.delete(keys[i]);
        heapRelease(PAGE_ENTRY_COST);
        this.usedBytes -= PAGE;
      }
    }
    if (pages.size == 0) {
      n.pages = null;
      heapRelease(PAGE_MAP_COST);
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
