// Hashed directories (dir_index, "htree"): a shallow B-tree over name hashes whose leaves are
// ordinary directory blocks.
//
//   dx root (logical block 0)                     dx node (other index blocks)
//   0x00 "." entry (rec_len 12)                   0x00 fake entry: inode 0, rec_len = bs
//   0x0c ".." entry (rec_len bs - 12)             0x08 limit(16) count(16) block(32)
//   0x18 reserved(32) hash_version(8)             0x10 { hash(32) block(32) } * (count - 1)
//        info_length(8)=8 levels(8) flags(8)
//   0x20 limit(16) count(16) block(32)            entry 0 has no hash (it covers hash 0..);
//   0x28 { hash(32) block(32) } * (count - 1)     entries sorted by hash; a hash with bit 0 set
//                                                 means "the previous leaf overflowed with the
//                                                 same hash into this one"
//   dx tail (metadata_csum) after `limit` entries: reserved(32) checksum(32)
//
// Lookup: hash the name, pick the last entry with hash <= the name's at each level, search
// the leaf, and follow collision continuations into the next leaves.
import { Ext4Volume } from "./volume";
import { Inode } from "./inode";
import { dxNodeChecksum } from "./csum";
import { INCOMPAT_LARGEDIR, FLAG_UNSIGNED_HASH } from "./superblock";
import { direntRecLen, direntNameLength, hasFiletype, readDirBlock, DirBlock, DirBlockKind, searchLeaf, DirSlot, dirBlocks } from "./dir";
import { dirHash, NameHash } from "./hash";

export const DX_ROOT_ENTRIES: u32 = 0x20;
export const DX_NODE_ENTRIES: u32 = 0x08;
export const DX_TAIL_SIZE: u32 = 8;

/** Entries that fit in a root (or node) block. */
export function dxLimit(vol: Ext4Volume, root: bool): u32 {
  const start = root ? DX_ROOT_ENTRIES : DX_NODE_ENTRIES;
  return (vol.blockSize - start - (vol.sb.metadataCsum ? DX_TAIL_SIZE : 0)) / 8;
}

/** Maximum index depth below the root (indirect_levels + 1 levels in all). */
export function dxMaxLevels(vol: Ext4Volume): u32 {
  return vol.sb.hasIncompat(INCOMPAT_LARGEDIR) ? 3 : 2;
}

// @ts-ignore: decorator
@inline export function dxLimitAt(entries: usize): u32 { return <u32>load<u16>(entries); }
// @ts-ignore: decorator
@inline export function dxCountAt(entries: usize): u32 { return <u32>load<u16>(entries + 2); }
// @ts-ignore: decorator
@inline export function dxHashAt(entries: usize, i: u32): u32 { return i == 0 ? 0 : load<u32>(entries + <usize>(i * 8)); }
// @ts-ignore: decorator
@inline export function dxBlockAt(entries: usize, i: u32): u32 { return load<u32>(entries + <usize>(i * 8 + 4)); }

/** Hash version of a directory: the root's, made unsigned when the superblock says so. */
export function dxHashVersion(vol: Ext4Volume, rootPtr: usize): u32 {
  let v = <u32>load<u8>(rootPtr + 0x1c);
  if (v <= 2 && (vol.sb.flags & FLAG_UNSIGNED_HASH) != 0) v += 3;
  return v;
}

export function dxChecksum(vol: Ext4Volume, dir: Inode, p: usize, root: bool): u32 {
  const entries = p + (root ? DX_ROOT_ENTRIES : DX_NODE_ENTRIES);
  const countOffset = <u32>(entries - p);
  const limit = dxLimitAt(entries);
  const tail = entries + <usize>(limit * 8);
  return dxNodeChecksum(dir.csumSeed, p, countOffset, dxCountAt(entries), tail);
}

/** Checks a dx root or node block (layout, counts, checksum). */
export function checkDxBlock(vol: Ext4Volume, dir: Inode, p: usize, root: bool, lblk: u64): i32 {
  const bs = vol.blockSize;
  const what = "directory " + dir.ino.toString() + " index block " + lblk.toString();
  if (root) {
    const filetype = hasFiletype(vol);
    if (direntRecLen(p, bs) != 12 || direntNameLength(p, filetype) != 1 || load<u8>(p + 8) != 46) return vol.corrupt(what + ": bad '.' entry");
    if (direntRecLen(p + 12, bs) != bs - 12 || direntNameLength(p + 12, filetype) != 2) return vol.corrupt(what + ": bad '..' entry");
    if (load<u8>(p + 0x1d) != 8) return vol.corrupt(what + ": bad root info length");
    if (<u32>load<u8>(p + 0x1e) >= dxMaxLevels(vol)) return vol.corrupt(what + ": too many index levels");
    if (dxHashVersion(vol, p) > 5) return vol.corrupt(what + ": unknown hash version " + load<u8>(p + 0x1c).toString());
  }
  const entries = p + (root ? DX_ROOT_ENTRIES : DX_NODE_ENTRIES);
  const limit = dxLimitAt(entries);
  const count = dxCountAt(entries);
  if (limit != dxLimit(vol, root) || count == 0 || count > limit) return vol.corrupt(what + ": bad index counts");
  if (vol.sb.metadataCsum) {
    const tail = entries + <usize>(limit * 8);
    if (load<u32>(tail + 4) != dxChecksum(vol, dir, p, root)) return vol.badChecksum(what);
  }
  const blocks = dirBlocks(vol, dir);
  for (let i: u32 = 0; i < count; i++) {
    if (<u64>dxBlockAt(entries, i) >= blocks || dxBlockAt(entries, i) == 0) return vol.corrupt(what + ": index entry points outside the directory");
  }
  return 0;
}

/** One level of the path from the root to a leaf. */
/** One level of a path through the index: the index block and the entry taken in it. */
export class DxFrame {
  lblk: u64 = 0;
  physical: u64 = 0;
  index: u32 = 0;
  count: u32 = 0;
  limit: u32 = 0;
  root: bool = false;
}

/**
 * Walks the index from the root down to the leaf for `hash`, one frame per level (frames is
 * emptied first). Returns the leaf's logical block, or an error: a missing root or a block on
 * the path that is not an index node is corrupt. Lookups (dxLookup) and insertions
 * (dir_write.ts) share it.
 */
export function dxDescend(vol: Ext4Volume, dir: Inode, hash: u32, frames: Array<DxFrame>): i64 {
  frames.length = 0;
  const db = new DirBlock();
  let e = readDirBlock(vol, dir, 0, db);
  if (e < 0) return e;
  if (db.block == null || db.kind != DirBlockKind.DxRoot) {
    if (db.block != null) vol.release(db.block!);
    return vol.corrupt("directory " + dir.ino.toString() + ": index root missing");
  }
  const levels = <u32>load<u8>(db.block!.data + 0x1e) + 1;
  vol.release(db.block!);
  let lblk: u64 = 0;
  for (let level: u32 = 0; level < levels; level++) {
    const isRoot = level == 0;
    e = readDirBlock(vol, dir, lblk, db, !isRoot);
    if (e < 0) return e;
    if (db.block == null || db.kind != (isRoot ? DirBlockKind.DxRoot : DirBlockKind.DxNode)) {
      if (db.block != null) vol.release(db.block!);
      return vol.corrupt("directory " + dir.ino.toString() + ": index block " + lblk.toString() + " is not an index node");
    }
    const entries = db.block!.data + (isRoot ? DX_ROOT_ENTRIES : DX_NODE_ENTRIES);
    const count = dxCountAt(entries);
    let lo: u32 = 1;
    let hi: u32 = count; // search entries [1, count) for the last with hash <= target
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (dxHashAt(entries, mid) <= hash) lo = mid + 1;
      else hi = mid;
    }
    const f = new DxFrame();
    f.lblk = lblk;
    f.physical = db.physical;
    f.index = lo - 1;
    f.count = count;
    f.limit = dxLimitAt(entries);
    f.root = isRoot;
    frames.push(f);
    lblk = <u64>dxBlockAt(entries, f.index);
    vol.release(db.block!);
  }
  return <i64>lblk;
}

const nameHash = new NameHash();

/** Result codes of dxLookup besides errors. */
export const DX_FOUND: i32 = 1;
export const DX_NOT_FOUND: i32 = 0;

/**
 * Looks `name` up through the index. Returns DX_FOUND (slot filled), DX_NOT_FOUND, or an
 * error; corrupt index blocks are errors (the caller may fall back to a linear search).
 */
export function dxLookup(vol: Ext4Volume, dir: Inode, namePtr: usize, len: u32, slot: DirSlot): i32 {
  const db = new DirBlock();
  let e = readDirBlock(vol, dir, 0, db);
  if (e < 0) return e;
  if (db.block == null || db.kind != DirBlockKind.DxRoot) {
    if (db.block != null) vol.release(db.block!);
    return vol.corrupt("directory " + dir.ino.toString() + ": index root missing");
  }
  const version = dxHashVersion(vol, db.block!.data);
  if (!dirHash(version, namePtr, <i32>len, vol.sb.hashSeed, nameHash)) {
    vol.release(db.block!);
    return vol.corrupt("directory " + dir.ino.toString() + ": unknown hash version");
  }
  const hash = nameHash.major;
  vol.release(db.block!);
  const frames = new Array<DxFrame>(0);
  const leaf = dxDescend(vol, dir, hash, frames); // walk down: choose at each level
  if (leaf < 0) return <i32>leaf;
  let lblk = <u64>leaf;
  // search the leaf and its collision continuations
  for (let guard = 0; guard < 1 << 20; guard++) {
    e = readDirBlock(vol, dir, lblk, db);
    if (e < 0) return e;
    if (db.block != null) {
      const found = db.kind == DirBlockKind.Leaf && searchLeaf(vol, db, lblk, namePtr, len, slot);
      vol.release(db.block!);
      if (found) return DX_FOUND;
    }
    const next = nextLeaf(vol, dir, frames, hash);
    if (next < 0) return <i32>next;
    if (next == 0) return DX_NOT_FOUND;
    lblk = <u64>next;
  }
  return DX_NOT_FOUND;
}

/**
 * Advances the path to the next leaf if its first hash continues `hash` (collision).
 * Returns the leaf's logical block, 0 when the search is over, or an error.
 */
function nextLeaf(vol: Ext4Volume, dir: Inode, frames: Array<DxFrame>, hash: u32): i64 {
  let level = frames.length - 1;
  while (level >= 0 && frames[level].index + 1 >= frames[level].count) level--;
  if (level < 0) return 0;
  frames[level].index++;
  const db = new DirBlock();
  // the hash of the entry we moved to decides whether to continue
  let e = readDirBlock(vol, dir, frames[level].lblk, db, level > 0);
  if (e < 0) return e;
  if (db.block == null) return 0;
  let entries = db.block!.data + (level == 0 ? DX_ROOT_ENTRIES : DX_NODE_ENTRIES);
  const bhash = dxHashAt(entries, frames[level].index);
  let child = <u64>dxBlockAt(entries, frames[level].index);
  vol.release(db.block!);
  if ((bhash & ~1) != hash) return 0;
  // descend along first entries to the leaf
  for (let l = level + 1; l < frames.length; l++) {
    e = readDirBlock(vol, dir, child, db, true);
    if (e < 0) return e;
    if (db.block == null || db.kind != DirBlockKind.DxNode) {
      if (db.block != null) vol.release(db.block!);
      return vol.corrupt("directory " + dir.ino.toString() + ": index block " + child.toString() + " is not an index node");
    }
    entries = db.block!.data + DX_NODE_ENTRIES;
    frames[l].lblk = child;
    frames[l].index = 0;
    frames[l].count = dxCountAt(entries);
    child = <u64>dxBlockAt(entries, 0);
    vol.release(db.block!);
  }
  return <i64>child;
}
