// Changing directories: add, remove and retarget entries, in linear and hashed directories.
//
// Linear: the first entry with enough slack (or an unused one) takes the new name; when no
// block has room a new block is appended. Hashed (htree): the name goes into the leaf its
// hash selects; a full leaf is split (entries sorted by hash, the upper half moved to a new
// block, a new index entry -- with the collision bit when the halves share a hash -- put in
// the parent); a full index node is split, and a full root grows the tree by one level, up
// to the depth the features allow. New directories stay linear (e2fsck-clean; they are not
// converted to htrees when they grow).
//
// Every block changed is journaled and gets its checksum tail (leaf) or dx tail (index).
import { Ext4Volume } from "./volume";
import { Inode } from "./inode";
import { ENOSPC } from "../../lib/errors";
import {
  DirBlock, DirBlockKind, DirSlot, readDirBlock, direntInode, direntRecLen, direntNameLength, setRecLen, hasFiletype,
  recordLength, DIRENT_HEADER, hasTail, setTail, TAIL_SIZE, leafSpace, isIndexed, dirBlocks, mapBlock, MAX_DIR_SIZE,
} from "./dir";
import {
  DX_ROOT_ENTRIES, DX_NODE_ENTRIES, dxLimit, dxMaxLevels, dxCountAt, dxLimitAt, dxHashAt, dxBlockAt, dxHashVersion, dxChecksum, DxFrame, dxDescend,
} from "./htree";
import { dirHash, NameHash } from "./hash";
import { BlockRun } from "./extent";
import { insertExtent, addBlocks } from "./extent_write";
import { allocateBlocks, Allocation } from "./balloc";

const run = new BlockRun();
const alloc = new Allocation();

/** Writes one entry at p with record length rec. */
function putEntry(vol: Ext4Volume, p: usize, ino: u32, rec: u32, name: usize, len: u32, type: u8): void {
  store<u32>(p, ino);
  setRecLen(p, rec, vol.blockSize);
  if (hasFiletype(vol)) {
    store<u8>(p + 6, <u8>len);
    store<u8>(p + 7, type);
  } else store<u16>(p + 6, <u16>len);
  memory.copy(p + DIRENT_HEADER, name, len);
  // zero the padding after the name (e2fsck does not mind, but it keeps blocks deterministic)
  const used = recordLength(len);
  if (used > DIRENT_HEADER + len) memory.fill(p + DIRENT_HEADER + <usize>len, 0, used - DIRENT_HEADER - len);
}

/** Seals a leaf block: the checksum tail when the file system has them. */
function sealLeaf(vol: Ext4Volume, dir: Inode, p: usize): void {
  if (vol.sb.metadataCsum && hasTail(p, vol.blockSize)) setTail(vol, dir, p);
}

function sealDx(vol: Ext4Volume, dir: Inode, p: usize, root: bool): void {
  if (!vol.sb.metadataCsum) return;
  const entries = p + (root ? DX_ROOT_ENTRIES : DX_NODE_ENTRIES);
  const tail = entries + <usize>(dxLimitAt(entries) * 8);
  store<u32>(tail, 0);
  store<u32>(tail + 4, dxChecksum(vol, dir, p, root));
}

/**
 * Tries to put the entry into the leaf at physical block `physical`. Returns 1 when placed,
 * 0 when the block has no room, or an error.
 */
function placeInLeaf(vol: Ext4Volume, dir: Inode, physical: u64, end: u32, name: usize, len: u32, ino: u32, type: u8): i32 {
  const b = vol.readBlock(physical, "directory block");
  if (b == null) return vol.lastError;
  const p = b.data;
  const need = recordLength(len);
  const filetype = hasFiletype(vol);
  const bs = vol.blockSize;
  let off: u32 = 0;
  let at: i64 = -1;
  while (off < end) {
    const e = p + <usize>off;
    const rec = direntRecLen(e, bs);
    if (rec < 12) break;
    const used = direntInode(e) != 0 ? recordLength(direntNameLength(e, filetype)) : 0;
    if (rec >= used + need) {
      at = <i64>off;
      break;
    }
    off += rec;
  }
  vol.release(b);
  if (at < 0) return 0;
  const w = vol.writeBlock(physical, "directory block");
  if (w == null) return vol.lastError;
  const e = w.data + <usize>at;
  const rec = direntRecLen(e, bs);
  if (direntInode(e) != 0) {
    const used = recordLength(direntNameLength(e, filetype));
    setRecLen(e, used, bs);
    putEntry(vol, e + <usize>used, ino, rec - used, name, len, type);
  } else {
    putEntry(vol, e, ino, rec, name, len, type);
  }
  sealLeaf(vol, dir, w.data);
  vol.release(w);
  return 1;
}

/** Appends a new block to the directory (logical block = current size / bs); returns its physical block. */
function appendDirBlock(vol: Ext4Volume, dir: Inode): i64 {
  // at the size limit (a corrupt size can claim it): a block past it would hold names no lookup reads
  if (dir.size + <u64>vol.blockSize > MAX_DIR_SIZE) return -ENOSPC;
  return dirBlockAt(vol, dir, dir.size / <u64>vol.blockSize);
}

/** Maps a new block at logical block lblk (the end, or a hole) of the directory; returns its physical block. */
function dirBlockAt(vol: Ext4Volume, dir: Inode, lblk: u64): i64 {
  let goal: u64 = 0;
  if (lblk > 0 && mapBlock(vol, dir, lblk - 1, run) == 0 && run.physical != 0) goal = run.physical + 1;
  let e = allocateBlocks(vol, goal, 1, alloc);
  if (e < 0) return e;
  const physical = alloc.start;
  e = insertExtent(vol, dir, lblk, physical, 1);
  if (e < 0) return e;
  addBlocks(vol, dir, 1);
  const end = (lblk + 1) * <u64>vol.blockSize;
  if (end > dir.size) dir.size = end;
  return <i64>physical;
}

/** Initialises a block as an empty leaf (one unused entry, plus the tail). */
function initLeaf(vol: Ext4Volume, dir: Inode, p: usize): void {
  const bs = vol.blockSize;
  memory.fill(p, 0, bs);
  store<u32>(p, 0);
  setRecLen(p, leafSpace(vol), bs);
  if (vol.sb.metadataCsum) setTail(vol, dir, p);
}

/** Adds name -> ino to a linear directory (the caller stores the directory inode). */
function addLinear(vol: Ext4Volume, dir: Inode, name: usize, len: u32, ino: u32, type: u8): i32 {
  const n = dirBlocks(vol, dir);
  const db = new DirBlock();
  for (let lblk: u64 = 0; lblk < n; lblk++) {
    const e = readDirBlock(vol, dir, lblk, db);
    if (e < 0) return e;
    if (db.block == null) {
      // a hole (a corrupt size can claim 4 GiB of them): the new name goes into a block mapped
      // there, as Linux does, instead of after the end where a capped size would hide it
      if (!dir.hasExtents) {
        lblk += db.holeBlocks - 1;
        continue;
      }
      const physical = dirBlockAt(vol, dir, lblk);
      if (physical < 0) return <i32>physical;
      return newLeafWith(vol, dir, <u64>physical, name, len, ino, type);
    }
    const physical = db.physical;
    const end = db.end;
    const kind = db.kind;
    vol.release(db.block!);
    if (kind != DirBlockKind.Leaf) continue;
    const r = placeInLeaf(vol, dir, physical, end, name, len, ino, type);
    if (r != 0) return r < 0 ? r : 0;
  }
  const physical = appendDirBlock(vol, dir);
  if (physical < 0) return <i32>physical;
  return newLeafWith(vol, dir, <u64>physical, name, len, ino, type);
}

/** Writes a fresh leaf holding one entry into the directory's new block. */
function newLeafWith(vol: Ext4Volume, dir: Inode, physical: u64, name: usize, len: u32, ino: u32, type: u8): i32 {
  const b = vol.newBlock(physical, "directory block");
  if (b == null) return vol.lastError;
  initLeaf(vol, dir, b.data);
  putEntry(vol, b.data, ino, leafSpace(vol), name, len, type);
  sealLeaf(vol, dir, b.data);
  vol.release(b);
  return 0;
}

// ---------------------------------------------------------------- htree insertion

const nameHash = new NameHash();
const entryHash = new NameHash();

/** Inserts (hash, child) after position `after` in the index block of frame f. */
function dxInsert(vol: Ext4Volume, dir: Inode, f: DxFrame, after: u32, hash: u32, child: u32): i32 {
  const b = vol.writeBlock(f.physical, "directory index block");
  if (b == null) return vol.lastError;
  const entries = b.data + (f.root ? DX_ROOT_ENTRIES : DX_NODE_ENTRIES);
  const count = dxCountAt(entries);
  const at = after + 1;
  memory.copy(entries + <usize>((at + 1) * 8), entries + <usize>(at * 8), (count - at) * 8);
  store<u32>(entries + <usize>(at * 8), hash);
  store<u32>(entries + <usize>(at * 8 + 4), child);
  store<u16>(entries + 2, <u16>(count + 1));
  sealDx(vol, dir, b.data, f.root);
  vol.release(b);
  return 0;
}

/** A new, empty index node block at the end of the directory; returns its logical block. */
function newDxNode(vol: Ext4Volume, dir: Inode, physicalOut: Allocation): i64 {
  const lblk = dir.size / <u64>vol.blockSize;
  const physical = appendDirBlock(vol, dir);
  if (physical < 0) return physical;
  const b = vol.newBlock(<u64>physical, "directory index block");
  if (b == null) return vol.lastError;
  memory.fill(b.data, 0, vol.blockSize);
  store<u32>(b.data, 0);
  setRecLen(b.data, vol.blockSize, vol.blockSize);
  const entries = b.data + DX_NODE_ENTRIES;
  store<u16>(entries, <u16>dxLimit(vol, false));
  store<u16>(entries + 2, 0);
  vol.release(b);
  physicalOut.start = <u64>physical;
  return <i64>lblk;
}

const nodeAlloc = new Allocation();

/** Makes room in frame `level` (full): split the node, or grow the root by a level. */
function dxMakeRoom(vol: Ext4Volume, dir: Inode, frames: Array<DxFrame>, level: i32): i32 {
  const f = frames[level];
  if (f.root) {
    const rootBlock = vol.readBlock(f.physical, "directory index root");
    if (rootBlock == null) return vol.lastError;
    const levels = <u32>load<u8>(rootBlock.data + 0x1e) + 1;
    vol.release(rootBlock);
    if (levels >= dxMaxLevels(vol)) return -ENOSPC; // the index is as deep as allowed and full
    const nodeLblk = newDxNode(vol, dir, nodeAlloc);
    if (nodeLblk < 0) return <i32>nodeLblk;
    const root = vol.writeBlock(f.physical, "directory index root");
    if (root == null) return vol.lastError;
    const node = vol.writeBlock(nodeAlloc.start, "directory index block");
    if (node == null) {
      vol.release(root);
      return vol.lastError;
    }
    const re = root.data + DX_ROOT_ENTRIES;
    const ne = node.data + DX_NODE_ENTRIES;
    const count = dxCountAt(re);
    // all root entries move down (entry 0's limit/count slot is rewritten)
    memory.copy(ne + 4, re + 4, count * 8 - 4);
    store<u16>(ne, <u16>dxLimit(vol, false));
    store<u16>(ne + 2, <u16>count);
    store<u16>(re + 2, 1);
    store<u32>(re + 4, <u32>nodeLblk);
    store<u8>(root.data + 0x1e, <u8>levels); // indirect_levels + 1
    sealDx(vol, dir, node.data, false);
    sealDx(vol, dir, root.data, true);
    vol.release(node);
    vol.release(root);
    return 0;
  }
  const parent = frames[level - 1];
  if (parent.count >= parent.limit) return dxMakeRoom(vol, dir, frames, level - 1);
  const nodeLblk = newDxNode(vol, dir, nodeAlloc);
  if (nodeLblk < 0) return <i32>nodeLblk;
  const old = vol.writeBlock(f.physical, "directory index block");
  if (old == null) return vol.lastError;
  const node = vol.writeBlock(nodeAlloc.start, "directory index block");
  if (node == null) {
    vol.release(old);
    return vol.lastError;
  }
  const oe = old.data + DX_NODE_ENTRIES;
  const ne = node.data + DX_NODE_ENTRIES;
  const count = dxCountAt(oe);
  const m = count / 2;
  const splitHash = dxHashAt(oe, m);
  store<u32>(ne + 4, dxBlockAt(oe, m));
  memory.copy(ne + 8, oe + <usize>((m + 1) * 8), (count - m - 1) * 8);
  store<u16>(ne + 2, <u16>(count - m));
  store<u16>(oe + 2, <u16>m);
  sealDx(vol, dir, old.data, false);
  sealDx(vol, dir, node.data, false);
  vol.release(node);
  vol.release(old);
  return dxInsert(vol, dir, parent, parent.index, splitHash, <u32>nodeLblk);
}

class Moved {
  hash: u32 = 0;
  minor: u32 = 0;
  offset: u32 = 0;
  rec: u32 = 0;
}

/** Splits a full leaf: the upper half by hash goes to a new block indexed after the old one. */
function dxSplitLeaf(vol: Ext4Volume, dir: Inode, frames: Array<DxFrame>, leafPhysical: u64, version: u32): i32 {
  const f = frames[frames.length - 1];
  if (f.count >= f.limit) return dxMakeRoom(vol, dir, frames, frames.length - 1);
  const bs = vol.blockSize;
  const filetype = hasFiletype(vol);
  const old = vol.writeBlock(leafPhysical, "directory block");
  if (old == null) return vol.lastError;
  const p = old.data;
  const end = hasTail(p, bs) ? bs - TAIL_SIZE : bs;
  const list = new Array<Moved>(0);
  let off: u32 = 0;
  while (off < end) {
    const e = p + <usize>off;
    const rec = direntRecLen(e, bs);
    if (rec < 12) break;
    if (direntInode(e) != 0) {
      const m = new Moved();
      const len = direntNameLength(e, filetype);
      dirHash(version, e + DIRENT_HEADER, <i32>len, vol.sb.hashSeed, entryHash);
      m.hash = entryHash.major;
      m.minor = entryHash.minor;
      m.offset = off;
      m.rec = recordLength(len);
      list.push(m);
    }
    off += rec;
  }
  if (list.length < 2) {
    vol.release(old);
    return -ENOSPC;
  }
  list.sort((a: Moved, b: Moved): i32 => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : a.minor < b.minor ? -1 : a.minor > b.minor ? 1 : 0));
  let split = list.length / 2;
  const splitHash = list[split].hash;
  const continued: u32 = list[split - 1].hash == splitHash ? 1 : 0;
  // a copy of the old block to rebuild both halves from
  const copy = heap.alloc(bs);
  memory.copy(copy, p, bs);
  const newLblk = dir.size / <u64>bs;
  const physical = appendDirBlock(vol, dir);
  if (physical < 0) {
    heap.free(copy);
    vol.release(old);
    return <i32>physical;
  }
  const nb = vol.newBlock(<u64>physical, "directory block");
  if (nb == null) {
    heap.free(copy);
    vol.release(old);
    return vol.lastError;
  }
  // rebuild: lower half into the old block, upper half into the new one, compacted
  const space = leafSpace(vol);
  initLeaf(vol, dir, p);
  initLeaf(vol, dir, nb.data);
  let lowOff: u32 = 0;
  let highOff: u32 = 0;
  let lowLast: i64 = -1;
  let highLast: i64 = -1;
  for (let i = 0; i < list.length; i++) {
    const src = copy + <usize>list[i].offset;
    const len = direntNameLength(src, filetype);
    const type = filetype ? load<u8>(src + 7) : <u8>0;
    if (i < split) {
      putEntry(vol, p + <usize>lowOff, direntInode(src), list[i].rec, src + DIRENT_HEADER, len, type);
      lowLast = <i64>lowOff;
      lowOff += list[i].rec;
    } else {
      putEntry(vol, nb.data + <usize>highOff, direntInode(src), list[i].rec, src + DIRENT_HEADER, len, type);
      highLast = <i64>highOff;
      highOff += list[i].rec;
    }
  }
  if (lowLast >= 0) setRecLen(p + <usize>lowLast, space - <u32>lowLast, bs);
  if (highLast >= 0) setRecLen(nb.data + <usize>highLast, space - <u32>highLast, bs);
  sealLeaf(vol, dir, p);
  sealLeaf(vol, dir, nb.data);
  heap.free(copy);
  vol.release(nb);
  vol.release(old);
  return dxInsert(vol, dir, f, f.index, splitHash + continued, <u32>newLblk);
}

/** Adds to a hashed directory. */
function addHashed(vol: Ext4Volume, dir: Inode, name: usize, len: u32, ino: u32, type: u8): i32 {
  const db = new DirBlock();
  let e = readDirBlock(vol, dir, 0, db);
  if (e < 0) return e;
  // a hashed directory whose first block is a hole (a corrupt image) has no root to hash by
  if (db.block == null) return vol.corrupt("directory " + dir.ino.toString() + ": hashed directory without a root block");
  const version = dxHashVersion(vol, db.block!.data);
  vol.release(db.block!);
  dirHash(version, name, <i32>len, vol.sb.hashSeed, nameHash);
  const hash = nameHash.major;
  const frames = new Array<DxFrame>(0);
  for (let attempt = 0; attempt < 8; attempt++) {
    const leaf = dxDescend(vol, dir, hash, frames);
    if (leaf < 0) return <i32>leaf;
    e = readDirBlock(vol, dir, <u64>leaf, db);
    if (e < 0) return e;
    if (db.block == null || db.kind != DirBlockKind.Leaf) {
      if (db.block != null) vol.release(db.block!);
      return vol.corrupt("directory " + dir.ino.toString() + ": index points at a non-leaf block");
    }
    const physical = db.physical;
    const end = db.end;
    vol.release(db.block!);
    const r = placeInLeaf(vol, dir, physical, end, name, len, ino, type);
    if (r < 0) return r;
    if (r == 1) return 0;
    e = dxSplitLeaf(vol, dir, frames, physical, version);
    if (e < 0) return e;
  }
  return -ENOSPC;
}

/** Adds the entry name -> ino (type: a DT_* value). The caller stores the directory inode. */
export function addEntry(vol: Ext4Volume, dir: Inode, name: usize, len: u32, ino: u32, type: u8): i32 {
  if (isIndexed(vol, dir)) return addHashed(vol, dir, name, len, ino, type);
  return addLinear(vol, dir, name, len, ino, type);
}

/** Removes the entry found at slot (merged into the previous entry, or made unused). */
export function removeEntry(vol: Ext4Volume, dir: Inode, slot: DirSlot): i32 {
  const b = vol.writeBlock(slot.physical, "directory block");
  if (b == null) return vol.lastError;
  const bs = vol.blockSize;
  const e = b.data + <usize>slot.offset;
  if (slot.prevOffset >= 0) {
    const prev = b.data + <usize>slot.prevOffset;
    setRecLen(prev, direntRecLen(prev, bs) + direntRecLen(e, bs), bs);
  } else {
    store<u32>(e, 0);
  }
  sealLeaf(vol, dir, b.data);
  vol.release(b);
  return 0;
}

/** Points the entry at slot to another inode (rename over a target, or a moved directory's ".."). */
export function retargetEntry(vol: Ext4Volume, dir: Inode, slot: DirSlot, ino: u32, type: u8): i32 {
  const b = vol.writeBlock(slot.physical, "directory block");
  if (b == null) return vol.lastError;
  const e = b.data + <usize>slot.offset;
  store<u32>(e, ino);
  if (hasFiletype(vol)) store<u8>(e + 7, type);
  if (isIndexed(vol, dir) && slot.lblk == 0) sealDx(vol, dir, b.data, true);
  else sealLeaf(vol, dir, b.data);
  vol.release(b);
  return 0;
}

/** Writes the first block of a new directory: ".", ".." and the tail. */
export function initDirectoryBlock(vol: Ext4Volume, dir: Inode, p: usize, parent: u32): void {
  const bs = vol.blockSize;
  memory.fill(p, 0, bs);
  const dot = memory.data<u8>([46, 46]);
  putEntry(vol, p, dir.ino, 12, dot, 1, 2);
  putEntry(vol, p + 12, parent, leafSpace(vol) - 12, dot, 2, 2);
  if (vol.sb.metadataCsum) setTail(vol, dir, p);
}
