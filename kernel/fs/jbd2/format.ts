// The jbd2 on-disk format (all fields BIG-endian), as Linux and e2fsprogs write it.
//
//   every log block starts with a header:  0 magic 0xC03B3998  4 blocktype  8 sequence (tid)
//
//   superblock v2 (journal block 0)        descriptor block (type 1)
//   0x0c blocksize  0x10 maxlen            0x0c tags: { blocknr(32) flags(32) blocknr_hi(32)
//   0x14 first      0x18 sequence               csum(32) } (csum v3: 16 bytes), each but the
//   0x1c start (0 = empty)  0x20 errno          SAME_UUID ones followed by a 16-byte uuid;
//   0x24 compat  0x28 incompat  0x2c ro         without csum v3: { blocknr(32) csum(16)
//   0x30 uuid[16]  0x40 nr_users                flags(16) [blocknr_hi(32) if 64bit] }
//   0x50 checksum_type(8) (4 = crc32c)     tail (csum v2/v3): crc32c of the block, last 4 bytes
//   0xfc checksum = crc32c(~0, sb[0..1024) with it zeroed)
//
//   commit block (type 2)                  revoke block (type 5)
//   0x0c chksum_type(8) chksum_size(8)     0x0c count: bytes used, header included
//   0x10 chksum[8] (v2/v3: [0] = crc32c    0x10 block numbers (4 bytes, 8 with 64bit)
//        of the block with it zeroed)      tail (csum v2/v3) as for descriptors
//   0x30 commit_sec(64) 0x38 commit_nsec
//
// The seed of every v2/v3 checksum is crc32c(~0, uuid). A data block whose first word is the
// magic number is logged with that word zeroed and the ESCAPE flag set.
import { crc32cUpdate, crc32cU32BE } from "../../lib/crc32c";

export const JBD2_MAGIC: u32 = 0xc03b3998;
export const BLOCKTYPE_DESCRIPTOR: u32 = 1;
export const BLOCKTYPE_COMMIT: u32 = 2;
export const BLOCKTYPE_SUPERBLOCK_V1: u32 = 3;
export const BLOCKTYPE_SUPERBLOCK_V2: u32 = 4;
export const BLOCKTYPE_REVOKE: u32 = 5;

export const COMPAT_CHECKSUM: u32 = 0x1;
export const INCOMPAT_REVOKE: u32 = 0x1;
export const INCOMPAT_64BIT: u32 = 0x2;
export const INCOMPAT_ASYNC_COMMIT: u32 = 0x4;
export const INCOMPAT_CSUM_V2: u32 = 0x8;
export const INCOMPAT_CSUM_V3: u32 = 0x10;
export const INCOMPAT_FAST_COMMIT: u32 = 0x20;
export const INCOMPAT_KNOWN: u32 = INCOMPAT_REVOKE | INCOMPAT_64BIT | INCOMPAT_ASYNC_COMMIT | INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3;

export const FLAG_ESCAPE: u32 = 1;
export const FLAG_SAME_UUID: u32 = 2;
export const FLAG_DELETED: u32 = 4;
export const FLAG_LAST_TAG: u32 = 8;

export const CRC32C_CHKSUM: u8 = 4;
export const HEADER_SIZE: u32 = 12;
export const TAIL_SIZE: u32 = 4;
export const REVOKE_HEADER_SIZE: u32 = 16;
export const JSB_SIZE: u32 = 1024;

// superblock offsets
export const JSB_BLOCKSIZE: u32 = 0x0c;
export const JSB_MAXLEN: u32 = 0x10;
export const JSB_FIRST: u32 = 0x14;
export const JSB_SEQUENCE: u32 = 0x18;
export const JSB_START: u32 = 0x1c;
export const JSB_ERRNO: u32 = 0x20;
export const JSB_COMPAT: u32 = 0x24;
export const JSB_INCOMPAT: u32 = 0x28;
export const JSB_RO_COMPAT: u32 = 0x2c;
export const JSB_UUID: u32 = 0x30;
export const JSB_NR_USERS: u32 = 0x40;
export const JSB_CHECKSUM_TYPE: u32 = 0x50;
export const JSB_CHECKSUM: u32 = 0xfc;

// commit block offsets
export const COMMIT_CHKSUM_TYPE: u32 = 0x0c;
export const COMMIT_CHKSUM_SIZE: u32 = 0x0d;
export const COMMIT_CHKSUM: u32 = 0x10;
export const COMMIT_SEC: u32 = 0x30;
export const COMMIT_NSEC: u32 = 0x38;

// @ts-ignore: decorator
@inline export function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
// @ts-ignore: decorator
@inline export function setBe32(p: usize, v: u32): void { store<u32>(p, bswap<u32>(v)); }
// @ts-ignore: decorator
@inline export function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
// @ts-ignore: decorator
@inline export function setBe16(p: usize, v: u32): void { store<u16>(p, bswap<u16>(<u16>v)); }
// @ts-ignore: decorator
@inline export function be64(p: usize): u64 { return bswap<u64>(load<u64>(p)); }
// @ts-ignore: decorator
@inline export function setBe64(p: usize, v: u64): void { store<u64>(p, bswap<u64>(v)); }

export function setHeader(p: usize, blocktype: u32, sequence: u32): void {
  setBe32(p, JBD2_MAGIC);
  setBe32(p + 4, blocktype);
  setBe32(p + 8, sequence);
}

/** Bytes of one descriptor tag (without the uuid that may follow). */
export function tagBytes(incompat: u32): u32 {
  if ((incompat & INCOMPAT_CSUM_V3) != 0) return 16;
  let size: u32 = 12;
  if ((incompat & INCOMPAT_CSUM_V2) != 0) size += 2;
  return (incompat & INCOMPAT_64BIT) != 0 ? size : size - 4;
}

export function hasCsumV2or3(incompat: u32): bool {
  return (incompat & (INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3)) != 0;
}

/** Tag fields: the target block and flags, whatever the tag format. */
export function tagBlock(tag: usize, incompat: u32): u64 {
  const lo = <u64>be32(tag);
  if ((incompat & INCOMPAT_64BIT) == 0) return lo;
  return lo | (<u64>be32(tag + 8) << 32); // blocknr_high is at 8 in both tag formats
}

export function tagFlags(tag: usize, incompat: u32): u32 {
  if ((incompat & INCOMPAT_CSUM_V3) != 0) return be32(tag + 4);
  return be16(tag + 6);
}

/** The stored checksum of a tag (32 bits in v3, 16 in v2). */
export function tagChecksum(tag: usize, incompat: u32): u32 {
  if ((incompat & INCOMPAT_CSUM_V3) != 0) return be32(tag + 12);
  return be16(tag + 4);
}

/** Writes a tag: block number, flags and (v2/v3) the data block's checksum. */
export function writeTag(tag: usize, incompat: u32, block: u64, flags: u32, csum: u32): void {
  setBe32(tag, <u32>block);
  if ((incompat & INCOMPAT_CSUM_V3) != 0) {
    setBe32(tag + 4, flags);
    setBe32(tag + 8, <u32>(block >> 32));
    setBe32(tag + 12, csum);
    return;
  }
  setBe16(tag + 4, (incompat & INCOMPAT_CSUM_V2) != 0 ? csum & 0xffff : 0);
  setBe16(tag + 6, flags);
  if ((incompat & INCOMPAT_64BIT) != 0) setBe32(tag + 8, <u32>(block >> 32));
}

/** crc32c(seed, sequence as big-endian) then the data block: a tag's checksum. */
export function dataBlockChecksum(seed: u32, sequence: u32, data: usize, blockSize: u32): u32 {
  return crc32cUpdate(crc32cU32BE(seed, sequence), data, blockSize);
}

/** Checksum of a whole descriptor/revoke/commit block with its checksum field taken as 0. */
export function blockChecksum(seed: u32, p: usize, blockSize: u32, fieldOffset: u32): u32 {
  const saved = load<u32>(p + fieldOffset);
  store<u32>(p + fieldOffset, 0);
  const c = crc32cUpdate(seed, p, blockSize);
  store<u32>(p + fieldOffset, saved);
  return c;
}

export function superblockChecksum(p: usize): u32 {
  return blockChecksum(0xffffffff, p, JSB_SIZE, JSB_CHECKSUM);
}
