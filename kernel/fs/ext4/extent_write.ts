// Changing extent trees: insert a mapping (merging with neighbours, splitting full nodes,
// growing the tree by a level when the root in the inode is full) and truncate (freeing
// blocks and emptied nodes from the end).
//
// Invariants kept for e2fsck: entries sorted and not overlapping, every index entry's key
// equal to the first logical block of its child, eh_max the capacity of the node, no empty
// nodes below the root, a checksum tail on every tree block, i_blocks counting data and
// tree blocks. The root's header is in the inode: the caller stores the inode afterwards.
import { Ext4Volume } from "./volume";
import { Inode, FL_HUGE_FILE } from "./inode";
import { CachedBlock } from "../../block/cache";

import {
  EXTENT_MAGIC, EXTENT_HEADER, EXTENT_ENTRY, MAX_INIT_LEN, entries, maxEntries, depthOf, entryAt, firstLogical,
  indexChild, leafStart, leafLength, leafUnwritten, leafRawLength, readExtentBlock, checkHeader, blockCapacity, MAX_DEPTH,
  lastAtOrBelow,
} from "./extent";
import { extentBlockChecksum } from "./csum";
import { allocateBlocks, freeBlocks, checkBlocksInUse, Allocation } from "./balloc";

/** An empty tree: a depth-0 root with room for 4 extents. */
export function initExtentRoot(inode: Inode): void {
  const p = inode.iblock;
  memory.fill(p, 0, 60);
  store<u16>(p, EXTENT_MAGIC);
  store<u16>(p + 2, 0);
  store<u16>(p + 4, 4);
  store<u16>(p + 6, 0);
}

/** Adds (or removes, negative) `blocks` file-system blocks to i_blocks. */
export function addBlocks(vol: Ext4Volume, inode: Inode, blocks: i64): void {
  const unit: i64 = (inode.flags & FL_HUGE_FILE) != 0 ? 1 : <i64>(vol.blockSize / 512);
  const v = <i64>inode.blocksRaw + blocks * unit;
  inode.blocksRaw = v < 0 ? 0 : <u64>v;
}

// @ts-ignore: decorator
@inline function setEntries(p: usize, n: u32): void { store<u16>(p + 2, <u16>n); }
// @ts-ignore: decorator
@inline function setKey(e: usize, k: u32): void { store<u32>(e, k); }
function setIndex(e: usize, key: u32, child: u64): void {
  store<u32>(e, key);
  store<u32>(e + 4, <u32>child);
  store<u16>(e + 8, <u16>(child >> 32));
  store<u16>(e + 10, 0);
}
function setLeaf(e: usize, start: u32, phys: u64, rawLen: u32): void {
  store<u32>(e, start);
  store<u16>(e + 4, <u16>rawLen);
  store<u16>(e + 6, <u16>(phys >> 32));
  store<u32>(e + 8, <u32>phys);
}

function seal(vol: Ext4Volume, inode: Inode, p: usize): void {
  if (!vol.sb.metadataCsum) return;
  const tail = EXTENT_HEADER + maxEntries(p) * EXTENT_ENTRY;
  store<u32>(p + tail, extentBlockChecksum(inode.csumSeed, p, tail));
}

class Level {
  block: CachedBlock | null = null;
  ptr: usize = 0;
  /** Chosen entry: the last with key <= the target (index levels: 0 when none). -1 = none. */
  index: i32 = -1;
  dirty: bool = false;
}

class Path {
  levels: Array<Level> = new Array<Level>(0);
}

function releasePath(vol: Ext4Volume, inode: Inode, path: Path): void {
  for (let i = 0; i < path.levels.length; i++) {
    const l = path.levels[i];
    if (l.block != null) {
      if (l.dirty) seal(vol, inode, l.ptr);
      vol.release(l.block!);
    }
  }
  path.levels.length = 0;
}

function buildPath(vol: Ext4Volume, inode: Inode, lblk: u64, path: Path): i32 {
  releasePath(vol, inode, path);
  let p = inode.iblock;
  let e = checkHeader(vol, inode, p, 4, -1, "the inode");
  if (e < 0) return e;
  let block: CachedBlock | null = null;
  for (let guard: u32 = 0; guard <= MAX_DEPTH; guard++) {
    const l = new Level();
    l.block = block;
    l.ptr = p;
    l.index = lastAtOrBelow(p, lblk);
    path.levels.push(l);
    const depth = depthOf(p);
    if (depth == 0) return 0;
    if (entries(p) == 0) return vol.corrupt("inode " + inode.ino.toString() + ": empty extent index node");
    if (l.index < 0) l.index = 0;
    const child = indexChild(entryAt(p, <u32>l.index));
    const b = readExtentBlock(vol, inode, child, <i32>depth - 1);
    if (b == null) return vol.lastError;
    block = b;
    p = b.data;
  }
  return vol.corrupt("inode " + inode.ino.toString() + ": extent tree too deep");
}

/** Marks a path level changed: blocks join the journal transaction; the root is the inode. */
function touch(vol: Ext4Volume, l: Level): i32 {
  if (l.dirty) return 0;
  l.dirty = true;
  if (l.block == null) return 0;
  const b = vol.writeBlock(l.block!.block, "extent block");
  if (b == null) return vol.lastError;
  vol.release(b); // the path keeps its own pin
  return 0;
}

/** After the first key of level `level` changed to `key`: fix the index keys above it. */
function propagateKey(vol: Ext4Volume, path: Path, level: i32, key: u32): i32 {
  for (let l = level - 1; l >= 0; l--) {
    const up = path.levels[l];
    const e = touch(vol, up);
    if (e < 0) return e;
    setKey(entryAt(up.ptr, <u32>up.index), key);
    if (up.index != 0) break;
  }
  return 0;
}

function allocTreeBlock(vol: Ext4Volume, inode: Inode, goal: u64, out: Allocation): CachedBlock | null {
  const e = allocateBlocks(vol, goal, 1, out);
  if (e < 0) {
    vol.lastError = e;
    return null;
  }
  const b = vol.newBlock(out.start, "extent block");
  if (b == null) return null;
  addBlocks(vol, inode, 1);
  return b;
}

const alloc = new Allocation();

/** Moves the root's entries into a new block and makes the root a one-entry index above it. */
function growRoot(vol: Ext4Volume, inode: Inode): i32 {
  const root = inode.iblock;
  const depth = depthOf(root);
  if (depth >= MAX_DEPTH) return vol.corrupt("inode " + inode.ino.toString() + ": extent tree would be too deep");
  const goal = depth == 0 && entries(root) > 0 ? leafStart(entryAt(root, entries(root) - 1)) : 0;
  const b = allocTreeBlock(vol, inode, goal, alloc);
  if (b == null) return vol.lastError;
  const q = b.data;
  const n = entries(root);
  store<u16>(q, EXTENT_MAGIC);
  setEntries(q, n);
  store<u16>(q + 4, <u16>blockCapacity(vol));
  store<u16>(q + 6, <u16>depth);
  store<u32>(q + 8, 0);
  memory.copy(q + EXTENT_HEADER, root + EXTENT_HEADER, n * EXTENT_ENTRY);
  seal(vol, inode, q);
  vol.release(b);
  const key = n > 0 ? firstLogical(entryAt(root, 0)) : 0;
  memory.fill(root + EXTENT_HEADER, 0, 48);
  setEntries(root, 1);
  store<u16>(root + 4, 4);
  store<u16>(root + 6, <u16>(depth + 1));
  setIndex(entryAt(root, 0), key, alloc.start);
  return 0;
}

/** Makes room in path level `level` (a full node). The caller rebuilds the path and retries. */
function split(vol: Ext4Volume, inode: Inode, path: Path, level: i32, lblk: u64, appending: bool): i32 {
  if (level == 0) return growRoot(vol, inode);
  const node = path.levels[level];
  const parent = path.levels[level - 1];
  if (entries(parent.ptr) >= maxEntries(parent.ptr)) return split(vol, inode, path, level - 1, lblk, false);
  const depth = depthOf(node.ptr);
  const n = entries(node.ptr);
  const goal = node.block != null ? node.block!.block : 0;
  const b = allocTreeBlock(vol, inode, goal, alloc);
  if (b == null) return vol.lastError;
  const q = b.data;
  store<u16>(q, EXTENT_MAGIC);
  store<u16>(q + 4, <u16>blockCapacity(vol));
  store<u16>(q + 6, <u16>depth);
  store<u32>(q + 8, 0);
  const m: u32 = appending && depth == 0 ? n : n / 2;
  let key: u32;
  if (m == n) {
    setEntries(q, 0);
    key = <u32>lblk;
  } else {
    let e = touch(vol, node);
    if (e < 0) {
      vol.release(b);
      return e;
    }
    memory.copy(q + EXTENT_HEADER, entryAt(node.ptr, m), (n - m) * EXTENT_ENTRY);
    setEntries(q, n - m);
    setEntries(node.ptr, m);
    key = firstLogical(entryAt(q, 0));
  }
  seal(vol, inode, q);
  vol.release(b);
  const e = touch(vol, parent);
  if (e < 0) return e;
  const at = <u32>(parent.index + 1);
  const pn = entries(parent.ptr);
  memory.copy(entryAt(parent.ptr, at + 1), entryAt(parent.ptr, at), (pn - at) * EXTENT_ENTRY);
  setIndex(entryAt(parent.ptr, at), key, alloc.start);
  setEntries(parent.ptr, pn + 1);
  return 0;
}

const path = new Path();

/** Maps logical [lblk, lblk + len) to physical [pblk, ...): the range must be a hole. */
export function insertExtent(vol: Ext4Volume, inode: Inode, lblk: u64, pblk: u64, len: u32): i32 {
  for (let attempt = 0; attempt < 16; attempt++) {
    let e = buildPath(vol, inode, lblk, path);
    if (e < 0) {
      releasePath(vol, inode, path);
      return e;
    }
    const last = path.levels.length - 1;
    const leaf = path.levels[last];
    const p = leaf.ptr;
    const n = entries(p);
    const f = leaf.index;
    if (f >= 0) {
      const x = entryAt(p, <u32>f);
      const xs = <u64>firstLogical(x);
      const xl = <u64>leafLength(x);
      if (xs + xl > lblk) {
        releasePath(vol, inode, path);
        return vol.corrupt("inode " + inode.ino.toString() + ": mapping over an existing extent");
      }
      if (!leafUnwritten(x) && xs + xl == lblk && leafStart(x) + xl == pblk && xl + <u64>len <= <u64>MAX_INIT_LEN) {
        e = touch(vol, leaf);
        if (e == 0) store<u16>(x + 4, <u16>(xl + <u64>len));
        releasePath(vol, inode, path);
        return e;
      }
    }
    if (<u32>(f + 1) < n) {
      const y = entryAt(p, <u32>(f + 1));
      const ys = <u64>firstLogical(y);
      const yl = <u64>leafLength(y);
      if (lblk + <u64>len > ys) {
        releasePath(vol, inode, path);
        return vol.corrupt("inode " + inode.ino.toString() + ": mapping over an existing extent");
      }
      if (!leafUnwritten(y) && lblk + <u64>len == ys && pblk + <u64>len == leafStart(y) && yl + <u64>len <= <u64>MAX_INIT_LEN) {
        e = touch(vol, leaf);
        if (e == 0) {
          setLeaf(y, <u32>lblk, pblk, <u32>(yl + <u64>len));
          if (f + 1 == 0) e = propagateKey(vol, path, last, <u32>lblk);
        }
        releasePath(vol, inode, path);
        return e;
      }
    }
    if (n < maxEntries(p)) {
      e = touch(vol, leaf);
      if (e == 0) {
        const at = <u32>(f + 1);
        memory.copy(entryAt(p, at + 1), entryAt(p, at), (n - at) * EXTENT_ENTRY);
        setLeaf(entryAt(p, at), <u32>lblk, pblk, len);
        setEntries(p, n + 1);
        if (at == 0 && last > 0) e = propagateKey(vol, path, last, <u32>lblk);
      }
      releasePath(vol, inode, path);
      return e;
    }
    e = split(vol, inode, path, last, lblk, <u32>(f + 1) == n);
    releasePath(vol, inode, path);
    if (e < 0) return e;
  }
  return vol.corrupt("inode " + inode.ino.toString() + ": extent insertion did not converge");
}

/** Frees every block mapped at or beyond logical block `from`, and emptied tree nodes. */
export function truncateExtents(vol: Ext4Volume, inode: Inode, from: u64): i32 {
  const root = inode.iblock;
  const e = checkHeader(vol, inode, root, 4, -1, "the inode");
  if (e < 0) return e;
  const r = truncateNode(vol, inode, root, null, from, 0);
  if (r < 0) return <i32>r;
  if (entries(root) == 0 && depthOf(root) > 0) initExtentRoot(inode);
  return 0;
}

/**
 * Would truncateExtents(inode, 0) succeed? Walks the whole tree without changing anything:
 * every node readable and well formed, every extent and index block inside the file system
 * and in use. Removing a file checks this before its name goes, so a corrupt extent fails
 * the `rm` with nothing changed instead of leaving an unnamed, unfreed inode.
 */
export function checkExtentsFreeable(vol: Ext4Volume, inode: Inode): i32 {
  const root = inode.iblock;
  const e = checkHeader(vol, inode, root, 4, -1, "the inode");
  if (e < 0) return e;
  return checkNodeFreeable(vol, inode, root, 0);
}

function checkNodeFreeable(vol: Ext4Volume, inode: Inode, p: usize, level: i32): i32 {
  if (level > <i32>MAX_DEPTH) return vol.corrupt("inode " + inode.ino.toString() + ": extent tree too deep");
  const depth = depthOf(p);
  const n = entries(p);
  let e: i32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const x = entryAt(p, i);
    if (depth == 0) {
      e = checkBlocksInUse(vol, leafStart(x), <u64>leafLength(x));
    } else {
      const child = indexChild(x);
      e = checkBlocksInUse(vol, child, 1);
      if (e < 0) return e;
      const b = readExtentBlock(vol, inode, child, <i32>depth - 1);
      if (b == null) return vol.lastError;
      e = checkNodeFreeable(vol, inode, b.data, level + 1);
      vol.release(b);
    }
    if (e < 0) return e;
  }
  return 0;
}

/** Returns the entries left in the node, or an error. */
function truncateNode(vol: Ext4Volume, inode: Inode, p: usize, block: CachedBlock | null, from: u64, level: i32): i64 {
  if (level > <i32>MAX_DEPTH) return vol.corrupt("inode " + inode.ino.toString() + ": extent tree too deep");
  const depth = depthOf(p);
  let n = entries(p);
  const start = n;
  let e: i32 = 0;
  if (block != null) {
    const w = vol.writeBlock(block.block, "extent block");
    if (w == null) return vol.lastError;
    vol.release(w);
  }
  if (depth == 0) {
    while (n > 0) {
      const x = entryAt(p, n - 1);
      const s = <u64>firstLogical(x);
      const l = <u64>leafLength(x);
      if (s >= from) {
        e = freeBlocks(vol, leafStart(x), l);
        if (e < 0) return e;
        addBlocks(vol, inode, -<i64>l);
        n--;
        continue;
      }
      if (s + l > from) {
        const keep = from - s;
        e = freeBlocks(vol, leafStart(x) + keep, l - keep);
        if (e < 0) return e;
        addBlocks(vol, inode, -<i64>(l - keep));
        store<u16>(x + 4, <u16>(leafUnwritten(x) ? keep + <u64>MAX_INIT_LEN : keep));
      }
      break;
    }
  } else {
    while (n > 0) {
      const x = entryAt(p, n - 1);
      const key = <u64>firstLogical(x);
      const child = indexChild(x);
      const b = readExtentBlock(vol, inode, child, <i32>depth - 1);
      if (b == null) return vol.lastError;
      const left = truncateNode(vol, inode, b.data, b, key >= from ? 0 : from, level + 1);
      if (left < 0) {
        vol.release(b);
        return left;
      }
      if (left == 0) {
        seal(vol, inode, b.data);
        vol.release(b);
        e = freeBlocks(vol, child, 1);
        if (e < 0) return e;
        addBlocks(vol, inode, -1);
        n--;
        if (key < from) break;
        continue;
      }
      seal(vol, inode, b.data);
      vol.release(b);
      break;
    }
  }
  if (n != start) setEntries(p, n);
  if (block != null) seal(vol, inode, p);
  return <i64>n;
}

