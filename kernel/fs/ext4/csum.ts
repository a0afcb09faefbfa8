// Metadata checksums of ext4 (metadata_csum: crc32c; uninit_bg/gdt_csum: crc16 for group
// descriptors). All crc32c values are raw (see kernel/lib/crc32c.ts), seeded as below.
//
//   object             seed                       covers                        stored in
//   superblock         ~0                         bytes 0..0x3fb                 s_checksum
//   group descriptor   fs seed + group (le32)     desc, bg_checksum zeroed       bg_checksum (low 16)
//   block bitmap       fs seed                    clusters_per_group / 8 bytes   bg_block_bitmap_csum lo/hi
//   inode bitmap       fs seed                    inodes_per_group / 8 bytes     bg_inode_bitmap_csum lo/hi
//   inode              inode seed                 inode, checksum fields zeroed  i_checksum_lo / _hi
//   extent block       inode seed                 header + eh_max entries        tail after eh_max entries
//   directory leaf     inode seed                 block minus the 12-byte tail   tail det_checksum
//   htree node         inode seed                 up to count entries + tail[0..4] + 4 zero bytes  dx_tail
//   orphan block       fs seed + ino + gen + blk  the inode number slots          ob_checksum
//   inode seed = crc32c(crc32c(fs seed, ino le32), generation le32)
import { crc32cUpdate, crc32cU32, crc32cU64 } from "../../lib/crc32c";

export function inodeSeed(fsSeed: u32, ino: u32, generation: u32): u32 {
  return crc32cU32(crc32cU32(fsSeed, ino), generation);
}

// ---- crc16 (reflected polynomial 0xa001, as in Linux lib/crc16.c) for gdt_csum ----
const crc16Table = new StaticArray<u16>(256);
function buildCrc16(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    unchecked(crc16Table[i] = <u16>c);
  }
}
buildCrc16();

export function crc16(crc: u32, ptr: usize, length: usize): u32 {
  let c = crc & 0xffff;
  for (let i: usize = 0; i < length; i++) {
    c = (c >>> 8) ^ <u32>unchecked(crc16Table[(c ^ <u32>load<u8>(ptr + i)) & 0xff]);
  }
  return c;
}

const BG_CHECKSUM_OFFSET: u32 = 0x1e;

/**
 * Checksum of a group descriptor (desc bytes at ptr) as stored in bg_checksum. metadataCsum
 * selects crc32c, else crc16 (gdt_csum); uuid is the 16-byte file system UUID.
 */
export function groupDescChecksum(metadataCsum: bool, fsSeed: u32, uuid: usize, group: u32, ptr: usize, descSize: u32): u32 {
  if (metadataCsum) {
    let c = crc32cU32(fsSeed, group);
    c = crc32cUpdate(c, ptr, BG_CHECKSUM_OFFSET);
    c = crc32cUpdate(c, changetype<usize>(ZERO4), 2);
    if (descSize > BG_CHECKSUM_OFFSET + 2) c = crc32cUpdate(c, ptr + BG_CHECKSUM_OFFSET + 2, descSize - BG_CHECKSUM_OFFSET - 2);
    return c & 0xffff;
  }
  let c = crc16(0xffff, uuid, 16);
  store<u32>(changetype<usize>(SCRATCH), group);
  c = crc16(c, changetype<usize>(SCRATCH), 4);
  c = crc16(c, ptr, BG_CHECKSUM_OFFSET);
  if (descSize > 32) c = crc16(c, ptr + 32, descSize - 32);
  return c & 0xffff;
}

const ZERO4 = new StaticArray<u8>(8);
const SCRATCH = new StaticArray<u8>(8);

export function bitmapChecksum(fsSeed: u32, ptr: usize, bytes: u32): u32 {
  return crc32cUpdate(fsSeed, ptr, bytes);
}

/** Inode checksum: the inode at ptr (inodeSize bytes) with both checksum fields counted as zero. */
export function inodeChecksum(seed: u32, ptr: usize, inodeSize: u32, hasHi: bool): u32 {
  // 0x7c: i_checksum_lo (2 bytes); 0x82: i_checksum_hi (2 bytes, in the large part)
  let c = crc32cUpdate(seed, ptr, 0x7c);
  c = crc32cUpdate(c, changetype<usize>(ZERO4), 2);
  c = crc32cUpdate(c, ptr + 0x7e, 0x80 - 0x7e);
  if (inodeSize > 128) {
    c = crc32cUpdate(c, ptr + 0x80, 2);
    if (hasHi) {
      c = crc32cUpdate(c, changetype<usize>(ZERO4), 2);
      c = crc32cUpdate(c, ptr + 0x84, inodeSize - 0x84);
    } else {
      c = crc32cUpdate(c, ptr + 0x82, inodeSize - 0x82);
    }
  }
  return c;
}

export function extentBlockChecksum(seed: u32, ptr: usize, tailOffset: u32): u32 {
  return crc32cUpdate(seed, ptr, tailOffset);
}

export function dirLeafChecksum(seed: u32, ptr: usize, blockSize: u32): u32 {
  return crc32cUpdate(seed, ptr, blockSize - 12);
}

/** htree node: entries region [0, countOffset + count*8), then dt_reserved, then 4 zero bytes. */
export function dxNodeChecksum(seed: u32, ptr: usize, countOffset: u32, count: u32, tailPtr: usize): u32 {
  let c = crc32cUpdate(seed, ptr, countOffset + count * 8);
  c = crc32cUpdate(c, tailPtr, 4);
  c = crc32cUpdate(c, changetype<usize>(ZERO4), 4);
  return c;
}

export function orphanBlockChecksum(fsSeed: u32, ino: u32, generation: u32, block: u64, ptr: usize, slots: u32): u32 {
  let c = crc32cU32(fsSeed, ino);
  c = crc32cU32(c, generation);
  c = crc32cU64(c, block);
  return crc32cUpdate(c, ptr, slots * 4);
}

/** Extended-attribute block: fs seed + block number (le64), block with h_checksum (0x10) zeroed. */
export function xattrBlockChecksum(fsSeed: u32, block: u64, ptr: usize, blockSize: u32): u32 {
  let c = crc32cU64(fsSeed, block);
  c = crc32cUpdate(c, ptr, 0x10);
  c = crc32cUpdate(c, changetype<usize>(ZERO4), 4);
  return crc32cUpdate(c, ptr + 0x14, blockSize - 0x14);
}
