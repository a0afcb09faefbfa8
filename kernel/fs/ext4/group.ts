// Block group descriptors: 32 bytes (ext2/3, or ext4 without 64bit) or s_desc_size (>= 64)
// bytes, in the blocks after the superblock (or, with meta_bg, in the first block of each
// meta group).
//
//   0x00 block_bitmap_lo  0x04 inode_bitmap_lo  0x08 inode_table_lo
//   0x0c free_blocks_lo(16)  0x0e free_inodes_lo(16)  0x10 used_dirs_lo(16)  0x12 flags(16)
//   0x14 exclude_bitmap_lo  0x18 block_bitmap_csum_lo(16)  0x1a inode_bitmap_csum_lo(16)
//   0x1c itable_unused_lo(16)  0x1e checksum(16)
//   --- 64-byte descriptors only ---
//   0x20 block_bitmap_hi  0x24 inode_bitmap_hi  0x28 inode_table_hi
//   0x2c free_blocks_hi(16) 0x2e free_inodes_hi(16) 0x30 used_dirs_hi(16) 0x32 itable_unused_hi(16)
//   0x34 exclude_bitmap_hi  0x38 block_bitmap_csum_hi(16)  0x3a inode_bitmap_csum_hi(16)
//
// The parsed copies live in memory for the whole mount; writers change a GroupDesc and then
// store it back into its (journaled) descriptor block with storeGroupDesc().
import { Superblock, INCOMPAT_META_BG, RO_COMPAT_SPARSE_SUPER, COMPAT_SPARSE_SUPER2 } from "./superblock";
import { groupDescChecksum } from "./csum";

export const BG_INODE_UNINIT: u16 = 0x1;
export const BG_BLOCK_UNINIT: u16 = 0x2;
export const BG_INODE_ZEROED: u16 = 0x4;

export class GroupDesc {
  blockBitmap: u64 = 0;
  inodeBitmap: u64 = 0;
  inodeTable: u64 = 0;
  freeBlocks: u32 = 0;
  freeInodes: u32 = 0;
  usedDirs: u32 = 0;
  flags: u16 = 0;
  itableUnused: u32 = 0;
  blockBitmapCsum: u32 = 0;
  inodeBitmapCsum: u32 = 0;
  /** Where the descriptor is stored. */
  descBlock: u64 = 0;
  descOffset: u32 = 0;
  constructor(public index: u32) {}
}

/** First block of group g. */
export function groupFirstBlock(sb: Superblock, g: u32): u64 {
  return <u64>sb.firstDataBlock + <u64>g * <u64>sb.blocksPerGroup;
}

/** Number of blocks in group g (the last group may be short). */
export function groupBlockCount(sb: Superblock, g: u32): u32 {
  const first = groupFirstBlock(sb, g);
  const left = sb.blocksCount - first;
  return <u32>min<u64>(left, <u64>sb.blocksPerGroup);
}

function isPowerOf(n: u32, base: u32): bool {
  let v = n;
  while (v > 1 && v % base == 0) v /= base;
  return v == 1;
}

/** Does group g hold a superblock backup (and a descriptor-table copy)? */
export function groupHasSuper(sb: Superblock, g: u32): bool {
  if (g == 0) return true;
  if (sb.has(COMPAT_SPARSE_SUPER2)) return false; // backups in s_backup_bgs only (not used by SIS)
  if (!sb.hasRoCompat(RO_COMPAT_SPARSE_SUPER)) return true;
  if (g == 1) return true;
  return isPowerOf(g, 3) || isPowerOf(g, 5) || isPowerOf(g, 7);
}

/** The block holding descriptor g. */
export function descriptorBlock(sb: Superblock, g: u32): u64 {
  const perBlock = sb.descPerBlock;
  const metaGroup = g / perBlock;
  if (!sb.hasIncompat(INCOMPAT_META_BG) || metaGroup < sb.firstMetaBg) {
    return <u64>sb.firstDataBlock + 1 + <u64>metaGroup;
  }
  const first = metaGroup * perBlock;
  return groupFirstBlock(sb, first) + (groupHasSuper(sb, first) ? 1 : 0);
}

/** Blocks used by the descriptor table right after a superblock (0 with meta_bg past first_meta_bg). */
export function descriptorTableBlocks(sb: Superblock): u32 {
  const perBlock = sb.descPerBlock;
  const total = (sb.groupCount + perBlock - 1) / perBlock;
  if (!sb.hasIncompat(INCOMPAT_META_BG)) return total;
  return min<u32>(total, sb.firstMetaBg);
}

/** Parses the descriptor at ptr (descSize bytes) into gd. */
export function parseGroupDesc(sb: Superblock, ptr: usize, gd: GroupDesc): void {
  const big = sb.is64bit && sb.descSize >= 64;
  gd.blockBitmap = <u64>load<u32>(ptr) | (big ? <u64>load<u32>(ptr + 0x20) << 32 : 0);
  gd.inodeBitmap = <u64>load<u32>(ptr + 0x4) | (big ? <u64>load<u32>(ptr + 0x24) << 32 : 0);
  gd.inodeTable = <u64>load<u32>(ptr + 0x8) | (big ? <u64>load<u32>(ptr + 0x28) << 32 : 0);
  gd.freeBlocks = <u32>load<u16>(ptr + 0xc) | (big ? <u32>load<u16>(ptr + 0x2c) << 16 : 0);
  gd.freeInodes = <u32>load<u16>(ptr + 0xe) | (big ? <u32>load<u16>(ptr + 0x2e) << 16 : 0);
  gd.usedDirs = <u32>load<u16>(ptr + 0x10) | (big ? <u32>load<u16>(ptr + 0x30) << 16 : 0);
  gd.flags = load<u16>(ptr + 0x12);
  gd.itableUnused = <u32>load<u16>(ptr + 0x1c) | (big ? <u32>load<u16>(ptr + 0x32) << 16 : 0);
  gd.blockBitmapCsum = <u32>load<u16>(ptr + 0x18) | (big ? <u32>load<u16>(ptr + 0x38) << 16 : 0);
  gd.inodeBitmapCsum = <u32>load<u16>(ptr + 0x1a) | (big ? <u32>load<u16>(ptr + 0x3a) << 16 : 0);
}

/** Does the stored checksum of descriptor g (at ptr) match? True when the fs has none. */
export function groupDescChecksumOk(sb: Superblock, g: u32, ptr: usize): bool {
  if (!sb.metadataCsum && !sb.gdtCsum) return true;
  const stored = <u32>load<u16>(ptr + 0x1e);
  return stored == groupDescChecksum(sb.metadataCsum, sb.csumSeed, changetype<usize>(sb.uuid), g, ptr, sb.descSize);
}

/** Writes gd into the descriptor bytes at ptr and sets the descriptor checksum. */
export function storeGroupDesc(sb: Superblock, ptr: usize, gd: GroupDesc): void {
  const big = sb.is64bit && sb.descSize >= 64;
  store<u32>(ptr, <u32>gd.blockBitmap);
  store<u32>(ptr + 0x4, <u32>gd.inodeBitmap);
  store<u32>(ptr + 0x8, <u32>gd.inodeTable);
  store<u16>(ptr + 0xc, <u16>gd.freeBlocks);
  store<u16>(ptr + 0xe, <u16>gd.freeInodes);
  store<u16>(ptr + 0x10, <u16>gd.usedDirs);
  store<u16>(ptr + 0x12, gd.flags);
  store<u16>(ptr + 0x18, <u16>gd.blockBitmapCsum);
  store<u16>(ptr + 0x1a, <u16>gd.inodeBitmapCsum);
  store<u16>(ptr + 0x1c, <u16>gd.itableUnused);
  if (big) {
    store<u32>(ptr + 0x20, <u32>(gd.blockBitmap >> 32));
    store<u32>(ptr + 0x24, <u32>(gd.inodeBitmap >> 32));
    store<u32>(ptr + 0x28, <u32>(gd.inodeTable >> 32));
    store<u16>(ptr + 0x2c, <u16>(gd.freeBlocks >> 16));
    store<u16>(ptr + 0x2e, <u16>(gd.freeInodes >> 16));
    store<u16>(ptr + 0x30, <u16>(gd.usedDirs >> 16));
    store<u16>(ptr + 0x32, <u16>(gd.itableUnused >> 16));
    store<u16>(ptr + 0x38, <u16>(gd.blockBitmapCsum >> 16));
    store<u16>(ptr + 0x3a, <u16>(gd.inodeBitmapCsum >> 16));
  }
  if (sb.metadataCsum || sb.gdtCsum) {
    store<u16>(ptr + 0x1e, <u16>groupDescChecksum(sb.metadataCsum, sb.csumSeed, changetype<usize>(sb.uuid), gd.index, ptr, sb.descSize));
  }
}
