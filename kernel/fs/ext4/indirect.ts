// Block maps (ext2/ext3 files, ext4 files without the extents flag).
//
//   i_block[0..11]  direct blocks          (logical 0..11)
//   i_block[12]     single indirect block  (the next bs/4)
//   i_block[13]     double indirect        (the next (bs/4)^2)
//   i_block[14]     triple indirect        (the next (bs/4)^3)
//   an indirect block is an array of u32 block numbers; 0 is a hole.
//
// mapIndirect() answers one run: consecutive entries of the same leaf array that are
// physically contiguous (or all zero: a hole), so sequential reads issue few requests.
import { Ext4Volume } from "./volume";
import { Inode } from "./inode";
import { BlockRun } from "./extent";

export const DIRECT_BLOCKS: u64 = 12;

/** Number of logical blocks a block map can address. */
export function indirectLimit(blockSize: u32): u64 {
  const per = <u64>(blockSize / 4);
  return DIRECT_BLOCKS + per + per * per + per * per * per;
}

export function mapIndirect(vol: Ext4Volume, inode: Inode, lblk: u64, run: BlockRun): i32 {
  run.logical = lblk;
  run.physical = 0;
  run.unwritten = false;
  run.count = 1;
  const per = <u64>(vol.blockSize / 4);
  const ib = inode.iblock;
  if (lblk < DIRECT_BLOCKS) {
    return scanArray(vol, inode, ib, <u32>lblk, <u32>DIRECT_BLOCKS, run);
  }
  let rest = lblk - DIRECT_BLOCKS;
  let level: i32 = 0;
  let span: u64 = 1;
  if (rest < per) {
    level = 1;
  } else {
    rest -= per;
    if (rest < per * per) {
      level = 2;
      span = per;
    } else {
      rest -= per * per;
      if (rest >= per * per * per) return vol.corrupt("inode " + inode.ino.toString() + ": logical block beyond the block map");
      level = 3;
      span = per * per;
    }
  }
  let block = <u64>load<u32>(ib + <usize>((11 + level) * 4));
  // walk down: at each level, `span` logical blocks per entry
  for (let l = level; l >= 1; l--) {
    if (block == 0) {
      // the whole subtree under this pointer is a hole
      run.count = span * per - rest;
      return 0;
    }
    if (!vol.validBlock(block)) return vol.corrupt("inode " + inode.ino.toString() + ": indirect block " + block.toString() + " is outside the file system");
    const b = vol.readBlock(block, "indirect block");
    if (b == null) return vol.lastError;
    const index = <u32>(rest / span);
    if (l == 1) {
      const r = scanArray(vol, inode, b.data, index, <u32>per, run);
      vol.release(b);
      return r;
    }
    block = <u64>load<u32>(b.data + <usize>(index * 4));
    vol.release(b);
    rest %= span;
    span /= per;
  }
  return 0;
}

/** Fills run from entry `index` of a u32 array of `length` entries. */
function scanArray(vol: Ext4Volume, inode: Inode, p: usize, index: u32, length: u32, run: BlockRun): i32 {
  const first = <u64>load<u32>(p + <usize>(index * 4));
  let n: u32 = 1;
  if (first == 0) {
    while (index + n < length && load<u32>(p + <usize>((index + n) * 4)) == 0) n++;
    run.physical = 0;
    run.count = n;
    return 0;
  }
  if (!vol.validBlock(first)) return vol.corrupt("inode " + inode.ino.toString() + ": block " + first.toString() + " is outside the file system");
  while (index + n < length && <u64>load<u32>(p + <usize>((index + n) * 4)) == first + <u64>n && vol.validBlock(first + <u64>n)) n++;
  run.physical = first;
  run.count = n;
  return 0;
}
