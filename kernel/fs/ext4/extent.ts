// Extent trees: logical file block -> physical block runs (ext4's "extent" feature).
//
//   node   = header + entries; the root lives in the inode's i_block (4 entries), other
//            nodes fill a block (+ a 4-byte crc32c tail after eh_max entries)
//   header   0 magic 0xF30A(16)  2 entries(16)  4 max(16)  6 depth(16)  8 generation(32)
//   index    0 first logical block  4 child block lo(32)  8 child block hi(16)  10 unused
//   leaf     0 first logical block  4 length(16; > 32768 = unwritten, length - 32768)
//            6 start hi(16)  8 start lo(32)
//
// Every node read is checked (magic, entries <= max <= what fits, depth one less than the
// parent's, checksum, blocks inside the file system) before any entry is used.
import { Ext4Volume, CHECKED_BLOCKS_MEMO_LIMIT } from "./volume";
import { Inode } from "./inode";
import { extentBlockChecksum } from "./csum";
import { CachedBlock } from "../../block/cache";

export const EXTENT_MAGIC: u16 = 0xf30a;
export const EXTENT_HEADER: u32 = 12;
export const EXTENT_ENTRY: u32 = 12;
export const MAX_DEPTH: u32 = 5;
export const MAX_INIT_LEN: u32 = 32768;
export const MAX_UNWRITTEN_LEN: u32 = 32767;
/** Logical block numbers are 32-bit. */
export const MAX_LOGICAL: u64 = 0x100000000;

/** The answer of a mapping: a run of `count` blocks starting at logical block `logical`. */
export class BlockRun {
  logical: u64 = 0;
  /** First physical block, or 0 for a hole. */
  physical: u64 = 0;
  count: u64 = 0;
  /** An unwritten (preallocated) extent: reads as zeros. */
  unwritten: bool = false;
}

// @ts-ignore: decorator
@inline export function entries(p: usize): u32 { return <u32>load<u16>(p + 2); }
// @ts-ignore: decorator
@inline export function maxEntries(p: usize): u32 { return <u32>load<u16>(p + 4); }
// @ts-ignore: decorator
@inline export function depthOf(p: usize): u32 { return <u32>load<u16>(p + 6); }
// @ts-ignore: decorator
@inline export function entryAt(p: usize, i: u32): usize { return p + EXTENT_HEADER + <usize>(i * EXTENT_ENTRY); }
// @ts-ignore: decorator
@inline export function firstLogical(e: usize): u32 { return load<u32>(e); }
// @ts-ignore: decorator
@inline export function indexChild(e: usize): u64 { return <u64>load<u32>(e + 4) | (<u64>load<u16>(e + 8) << 32); }
// @ts-ignore: decorator
@inline export function leafStart(e: usize): u64 { return <u64>load<u32>(e + 8) | (<u64>load<u16>(e + 6) << 32); }
// @ts-ignore: decorator
@inline export function leafRawLength(e: usize): u32 { return <u32>load<u16>(e + 4); }
// @ts-ignore: decorator
@inline export function leafLength(e: usize): u32 {
  const l = <u32>load<u16>(e + 4);
  return l > MAX_INIT_LEN ? l - MAX_INIT_LEN : l;
}
// @ts-ignore: decorator
@inline export function leafUnwritten(e: usize): bool { return <u32>load<u16>(e + 4) > MAX_INIT_LEN; }

/**
 * Checks a node's header. `capacity`: entries that fit where it lives; `expectDepth`: the
 * depth its parent implies (or -1 for the root). Returns 0 or an error (with detail).
 */
export function checkHeader(vol: Ext4Volume, inode: Inode, p: usize, capacity: u32, expectDepth: i32, where: string, block: u64 = 0): i32 {
  if (load<u16>(p) != EXTENT_MAGIC) return vol.corrupt("inode " + inode.ino.toString() + ": bad extent header magic in " + whereOf(where, block));
  const n = entries(p);
  const m = maxEntries(p);
  const d = depthOf(p);
  if (m == 0 || m > capacity || n > m) return vol.corrupt("inode " + inode.ino.toString() + ": bad extent entry counts in " + whereOf(where, block));
  if (d > MAX_DEPTH || (expectDepth >= 0 && d != <u32>expectDepth)) return vol.corrupt("inode " + inode.ino.toString() + ": bad extent tree depth in " + whereOf(where, block));
  return 0;
}

/** Names the node in messages (built only when there is something to report). */
function whereOf(where: string, block: u64): string {
  return where.length > 0 ? where : "extent block " + block.toString();
}

/** Entries that fit in an extent block (the checksum tail needs 4 bytes after them). */
export function blockCapacity(vol: Ext4Volume): u32 {
  return (vol.blockSize - EXTENT_HEADER - 4) / EXTENT_ENTRY;
}

/** Reads and verifies an extent tree block; null on error. */
export function readExtentBlock(vol: Ext4Volume, inode: Inode, block: u64, expectDepth: i32): CachedBlock | null {
  if (!vol.validBlock(block)) {
    vol.corrupt("inode " + inode.ino.toString() + ": extent block " + block.toString() + " is outside the file system");
    return null;
  }
  const b = vol.readBlock(block, "extent block");
  if (b == null) return null;
  const p = b.data;
  // verified since the last metadata change, for this inode: skip the header and checksum work
  const stamp = (vol.epoch << 32) | <u64>inode.ino;
  const memo = vol.checkedExtentBlocks;
  if (memo.has(block) && memo.get(block) == stamp && depthOf(p) == <u32>expectDepth) return b;
  const e = checkHeader(vol, inode, p, (vol.blockSize - EXTENT_HEADER) / EXTENT_ENTRY, expectDepth, "", block);
  if (e < 0) {
    vol.release(b);
    return null;
  }
  if (vol.sb.metadataCsum) {
    const tail = EXTENT_HEADER + maxEntries(p) * EXTENT_ENTRY;
    if (tail + 4 > vol.blockSize) {
      vol.release(b);
      vol.corrupt("inode " + inode.ino.toString() + ": no room for the checksum in extent block " + block.toString());
      return null;
    }
    if (load<u32>(p + tail) != extentBlockChecksum(inode.csumSeed, p, tail)) {
      vol.release(b);
      vol.badChecksum("inode " + inode.ino.toString() + " extent block " + block.toString());
      return null;
    }
  }
  if (memo.size > 4096) memo.clear();
  if (memo.size >= CHECKED_BLOCKS_MEMO_LIMIT) memo.clear(); // bounded: a memo, not a record
  memo.set(block, stamp);
  return b;
}

/** Index of the last entry of node `p` whose first logical block is <= key (binary search); -1 if none. */
export function lastAtOrBelow(p: usize, key: u64): i32 {
  let lo: i32 = 0;
  let hi: i32 = <i32>entries(p) - 1;
  let found: i32 = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (<u64>firstLogical(entryAt(p, <u32>mid)) <= key) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Maps logical block `lblk` of an extent-mapped inode: fills run with the extent (or hole)
 * that contains it, trimmed to start at lblk. Returns 0 or an error.
 */
export function mapExtent(vol: Ext4Volume, inode: Inode, lblk: u64, run: BlockRun): i32 {
  run.logical = lblk;
  run.physical = 0;
  run.unwritten = false;
  let p = inode.iblock;
  let e = checkHeader(vol, inode, p, 4, -1, "the inode");
  if (e < 0) return e;
  let limit: u64 = MAX_LOGICAL; // the next sibling's start at each level bounds a hole
  let held: CachedBlock | null = null;
  let depth = depthOf(p);
  while (true) {
    const n = entries(p);
    const found = lastAtOrBelow(p, lblk);
    if (<u32>(found + 1) < n) limit = min<u64>(limit, <u64>firstLogical(entryAt(p, <u32>(found + 1))));
    if (depth == 0) {
      if (found >= 0) {
        const x = entryAt(p, <u32>found);
        const start = <u64>firstLogical(x);
        const len = <u64>leafLength(x);
        if (lblk < start + len) {
          const phys = leafStart(x);
          if (len == 0 || !vol.validRun(phys, len)) {
            if (held != null) vol.release(held!);
            return vol.corrupt("inode " + inode.ino.toString() + ": extent at logical block " + start.toString() + " points outside the file system");
          }
          run.physical = phys + (lblk - start);
          run.count = start + len - lblk;
          run.unwritten = leafUnwritten(x);
          if (held != null) vol.release(held!);
          return 0;
        }
      }
      run.count = limit > lblk ? limit - lblk : 1;
      if (held != null) vol.release(held!);
      return 0;
    }
    if (found < 0) {
      // before the first index entry: a hole up to it
      run.count = limit > lblk ? limit - lblk : 1;
      if (held != null) vol.release(held!);
      return 0;
    }
    const child = indexChild(entryAt(p, <u32>found));
    const b = readExtentBlock(vol, inode, child, <i32>depth - 1);
    if (held != null) vol.release(held!);
    if (b == null) return vol.lastError;
    held = b;
    p = b.data;
    depth--;
  }
  return 0;
}
