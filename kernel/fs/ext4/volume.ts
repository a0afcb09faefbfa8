// Ext4Volume: one mounted ext2/3/4 file system's shared state and its lowest layer.
//
//   device -> BlockCache (bounded: CACHE_BYTES) -> metadata blocks, pinned while in use
//   sb       the parsed superblock            groups   every group descriptor, parsed
//   inodes   a bounded cache of Inode copies (trimmed only between operations, so an
//            operation never sees two copies of one inode)
//   journal  (has_journal, read-write) every metadata block written goes through it
//
// Errors: functions return negative codes; those returning objects return null and leave the
// code in lastError. corrupt()/badChecksum() name the object (setErrorDetail) so that the
// shell can say what is wrong, e.g. "inode 12: extent block 3301 checksum mismatch".
import { BlockDevice } from "../../block/device";
import { BlockCache, CachedBlock } from "../../block/cache";
import { EIO, EUCLEAN, EBADMSG, EROFS, ENOMEM } from "../../lib/errors";
import { setErrorDetail } from "../types";
import { Superblock, SUPERBLOCK_OFFSET, SB_CHECKSUM, superblockChecksum, SB_FREE_BLOCKS_LO, SB_FREE_BLOCKS_HI, SB_FREE_INODES } from "./superblock";
import { GroupDesc, parseGroupDesc, groupDescChecksumOk, descriptorBlock, storeGroupDesc, BG_INODE_UNINIT } from "./group";
import { Inode } from "./inode";
import { inodeChecksum, inodeSeed } from "./csum";
import { Journal } from "../jbd2/journal";

/** Buffer-cache budget of one mount. */
export const CACHE_BYTES: u32 = 4 << 20;
const INODE_CACHE_LIMIT: i32 = 512;
/** Entries in each checked-block memo (checkedDirBlocks, checkedExtentBlocks) before it starts
 *  over: a big tree walked by `find` or `ls -R` must not grow the heap without bound. */
export const CHECKED_BLOCKS_MEMO_LIMIT: i32 = 16384;

export class Ext4Volume {
  cache: BlockCache;
  groups: Array<GroupDesc> = new Array<GroupDesc>(0);
  readOnly: bool = false;
  journal: Journal | null = null;
  lastError: i32 = 0;
  private inodes: Map<u32, Inode> = new Map<u32, Inode>();
  /** Bumped by every change of metadata: memos of validated blocks compare it. */
  epoch: u64 = 0;
  /** Directory blocks already checked: physical block -> epoch + inode + kind (dir.ts). */
  checkedDirBlocks: Map<u64, u64> = new Map<u64, u64>();
  /**
   * Physical block -> the epoch of its last change (dirty()). A directory block's memo holds
   * while the block itself is unchanged: the profiler found `bench fs create` re-verifying the
   * checksum of every block of a directory on every lookup, since each create bumped the epoch.
   */
  changedAt: Map<u64, u64> = new Map<u64, u64>();
  /** Extent blocks already verified: physical block -> (epoch << 32) | inode (extent.ts). */
  checkedExtentBlocks: Map<u64, u64> = new Map<u64, u64>();
  /** Open handles per inode (Ext4Fs.openRef/closeRef): a file unlinked while open becomes an orphan (names.ts). */
  openCounts: Map<u64, i32> = new Map<u64, i32>();
  /** The last i_generation handed out (inodes.ts newInode). */
  inodeGeneration: u32 = 0;

  constructor(public device: BlockDevice, public sb: Superblock) {
    const bs = sb.blockSize;
    this.cache = new BlockCache(device, bs, max<i32>(64, <i32>(CACHE_BYTES / bs)));
  }

  // @ts-ignore: decorator
  @inline get blockSize(): u32 { return this.sb.blockSize; }

  // ---------------------------------------------------------------- errors

  fail(code: i32): i32 {
    this.lastError = code;
    return code;
  }

  /** A corrupt structure: EUCLEAN with a description of what. */
  corrupt(detail: string): i32 {
    setErrorDetail(detail);
    this.lastError = -EUCLEAN;
    return -EUCLEAN;
  }

  /** A checksum mismatch: EBADMSG naming the object. */
  badChecksum(object: string): i32 {
    setErrorDetail(object + " checksum mismatch");
    this.lastError = -EBADMSG;
    return -EBADMSG;
  }

  /** Is n a block number inside the file system (and not the boot block of 1 KiB file systems)? */
  // @ts-ignore: decorator
  @inline validBlock(n: u64): bool {
    return n >= <u64>this.sb.firstDataBlock && n < this.sb.blocksCount && n != 0;
  }

  /** Is the run [n, n + count) inside the file system? */
  validRun(n: u64, count: u64): bool {
    return count > 0 && this.validBlock(n) && count <= this.sb.blocksCount - n;
  }

  // ---------------------------------------------------------------- metadata blocks

  /** Block n, pinned, for reading. Null on an I/O error (lastError). Release it. */
  readBlock(n: u64, what: string): CachedBlock | null {
    if (n >= this.sb.blocksCount) {
      this.corrupt(what + ": block " + n.toString() + " is beyond the end of the file system");
      return null;
    }
    const b = this.cache.get(n);
    if (b == null) {
      setErrorDetail("reading " + what + " (block " + n.toString() + ")");
      this.lastError = this.cache.lastError == -ENOMEM ? -ENOMEM : -EIO;
      return null;
    }
    return b;
  }

  release(b: CachedBlock): void {
    this.cache.release(b);
  }

  /**
   * Block n, pinned, for changing: in the running journal transaction when there is a
   * journal, else simply dirty. The caller changes b.data and releases b.
   */
  writeBlock(n: u64, what: string): CachedBlock | null {
    if (this.readOnly) {
      this.lastError = -EROFS;
      return null;
    }
    const b = this.readBlock(n, what);
    if (b == null) return null;
    this.dirty(b);
    return b;
  }

  /** Like writeBlock for a block whose old contents do not matter (it comes back zeroed if new). */
  newBlock(n: u64, what: string): CachedBlock | null {
    if (this.readOnly) {
      this.lastError = -EROFS;
      return null;
    }
    if (!this.validBlock(n)) {
      this.corrupt(what + ": block " + n.toString() + " is outside the file system");
      return null;
    }
    const b = this.cache.getForOverwrite(n);
    if (b == null) {
      this.lastError = this.cache.lastError < 0 ? this.cache.lastError : -EIO;
      return null;
    }
    memory.fill(b.data, 0, this.blockSize);
    this.dirty(b);
    return b;
  }

  /** The epoch at which block n last changed (0: not since the memos started over). */
  changedSince(n: u64): u64 {
    return this.changedAt.has(n) ? this.changedAt.get(n) : 0;
  }

  private dirty(b: CachedBlock): void {
    this.epoch++;
    if (this.changedAt.size >= CHECKED_BLOCKS_MEMO_LIMIT) {
      // bounded: forgetting changes means forgetting what was checked after them
      this.changedAt.clear();
      this.checkedDirBlocks.clear();
    }
    this.changedAt.set(b.block, this.epoch);
    if (this.journal != null && this.journal!.live) this.journal!.addMetadata(b);
    else this.cache.markDirty(b);
  }

  // ---------------------------------------------------------------- group descriptors

  /** Reads and checks every group descriptor. Returns 0 or an error (with detail). */
  loadGroups(): i32 {
    const sb = this.sb;
    this.groups = new Array<GroupDesc>(0);
    const bs = <u64>sb.blockSize;
    for (let g: u32 = 0; g < sb.groupCount; g++) {
      const block = descriptorBlock(sb, g);
      const offset = (g % sb.descPerBlock) * sb.descSize;
      const b = this.readBlock(block, "group descriptor " + g.toString());
      if (b == null) return this.lastError;
      const ptr = b.data + <usize>offset;
      if (!groupDescChecksumOk(sb, g, ptr)) {
        this.release(b);
        return this.badChecksum("group descriptor " + g.toString());
      }
      const gd = new GroupDesc(g);
      parseGroupDesc(sb, ptr, gd);
      gd.descBlock = block;
      gd.descOffset = offset;
      this.release(b);
      const itableBlocks = (<u64>sb.inodesPerGroup * <u64>sb.inodeSize + bs - 1) / bs;
      if (!this.validBlock(gd.blockBitmap) || !this.validBlock(gd.inodeBitmap) || !this.validRun(gd.inodeTable, itableBlocks)) {
        return this.corrupt("group descriptor " + g.toString() + ": bitmap or inode table outside the file system");
      }
      if (gd.freeBlocks > sb.blocksPerGroup || gd.freeInodes > sb.inodesPerGroup) {
        return this.corrupt("group descriptor " + g.toString() + ": free counts larger than the group");
      }
      this.groups.push(gd);
    }
    return 0;
  }

  /** Writes group g's descriptor back (with its checksum) into its block. */
  storeGroup(g: u32): i32 {
    const gd = this.groups[g];
    const b = this.writeBlock(gd.descBlock, "group descriptor");
    if (b == null) return this.lastError;
    storeGroupDesc(this.sb, b.data + <usize>gd.descOffset, gd);
    this.release(b);
    return 0;
  }

  /** Writes the superblock's free counts (and anything else set in memory) back. */
  storeSuperblockCounts(): i32 {
    const bs = <u64>this.blockSize;
    const block = SUPERBLOCK_OFFSET / bs;
    const within = <usize>(SUPERBLOCK_OFFSET % bs);
    const b = this.writeBlock(block, "superblock");
    if (b == null) return this.lastError;
    const p = b.data + within;
    store<u32>(p + SB_FREE_BLOCKS_LO, <u32>this.sb.freeBlocks);
    if (this.sb.is64bit) store<u32>(p + SB_FREE_BLOCKS_HI, <u32>(this.sb.freeBlocks >> 32));
    store<u32>(p + SB_FREE_INODES, this.sb.freeInodes);
    this.sealSuperblock(p);
    this.release(b);
    return 0;
  }

  /** Recomputes the superblock checksum of the bytes at p. */
  sealSuperblock(p: usize): void {
    if (this.sb.metadataCsum) store<u32>(p + SB_CHECKSUM, superblockChecksum(p));
  }

  // ---------------------------------------------------------------- inodes

  /** The inode (a shared in-memory copy). Null on error (lastError, with detail). */
  getInode(ino: u32): Inode | null {
    if (this.inodes.has(ino)) return this.inodes.get(ino);
    const sb = this.sb;
    if (ino == 0 || ino > sb.inodesCount) {
      this.corrupt("inode number " + ino.toString() + " is out of range");
      return null;
    }
    const g = (ino - 1) / sb.inodesPerGroup;
    const index = (ino - 1) % sb.inodesPerGroup;
    const gd = this.groups[g];
    const inode = new Inode(ino, sb.inodeSize);
    if ((gd.flags & BG_INODE_UNINIT) != 0 && (sb.metadataCsum || sb.gdtCsum)) {
      // never initialised: reads as a free inode
      this.inodes.set(ino, inode);
      return inode;
    }
    const offset = <u64>index * <u64>sb.inodeSize;
    const bs = <u64>sb.blockSize;
    const b = this.readBlock(gd.inodeTable + offset / bs, "inode table");
    if (b == null) return null;
    memory.copy(inode.ptr, b.data + <usize>(offset % bs), sb.inodeSize);
    this.release(b);
    if (sb.inodeSize > 128) {
      const extra = <u32>load<u16>(inode.ptr + 0x80);
      if (<u32>128 + extra > sb.inodeSize || (extra & 3) != 0) {
        this.corrupt("inode " + ino.toString() + ": bad extra size " + extra.toString());
        return null;
      }
    }
    if (sb.metadataCsum && !allZero(inode.ptr, sb.inodeSize)) {
      const seed = inodeSeed(sb.csumSeed, ino, inode.generation);
      const hasHi = inode.fits(0x82, 2) && sb.inodeSize > 128;
      const computed = inodeChecksum(seed, inode.ptr, sb.inodeSize, hasHi);
      let stored = <u32>load<u16>(inode.ptr + 0x7c);
      let mask: u32 = 0xffff;
      if (hasHi) {
        stored |= <u32>load<u16>(inode.ptr + 0x82) << 16;
        mask = 0xffffffff;
      }
      if ((computed & mask) != stored) {
        this.badChecksum("inode " + ino.toString());
        return null;
      }
    }
    inode.csumSeed = inodeSeed(sb.csumSeed, ino, inode.generation);
    this.inodes.set(ino, inode);
    return inode;
  }

  /** Writes the inode copy back into the inode table with a fresh checksum. */
  storeInode(inode: Inode): i32 {
    const sb = this.sb;
    const ino = inode.ino;
    const g = (ino - 1) / sb.inodesPerGroup;
    const index = (ino - 1) % sb.inodesPerGroup;
    const gd = this.groups[g];
    const offset = <u64>index * <u64>sb.inodeSize;
    const bs = <u64>sb.blockSize;
    inode.csumSeed = inodeSeed(sb.csumSeed, ino, inode.generation);
    if (sb.metadataCsum) {
      const hasHi = inode.fits(0x82, 2) && sb.inodeSize > 128;
      const c = inodeChecksum(inode.csumSeed, inode.ptr, sb.inodeSize, hasHi);
      store<u16>(inode.ptr + 0x7c, <u16>c);
      if (hasHi) store<u16>(inode.ptr + 0x82, <u16>(c >> 16));
    }
    const b = this.writeBlock(gd.inodeTable + offset / bs, "inode table");
    if (b == null) return this.lastError;
    memory.copy(b.data + <usize>(offset % bs), inode.ptr, sb.inodeSize);
    this.release(b);
    return 0;
  }

  /** A block was freed: out of the journal (with a revoke when it was logged) and the cache. */
  forgetBlock(n: u64): void {
    if (this.journal != null && this.journal!.live) this.journal!.forget(n);
    else this.cache.drop(n);
  }

  /** A file-data block was dirtied in the cache: ordered mode writes it before the next commit. */
  noteData(n: u64): void {
    if (this.journal != null && this.journal!.live) this.journal!.noteData(n);
  }

  /** Does the journal hold a copy of block n that replay could write (so n must not change in place)? */
  isJournaled(n: u64): bool {
    return this.journal != null && this.journal!.live && this.journal!.isJournaled(n);
  }

  /**
   * File data in `b` (pinned by the caller) was changed: ordered mode writes it home before the
   * next commit, unless the journal holds a copy of the block (journalData earlier): then it is
   * journaled again, or a replay of the older copy would undo the change.
   */
  dataDirtied(b: CachedBlock): void {
    if (this.isJournaled(b.block)) {
      this.journal!.addMetadata(b);
      return;
    }
    this.cache.markDirty(b);
    this.noteData(b.block);
  }

  /** File data changed by a metadata operation (`b` pinned): journaled with that operation. */
  journalData(b: CachedBlock): void {
    if (this.journal != null && this.journal!.live) this.journal!.addMetadata(b);
    else this.cache.markDirty(b);
  }

  /** Makes `inode` the cached copy of its number (a freshly initialised inode). */
  adoptInode(inode: Inode): void {
    inode.csumSeed = inodeSeed(this.sb.csumSeed, inode.ino, inode.generation);
    this.inodes.set(inode.ino, inode);
  }

  /** Drops every cached inode (after journal replay changed the disk under them). */
  forgetAllInodes(): void {
    this.inodes.clear();
    this.checkedDirBlocks.clear();
    this.changedAt.clear();
    this.checkedExtentBlocks.clear();
  }

  forgetInode(ino: u32): void {
    this.inodes.delete(ino);
  }

  /** Called between operations: keeps the inode cache bounded. */
  trimCaches(): void {
    if (this.inodes.size > INODE_CACHE_LIMIT) this.inodes.clear();
  }
}

function allZero(p: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i += 4) if (load<u32>(p + <usize>i) != 0) return false;
  return true;
}
