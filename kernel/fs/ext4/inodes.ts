// Inode life cycle on the write side, and what stat() reports: a fresh inode near its parent,
// freeing one whose last link is gone (blocks, xattr block, number), a block given to an
// inode, timestamps, and the Stat fields of an inode. Free functions over the volume, used
// by names.ts, file_write.ts and the thin Ext4Fs (fs.ts).
import { ENOTDIR, EROFS } from "../../lib/errors";
import { Stat, isDir, isLink, isReg, S_IFMT, S_IFCHR, S_IFBLK, S_IFDIR } from "../types";
import { RO_COMPAT_HUGE_FILE } from "./superblock";
import { Ext4Volume } from "./volume";
import {
  Inode, FL_HUGE_FILE, FL_EXTENTS, ATIME, ATIME_EXTRA, MTIME, MTIME_EXTRA, CTIME, CTIME_EXTRA, CRTIME, CRTIME_EXTRA, I_BLOCK_BYTES,
} from "./inode";
import { wallClockSeconds, wallClockNanos } from "../clock";
import { allocateInode, freeInode } from "./ialloc";
import { allocateBlocks, freeBlocks, Allocation } from "./balloc";
import { initExtentRoot, insertExtent, truncateExtents, addBlocks, checkExtentsFreeable } from "./extent_write";
import { xattrBlockChecksum } from "./csum";
import { nowUs as clockNowUs } from "../../platform/time";

/** Files with extents address 2^32 logical blocks. */
export const MAX_EXTENT_FILE_BLOCKS: u64 = 0xffffffff;

const alloc = new Allocation();

/** The inode for an operation (its number checked against the file system); null with vol.lastError. */
export function inodeFor(vol: Ext4Volume, ino: u64): Inode | null {
  if (ino == 0 || ino > <u64>vol.sb.inodesCount) {
    vol.corrupt("inode number " + ino.toString() + " is out of range");
    return null;
  }
  return vol.getInode(<u32>ino);
}

/** The directory for a change: an inode that is a directory (with extents), else null with vol.lastError. */
export function dirFor(vol: Ext4Volume, dir: u64): Inode | null {
  const d = inodeFor(vol, dir);
  if (d == null) return null;
  if (!isDir(d.mode)) {
    vol.lastError = -ENOTDIR;
    return null;
  }
  if (!d.hasExtents && d.blocksRaw > 0) {
    vol.lastError = -EROFS;
    return null;
  }
  return d;
}

/** ctime (and mtime when `modify`) = now. */
export function touchTimes(n: Inode, modify: bool): void {
  const now = wallClockSeconds();
  const ns = wallClockNanos();
  n.setTime(CTIME, CTIME_EXTRA, now, ns);
  if (modify) n.setTime(MTIME, MTIME_EXTRA, now, ns);
}

/** First block of the inode's group: where its blocks are looked for first. */
export function groupStartOf(vol: Ext4Volume, ino: u32): u64 {
  const g = (ino - 1) / vol.sb.inodesPerGroup;
  return <u64>vol.sb.firstDataBlock + <u64>g * <u64>vol.sb.blocksPerGroup;
}

/** A fresh inode of `mode` (allocated near parent), stored; null with vol.lastError. */
export function newInode(vol: Ext4Volume, parent: u32, mode: u32, extents: bool): Inode | null {
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
  vol.inodeGeneration = vol.inodeGeneration * 1103515245 + 12345 + <u32>clockNowUs();
  n.generation = vol.inodeGeneration;
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

/** Would destroyInode(n) succeed? Checks what it frees (a corrupt disk: nothing changed). */
export function checkDestroyable(vol: Ext4Volume, n: Inode): i32 {
  const fast = isLink(n.mode) && isFastSymlink(vol, n);
  if (fast || !(isReg(n.mode) || isDir(n.mode) || isLink(n.mode))) return 0;
  if (n.hasExtents) return checkExtentsFreeable(vol, n);
  if (n.blocksRaw > 0) return vol.corrupt("inode " + n.ino.toString() + ": freeing block-mapped files is not supported");
  return 0;
}

/** Frees an inode's blocks, extended-attribute block and number (its last link is gone). */
export function destroyInode(vol: Ext4Volume, n: Inode): i32 {
  let e: i32 = 0;
  const fast = isLink(n.mode) && isFastSymlink(vol, n);
  if (!fast && (isReg(n.mode) || isDir(n.mode) || isLink(n.mode))) {
    if (n.hasExtents) e = truncateExtents(vol, n, 0);
    else if (n.blocksRaw > 0) e = vol.corrupt("inode " + n.ino.toString() + ": freeing block-mapped files is not supported");
    if (e < 0) return e;
  }
  e = releaseXattrBlock(vol, n);
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
function releaseXattrBlock(vol: Ext4Volume, n: Inode): i32 {
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

/** Allocates one block near the inode and maps it at logical block lblk; returns the block or an error. */
export function giveBlock(vol: Ext4Volume, n: Inode, lblk: u64): i64 {
  const goal = groupStartOf(vol, n.ino);
  let e = allocateBlocks(vol, goal, 1, alloc);
  if (e < 0) return e;
  const physical = alloc.start;
  e = insertExtent(vol, n, lblk, physical, 1);
  if (e < 0) {
    freeBlocks(vol, physical, 1);
    return e;
  }
  addBlocks(vol, n, 1);
  return <i64>physical;
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
