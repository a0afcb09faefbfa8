// An ext4 inode as kept in memory: a copy of its on-disk bytes plus accessors.
//
//   0x00 mode(16) uid(16)  0x04 size_lo  0x08 atime  0x0c ctime  0x10 mtime  0x14 dtime
//   0x18 gid(16) links(16) 0x1c blocks_lo  0x20 flags  0x24 version
//   0x28 i_block[15]: 60 bytes: extent tree root, block map, or fast symlink text
//   0x64 generation  0x68 file_acl_lo  0x6c size_hi  0x74 blocks_hi(16) file_acl_hi(16)
//   0x78 uid_hi(16) gid_hi(16)  0x7c checksum_lo(16)
//   --- large inodes (> 128 bytes) ---
//   0x80 extra_isize(16) checksum_hi(16)  0x84 ctime_extra  0x88 mtime_extra  0x8c atime_extra
//   0x90 crtime  0x94 crtime_extra  (extra: bits 0-1 epoch, 2-31 nanoseconds)
//
// The copy is written back whole (Ext4Volume.storeInode) with its checksum recomputed.

export const ROOT_INO: u32 = 2;
export const RESIZE_INO: u32 = 7;
export const JOURNAL_INO: u32 = 8;
export const LOST_AND_FOUND_INO: u32 = 11;

// i_flags
export const FL_SECRM: u32 = 0x1;
export const FL_SYNC: u32 = 0x8;
export const FL_IMMUTABLE: u32 = 0x10;
export const FL_APPEND: u32 = 0x20;
export const FL_INDEX: u32 = 0x1000;
export const FL_JOURNAL_DATA: u32 = 0x4000;
export const FL_HUGE_FILE: u32 = 0x40000;
export const FL_EXTENTS: u32 = 0x80000;
export const FL_EA_INODE: u32 = 0x200000;
export const FL_INLINE_DATA: u32 = 0x10000000;

export const I_BLOCK: usize = 0x28;
export const I_BLOCK_BYTES: u32 = 60;

export class Inode {
  raw: StaticArray<u8>;
  /** crc32c seed of this inode's metadata (extent blocks, directory blocks). */
  csumSeed: u32 = 0;

  constructor(public ino: u32, public size_: u32) {
    this.raw = new StaticArray<u8>(size_);
  }

  // @ts-ignore: decorator
  @inline get ptr(): usize { return changetype<usize>(this.raw); }
  // @ts-ignore: decorator
  @inline get iblock(): usize { return changetype<usize>(this.raw) + I_BLOCK; }

  get mode(): u32 { return <u32>load<u16>(this.ptr); }
  set mode(v: u32) { store<u16>(this.ptr, <u16>v); }
  get uid(): u32 { return <u32>load<u16>(this.ptr + 2) | (<u32>load<u16>(this.ptr + 0x78) << 16); }
  get gid(): u32 { return <u32>load<u16>(this.ptr + 0x18) | (<u32>load<u16>(this.ptr + 0x7a) << 16); }
  get size(): u64 { return <u64>load<u32>(this.ptr + 4) | (<u64>load<u32>(this.ptr + 0x6c) << 32); }
  set size(v: u64) {
    store<u32>(this.ptr + 4, <u32>v);
    store<u32>(this.ptr + 0x6c, <u32>(v >> 32));
  }
  get links(): u32 { return <u32>load<u16>(this.ptr + 0x1a); }
  set links(v: u32) { store<u16>(this.ptr + 0x1a, <u16>v); }
  get flags(): u32 { return load<u32>(this.ptr + 0x20); }
  set flags(v: u32) { store<u32>(this.ptr + 0x20, v); }
  get generation(): u32 { return load<u32>(this.ptr + 0x64); }
  set generation(v: u32) { store<u32>(this.ptr + 0x64, v); }
  get dtime(): u32 { return load<u32>(this.ptr + 0x14); }
  set dtime(v: u32) { store<u32>(this.ptr + 0x14, v); }
  get fileAcl(): u64 { return <u64>load<u32>(this.ptr + 0x68) | (<u64>load<u16>(this.ptr + 0x76) << 32); }
  set fileAcl(v: u64) {
    store<u32>(this.ptr + 0x68, <u32>v);
    store<u16>(this.ptr + 0x76, <u16>(v >> 32));
  }
  /** The raw i_blocks fields (lo + hi), without the HUGE_FILE scaling. */
  get blocksRaw(): u64 { return <u64>load<u32>(this.ptr + 0x1c) | (<u64>load<u16>(this.ptr + 0x74) << 32); }
  set blocksRaw(v: u64) {
    store<u32>(this.ptr + 0x1c, <u32>v);
    store<u16>(this.ptr + 0x74, <u16>(v >> 32));
  }
  get extraIsize(): u32 { return this.size_ > 128 ? <u32>load<u16>(this.ptr + 0x80) : 0; }
  set extraIsize(v: u32) { if (this.size_ > 128) store<u16>(this.ptr + 0x80, <u16>v); }
  /** The orphan-list link (i_dtime doubles as "next orphan" while the inode is on the list). */
  get nextOrphan(): u32 { return this.dtime; }

  get hasExtents(): bool { return (this.flags & FL_EXTENTS) != 0; }

  /** A time field: base offset of the 32-bit seconds and of its _extra word (0 = none). */
  timeSeconds(offset: u32, extraOffset: u32): i64 {
    if (!this.fits(offset, 4)) return 0;
    const lo = <i64>load<i32>(this.ptr + offset);
    if (extraOffset == 0 || !this.fits(extraOffset, 4)) return lo;
    const extra = load<u32>(this.ptr + extraOffset);
    return lo + (<i64>(extra & 3) << 32);
  }

  timeNanos(extraOffset: u32): u32 {
    if (extraOffset == 0 || !this.fits(extraOffset, 4)) return 0;
    return load<u32>(this.ptr + extraOffset) >> 2;
  }

  setTime(offset: u32, extraOffset: u32, seconds: i64, nanos: u32): void {
    if (!this.fits(offset, 4)) return;
    store<u32>(this.ptr + offset, <u32>seconds);
    if (extraOffset != 0 && this.fits(extraOffset, 4)) {
      const epoch = <u32>(((seconds - <i64><i32>(<u32>seconds)) >> 32) & 3);
      store<u32>(this.ptr + extraOffset, (nanos << 2) | epoch);
    }
  }

  /** Is the field at offset (of the large part) present, given i_extra_isize? */
  fits(offset: u32, length: u32): bool {
    if (offset + length <= 128) return true;
    if (this.size_ <= 128) return false;
    return offset + length <= 128 + this.extraIsize;
  }
}

// time field offsets: seconds, extra
export const ATIME: u32 = 0x08;
export const ATIME_EXTRA: u32 = 0x8c;
export const CTIME: u32 = 0x0c;
export const CTIME_EXTRA: u32 = 0x84;
export const MTIME: u32 = 0x10;
export const MTIME_EXTRA: u32 = 0x88;
export const CRTIME: u32 = 0x90;
export const CRTIME_EXTRA: u32 = 0x94;
