// Ext4Fs: ext2/ext3/ext4 behind the VFS interface (kernel/fs/types.ts), a thin class over the
// volume. Reads are served here: file data is read straight from the device into the
// caller's buffer for whole blocks of a contiguous run that the buffer cache does not hold;
// everything else goes through the cache. Every change is one journal handle (begin/end)
// around a free function: names.ts (create, link, unlink, rename), file_write.ts (write,
// truncate), inodes.ts (the inode life cycle). Mounting is mount.ts.
import { SECTOR_SIZE } from "../../block/device";
import { ENOENT, EISDIR, EINVAL, EIO, EOPNOTSUPP, EROFS, ENAMETOOLONG, EEXIST } from "../../lib/errors";
import { FileSystem, Stat, DirEntry, FsStats, AttrChange, isDir, isLink, isReg, S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, setErrorDetail } from "../types";
import { Ext4Volume } from "./volume";
import { Inode, ROOT_INO, FL_INLINE_DATA, ATIME, ATIME_EXTRA, MTIME, MTIME_EXTRA, I_BLOCK_BYTES } from "./inode";
import { BlockRun } from "./extent";
import { mapBlock } from "./dir";
import { truncateExtents } from "./extent_write";
import { removeOrphan, listOrphans } from "./orphan";
import { commitTransaction, checkpoint } from "../jbd2/commit";
import { nowUs as clockNowUs } from "../../platform/time";
import { inodeFor, touchTimes, destroyInode, isFastSymlink, fillStat } from "./inodes";
import { nameBytes, lookupName, readDirAt, createName, linkName, removeName, renameName } from "./names";
import { writeFile, truncateFile, MAX_DIRECT_BLOCKS } from "./file_write";
import { writeSuperblockNow, flavour } from "./mount";

export class Ext4Fs extends FileSystem {
  vol: Ext4Volume;
  /** What the mount said (features, read-only reasons, replay). */
  notes: Array<string> = new Array<string>(0);
  private run: BlockRun = new BlockRun();

  constructor(vol: Ext4Volume) {
    super();
    this.vol = vol;
    this.typeName = flavour(vol.sb);
    this.source = vol.device.name;
    this.readOnly = vol.readOnly;
  }

  rootIno(): u64 {
    return ROOT_INO;
  }

  /** The inode for an operation; null with lastError. */
  inode(ino: u64): Inode | null {
    return inodeFor(this.vol, ino);
  }

  lookup(dir: u64, name: string): i64 {
    this.vol.trimCaches();
    return lookupName(this.vol, dir, name);
  }

  stat(ino: u64, out: Stat): i32 {
    const n = this.inode(ino);
    if (n == null) return this.vol.lastError;
    fillStat(this.vol, n, out);
    return 0;
  }

  read(ino: u64, offset: u64, buffer: usize, length: u32): i64 {
    this.vol.trimCaches();
    const n = this.inode(ino);
    if (n == null) return this.vol.lastError;
    if (isDir(n.mode)) return -EISDIR;
    if ((n.flags & FL_INLINE_DATA) != 0) return -EOPNOTSUPP;
    if (isLink(n.mode) && n.size < <u64>I_BLOCK_BYTES) return -EINVAL;
    return this.readData(n, offset, buffer, length);
  }

  /** Reads file bytes [offset, offset + length) clipped to the size; holes read as zeros. */
  readData(n: Inode, offset: u64, buffer: usize, length: u32): i64 {
    const vol = this.vol;
    const size = n.size;
    if (offset >= size) return 0;
    const total = <u32>min<u64>(<u64>length, size - offset);
    const bs = <u64>vol.blockSize;
    const run = this.run;
    let done: u32 = 0;
    while (done < total) {
      const pos = offset + <u64>done;
      const lblk = pos / bs;
      const within = <u32>(pos % bs);
      const e = mapBlock(vol, n, lblk, run);
      if (e < 0) return e;
      const left = total - done;
      if (run.physical == 0 || run.unwritten) {
        const span = run.count * bs - <u64>within;
        const chunk = <u32>min<u64>(<u64>left, span);
        memory.fill(buffer + <usize>done, 0, chunk);
        done += chunk;
        continue;
      }
      if (within == 0 && <u64>left >= bs * 2 && run.count >= 2) {
        // whole blocks of a contiguous run: straight from the device unless cached
        let k = min<u64>(min<u64>(run.count, <u64>left / bs), MAX_DIRECT_BLOCKS);
        let cached: u64 = 0;
        while (cached < k && vol.cache.peek(run.physical + cached) == null) cached++;
        if (cached >= 2) {
          k = cached;
          const spb = <u64>(vol.blockSize / SECTOR_SIZE);
          const r = vol.device.read(run.physical * spb, <u32>(k * spb), buffer + <usize>done);
          if (r < 0) {
            setErrorDetail("inode " + n.ino.toString() + ": reading blocks " + run.physical.toString() + "+" + k.toString());
            return -EIO;
          }
          done += <u32>(k * bs);
          continue;
        }
      }
      const b = vol.readBlock(run.physical, "file data");
      if (b == null) return vol.lastError;
      const chunk = min<u32>(left, <u32>bs - within);
      memory.copy(buffer + <usize>done, b.data + <usize>within, chunk);
      vol.release(b);
      done += chunk;
    }
    return <i64>total;
  }

  readDir(dirIno: u64, cursor: u64, out: DirEntry): i64 {
    return readDirAt(this.vol, dirIno, cursor, out);
  }

  readLink(ino: u64, buffer: usize, capacity: u32): i64 {
    const n = this.inode(ino);
    if (n == null) return this.vol.lastError;
    if (!isLink(n.mode)) return -EINVAL;
    const size = n.size;
    if (size > 4095) return this.vol.corrupt("symlink " + ino.toString() + ": target longer than 4095 bytes");
    const len = <u32>min<u64>(size, <u64>capacity);
    if (isFastSymlink(this.vol, n)) {
      memory.copy(buffer, n.iblock, len);
      return <i64>len;
    }
    const r = this.readData(n, 0, buffer, len);
    return r;
  }

  statfs(out: FsStats): i32 {
    const sb = this.vol.sb;
    out.typeName = this.typeName;
    out.label = sb.label;
    out.blockSize = sb.blockSize;
    out.totalBlocks = sb.blocksCount;
    out.freeBlocks = sb.freeBlocks;
    out.availableBlocks = sb.freeBlocks > sb.reservedBlocks ? sb.freeBlocks - sb.reservedBlocks : 0;
    out.totalInodes = <u64>sb.inodesCount;
    out.freeInodes = <u64>sb.freeInodes;
    return 0;
  }

  // ================================================================ the write side

  /** Starts an operation (a journal handle); makes log space first when it runs low. */
  private begin(): i32 {
    this.vol.trimCaches();
    const j = this.vol.journal;
    if (j != null && j.live) {
      if (j.needsSpace) {
        const e = checkpoint(j);
        if (e < 0) return e;
      } else if (j.freedInTx.size > 0 && <u64>j.freedInTx.size * 2 >= this.vol.sb.freeBlocks) {
        // space freed by the running transaction is only reusable once it commits: when it is
        // most of what is free, commit now rather than fail allocations with ENOSPC
        const e = commitTransaction(j);
        if (e < 0) return e;
      }
      j.begin();
    }
    return 0;
  }

  /** Ends an operation: commits when the transaction has grown big. Passes `result` through. */
  private end(result: i64): i64 {
    const j = this.vol.journal;
    if (j != null && j.live && j.wantsCommit()) {
      const e = commitTransaction(j);
      if (e < 0 && result >= 0) return e;
    }
    return result;
  }

  private writable(): i32 {
    if (this.readOnly) return -EROFS;
    return 0;
  }

  private makeNode(dir: u64, name: string, mode: u32, target: string): i64 {
    let e = this.writable();
    if (e < 0) return e;
    const bytes = nameBytes(name);
    if (bytes == null) return name.length == 0 ? -ENOENT : -ENAMETOOLONG;
    if (name == "." || name == "..") return -EEXIST;
    e = this.begin();
    if (e < 0) return e;
    return this.end(createName(this.vol, dir, changetype<usize>(bytes), <u32>bytes.byteLength, mode, target));
  }

  create(dir: u64, name: string, mode: u32): i64 {
    return this.makeNode(dir, name, S_IFREG | (mode & 0xfff), "");
  }

  mkdir(dir: u64, name: string, mode: u32): i64 {
    return this.makeNode(dir, name, S_IFDIR | (mode & 0xfff), "");
  }

  symlink(dir: u64, name: string, target: string): i64 {
    // a slow symlink's target fills at most one block (as Linux: blocksize - 1 bytes)
    if (<u32>String.UTF8.byteLength(target, false) >= this.vol.blockSize) return -ENAMETOOLONG;
    return this.makeNode(dir, name, S_IFLNK | 0o777, target);
  }

  link(dir: u64, name: string, ino: u64): i32 {
    let e = this.writable();
    if (e < 0) return e;
    const bytes = nameBytes(name);
    if (bytes == null) return name.length == 0 ? -ENOENT : -ENAMETOOLONG;
    e = this.begin();
    if (e < 0) return e;
    return <i32>this.end(linkName(this.vol, dir, changetype<usize>(bytes), <u32>bytes.byteLength, ino));
  }

  unlink(dir: u64, name: string): i32 {
    return this.remove(dir, name, false);
  }

  rmdir(dir: u64, name: string): i32 {
    return this.remove(dir, name, true);
  }

  private remove(dir: u64, name: string, directory: bool): i32 {
    let e = this.writable();
    if (e < 0) return e;
    if (name == "." || name == "..") return -EINVAL;
    const bytes = nameBytes(name);
    if (bytes == null) return -ENOENT;
    e = this.begin();
    if (e < 0) return e;
    return <i32>this.end(removeName(this.vol, dir, changetype<usize>(bytes), <u32>bytes.byteLength, directory));
  }

  rename(dir: u64, name: string, newDir: u64, newName: string): i32 {
    let e = this.writable();
    if (e < 0) return e;
    if (name == "." || name == ".." || newName == "." || newName == "..") return -EINVAL;
    const a = nameBytes(name);
    const b = nameBytes(newName);
    if (a == null || b == null) return -ENAMETOOLONG;
    e = this.begin();
    if (e < 0) return e;
    return <i32>this.end(renameName(this.vol, dir, changetype<usize>(a), <u32>a.byteLength, newDir, changetype<usize>(b), <u32>b.byteLength));
  }

  write(ino: u64, offset: u64, buffer: usize, length: u32): i64 {
    let e = this.writable();
    if (e < 0) return e;
    e = this.begin();
    if (e < 0) return e;
    return this.end(writeFile(this.vol, ino, offset, buffer, length));
  }

  truncate(ino: u64, size: u64): i32 {
    let e = this.writable();
    if (e < 0) return e;
    e = this.begin();
    if (e < 0) return e;
    return <i32>this.end(truncateFile(this.vol, ino, size));
  }

  setAttr(ino: u64, change: AttrChange): i32 {
    let e = this.writable();
    if (e < 0) return e;
    e = this.begin();
    if (e < 0) return e;
    const n = this.inode(ino);
    if (n == null) return <i32>this.end(this.vol.lastError);
    if (change.setMode) n.mode = (n.mode & S_IFMT) | (change.mode & 0xfff);
    if (change.setAtime) n.setTime(ATIME, ATIME_EXTRA, change.atime, 0);
    if (change.setMtime) n.setTime(MTIME, MTIME_EXTRA, change.mtime, 0);
    touchTimes(n, false);
    return <i32>this.end(this.vol.storeInode(n));
  }

  openRef(ino: u64): void {
    const counts = this.vol.openCounts;
    const c = counts.has(ino) ? counts.get(ino) : 0;
    counts.set(ino, c + 1);
  }

  closeRef(ino: u64): void {
    const counts = this.vol.openCounts;
    const c = counts.has(ino) ? counts.get(ino) : 0;
    if (c <= 1) counts.delete(ino);
    else counts.set(ino, c - 1);
    if (c > 1 || this.readOnly) return;
    // the last handle of an unlinked file: free it now
    const n = this.inode(ino);
    if (n == null || n.links != 0 || n.mode == 0) return;
    if (this.begin() < 0) return;
    let e = removeOrphan(this.vol, n);
    if (e >= 0) e = destroyInode(this.vol, n);
    this.end(e);
  }

  sync(): i32 {
    const j = this.vol.journal;
    if (j != null && j.live) return checkpoint(j);
    return this.vol.cache.sync();
  }

  fsync(ino: u64): i32 {
    const j = this.vol.journal;
    if (j != null && j.live) return commitTransaction(j);
    return this.vol.cache.sync();
  }

  poll(): void {
    const j = this.vol.journal;
    if (j == null || !j.live) return;
    if (j.timerDue(clockNowUs())) {
      j.stats.periodicCommits++;
      commitTransaction(j);
    }
  }

  /** Finishes the orphans left by an unclean stop: frees (or truncates) each one. */
  processOrphans(): i32 {
    const vol = this.vol;
    const list = listOrphans(vol);
    let done = 0;
    for (let i = 0; i < list.length; i++) {
      if (this.begin() < 0) break;
      const n = vol.getInode(list[i]);
      if (n == null) {
        this.end(0);
        continue;
      }
      let e = removeOrphan(vol, n);
      if (e >= 0 && n.links == 0 && n.mode != 0) e = destroyInode(vol, n);
      else if (e >= 0 && isReg(n.mode) && n.hasExtents) {
        e = truncateExtents(vol, n, (n.size + <u64>vol.blockSize - 1) / <u64>vol.blockSize);
        if (e >= 0) e = vol.storeInode(n);
      }
      this.end(e);
      if (e >= 0) done++;
    }
    if (list.length > 0) this.notes.push("orphans: " + done.toString() + " of " + list.length.toString() + " finished");
    return 0;
  }

  unmount(): i32 {
    const vol = this.vol;
    let r: i32 = 0;
    const j = vol.journal;
    if (j != null && j.live) r = checkpoint(j);
    if (!this.readOnly) {
      // journaled while the journal is live (a torn superblock write is then repairable)
      const e = writeSuperblockNow(vol, false);
      if (e < 0 && r == 0) r = e;
    }
    if (j != null) j.live = false;
    const c = vol.cache.close();
    if (c < 0 && r == 0) r = c;
    vol.device.mountedAt = "";
    return r;
  }
}
