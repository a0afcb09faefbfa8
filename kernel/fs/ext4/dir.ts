// Directory blocks: linear lists of variable-length entries.
//
//   entry   0 inode(32)  4 rec_len(16)  6 name_len(8)  7 file_type(8)  8 name (name_len bytes)
//           rec_len covers the entry and the free space after it; entries tile the block.
//           Without the filetype feature, byte 7 is the high byte of name_len.
//   tail    (metadata_csum) the last 12 bytes: inode 0, rec_len 12, name_len 0, type 0xDE,
//           crc32c(inode seed, block[0 .. bs-12])
//   htree   block 0 of an indexed directory is the dx root (see htree.ts), other index nodes
//           look like one empty entry spanning the block; both read as no entries here.
//
// checkDirBlock() validates a whole block once (entry bounds, inode numbers, checksum);
// the result is remembered until the next metadata change, so scans cost one check per block.
import { Ext4Volume, CHECKED_BLOCKS_MEMO_LIMIT } from "./volume";
import { Inode, FL_INDEX } from "./inode";
import { BlockRun, mapExtent } from "./extent";
import { mapIndirect } from "./indirect";
import { dirLeafChecksum } from "./csum";
import { INCOMPAT_FILETYPE, COMPAT_DIR_INDEX } from "./superblock";
import { CachedBlock } from "../../block/cache";
import { DT_UNKNOWN } from "../types";
import { checkDxBlock } from "./htree";

export const DIRENT_HEADER: u32 = 8;
export const TAIL_SIZE: u32 = 12;
export const TAIL_TYPE: u8 = 0xde;

// @ts-ignore: decorator
@inline export function recordLength(nameLength: u32): u32 {
  return (nameLength + DIRENT_HEADER + 3) & ~3;
}

// @ts-ignore: decorator
@inline export function direntInode(p: usize): u32 { return load<u32>(p); }
// @ts-ignore: decorator
@inline export function direntNameLength(p: usize, filetype: bool): u32 {
  return filetype ? <u32>load<u8>(p + 6) : <u32>load<u16>(p + 6);
}

/** rec_len as stored, decoded (64 KiB blocks store 65536 as 0 or 65535). */
export function direntRecLen(p: usize, blockSize: u32): u32 {
  const v = <u32>load<u16>(p + 4);
  if (blockSize < 65536) return v;
  if (v == 65535 || v == 0) return blockSize;
  return (v & 65532) | ((v & 3) << 16);
}

export function setRecLen(p: usize, len: u32, blockSize: u32): void {
  if (blockSize < 65536) store<u16>(p + 4, <u16>len);
  else if (len == blockSize) store<u16>(p + 4, <u16>(blockSize == 65536 ? 65535 : 0));
  else store<u16>(p + 4, <u16>((len & 65532) | ((len >> 16) & 3)));
}

/** Does the block end in a checksum tail? */
export function hasTail(p: usize, blockSize: u32): bool {
  const t = p + <usize>(blockSize - TAIL_SIZE);
  return load<u32>(t) == 0 && load<u16>(t + 4) == <u16>TAIL_SIZE && load<u8>(t + 6) == 0 && load<u8>(t + 7) == TAIL_TYPE;
}

export function setTail(vol: Ext4Volume, dir: Inode, p: usize): void {
  const bs = vol.blockSize;
  const t = p + <usize>(bs - TAIL_SIZE);
  store<u32>(t, 0);
  store<u16>(t + 4, <u16>TAIL_SIZE);
  store<u8>(t + 6, 0);
  store<u8>(t + 7, TAIL_TYPE);
  store<u32>(t + 8, dirLeafChecksum(dir.csumSeed, p, bs));
}

/** Bytes of a leaf block that hold entries (all of it, or all but the tail). */
export function leafSpace(vol: Ext4Volume): u32 {
  return vol.blockSize - (vol.sb.metadataCsum ? TAIL_SIZE : 0);
}

export function isIndexed(vol: Ext4Volume, dir: Inode): bool {
  return (dir.flags & FL_INDEX) != 0 && vol.sb.has(COMPAT_DIR_INDEX);
}

export function hasFiletype(vol: Ext4Volume): bool {
  return vol.sb.hasIncompat(INCOMPAT_FILETYPE);
}

/** Maps logical block lblk of any inode (extents or block map). */
export function mapBlock(vol: Ext4Volume, inode: Inode, lblk: u64, run: BlockRun): i32 {
  return inode.hasExtents ? mapExtent(vol, inode, lblk, run) : mapIndirect(vol, inode, lblk, run);
}

export enum DirBlockKind {
  Leaf = 0,
  DxRoot = 1,
  DxNode = 2,
  Hole = 3,
}

/** A directory block, read and checked. Release `block` when done (unless a hole). */
export class DirBlock {
  block: CachedBlock | null = null;
  physical: u64 = 0;
  kind: DirBlockKind = DirBlockKind.Leaf;
  /** End of the entry area (bs, or bs - 12 with a tail). */
  end: u32 = 0;
  /** For a hole: how many blocks it spans (skip them all at once). */
  holeBlocks: u64 = 1;
}

const run = new BlockRun();

/**
 * Reads block lblk of directory dir and checks it. expectIndex: the caller follows an index
 * pointer to an index node (an empty leaf of a directory without checksums looks like one).
 * Returns 0 or an error.
 */
export function readDirBlock(vol: Ext4Volume, dir: Inode, lblk: u64, out: DirBlock, expectIndex: bool = false): i32 {
  out.block = null;
  let e = mapBlock(vol, dir, lblk, run);
  if (e < 0) return e;
  if (run.physical == 0 || run.unwritten) {
    out.kind = DirBlockKind.Hole;
    out.holeBlocks = run.count > 0 ? run.count : 1;
    return 0;
  }
  const b = vol.readBlock(run.physical, "directory block");
  if (b == null) return vol.lastError;
  out.block = b;
  out.physical = run.physical;
  e = classifyAndCheck(vol, dir, lblk, out, expectIndex);
  if (e < 0) {
    vol.release(b);
    out.block = null;
    return e;
  }
  return 0;
}

/** The epoch bits of a checked-block memo entry (below the kind at bit 36 and the inode at 40). */
const MEMO_EPOCH_MASK: u64 = (<u64>1 << 36) - 1;

function classifyAndCheck(vol: Ext4Volume, dir: Inode, lblk: u64, out: DirBlock, expectIndex: bool): i32 {
  const bs = vol.blockSize;
  const p = out.block!.data;
  const indexed = isIndexed(vol, dir);
  out.kind = DirBlockKind.Leaf;
  if (indexed && lblk == 0) out.kind = DirBlockKind.DxRoot;
  else if (indexed && direntInode(p) == 0 && direntRecLen(p, bs) == bs) out.kind = DirBlockKind.DxNode;
  if (expectIndex && out.kind != DirBlockKind.DxNode) {
    return vol.corrupt("directory " + dir.ino.toString() + " block " + lblk.toString() + ": leaf found where an index node should be");
  }
  const key = out.physical;
  const validated = vol.checkedDirBlocks;
  // the memo: checked at an epoch no older than the block's last change, for this directory and kind
  const tag = (<u64>dir.ino << 40) + (<u64>out.kind << 36);
  const stamp = validated.has(key) ? validated.get(key) : 0;
  const memo = stamp != 0 && (stamp & ~MEMO_EPOCH_MASK) == tag && (stamp & MEMO_EPOCH_MASK) >= vol.changedSince(key);
  if (out.kind != DirBlockKind.Leaf) {
    out.end = bs;
    // an empty leaf (no checksums) looks like an index node: only check what must be one
    if (!memo && (expectIndex || out.kind == DirBlockKind.DxRoot || vol.sb.metadataCsum)) {
      const e = checkDxBlock(vol, dir, p, out.kind == DirBlockKind.DxRoot, lblk);
      if (e < 0) return e;
    }
  } else {
    const tail = hasTail(p, bs);
    out.end = tail ? bs - TAIL_SIZE : bs;
    if (!memo) {
      if (vol.sb.metadataCsum) {
        if (!tail) return vol.corrupt("directory " + dir.ino.toString() + " block " + lblk.toString() + ": no checksum tail");
        if (load<u32>(p + <usize>(bs - 4)) != dirLeafChecksum(dir.csumSeed, p, bs)) {
          return vol.badChecksum("directory " + dir.ino.toString() + " block " + lblk.toString());
        }
      }
      const e = checkEntries(vol, dir, p, out.end, lblk);
      if (e < 0) return e;
    }
  }
  if (!memo) {
    if (validated.size > 4096) validated.clear();
    if (validated.size >= CHECKED_BLOCKS_MEMO_LIMIT) validated.clear(); // bounded: a memo, not a record
    validated.set(key, (vol.epoch & MEMO_EPOCH_MASK) + tag);
  }
  return 0;
}

/** Checks that entries tile [0, end) with sane lengths and inode numbers. */
export function checkEntries(vol: Ext4Volume, dir: Inode, p: usize, end: u32, lblk: u64): i32 {
  const bs = vol.blockSize;
  const filetype = hasFiletype(vol);
  let off: u32 = 0;
  while (off < end) {
    if (end - off < 12) return badEntry(vol, dir, lblk, off, "entry crosses the end of the block");
    const e = p + <usize>off;
    const rec = direntRecLen(e, bs);
    const nameLen = direntNameLength(e, filetype);
    if (rec < 12 || (rec & 3) != 0) return badEntry(vol, dir, lblk, off, "bad record length " + rec.toString());
    if (rec > end - off) return badEntry(vol, dir, lblk, off, "record runs past the end of the block");
    if (recordLength(nameLen) > rec) return badEntry(vol, dir, lblk, off, "name longer than its record");
    const ino = direntInode(e);
    if (ino > vol.sb.inodesCount) return badEntry(vol, dir, lblk, off, "inode number " + ino.toString() + " out of range");
    if (ino != 0 && nameLen == 0) return badEntry(vol, dir, lblk, off, "empty name");
    off += rec;
  }
  return 0;
}

function badEntry(vol: Ext4Volume, dir: Inode, lblk: u64, off: u32, what: string): i32 {
  return vol.corrupt("directory " + dir.ino.toString() + " block " + lblk.toString() + " offset " + off.toString() + ": " + what);
}

/** Where an entry was found. */
export class DirSlot {
  ino: u32 = 0;
  fileType: u8 = DT_UNKNOWN;
  lblk: u64 = 0;
  physical: u64 = 0;
  offset: u32 = 0;
  /** Offset of the previous entry in the block, or -1 when it is the first. */
  prevOffset: i32 = -1;
}

/**
 * Looks for `name` (len bytes at namePtr) in one checked leaf block; fills slot and returns
 * true when found.
 */
export function searchLeaf(vol: Ext4Volume, db: DirBlock, lblk: u64, namePtr: usize, len: u32, slot: DirSlot): bool {
  const p = db.block!.data;
  const bs = vol.blockSize;
  const filetype = hasFiletype(vol);
  let off: u32 = 0;
  let prev: i32 = -1;
  // the dx root holds "." and ".." only; the rest is index data
  const end: u32 = db.kind == DirBlockKind.DxRoot ? 24 : db.end;
  while (off < end) {
    const e = p + <usize>off;
    const rec = direntRecLen(e, bs);
    const ino = direntInode(e);
    if (ino != 0 && direntNameLength(e, filetype) == len && memory.compare(e + DIRENT_HEADER, namePtr, len) == 0) {
      slot.ino = ino;
      slot.fileType = filetype ? load<u8>(e + 7) : DT_UNKNOWN;
      slot.lblk = lblk;
      slot.physical = db.physical;
      slot.offset = off;
      slot.prevOffset = prev;
      return true;
    }
    prev = <i32>off;
    if (rec < 12) break; // (checked already; never loop on a bad length)
    off += db.kind == DirBlockKind.DxRoot && off == 12 ? 12 : rec;
  }
  return false;
}

/** Number of logical blocks of a directory (from its size). */
export function dirBlocks(vol: Ext4Volume, dir: Inode): u64 {
  return (min<u64>(dir.size, MAX_DIR_SIZE) + <u64>vol.blockSize - 1) / <u64>vol.blockSize;
}

/** Directories are at most 4 GiB (2 GiB without large_dir); a larger size is corrupt. */
export const MAX_DIR_SIZE: u64 = <u64>1 << 32;

/** Linear search of every block. Returns 1 (found, slot filled), 0 (not found) or an error. */
export function linearLookup(vol: Ext4Volume, dir: Inode, namePtr: usize, len: u32, slot: DirSlot): i32 {
  const n = dirBlocks(vol, dir);
  const db = new DirBlock();
  let lblk: u64 = 0;
  while (lblk < n) {
    const e = readDirBlock(vol, dir, lblk, db);
    if (e < 0) return e;
    if (db.block == null) {
      lblk += db.holeBlocks;
      continue;
    }
    const found = db.kind != DirBlockKind.DxNode && searchLeaf(vol, db, lblk, namePtr, len, slot);
    vol.release(db.block!);
    if (found) return 1;
    lblk++;
  }
  return 0;
}
