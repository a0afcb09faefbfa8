// The ext4 superblock: 1024 bytes at byte 1024 of the device (little-endian).
//
//   0x000 inodes_count      0x004 blocks_count_lo  0x008 r_blocks_count_lo 0x00c free_blocks_lo
//   0x010 free_inodes       0x014 first_data_block 0x018 log_block_size    0x01c log_cluster_size
//   0x020 blocks_per_group  0x024 clusters_per_grp 0x028 inodes_per_group  0x02c mtime
//   0x030 wtime  0x034 mnt_count(16) max_mnt(16)   0x038 magic 0xEF53(16) state(16)
//   0x04c rev_level  0x054 first_ino  0x058 inode_size(16)  0x05c compat 0x060 incompat 0x064 ro_compat
//   0x068 uuid[16]  0x078 volume_name[16]  0x0ce reserved_gdt_blocks(16)  0x0e0 journal_inum
//   0x0e8 last_orphan  0x0ec hash_seed[4]  0x0fc def_hash_version(8)  0x0fe desc_size(16)
//   0x104 first_meta_bg  0x150 blocks_count_hi  0x154 r_blocks_hi  0x158 free_blocks_hi
//   0x15c min_extra_isize(16) want_extra_isize(16)  0x160 flags  0x174 log_groups_per_flex(8)
//   0x175 checksum_type(8)  0x178 kbytes_written(64)  0x270 checksum_seed  0x280 orphan_file_inum
//   0x3fc checksum = crc32c(~0, bytes 0..0x3fb)
//
// parseSuperblock() validates everything the rest of ext4 relies on (sizes, counts, the
// checksum) so that later code can compute offsets from these fields without further checks.
import { crc32cUpdate } from "../../lib/crc32c";

export const SUPERBLOCK_OFFSET: u64 = 1024;
export const SUPERBLOCK_SIZE: u32 = 1024;
export const EXT4_MAGIC: u32 = 0xef53;

// feature_compat
export const COMPAT_DIR_PREALLOC: u32 = 0x1;
export const COMPAT_IMAGIC_INODES: u32 = 0x2;
export const COMPAT_HAS_JOURNAL: u32 = 0x4;
export const COMPAT_EXT_ATTR: u32 = 0x8;
export const COMPAT_RESIZE_INODE: u32 = 0x10;
export const COMPAT_DIR_INDEX: u32 = 0x20;
export const COMPAT_SPARSE_SUPER2: u32 = 0x200;
export const COMPAT_FAST_COMMIT: u32 = 0x400;
export const COMPAT_STABLE_INODES: u32 = 0x800;
export const COMPAT_ORPHAN_FILE: u32 = 0x1000;

// feature_incompat
export const INCOMPAT_COMPRESSION: u32 = 0x1;
export const INCOMPAT_FILETYPE: u32 = 0x2;
export const INCOMPAT_RECOVER: u32 = 0x4;
export const INCOMPAT_JOURNAL_DEV: u32 = 0x8;
export const INCOMPAT_META_BG: u32 = 0x10;
export const INCOMPAT_EXTENTS: u32 = 0x40;
export const INCOMPAT_64BIT: u32 = 0x80;
export const INCOMPAT_MMP: u32 = 0x100;
export const INCOMPAT_FLEX_BG: u32 = 0x200;
export const INCOMPAT_EA_INODE: u32 = 0x400;
export const INCOMPAT_DIRDATA: u32 = 0x1000;
export const INCOMPAT_CSUM_SEED: u32 = 0x2000;
export const INCOMPAT_LARGEDIR: u32 = 0x4000;
export const INCOMPAT_INLINE_DATA: u32 = 0x8000;
export const INCOMPAT_ENCRYPT: u32 = 0x10000;
export const INCOMPAT_CASEFOLD: u32 = 0x20000;

/** Incompatible features SIS understands; any other bit refuses the mount. */
export const INCOMPAT_SUPPORTED: u32 = INCOMPAT_FILETYPE | INCOMPAT_RECOVER | INCOMPAT_META_BG |
  INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG | INCOMPAT_CSUM_SEED | INCOMPAT_LARGEDIR;

// feature_ro_compat
export const RO_COMPAT_SPARSE_SUPER: u32 = 0x1;
export const RO_COMPAT_LARGE_FILE: u32 = 0x2;
export const RO_COMPAT_BTREE_DIR: u32 = 0x4;
export const RO_COMPAT_HUGE_FILE: u32 = 0x8;
export const RO_COMPAT_GDT_CSUM: u32 = 0x10;
export const RO_COMPAT_DIR_NLINK: u32 = 0x20;
export const RO_COMPAT_EXTRA_ISIZE: u32 = 0x40;
export const RO_COMPAT_HAS_SNAPSHOT: u32 = 0x80;
export const RO_COMPAT_QUOTA: u32 = 0x100;
export const RO_COMPAT_BIGALLOC: u32 = 0x200;
export const RO_COMPAT_METADATA_CSUM: u32 = 0x400;
export const RO_COMPAT_REPLICA: u32 = 0x800;
export const RO_COMPAT_READONLY: u32 = 0x1000;
export const RO_COMPAT_PROJECT: u32 = 0x2000;
export const RO_COMPAT_SHARED_BLOCKS: u32 = 0x4000;
export const RO_COMPAT_VERITY: u32 = 0x8000;
export const RO_COMPAT_ORPHAN_PRESENT: u32 = 0x10000;

/** Read-only-compatible features SIS can write with; any other bit mounts read-only. */
export const RO_COMPAT_WRITABLE: u32 = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_BTREE_DIR |
  RO_COMPAT_HUGE_FILE | RO_COMPAT_GDT_CSUM | RO_COMPAT_DIR_NLINK | RO_COMPAT_EXTRA_ISIZE |
  RO_COMPAT_METADATA_CSUM | RO_COMPAT_ORPHAN_PRESENT;

// s_state
export const STATE_VALID: u16 = 0x1;
export const STATE_ERROR: u16 = 0x2;
export const STATE_ORPHANS: u16 = 0x4;

// s_flags
export const FLAG_SIGNED_HASH: u32 = 0x1;
export const FLAG_UNSIGNED_HASH: u32 = 0x2;

// field offsets used for in-place updates
export const SB_FREE_BLOCKS_LO: u32 = 0x0c;
export const SB_FREE_INODES: u32 = 0x10;
export const SB_MTIME: u32 = 0x2c;
export const SB_WTIME: u32 = 0x30;
export const SB_MNT_COUNT: u32 = 0x34;
export const SB_STATE: u32 = 0x3a;
export const SB_FEATURE_COMPAT: u32 = 0x5c;
export const SB_FEATURE_INCOMPAT: u32 = 0x60;
export const SB_FEATURE_RO_COMPAT: u32 = 0x64;
export const SB_LAST_ORPHAN: u32 = 0xe8;
export const SB_FREE_BLOCKS_HI: u32 = 0x158;
export const SB_KBYTES_WRITTEN: u32 = 0x178;
export const SB_CHECKSUM: u32 = 0x3fc;

export class Superblock {
  inodesCount: u32 = 0;
  blocksCount: u64 = 0;
  reservedBlocks: u64 = 0;
  freeBlocks: u64 = 0;
  freeInodes: u32 = 0;
  firstDataBlock: u32 = 0;
  logBlockSize: u32 = 0;
  blockSize: u32 = 0;
  blocksPerGroup: u32 = 0;
  clustersPerGroup: u32 = 0;
  inodesPerGroup: u32 = 0;
  state: u16 = 0;
  revLevel: u32 = 0;
  firstIno: u32 = 11;
  inodeSize: u32 = 128;
  compat: u32 = 0;
  incompat: u32 = 0;
  roCompat: u32 = 0;
  uuid: StaticArray<u8> = new StaticArray<u8>(16);
  label: string = "";
  reservedGdtBlocks: u32 = 0;
  journalInum: u32 = 0;
  journalDev: u32 = 0;
  lastOrphan: u32 = 0;
  hashSeed: StaticArray<u32> = new StaticArray<u32>(4);
  defHashVersion: u8 = 0;
  descSize: u32 = 32;
  firstMetaBg: u32 = 0;
  minExtraIsize: u16 = 0;
  wantExtraIsize: u16 = 0;
  flags: u32 = 0;
  logGroupsPerFlex: u32 = 0;
  checksumType: u8 = 0;
  checksumSeed: u32 = 0;
  orphanFileInum: u32 = 0;
  groupCount: u32 = 0;
  /** Seed of every metadata checksum: s_checksum_seed or crc32c(~0, uuid). */
  csumSeed: u32 = 0;

  has(compat: u32): bool { return (this.compat & compat) != 0; }
  hasIncompat(f: u32): bool { return (this.incompat & f) != 0; }
  hasRoCompat(f: u32): bool { return (this.roCompat & f) != 0; }
  get metadataCsum(): bool { return (this.roCompat & RO_COMPAT_METADATA_CSUM) != 0; }
  get gdtCsum(): bool { return (this.roCompat & RO_COMPAT_GDT_CSUM) != 0; }
  get is64bit(): bool { return (this.incompat & INCOMPAT_64BIT) != 0; }
  get inodesPerBlock(): u32 { return this.blockSize / this.inodeSize; }
  get descPerBlock(): u32 { return this.blockSize / this.descSize; }
}

/** Why the last parse failed. */
export let superblockProblem: string = "";

/** Checksum of the 1024 bytes at ptr (the s_checksum field is not included). */
export function superblockChecksum(ptr: usize): u32 {
  return crc32cUpdate(0xffffffff, ptr, SB_CHECKSUM);
}

function problem(s: string): bool {
  superblockProblem = s;
  return false;
}

/**
 * Fills sb from the 1024 bytes at ptr. Returns false (with superblockProblem) when the
 * bytes are not a usable ext2/3/4 superblock. deviceBlocks: the device size in bytes / 1024.
 * verifyChecksum false: a checksum mismatch is not refused (mount, when a journal replay
 * may still repair a torn superblock write; everything else is checked).
 */
export function parseSuperblock(ptr: usize, sb: Superblock, deviceBytes: u64, verifyChecksum: bool = true): bool {
  superblockProblem = "";
  if (<u32>load<u16>(ptr + 0x38) != EXT4_MAGIC) return problem("no ext2/3/4 superblock (bad magic number)");
  sb.inodesCount = load<u32>(ptr + 0x0);
  sb.freeInodes = load<u32>(ptr + 0x10);
  sb.firstDataBlock = load<u32>(ptr + 0x14);
  sb.logBlockSize = load<u32>(ptr + 0x18);
  sb.blocksPerGroup = load<u32>(ptr + 0x20);
  sb.clustersPerGroup = load<u32>(ptr + 0x24);
  sb.inodesPerGroup = load<u32>(ptr + 0x28);
  sb.state = load<u16>(ptr + 0x3a);
  sb.revLevel = load<u32>(ptr + 0x4c);
  sb.compat = 0;
  sb.incompat = 0;
  sb.roCompat = 0;
  if (sb.revLevel >= 1) {
    sb.firstIno = load<u32>(ptr + 0x54);
    sb.inodeSize = <u32>load<u16>(ptr + 0x58);
    sb.compat = load<u32>(ptr + 0x5c);
    sb.incompat = load<u32>(ptr + 0x60);
    sb.roCompat = load<u32>(ptr + 0x64);
  } else {
    sb.firstIno = 11;
    sb.inodeSize = 128;
  }
  memory.copy(changetype<usize>(sb.uuid), ptr + 0x68, 16);
  sb.label = readLabel(ptr + 0x78, 16);
  sb.reservedGdtBlocks = <u32>load<u16>(ptr + 0xce);
  sb.journalInum = load<u32>(ptr + 0xe0);
  sb.journalDev = load<u32>(ptr + 0xe4);
  sb.lastOrphan = load<u32>(ptr + 0xe8);
  for (let i = 0; i < 4; i++) sb.hashSeed[i] = load<u32>(ptr + 0xec + <usize>(i * 4));
  sb.defHashVersion = load<u8>(ptr + 0xfc);
  sb.descSize = sb.is64bit ? <u32>load<u16>(ptr + 0xfe) : 32;
  sb.firstMetaBg = load<u32>(ptr + 0x104);
  const hi64 = sb.is64bit;
  sb.blocksCount = <u64>load<u32>(ptr + 0x4) | (hi64 ? <u64>load<u32>(ptr + 0x150) << 32 : 0);
  sb.reservedBlocks = <u64>load<u32>(ptr + 0x8) | (hi64 ? <u64>load<u32>(ptr + 0x154) << 32 : 0);
  sb.freeBlocks = <u64>load<u32>(ptr + 0xc) | (hi64 ? <u64>load<u32>(ptr + 0x158) << 32 : 0);
  sb.minExtraIsize = load<u16>(ptr + 0x15c);
  sb.wantExtraIsize = load<u16>(ptr + 0x15e);
  sb.flags = load<u32>(ptr + 0x160);
  sb.logGroupsPerFlex = <u32>load<u8>(ptr + 0x174);
  sb.checksumType = load<u8>(ptr + 0x175);
  sb.checksumSeed = load<u32>(ptr + 0x270);
  sb.orphanFileInum = load<u32>(ptr + 0x280);

  if (sb.metadataCsum) {
    if (sb.checksumType != 1) return problem("unknown metadata checksum type " + sb.checksumType.toString());
    const stored = load<u32>(ptr + SB_CHECKSUM);
    const computed = superblockChecksum(ptr);
    if (stored != computed && verifyChecksum) return problem("superblock checksum mismatch (stored 0x" + stored.toString(16) + ", computed 0x" + computed.toString(16) + ")");
    sb.csumSeed = sb.hasIncompat(INCOMPAT_CSUM_SEED) ? sb.checksumSeed : crc32cUpdate(0xffffffff, changetype<usize>(sb.uuid), 16);
  }

  // geometry: everything later code computes offsets from
  if (sb.logBlockSize > 6) return problem("block size 2^" + (sb.logBlockSize + 10).toString() + " is not supported");
  sb.blockSize = <u32>1024 << sb.logBlockSize;
  const bs = sb.blockSize;
  if (sb.hasRoCompat(RO_COMPAT_BIGALLOC)) {
    if (load<u32>(ptr + 0x1c) < sb.logBlockSize || load<u32>(ptr + 0x1c) > 20) return problem("bad cluster size");
    // allocation in clusters changes every bitmap and group computation: say so by name
    return problem("the bigalloc feature (clusters of " + (<u32>1 << (load<u32>(ptr + 0x1c) - sb.logBlockSize)).toString() + " blocks) is not supported");
  }
  if (sb.blocksPerGroup == 0 || sb.blocksPerGroup > bs * 8) return problem("bad blocks per group " + sb.blocksPerGroup.toString());
  // without bigalloc a cluster is a block (Linux refuses the mount otherwise); the bitmap checksums cover
  // clusters per group / 8 bytes of one block, so a larger count read past the block buffer
  if (sb.clustersPerGroup != sb.blocksPerGroup) {
    return problem("blocks per group (" + sb.blocksPerGroup.toString() + ") and clusters per group (" + sb.clustersPerGroup.toString() + ") differ");
  }
  if (sb.inodeSize < 128 || sb.inodeSize > bs || !isPowerOf2(sb.inodeSize)) return problem("bad inode size " + sb.inodeSize.toString());
  if (sb.inodesPerGroup == 0 || sb.inodesPerGroup > bs * 8 || sb.inodesPerGroup % sb.inodesPerBlock != 0)
    return problem("bad inodes per group " + sb.inodesPerGroup.toString());
  if (sb.is64bit) {
    if (sb.descSize < 32 || sb.descSize > 1024 || !isPowerOf2(sb.descSize)) return problem("bad group descriptor size " + sb.descSize.toString());
  }
  if (sb.blocksCount == 0 || sb.blocksCount > (<u64>1 << 48)) return problem("bad block count");
  if (sb.firstDataBlock >= <u32>min<u64>(sb.blocksCount, 0xffffffff) || sb.firstDataBlock > 1) return problem("bad first data block " + sb.firstDataBlock.toString());
  if (bs == 1024 && sb.firstDataBlock != 1 && !sb.hasRoCompat(RO_COMPAT_BIGALLOC)) return problem("bad first data block for 1 KiB blocks");
  if (sb.blocksCount * <u64>bs > deviceBytes) {
    return problem("file system of " + sb.blocksCount.toString() + " blocks is larger than the device (" + (deviceBytes / <u64>bs).toString() + " blocks)");
  }
  const groups = (sb.blocksCount - <u64>sb.firstDataBlock + <u64>sb.blocksPerGroup - 1) / <u64>sb.blocksPerGroup;
  if (groups == 0 || groups > 0x10000000) return problem("bad group count");
  sb.groupCount = <u32>groups;
  if (<u64>sb.inodesCount != <u64>sb.inodesPerGroup * groups) return problem("inode count " + sb.inodesCount.toString() + " does not match " + sb.groupCount.toString() + " groups of " + sb.inodesPerGroup.toString());
  if (sb.firstIno < 11 || sb.firstIno >= sb.inodesCount) return problem("bad first inode " + sb.firstIno.toString());
  if (sb.inodeSize > 128) {
    if (<u32>sb.minExtraIsize > sb.inodeSize - 128 || <u32>sb.wantExtraIsize > sb.inodeSize - 128) {
      sb.minExtraIsize = 0;
      sb.wantExtraIsize = 0;
    }
  }
  return true;
}

function isPowerOf2(v: u32): bool {
  return v != 0 && (v & (v - 1)) == 0;
}

function readLabel(ptr: usize, max: i32): string {
  let n = 0;
  while (n < max && load<u8>(ptr + <usize>n) != 0) n++;
  return String.UTF8.decodeUnsafe(ptr, <usize>n, false);
}

/** Names of the bits of `mask` for messages ("inline_data, casefold"). */
export function incompatNames(mask: u32): string {
  return bitNames(mask, ["compression", "filetype", "needs_recovery", "journal_dev", "meta_bg", "bit5", "extent", "64bit",
    "mmp", "flex_bg", "ea_inode", "bit11", "dirdata", "metadata_csum_seed", "large_dir", "inline_data", "encrypt", "casefold"]);
}

export function roCompatNames(mask: u32): string {
  return bitNames(mask, ["sparse_super", "large_file", "btree_dir", "huge_file", "uninit_bg", "dir_nlink", "extra_isize",
    "snapshot", "quota", "bigalloc", "metadata_csum", "replica", "read-only", "project", "shared_blocks", "verity", "orphan_present"]);
}

export function compatNames(mask: u32): string {
  return bitNames(mask, ["dir_prealloc", "imagic_inodes", "has_journal", "ext_attr", "resize_inode", "dir_index", "lazy_bg",
    "exclude_inode", "exclude_bitmap", "sparse_super2", "fast_commit", "stable_inodes", "orphan_file"]);
}

function bitNames(mask: u32, names: Array<string>): string {
  let s = "";
  for (let i = 0; i < 32; i++) {
    if ((mask & (<u32>1 << i)) == 0) continue;
    const name = i < names.length ? names[i] : "bit" + i.toString();
    s += (s.length > 0 ? ", " : "") + name;
  }
  return s;
}
