// Ext4Fs: ext2/ext3/ext4 behind the VFS interface (kernel/fs/types.ts).
//
// mountExt4() reads and checks the superblock and every group descriptor, refuses unknown
// incompatible features by name, mounts read-only (and says so) for unknown read-only-
// compatible ones, then serves lookups, reads and directory listings from the volume.
// File data is read straight from the device into the caller's buffer for whole blocks of a
// contiguous run that the buffer cache does not hold; everything else goes through the cache.
import { BlockDevice, SECTOR_SIZE } from "../../block/device";
import { ENOENT, ENOTDIR, EISDIR, EINVAL, EIO, ENOMEM, EUCLEAN, EOPNOTSUPP, EROFS } from "../../lib/errors";
import { FileSystem, Stat, DirEntry, FsStats, isDir, isLink, isReg, S_IFMT, S_IFCHR, S_IFBLK, DT_UNKNOWN, setErrorDetail } from "../types";
import { decodeUtf8 } from "../../lib/utf8";
import { errorMessage } from "../../lib/errors";
import {
  Superblock, parseSuperblock, superblockProblem, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE,
  INCOMPAT_SUPPORTED, RO_COMPAT_WRITABLE, incompatNames, roCompatNames, COMPAT_HAS_JOURNAL, INCOMPAT_RECOVER,
  INCOMPAT_EXTENTS, INCOMPAT_64BIT, INCOMPAT_FLEX_BG, RO_COMPAT_HUGE_FILE, RO_COMPAT_DIR_NLINK, RO_COMPAT_EXTRA_ISIZE,
  RO_COMPAT_METADATA_CSUM, RO_COMPAT_GDT_CSUM, INCOMPAT_CSUM_SEED, INCOMPAT_META_BG, COMPAT_FAST_COMMIT, compatNames,
} from "./superblock";
import { Ext4Volume } from "./volume";
import { Inode, ROOT_INO, FL_HUGE_FILE, FL_INLINE_DATA, ATIME, ATIME_EXTRA, MTIME, MTIME_EXTRA, CTIME, CTIME_EXTRA, CRTIME, CRTIME_EXTRA, I_BLOCK_BYTES } from "./inode";
import { BlockRun } from "./extent";
import {
  mapBlock, readDirBlock, DirBlock, DirBlockKind, DirSlot, direntInode, direntRecLen, direntNameLength, hasFiletype,
  isIndexed, linearLookup, DIRENT_HEADER, MAX_DIR_SIZE,
} from "./dir";
import { dxLookup, DX_FOUND } from "./htree";
import { AttrChange, S_IFDIR, S_IFREG, S_IFLNK, dirTypeOfMode, DT_DIR, NAME_MAX } from "../types";
import { EEXIST, ENOTEMPTY, EMLINK, EFBIG, ENOSPC, ENAMETOOLONG, EPERM } from "../../lib/errors";
import { wallClockSeconds, wallClockNanos } from "../clock";
import { allocateInode, freeInode } from "./ialloc";
import { allocateBlocks, freeBlocks, Allocation } from "./balloc";
import { initExtentRoot, insertExtent, truncateExtents, addBlocks, checkExtentsFreeable } from "./extent_write";
import { addEntry, removeEntry, retargetEntry, initDirectoryBlock } from "./dir_write";
import { addOrphan, removeOrphan, listOrphans } from "./orphan";
import { FL_EXTENTS, FL_INDEX, JOURNAL_INO } from "./inode";
import { Journal } from "../jbd2/journal";
import { commitTransaction, checkpoint } from "../jbd2/commit";
import { replayJournal } from "../jbd2/replay";
import { xattrBlockChecksum } from "./csum";
import { nowUs as clockNowUs } from "../../platform/time";
import { RO_COMPAT_DIR_NLINK as DIR_NLINK_FEATURE, SB_FEATURE_INCOMPAT, SB_MNT_COUNT, SB_MTIME, SB_WTIME, SB_STATE, STATE_VALID } from "./superblock";

/** Largest direct device read, in blocks (bounded so one request stays reasonable). */
const MAX_DIRECT_BLOCKS: u64 = 256;

export class Ext4Fs extends FileSystem {
  vol: Ext4Volume;
  /** What the mount said (features, read-only reasons, replay). */
  notes: Array<string> = new Array<string>(0);
  private run: BlockRun = new BlockRun();
  private slot: DirSlot = new DirSlot();
  private dirBlock: DirBlock = new DirBlock();

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
    if (ino == 0 || ino > <u64>this.vol.sb.inodesCount) {
      this.vol.corrupt("inode number " + ino.toString() + " is out of range");
      return null;
    }
    return this.vol.getInode(<u32>ino);
  }

  lookup(dir: u64, name: string): i64 {
    this.vol.trimCaches();
    const d = this.inode(dir);
    if (d == null) return this.vol.lastError;
    if (!isDir(d.mode)) return -ENOTDIR;
    if (name == ".") return <i64>dir;
    const bytes = String.UTF8.encode(name, false);
    const len = <u32>bytes.byteLength;
    if (len == 0) return -ENOENT;
    const p = changetype<usize>(bytes);
    const slot = this.slot;
    let r: i32 = 0;
    if (isIndexed(this.vol, d)) {
      r = dxLookup(this.vol, d, p, len, slot);
      if (r == -EUCLEAN) r = linearLookup(this.vol, d, p, len, slot); // a damaged index: search every block
    } else {
      r = linearLookup(this.vol, d, p, len, slot);
    }
    if (r < 0) return r;
    if (r == 0) return -ENOENT;
    const ino = slot.ino;
    const child = this.vol.getInode(ino);
    if (child == null) return this.vol.lastError;
    if (child.mode == 0 || child.links == 0) {
      return this.vol.corrupt("directory " + dir.toString() + ": entry '" + name + "' points at free inode " + ino.toString());
    }
    return <i64>ino;
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
    const vol = this.vol;
    const dir = this.inode(dirIno);
    if (dir == null) return vol.lastError;
    if (!isDir(dir.mode)) return -ENOTDIR;
    const bs = <u64>vol.blockSize;
    const size = min<u64>(dir.size, MAX_DIR_SIZE);
    const filetype = hasFiletype(vol);
    const db = this.dirBlock;
    let pos = cursor;
    while (pos < size) {
      const lblk = pos / bs;
      const off = <u32>(pos % bs);
      const e = readDirBlock(vol, dir, lblk, db);
      if (e < 0) return e;
      if (db.block == null) {
        pos = (lblk + db.holeBlocks) * bs;
        continue;
      }
      if (db.kind == DirBlockKind.DxNode) {
        vol.release(db.block!);
        pos = (lblk + 1) * bs;
        continue;
      }
      const p = db.block!.data;
      const end: u32 = db.kind == DirBlockKind.DxRoot ? 24 : db.end;
      let o: u32 = 0;
      while (o < end) {
        const ent = p + <usize>o;
        let rec = direntRecLen(ent, <u32>bs);
        if (db.kind == DirBlockKind.DxRoot && o == 12) rec = 12;
        if (rec < 12) break; // (checked already; never loop on a bad length)
        if (o >= off && direntInode(ent) != 0) {
          const nameLen = direntNameLength(ent, filetype);
          out.ino = <u64>direntInode(ent);
          out.name = decodeName(ent + DIRENT_HEADER, nameLen);
          out.type = filetype ? load<u8>(ent + 7) : DT_UNKNOWN;
          vol.release(db.block!);
          return <i64>(lblk * bs + <u64>o + <u64>rec);
        }
        o += rec;
      }
      vol.release(db.block!);
      pos = (lblk + 1) * bs;
    }
    return 0;
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

  private openCounts: Map<u64, i32> = new Map<u64, i32>();
  private generation: u32 = 0;
  private alloc: Allocation = new Allocation();

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

  private nameBytes(name: string): ArrayBuffer | null {
    const b = String.UTF8.encode(name, false);
    if (b.byteLength == 0 || b.byteLength > NAME_MAX) return null;
    return b;
  }

  private touchTimes(n: Inode, modify: bool): void {
    const now = wallClockSeconds();
    const ns = wallClockNanos();
    n.setTime(CTIME, CTIME_EXTRA, now, ns);
    if (modify) n.setTime(MTIME, MTIME_EXTRA, now, ns);
  }

  /** A fresh inode of `mode` (allocated near parent), stored; null with lastError. */
  private newInode(parent: u32, mode: u32, extents: bool): Inode | null {
    const vol = this.vol;
    const ino = allocateInode(vol, parent, (mode & S_IFMT) == S_IFDIR);
    if (ino < 0) {
      vol.lastError = <i32>ino;
      return null;
    }
    const n = new Inode(<u32>ino, vol.sb.inodeSize);
    n.mode = mode;
    n.links = 1;
    if (vol.sb.inodeSize > 128) {
      let extra = <u32>vol.sb.wantExtraIsize;
      if (extra < 32) extra = 32;
      if (extra > vol.sb.inodeSize - 128) extra = vol.sb.inodeSize - 128;
      n.extraIsize = extra;
    }
    const now = wallClockSeconds();
    const ns = wallClockNanos();
    n.setTime(ATIME, ATIME_EXTRA, now, ns);
    n.setTime(CTIME, CTIME_EXTRA, now, ns);
    n.setTime(MTIME, MTIME_EXTRA, now, ns);
    n.setTime(CRTIME, CRTIME_EXTRA, now, ns);
    this.generation = this.generation * 1103515245 + 12345 + <u32>clockNowUs();
    n.generation = this.generation;
    if (extents) {
      n.flags = FL_EXTENTS;
      initExtentRoot(n);
    }
    vol.adoptInode(n);
    const e = vol.storeInode(n);
    if (e < 0) {
      vol.lastError = e;
      return null;
    }
    return n;
  }

  /** Frees an inode's blocks, extended-attribute block and number (its last link is gone). */
  private destroyInode(n: Inode): i32 {
    const vol = this.vol;
    let e: i32 = 0;
    const fast = isLink(n.mode) && isFastSymlink(vol, n);
    if (!fast && (isReg(n.mode) || isDir(n.mode) || isLink(n.mode))) {
      if (n.hasExtents) e = truncateExtents(vol, n, 0);
      else if (n.blocksRaw > 0) e = vol.corrupt("inode " + n.ino.toString() + ": freeing block-mapped files is not supported");
      if (e < 0) return e;
    }
    e = this.releaseXattrBlock(n);
    if (e < 0) return e;
    n.links = 0;
    n.size = 0;
    n.blocksRaw = 0;
    n.dtime = <u32>wallClockSeconds();
    e = vol.storeInode(n);
    if (e < 0) return e;
    e = freeInode(vol, n.ino, isDir(n.mode));
    vol.forgetInode(n.ino);
    return e;
  }

  /** Drops the inode's reference to its extended-attribute block (freeing it at zero). */
  private releaseXattrBlock(n: Inode): i32 {
    const vol = this.vol;
    const block = n.fileAcl;
    if (block == 0) return 0;
    if (!vol.validBlock(block)) return vol.corrupt("inode " + n.ino.toString() + ": xattr block outside the file system");
    const b = vol.writeBlock(block, "xattr block");
    if (b == null) return vol.lastError;
    const refs = load<u32>(b.data + 4);
    n.fileAcl = 0;
    if (refs > 1) {
      store<u32>(b.data + 4, refs - 1);
      if (vol.sb.metadataCsum) store<u32>(b.data + 0x10, xattrBlockChecksum(vol.sb.csumSeed, block, b.data, vol.blockSize));
      vol.release(b);
      return 0;
    }
    vol.release(b);
    addBlocks(vol, n, -1);
    return freeBlocks(vol, block, 1);
  }

  /** The directory for a change: an inode that is a directory, else an error. */
  private dirFor(dir: u64): Inode | null {
    const d = this.inode(dir);
    if (d == null) return null;
    if (!isDir(d.mode)) {
      this.vol.lastError = -ENOTDIR;
      return null;
    }
    if (!d.hasExtents && d.blocksRaw > 0) {
      this.vol.lastError = -EROFS;
      return null;
    }
    return d;
  }

  private findSlot(d: Inode, p: usize, len: u32): i32 {
    const slot = this.slot;
    let r: i32 = 0;
    if (isIndexed(this.vol, d)) {
      r = dxLookup(this.vol, d, p, len, slot);
      if (r == -EUCLEAN) r = linearLookup(this.vol, d, p, len, slot);
    } else r = linearLookup(this.vol, d, p, len, slot);
    return r;
  }

  private makeNode(dir: u64, name: string, mode: u32, target: string): i64 {
    let e = this.writable();
    if (e < 0) return e;
    const bytes = this.nameBytes(name);
    if (bytes == null) return name.length == 0 ? -ENOENT : -ENAMETOOLONG;
    if (name == "." || name == "..") return -EEXIST;
    e = this.begin();
    if (e < 0) return e;
    return this.end(this.makeNodeIn(dir, changetype<usize>(bytes!), <u32>bytes!.byteLength, mode, target));
  }

  private makeNodeIn(dir: u64, name: usize, len: u32, mode: u32, target: string): i64 {
    const vol = this.vol;
    const d = this.dirFor(dir);
    if (d == null) return vol.lastError;
    let r = this.findSlot(d, name, len);
    if (r < 0) return r;
    if (r > 0) return -EEXIST;
    const type = mode & S_IFMT;
    const isDirectory = type == S_IFDIR;
    if (isDirectory && d.links >= 65000 && !vol.sb.hasRoCompat(DIR_NLINK_FEATURE)) return -EMLINK;
    const targetBytes = String.UTF8.encode(target, false);
    const tlen = <u32>targetBytes.byteLength;
    const fastLink = type == S_IFLNK && tlen < I_BLOCK_BYTES;
    const extents = vol.sb.hasIncompat(INCOMPAT_EXTENTS) && !fastLink;
    // blocks a directory or slow symlink needs: check before taking the inode
    if ((isDirectory || (type == S_IFLNK && !fastLink)) && vol.sb.freeBlocks == 0) return -ENOSPC;
    const n = this.newInode(d.ino, mode, extents);
    if (n == null) return vol.lastError;
    let e: i32 = 0;
    if (isDirectory) {
      n.links = 2;
      e = this.giveBlock(n, 0);
      if (e >= 0) {
        const b = vol.newBlock(this.alloc.start, "directory block");
        if (b == null) e = vol.lastError;
        else {
          initDirectoryBlock(vol, n, b.data, d.ino);
          vol.release(b);
          n.size = <u64>vol.blockSize;
        }
      }
    } else if (type == S_IFLNK) {
      if (fastLink) {
        memory.copy(n.iblock, changetype<usize>(targetBytes), tlen);
        n.size = <u64>tlen;
      } else {
        e = this.giveBlock(n, 0);
        if (e >= 0) {
          const b = vol.newBlock(this.alloc.start, "symlink block");
          if (b == null) e = vol.lastError;
          else {
            memory.copy(b.data, changetype<usize>(targetBytes), tlen);
            vol.release(b);
            n.size = <u64>tlen;
          }
        }
      }
    }
    if (e >= 0) e = vol.storeInode(n);
    if (e >= 0) e = addEntry(vol, d, name, len, n.ino, dirTypeOfMode(mode));
    if (e < 0) {
      // undo: the inode and whatever it got
      n.links = 0;
      this.destroyInode(n);
      return e;
    }
    if (isDirectory) {
      if (d.links >= 65000 || d.links == 1) d.links = 1; // dir_nlink: too many to count
      else d.links = d.links + 1;
    }
    this.touchTimes(d, true);
    e = vol.storeInode(d);
    if (e < 0) return e;
    return <i64>n.ino;
  }

  /** Allocates one block near the inode and maps it at logical block lblk (in this.alloc). */
  private giveBlock(n: Inode, lblk: u64): i32 {
    const vol = this.vol;
    const goal = groupStartOf(vol, n.ino);
    let e = allocateBlocks(vol, goal, 1, this.alloc);
    if (e < 0) return e;
    e = insertExtent(vol, n, lblk, this.alloc.start, 1);
    if (e < 0) {
      freeBlocks(vol, this.alloc.start, 1);
      return e;
    }
    addBlocks(vol, n, 1);
    return 0;
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
    const bytes = this.nameBytes(name);
    if (bytes == null) return name.length == 0 ? -ENOENT : -ENAMETOOLONG;
    e = this.begin();
    if (e < 0) return e;
    return <i32>this.end(this.linkIn(dir, changetype<usize>(bytes!), <u32>bytes!.byteLength, ino));
  }

  private linkIn(dir: u64, name: usize, len: u32, ino: u64): i32 {
    const vol = this.vol;
    const d = this.dirFor(dir);
    if (d == null) return vol.lastError;
    const n = this.inode(ino);
    if (n == null) return vol.lastError;
    if (isDir(n.mode)) return -EPERM;
    if (n.links >= 65000) return -EMLINK;
    let r = this.findSlot(d, name, len);
    if (r < 0) return r;
    if (r > 0) return -EEXIST;
    r = addEntry(vol, d, name, len, n.ino, dirTypeOfMode(n.mode));
    if (r < 0) return r;
    n.links = n.links + 1;
    this.touchTimes(n, false);
    r = vol.storeInode(n);
    if (r < 0) return r;
    this.touchTimes(d, true);
    return vol.storeInode(d);
  }

  unlink(dir: u64, name: string): i32 {
    return this.removeName(dir, name, false);
  }

  rmdir(dir: u64, name: string): i32 {
    return this.removeName(dir, name, true);
  }

  private removeName(dir: u64, name: string, directory: bool): i32 {
    let e = this.writable();
    if (e < 0) return e;
    if (name == "." || name == "..") return -EINVAL;
    const bytes = this.nameBytes(name);
    if (bytes == null) return -ENOENT;
    e = this.begin();
    if (e < 0) return e;
    return <i32>this.end(this.removeIn(dir, changetype<usize>(bytes!), <u32>bytes!.byteLength, directory));
  }

  /** Is the directory empty (only "." and "..")? 1 yes, 0 no, or an error. */
  private isEmptyDir(n: Inode): i32 {
    // a directory always holds "." and "..": size 0 with blocks is damage, not emptiness
    if (n.size == 0 && n.blocksRaw > 0) return this.vol.corrupt("directory inode " + n.ino.toString() + " has size 0 but holds blocks");
    const entry = new DirEntry();
    let cursor: u64 = 0;
    for (let guard = 0; guard < 1 << 24; guard++) {
      const next = this.readDir(<u64>n.ino, cursor, entry);
      if (next < 0) return <i32>next;
      if (next == 0) return 1;
      if (entry.name != "." && entry.name != "..") return 0;
      cursor = <u64>next;
    }
    return 0;
  }

  private removeIn(dir: u64, name: usize, len: u32, directory: bool): i32 {
    const vol = this.vol;
    const d = this.dirFor(dir);
    if (d == null) return vol.lastError;
    let r = this.findSlot(d, name, len);
    if (r < 0) return r;
    if (r == 0) return -ENOENT;
    const slot = this.slot;
    const n = vol.getInode(slot.ino);
    if (n == null) return vol.lastError;
    if (directory && !isDir(n.mode)) return -ENOTDIR;
    if (!directory && isDir(n.mode)) return -EISDIR;
    if (directory) {
      r = this.isEmptyDir(n);
      if (r < 0) return r;
      if (r == 0) return -ENOTEMPTY;
      // isEmptyDir used the slot scratch: find the entry again
      r = this.findSlot(d, name, len);
      if (r <= 0) return r < 0 ? r : -ENOENT;
    }
    // when the inode goes with its name, check that it can be freed before the name goes
    if (directory || this.lastLink(n)) {
      r = this.checkDestroyable(n);
      if (r < 0) return r;
    }
    r = removeEntry(vol, d, this.slot);
    if (r < 0) return r;
    this.touchTimes(d, true);
    if (directory && d.links > 2) d.links = d.links - 1;
    r = vol.storeInode(d);
    if (r < 0) return r;
    if (directory) return this.destroyInode(n);
    return this.dropLink(n);
  }

  /** Would dropping one link free n now (its last name, no handle open)? */
  private lastLink(n: Inode): bool {
    return n.links <= 1 && !(this.openCounts.has(<u64>n.ino) && this.openCounts.get(<u64>n.ino) > 0);
  }

  /** Would destroyInode(n) succeed? Checks what it frees (a corrupt disk: nothing changed). */
  private checkDestroyable(n: Inode): i32 {
    const vol = this.vol;
    const fast = isLink(n.mode) && isFastSymlink(vol, n);
    if (fast || !(isReg(n.mode) || isDir(n.mode) || isLink(n.mode))) return 0;
    if (n.hasExtents) return checkExtentsFreeable(vol, n);
    if (n.blocksRaw > 0) return vol.corrupt("inode " + n.ino.toString() + ": freeing block-mapped files is not supported");
    return 0;
  }

  /** One name of n is gone: free it at zero links unless a handle still has it open. */
  private dropLink(n: Inode): i32 {
    if (n.links > 0) n.links = n.links - 1;
    this.touchTimes(n, false);
    if (n.links > 0) return this.vol.storeInode(n);
    const open = this.openCounts.has(<u64>n.ino) ? this.openCounts.get(<u64>n.ino) : 0;
    if (open > 0) {
      const e = this.vol.storeInode(n);
      if (e < 0) return e;
      return addOrphan(this.vol, n);
    }
    return this.destroyInode(n);
  }

  rename(dir: u64, name: string, newDir: u64, newName: string): i32 {
    let e = this.writable();
    if (e < 0) return e;
    if (name == "." || name == ".." || newName == "." || newName == "..") return -EINVAL;
    const a = this.nameBytes(name);
    const b = this.nameBytes(newName);
    if (a == null || b == null) return -ENAMETOOLONG;
    e = this.begin();
    if (e < 0) return e;
    return <i32>this.end(this.renameIn(dir, changetype<usize>(a!), <u32>a!.byteLength, newDir, changetype<usize>(b!), <u32>b!.byteLength));
  }

  private renameIn(dir: u64, name: usize, len: u32, newDir: u64, newName: usize, newLen: u32): i32 {
    const vol = this.vol;
    const src = this.dirFor(dir);
    if (src == null) return vol.lastError;
    const dst = this.dirFor(newDir);
    if (dst == null) return vol.lastError;
    let r = this.findSlot(src, name, len);
    if (r < 0) return r;
    if (r == 0) return -ENOENT;
    const moving = vol.getInode(this.slot.ino);
    if (moving == null) return vol.lastError;
    const movingDir = isDir(moving.mode);
    const type = dirTypeOfMode(moving.mode);
    r = this.findSlot(dst, newName, newLen);
    if (r < 0) return r;
    let replaced: Inode | null = null;
    if (r > 0) {
      if (this.slot.ino == moving.ino) return 0; // the same file under both names
      replaced = vol.getInode(this.slot.ino);
      if (replaced == null) return vol.lastError;
      if (isDir(replaced.mode) != movingDir) return movingDir ? -ENOTDIR : -EISDIR;
      if (movingDir) {
        const empty = this.isEmptyDir(replaced);
        if (empty < 0) return empty;
        if (empty == 0) return -ENOTEMPTY;
        r = this.findSlot(dst, newName, newLen);
        if (r <= 0) return r < 0 ? r : -ENOENT;
      }
      r = retargetEntry(vol, dst, this.slot, moving.ino, type);
    } else {
      r = addEntry(vol, dst, newName, newLen, moving.ino, type);
    }
    if (r < 0) return r;
    // the old name goes (found again: adding may have moved entries)
    r = this.findSlot(src, name, len);
    if (r <= 0) return r < 0 ? r : vol.corrupt("rename: the source entry vanished");
    r = removeEntry(vol, src, this.slot);
    if (r < 0) return r;
    if (movingDir && src.ino != dst.ino) {
      // ".." of the moved directory now names the new parent
      const dotdot = memory.data<u8>([46, 46]);
      r = linearLookup(vol, moving, dotdot, 2, this.slot);
      if (r <= 0) return r < 0 ? r : vol.corrupt("directory " + moving.ino.toString() + " has no '..'");
      r = retargetEntry(vol, moving, this.slot, dst.ino, DT_DIR);
      if (r < 0) return r;
      if (src.links > 2) src.links = src.links - 1;
      if (replaced == null) {
        if (dst.links >= 65000 || dst.links == 1) dst.links = 1;
        else dst.links = dst.links + 1;
      }
    }
    this.touchTimes(moving, false);
    r = vol.storeInode(moving);
    if (r < 0) return r;
    this.touchTimes(src, true);
    r = vol.storeInode(src);
    if (r < 0) return r;
    if (dst.ino != src.ino) {
      this.touchTimes(dst, true);
      r = vol.storeInode(dst);
      if (r < 0) return r;
    }
    if (replaced != null) {
      if (movingDir) {
        if (dst.links > 2) {
          dst.links = dst.links - 1;
          r = vol.storeInode(dst);
          if (r < 0) return r;
        }
        return this.destroyInode(replaced!);
      }
      return this.dropLink(replaced!);
    }
    return 0;
  }

  write(ino: u64, offset: u64, buffer: usize, length: u32): i64 {
    let e = this.writable();
    if (e < 0) return e;
    e = this.begin();
    if (e < 0) return e;
    return this.end(this.writeIn(ino, offset, buffer, length));
  }

  private writeIn(ino: u64, offset: u64, buffer: usize, length: u32): i64 {
    const vol = this.vol;
    const n = this.inode(ino);
    if (n == null) return vol.lastError;
    if (isDir(n.mode)) return -EISDIR;
    if (!isReg(n.mode)) return -EINVAL;
    if (!n.hasExtents) return -EROFS;
    const bs = <u64>vol.blockSize;
    if (offset + <u64>length > MAX_EXTENT_FILE_BLOCKS * bs) return -EFBIG;
    if (length == 0) return 0;
    const run = this.run;
    let done: u32 = 0;
    let result: i64 = 0;
    // blocks allocated by this call: their old contents must never show through
    let freshFrom: u64 = 0;
    let freshTo: u64 = 0;
    while (done < length) {
      const pos = offset + <u64>done;
      const lblk = pos / bs;
      const within = <u32>(pos % bs);
      const left = length - done;
      let e = mapBlock(vol, n, lblk, run);
      if (e < 0) {
        result = e;
        break;
      }
      let fresh = run.physical != 0 && run.physical >= freshFrom && run.physical < freshTo;
      if (run.unwritten) {
        result = -EOPNOTSUPP; // writing into preallocated (unwritten) extents
        break;
      }
      if (run.physical == 0) {
        // a hole: allocate as much of it as this write covers, next to the previous block
        const wantBlocks = (<u64>within + <u64>left + bs - 1) / bs;
        const want = <u32>min<u64>(min<u64>(wantBlocks, run.count), 32768);
        let goal = groupStartOf(vol, n.ino);
        if (lblk > 0) {
          const prev = new BlockRun();
          if (mapBlock(vol, n, lblk - 1, prev) == 0 && prev.physical != 0) goal = prev.physical + 1;
        }
        e = allocateBlocks(vol, goal, want, this.alloc);
        if (e < 0) {
          result = e;
          break;
        }
        e = insertExtent(vol, n, lblk, this.alloc.start, this.alloc.count);
        if (e < 0) {
          freeBlocks(vol, this.alloc.start, <u64>this.alloc.count);
          result = e;
          break;
        }
        addBlocks(vol, n, <i64>this.alloc.count);
        run.physical = this.alloc.start;
        run.count = <u64>this.alloc.count;
        freshFrom = this.alloc.start;
        freshTo = this.alloc.start + <u64>this.alloc.count;
        fresh = true;
      }
      // whole blocks of the run: straight to the device (ordered: before the next commit),
      // except blocks the journal holds a copy of (they go through the journal again)
      let direct: u64 = 0;
      if (within == 0 && <u64>left >= bs * 2 && run.count >= 2) {
        const most = min<u64>(min<u64>(run.count, <u64>left / bs), MAX_DIRECT_BLOCKS);
        while (direct < most && !vol.isJournaled(run.physical + direct)) direct++;
      }
      if (direct >= 2) {
        const k = direct;
        for (let i: u64 = 0; i < k; i++) {
          vol.cache.drop(run.physical + i);
        }
        const spb = <u64>(vol.blockSize / SECTOR_SIZE);
        const r = vol.device.write(run.physical * spb, <u32>(k * spb), buffer + <usize>done);
        if (r < 0) {
          setErrorDetail("inode " + n.ino.toString() + ": writing blocks " + run.physical.toString() + "+" + k.toString());
          result = -EIO;
          break;
        }
        done += <u32>(k * bs);
        continue;
      }
      const chunk = min<u32>(left, <u32>bs - within);
      const whole = within == 0 && chunk == <u32>bs;
      const b = whole || fresh ? vol.cache.getForOverwrite(run.physical) : vol.cache.get(run.physical);
      if (b == null) {
        result = -EIO;
        break;
      }
      if (fresh && !whole) memory.fill(b.data, 0, <usize>bs);
      memory.copy(b.data + <usize>within, buffer + <usize>done, chunk);
      vol.dataDirtied(b);
      vol.cache.release(b);
      done += chunk;
    }
    if (done > 0) {
      const end = offset + <u64>done;
      if (end > n.size) n.size = end;
      this.touchTimes(n, true);
      const e = vol.storeInode(n);
      if (e < 0) return e;
      return <i64>done;
    }
    return result;
  }

  truncate(ino: u64, size: u64): i32 {
    let e = this.writable();
    if (e < 0) return e;
    e = this.begin();
    if (e < 0) return e;
    return <i32>this.end(this.truncateIn(ino, size));
  }

  private truncateIn(ino: u64, size: u64): i32 {
    const vol = this.vol;
    const n = this.inode(ino);
    if (n == null) return vol.lastError;
    if (isDir(n.mode)) return -EISDIR;
    if (!isReg(n.mode)) return -EINVAL;
    if (!n.hasExtents) return -EROFS;
    const bs = <u64>vol.blockSize;
    if (size > MAX_EXTENT_FILE_BLOCKS * bs) return -EFBIG;
    if (size < n.size) {
      const keep = (size + bs - 1) / bs;
      let e = truncateExtents(vol, n, keep);
      if (e < 0) return e;
      // zero the rest of the last partial block, so that growing again reads zeros; through
      // the journal, so that the block changes on disk only if the truncation commits (written
      // in place, a power cut before the commit would leave the old size with zeroed bytes)
      if (size % bs != 0) {
        e = mapBlock(vol, n, size / bs, this.run);
        if (e < 0) return e;
        if (this.run.physical != 0 && !this.run.unwritten) {
          const b = vol.cache.get(this.run.physical);
          if (b == null) return -EIO;
          memory.fill(b.data + <usize>(size % bs), 0, <usize>(bs - size % bs));
          vol.journalData(b);
          vol.cache.release(b);
        }
      }
    }
    n.size = size;
    this.touchTimes(n, true);
    return vol.storeInode(n);
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
    this.touchTimes(n, false);
    return <i32>this.end(this.vol.storeInode(n));
  }

  openRef(ino: u64): void {
    const c = this.openCounts.has(ino) ? this.openCounts.get(ino) : 0;
    this.openCounts.set(ino, c + 1);
  }

  closeRef(ino: u64): void {
    const c = this.openCounts.has(ino) ? this.openCounts.get(ino) : 0;
    if (c <= 1) this.openCounts.delete(ino);
    else this.openCounts.set(ino, c - 1);
    if (c > 1 || this.readOnly) return;
    // the last handle of an unlinked file: free it now
    const n = this.inode(ino);
    if (n == null || n.links != 0 || n.mode == 0) return;
    if (this.begin() < 0) return;
    let e = removeOrphan(this.vol, n);
    if (e >= 0) e = this.destroyInode(n);
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
      if (e >= 0 && n.links == 0 && n.mode != 0) e = this.destroyInode(n);
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
    if (j != null && j.live) {
      r = checkpoint(j);
      j.live = false;
    }
    if (!this.readOnly) {
      const e = writeSuperblockNow(vol, false);
      if (e < 0 && r == 0) r = e;
    }
    const c = vol.cache.close();
    if (c < 0 && r == 0) r = c;
    vol.device.mountedAt = "";
    return r;
  }
}

/** Files with extents address 2^32 logical blocks. */
const MAX_EXTENT_FILE_BLOCKS: u64 = 0xffffffff;

function groupStartOf(vol: Ext4Volume, ino: u32): u64 {
  const g = (ino - 1) / vol.sb.inodesPerGroup;
  return <u64>vol.sb.firstDataBlock + <u64>g * <u64>vol.sb.blocksPerGroup;
}

/**
 * Writes the superblock home now (outside any transaction): the needs_recovery flag on a
 * read-write mount (off at unmount), mount count and times. Then FLUSH.
 */
function writeSuperblockNow(vol: Ext4Volume, mounting: bool): i32 {
  const bs = <u64>vol.blockSize;
  const block = SUPERBLOCK_OFFSET / bs;
  const wasLive = vol.journal != null && vol.journal!.live;
  if (wasLive) vol.journal!.live = false;
  const b = vol.writeBlock(block, "superblock");
  if (wasLive) vol.journal!.live = true;
  if (b == null) return vol.lastError;
  const p = b.data + <usize>(SUPERBLOCK_OFFSET % bs);
  const now = <u32>wallClockSeconds();
  let incompat = load<u32>(p + SB_FEATURE_INCOMPAT);
  if (vol.sb.has(COMPAT_HAS_JOURNAL)) {
    if (mounting) incompat |= INCOMPAT_RECOVER;
    else incompat &= ~INCOMPAT_RECOVER;
  }
  store<u32>(p + SB_FEATURE_INCOMPAT, incompat);
  vol.sb.incompat = incompat;
  if (mounting) {
    store<u16>(p + SB_MNT_COUNT, load<u16>(p + SB_MNT_COUNT) + 1);
    store<u32>(p + SB_MTIME, now);
  }
  store<u32>(p + SB_WTIME, now);
  vol.sealSuperblock(p);
  let r = vol.cache.writeBack(b);
  vol.release(b);
  if (r == 0) r = vol.device.flush();
  return r;
}

/** Journal block -> file-system block for every block of the journal inode. */
function mapJournal(vol: Ext4Volume, out: Array<u64>): i32 {
  const j = vol.getInode(JOURNAL_INO);
  if (j == null) return vol.lastError;
  const bs = <u64>vol.blockSize;
  const blocks = j.size / bs;
  if (blocks < 32 || blocks > (1 << 24)) return vol.corrupt("journal inode: bad size " + j.size.toString());
  const run = new BlockRun();
  let lblk: u64 = 0;
  while (lblk < blocks) {
    const e = mapBlock(vol, j, lblk, run);
    if (e < 0) return e;
    if (run.physical == 0) return vol.corrupt("journal inode has a hole at block " + lblk.toString());
    for (let k: u64 = 0; k < run.count && lblk < blocks; k++) {
      out.push(run.physical + k);
      lblk++;
    }
  }
  return 0;
}

/** ext4 when any ext4-only feature is on, else ext3 with a journal, else ext2. */
function flavour(sb: Superblock): string {
  const ext4Incompat = INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG | INCOMPAT_CSUM_SEED;
  const ext4Ro = RO_COMPAT_HUGE_FILE | RO_COMPAT_DIR_NLINK | RO_COMPAT_EXTRA_ISIZE | RO_COMPAT_METADATA_CSUM | RO_COMPAT_GDT_CSUM;
  if ((sb.incompat & ext4Incompat) != 0 || (sb.roCompat & ext4Ro) != 0) return "ext4";
  return sb.has(COMPAT_HAS_JOURNAL) ? "ext3" : "ext2";
}

export function isFastSymlink(vol: Ext4Volume, n: Inode): bool {
  if (n.size >= <u64>I_BLOCK_BYTES) return false;
  // a slow symlink has a data block (i_blocks counts it, plus any xattr block)
  const xattrBlocks: u64 = n.fileAcl != 0 ? <u64>(vol.blockSize / 512) : 0;
  return n.blocksRaw <= xattrBlocks;
}

/** 512-byte units used by the inode. */
export function inodeSectors(vol: Ext4Volume, n: Inode): u64 {
  if (!vol.sb.hasRoCompat(RO_COMPAT_HUGE_FILE)) return <u64><u32>n.blocksRaw;
  const raw = n.blocksRaw;
  return (n.flags & FL_HUGE_FILE) != 0 ? raw * <u64>(vol.blockSize / 512) : raw;
}

export function fillStat(vol: Ext4Volume, n: Inode, out: Stat): void {
  out.ino = <u64>n.ino;
  out.mode = n.mode;
  out.nlink = n.links;
  out.uid = n.uid;
  out.gid = n.gid;
  out.size = n.size;
  out.blocks = inodeSectors(vol, n);
  out.blockSize = vol.blockSize;
  out.atime = n.timeSeconds(ATIME, ATIME_EXTRA);
  out.atimeNs = n.timeNanos(ATIME_EXTRA);
  out.mtime = n.timeSeconds(MTIME, MTIME_EXTRA);
  out.mtimeNs = n.timeNanos(MTIME_EXTRA);
  out.ctime = n.timeSeconds(CTIME, CTIME_EXTRA);
  out.ctimeNs = n.timeNanos(CTIME_EXTRA);
  out.crtime = n.timeSeconds(CRTIME, CRTIME_EXTRA);
  out.crtimeNs = n.timeNanos(CRTIME_EXTRA);
  out.flags = n.flags;
  out.generation = n.generation;
  out.rdevMajor = 0;
  out.rdevMinor = 0;
  const type = n.mode & S_IFMT;
  if (type == S_IFCHR || type == S_IFBLK) {
    const old = load<u32>(n.iblock);
    if (old != 0) {
      out.rdevMajor = (old >> 8) & 0xff;
      out.rdevMinor = old & 0xff;
    } else {
      const v = load<u32>(n.iblock + 4);
      out.rdevMajor = (v & 0xfff00) >> 8;
      out.rdevMinor = (v & 0xff) | ((v >> 12) & 0xfff00);
    }
  }
}

/** A directory-entry name as a string (invalid UTF-8 becomes U+FFFD). */
export function decodeName(p: usize, len: u32): string {
  let ascii = true;
  for (let i: u32 = 0; i < len; i++) {
    if (load<u8>(p + <usize>i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return String.UTF8.decodeUnsafe(p, <usize>len, false);
  const bytes = new Array<u8>(<i32>len);
  for (let i: u32 = 0; i < len; i++) bytes[i] = load<u8>(p + <usize>i);
  return decodeUtf8(bytes);
}

// ---------------------------------------------------------------- mounting

export class Ext4MountResult {
  fs: Ext4Fs | null = null;
  error: i32 = 0;
  /** Why the mount failed (one line). */
  message: string = "";
}

/** Does the device hold an ext2/3/4 file system (magic number check only)? */
export function probeExt4(device: BlockDevice): bool {
  if (device.sectorCount < 4) return false;
  const buf = heap.alloc(SUPERBLOCK_SIZE);
  if (buf == 0) return false;
  const r = device.read(SUPERBLOCK_OFFSET / <u64>SECTOR_SIZE, SUPERBLOCK_SIZE / SECTOR_SIZE, buf);
  const ok = r == 0 && load<u16>(buf + 0x38) == 0xef53;
  heap.free(buf);
  return ok;
}

function failMount(result: Ext4MountResult, code: i32, message: string): Ext4MountResult {
  result.error = code;
  result.message = message;
  result.fs = null;
  return result;
}

export function mountExt4(device: BlockDevice, readOnly: bool): Ext4MountResult {
  const result = new Ext4MountResult();
  if (device.sectorCount < 4) return failMount(result, -EINVAL, "device too small for ext4");
  const buf = heap.alloc(SUPERBLOCK_SIZE);
  if (buf == 0) return failMount(result, -ENOMEM, "out of memory");
  const r = device.read(SUPERBLOCK_OFFSET / <u64>SECTOR_SIZE, SUPERBLOCK_SIZE / SECTOR_SIZE, buf);
  if (r < 0) {
    heap.free(buf);
    return failMount(result, r, "cannot read the superblock");
  }
  const sb = new Superblock();
  const ok = parseSuperblock(buf, sb, device.sizeBytes);
  heap.free(buf);
  if (!ok) return failMount(result, -EUCLEAN, superblockProblem);
  const unknownIncompat = sb.incompat & ~INCOMPAT_SUPPORTED;
  if (unknownIncompat != 0) {
    return failMount(result, -EOPNOTSUPP, "unsupported incompatible feature(s): " + incompatNames(unknownIncompat));
  }
  const notes = new Array<string>(0);
  let ro = readOnly || device.readOnly;
  const unknownRo = sb.roCompat & ~RO_COMPAT_WRITABLE;
  if (unknownRo != 0 && !ro) {
    ro = true;
    notes.push("mounted read-only: unsupported read-only-compatible feature(s): " + roCompatNames(unknownRo));
  }
  if (sb.has(COMPAT_FAST_COMMIT) && !ro) {
    ro = true;
    notes.push("mounted read-only: unsupported feature " + compatNames(COMPAT_FAST_COMMIT));
  }
  if (sb.has(COMPAT_HAS_JOURNAL) && (sb.journalInum == 0 || sb.journalDev != 0)) {
    return failMount(result, -EOPNOTSUPP, "external journal devices are not supported");
  }
  if (sb.hasIncompat(INCOMPAT_META_BG) && !ro) {
    ro = true;
    notes.push("mounted read-only: writing with meta_bg is not supported");
  }
  if (!sb.hasIncompat(INCOMPAT_EXTENTS) && !ro) {
    ro = true;
    notes.push("mounted read-only: writing block-mapped (ext2/ext3) files is not supported");
  }
  const vol = new Ext4Volume(device, sb);
  vol.readOnly = ro;
  let e = vol.loadGroups();
  if (e < 0) return failMount(result, e, "group descriptors: " + takeDetailOr("unreadable"));
  const root = vol.getInode(ROOT_INO);
  if (root == null) return failMount(result, vol.lastError, "root directory: " + takeDetailOr("unreadable"));
  if (!isDir(root.mode)) return failMount(result, -EUCLEAN, "root inode is not a directory");
  if (sb.has(COMPAT_HAS_JOURNAL)) {
    const map = new Array<u64>(0);
    let journal: Journal | null = null;
    let je = mapJournal(vol, map);
    let why = "";
    if (je == 0) {
      journal = new Journal(device, vol.cache, map);
      je = journal!.load();
      why = journal!.lastError;
    } else why = takeDetailOr("unreadable");
    if (je < 0) {
      if (!ro) {
        ro = true;
        vol.readOnly = true;
        notes.push("mounted read-only: journal: " + why);
      } else notes.push("journal: " + why);
      journal = null;
    } else if (journal!.start != 0) {
      if (device.readOnly) {
        notes.push("the journal needs recovery but the device is read-only: recent changes are missing");
        ro = true;
        vol.readOnly = true;
      } else {
        e = replayJournal(journal!);
        if (e < 0) return failMount(result, e, "journal replay failed: " + errorMessageOf(e));
        const st = journal!.stats;
        notes.push("journal: replayed " + st.replayedTransactions.toString() + " transactions, " + st.replayedBlocks.toString() +
          " blocks (" + st.revokedBlocks.toString() + " revoked" + (st.replayErrors > 0 ? ", " + st.replayErrors.toString() + " with bad checksums skipped" : "") +
          ") in " + (st.replayUs / 1000).toString() + " ms");
        // the replay rewrote metadata under us: read the superblock and descriptors again
        e = reloadSuperblock(vol, device);
        if (e < 0) return failMount(result, e, "after journal replay: " + takeDetailOr(superblockProblem));
      }
    }
    vol.journal = journal;
  }
  const fs = new Ext4Fs(vol);
  fs.notes = notes;
  if (!ro) {
    const j = vol.journal;
    if (j != null) {
      j.chooseFeatures(sb.metadataCsum, sb.is64bit);
      e = j.writeSuperblock();
      if (e < 0) return failMount(result, e, "cannot write the journal superblock");
      j.live = true;
    }
    e = writeSuperblockNow(vol, true);
    if (e < 0) return failMount(result, e, "cannot write the superblock");
    fs.processOrphans();
  }
  device.mountedAt = "?";
  result.fs = fs;
  return result;
}

/** Reads and parses the superblock again and reloads the group descriptors (after replay). */
function reloadSuperblock(vol: Ext4Volume, device: BlockDevice): i32 {
  const buf = heap.alloc(SUPERBLOCK_SIZE);
  if (buf == 0) return -ENOMEM;
  const r = device.read(SUPERBLOCK_OFFSET / <u64>SECTOR_SIZE, SUPERBLOCK_SIZE / SECTOR_SIZE, buf);
  if (r < 0) {
    heap.free(buf);
    return r;
  }
  const sb = new Superblock();
  const ok = parseSuperblock(buf, sb, device.sizeBytes);
  heap.free(buf);
  if (!ok) return -EUCLEAN;
  if (sb.blockSize != vol.sb.blockSize) return -EUCLEAN;
  vol.sb = sb;
  vol.forgetAllInodes();
  return vol.loadGroups();
}

function errorMessageOf(code: i32): string {
  return errorMessage(code);
}

import { takeErrorDetail } from "../types";
function takeDetailOr(fallback: string): string {
  const d = takeErrorDetail();
  return d.length > 0 ? d : fallback;
}
