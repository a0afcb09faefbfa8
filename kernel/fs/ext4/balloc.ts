// Block allocation: block bitmaps, group and superblock free counts, kept in step.
//
//   bitmap of group g: one bit per block of the group (1 = used); bits past the end of the
//   group (the last group is short) and up to the end of the bitmap block are set.
//   BLOCK_UNINIT groups have no bitmap on disk yet: it is computed (superblock backup,
//   descriptor table, reserved GDT blocks, any group's bitmaps and inode table that lie in
//   the group) the first time the group is allocated from.
//
// Every change: bitmap bits + bitmap checksum (in the descriptor) + descriptor free count
// (+ its checksum) + superblock free count, all in the running journal transaction.
// Blocks freed by the running transaction are not handed out again before it commits.
import { Ext4Volume } from "./volume";
import { CachedBlock } from "../../block/cache";
import { ENOSPC } from "../../lib/errors";
import { groupFirstBlock, groupBlockCount, groupHasSuper, descriptorTableBlocks, BG_BLOCK_UNINIT } from "./group";
import { bitmapChecksum } from "./csum";
import { COMPAT_RESIZE_INODE } from "./superblock";

// @ts-ignore: decorator
@inline export function testBit(p: usize, bit: u32): bool {
  return (load<u8>(p + <usize>(bit >> 3)) & (<u8>1 << <u8>(bit & 7))) != 0;
}
// @ts-ignore: decorator
@inline export function setBit(p: usize, bit: u32): void {
  const a = p + <usize>(bit >> 3);
  store<u8>(a, load<u8>(a) | (<u8>1 << <u8>(bit & 7)));
}
// @ts-ignore: decorator
@inline export function clearBit(p: usize, bit: u32): void {
  const a = p + <usize>(bit >> 3);
  store<u8>(a, load<u8>(a) & ~(<u8>1 << <u8>(bit & 7)));
}

/** Fills a fresh block bitmap for group g (BLOCK_UNINIT): the group's own metadata is used. */
export function initBlockBitmap(vol: Ext4Volume, g: u32, p: usize): void {
  const sb = vol.sb;
  const bs = vol.blockSize;
  memory.fill(p, 0, bs);
  const first = groupFirstBlock(sb, g);
  const count = groupBlockCount(sb, g);
  let used: u32 = 0;
  if (groupHasSuper(sb, g)) {
    used = 1 + descriptorTableBlocks(sb) + (sb.has(COMPAT_RESIZE_INODE) ? sb.reservedGdtBlocks : 0);
    for (let i: u32 = 0; i < used && i < count; i++) setBit(p, i);
  }
  const itableBlocks = <u64>(sb.inodesPerGroup * sb.inodeSize + bs - 1) / <u64>bs;
  for (let h: u32 = 0; h < sb.groupCount; h++) {
    const gd = vol.groups[h];
    markIfInside(p, first, count, gd.blockBitmap, 1);
    markIfInside(p, first, count, gd.inodeBitmap, 1);
    markIfInside(p, first, count, gd.inodeTable, itableBlocks);
  }
  for (let bit = count; bit < bs * 8; bit++) setBit(p, bit);
}

function markIfInside(p: usize, first: u64, count: u32, start: u64, length: u64): void {
  for (let b = start; b < start + length; b++) {
    if (b >= first && b < first + <u64>count) setBit(p, <u32>(b - first));
  }
}

/** Recomputes the bitmap checksum of group g into its descriptor (in memory). */
export function sealBlockBitmap(vol: Ext4Volume, g: u32, p: usize): void {
  if (!vol.sb.metadataCsum) return;
  const c = bitmapChecksum(vol.sb.csumSeed, p, vol.sb.clustersPerGroup / 8);
  vol.groups[g].blockBitmapCsum = vol.sb.is64bit && vol.sb.descSize >= 64 ? c : c & 0xffff;
}

/** Block bitmap of g for reading (computed into `scratch` when uninitialised); null on error. */
export function readBlockBitmap(vol: Ext4Volume, g: u32, scratch: usize): usize {
  const gd = vol.groups[g];
  if ((gd.flags & BG_BLOCK_UNINIT) != 0 && (vol.sb.metadataCsum || vol.sb.gdtCsum)) {
    initBlockBitmap(vol, g, scratch);
    return scratch;
  }
  const b = vol.readBlock(gd.blockBitmap, "block bitmap");
  if (b == null) return 0;
  memory.copy(scratch, b.data, vol.blockSize);
  vol.release(b);
  if (vol.sb.metadataCsum) {
    const c = bitmapChecksum(vol.sb.csumSeed, scratch, vol.sb.clustersPerGroup / 8);
    const desc64 = vol.sb.is64bit && vol.sb.descSize >= 64;
    if ((desc64 ? c : c & 0xffff) != gd.blockBitmapCsum) {
      vol.badChecksum("block bitmap of group " + g.toString());
      return 0;
    }
  }
  return scratch;
}

/** Block bitmap of g for changing (initialised on first use), pinned and journaled. */
function writableBlockBitmap(vol: Ext4Volume, g: u32): CachedBlock | null {
  const gd = vol.groups[g];
  if ((gd.flags & BG_BLOCK_UNINIT) != 0 && (vol.sb.metadataCsum || vol.sb.gdtCsum)) {
    const b = vol.newBlock(gd.blockBitmap, "block bitmap of group " + g.toString());
    if (b == null) return null;
    initBlockBitmap(vol, g, b.data);
    gd.flags &= ~BG_BLOCK_UNINIT;
    return b;
  }
  return vol.writeBlock(gd.blockBitmap, "block bitmap");
}

/** The result of an allocation: a run of blocks. */
export class Allocation {
  start: u64 = 0;
  count: u32 = 0;
}

let scratchBitmap: usize = 0;
let scratchSize: u32 = 0;

function scratch(vol: Ext4Volume): usize {
  if (scratchSize < vol.blockSize) {
    if (scratchBitmap != 0) heap.free(scratchBitmap);
    scratchBitmap = heap.alloc(vol.blockSize);
    scratchSize = vol.blockSize;
  }
  return scratchBitmap;
}

function usable(vol: Ext4Volume, block: u64): bool {
  const j = vol.journal;
  return j == null || !j.freedInTx.has(block);
}

/**
 * Allocates up to `want` contiguous blocks, preferably at `goal` (0 = anywhere). Fills out;
 * returns 0, -ENOSPC when the file system is full, or an error.
 */
export function allocateBlocks(vol: Ext4Volume, goal: u64, want: u32, out: Allocation): i32 {
  const sb = vol.sb;
  if (sb.freeBlocks == 0) return -ENOSPC;
  const groups = sb.groupCount;
  let g0: u32 = 0;
  let startBit: u32 = 0;
  if (goal >= <u64>sb.firstDataBlock && goal < sb.blocksCount) {
    g0 = <u32>((goal - <u64>sb.firstDataBlock) / <u64>sb.blocksPerGroup);
    startBit = <u32>((goal - <u64>sb.firstDataBlock) % <u64>sb.blocksPerGroup);
  }
  const tmp = scratch(vol);
  for (let i: u32 = 0; i <= groups; i++) {
    const g = (g0 + i) % groups;
    const gd = vol.groups[g];
    if (gd.freeBlocks == 0) continue;
    const p = readBlockBitmap(vol, g, tmp);
    if (p == 0) return vol.lastError;
    const count = groupBlockCount(sb, g);
    const first = groupFirstBlock(sb, g);
    const from = i == 0 ? startBit : 0;
    let found: i64 = -1;
    // first free bit at or after `from`, then wrap to the group start
    for (let pass = 0; pass < 2 && found < 0; pass++) {
      let bit = pass == 0 ? from : 0;
      const end = pass == 0 ? count : min<u32>(from, count);
      while (bit < end) {
        if ((bit & 63) == 0 && bit + 64 <= end && load<u64>(p + <usize>(bit >> 3)) == 0xffffffffffffffff) {
          bit += 64;
          continue;
        }
        if (!testBit(p, bit) && usable(vol, first + <u64>bit)) {
          found = <i64>bit;
          break;
        }
        bit++;
      }
    }
    if (found < 0) continue;
    let n: u32 = 1;
    const b0 = <u32>found;
    while (n < want && b0 + n < count && !testBit(p, b0 + n) && usable(vol, first + <u64>(b0 + n))) n++;
    // claim them
    const b = writableBlockBitmap(vol, g);
    if (b == null) return vol.lastError;
    for (let k: u32 = 0; k < n; k++) {
      if (testBit(b.data, b0 + k)) {
        vol.release(b);
        return vol.corrupt("block bitmap of group " + g.toString() + " changed under the allocator");
      }
      setBit(b.data, b0 + k);
    }
    sealBlockBitmap(vol, g, b.data);
    vol.release(b);
    if (gd.freeBlocks < n) return vol.corrupt("group " + g.toString() + ": free block count below the bitmap's");
    gd.freeBlocks -= n;
    let e = vol.storeGroup(g);
    if (e < 0) return e;
    sb.freeBlocks -= min<u64>(sb.freeBlocks, <u64>n);
    e = vol.storeSuperblockCounts();
    if (e < 0) return e;
    out.start = first + <u64>b0;
    out.count = n;
    return 0;
  }
  return -ENOSPC;
}

/** Frees [start, start + count): bits, counts, and the journal forgets the blocks (revoke). */
/**
 * Would freeBlocks(start, count) succeed? Checks without changing anything that the run lies
 * inside the file system and that every block of it is in use: 0 or the error freeBlocks
 * would meet (so an operation can refuse before it changes anything).
 */
export function checkBlocksInUse(vol: Ext4Volume, start: u64, count: u64): i32 {
  const sb = vol.sb;
  if (!vol.validRun(start, count)) return vol.corrupt("freeing blocks " + start.toString() + "+" + count.toString() + " outside the file system");
  let block = start;
  let left = count;
  while (left > 0) {
    const g = <u32>((block - <u64>sb.firstDataBlock) / <u64>sb.blocksPerGroup);
    const bit0 = <u32>((block - <u64>sb.firstDataBlock) % <u64>sb.blocksPerGroup);
    const n = <u32>min<u64>(left, <u64>(groupBlockCount(sb, g) - bit0));
    const p = readBlockBitmap(vol, g, scratch(vol));
    if (p == 0) return vol.lastError;
    for (let k: u32 = 0; k < n; k++) {
      if (!testBit(p, bit0 + k)) return vol.corrupt("freeing block " + (block + <u64>k).toString() + ", which is already free");
    }
    block += <u64>n;
    left -= <u64>n;
  }
  return 0;
}

export function freeBlocks(vol: Ext4Volume, start: u64, count: u64): i32 {
  const sb = vol.sb;
  if (!vol.validRun(start, count)) return vol.corrupt("freeing blocks " + start.toString() + "+" + count.toString() + " outside the file system");
  let block = start;
  let left = count;
  while (left > 0) {
    const g = <u32>((block - <u64>sb.firstDataBlock) / <u64>sb.blocksPerGroup);
    const bit0 = <u32>((block - <u64>sb.firstDataBlock) % <u64>sb.blocksPerGroup);
    const n = <u32>min<u64>(left, <u64>(groupBlockCount(sb, g) - bit0));
    const b = writableBlockBitmap(vol, g);
    if (b == null) return vol.lastError;
    for (let k: u32 = 0; k < n; k++) {
      if (!testBit(b.data, bit0 + k)) {
        vol.release(b);
        return vol.corrupt("freeing block " + (block + <u64>k).toString() + ", which is already free");
      }
      clearBit(b.data, bit0 + k);
    }
    sealBlockBitmap(vol, g, b.data);
    vol.release(b);
    const gd = vol.groups[g];
    gd.freeBlocks += n;
    let e = vol.storeGroup(g);
    if (e < 0) return e;
    sb.freeBlocks += <u64>n;
    for (let k: u32 = 0; k < n; k++) vol.forgetBlock(block + <u64>k);
    block += <u64>n;
    left -= <u64>n;
  }
  return vol.storeSuperblockCounts();
}
