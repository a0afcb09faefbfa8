// Ext4Fs: ext2/ext3/ext4 behind the VFS interface (kernel/fs/types.ts).
//
// mountExt4() reads and checks the superblock and every group descriptor, refuses unknown
// incompatible features by name, mounts read-only (and says so) for unknown read-only-
// compatible ones, then serves lookups, reads and directory listings from the volume.
// File data is read straight from the device into the caller's buffer for whole blocks of a
// contiguous run that the buffer cache does not hold; everything else goes through the cache.
import { BlockDevice, SECTOR_SIZE } from "../../block/device";
import { ENOENT, ENOTDIR, EISDIR, EINVAL, EIO, ENOMEM, EUCLEAN, EOPNOTSUPP, EROFS } from "../../lib/errors";
import { FileSystem, Stat, DirEntry, FsStats, isDir, isLink, isReg, S_IFMT, S_IFCHR, S_IFBLK, DT_UNKNOWN, setErrorDetail } from "../types";
import { decodeUtf8 } from "../../lib/utf8";
import {
  Superblock, parseSuperblock, superblockProblem, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE,
  INCOMPAT_SUPPORTED, RO_COMPAT_WRITABLE, incompatNames, roCompatNames, COMPAT_HAS_JOURNAL, INCOMPAT_RECOVER,
  INCOMPAT_EXTENTS, INCOMPAT_64BIT, INCOMPAT_FLEX_BG, RO_COMPAT_HUGE_FILE, RO_COMPAT_DIR_NLINK, RO_COMPAT_EXTRA_ISIZE,
  RO_COMPAT_METADATA_CSUM, RO_COMPAT_GDT_CSUM, INCOMPAT_CSUM_SEED, INCOMPAT_META_BG, COMPAT_FAST_COMMIT, compatNames,
} from "./superblock";
import { Ext4Volume } from "./volume";
import { Inode, ROOT_INO, FL_HUGE_FILE, FL_INLINE_DATA, ATIME, ATIME_EXTRA, MTIME, MTIME_EXTRA, CTIME, CTIME_EXTRA, CRTIME, CRTIME_EXTRA, I_BLOCK_BYTES } from "./inode";
import { BlockRun } from "./extent";
import {
  mapBlock, readDirBlock, DirBlock, DirBlockKind, DirSlot, direntInode, direntRecLen, direntNameLength, hasFiletype,
  isIndexed, linearLookup, DIRENT_HEADER, MAX_DIR_SIZE,
} from "./dir";
import { dxLookup, DX_FOUND } from "./htree";

/** Largest direct device read, in blocks (bounded so one request stays reasonable). */
const MAX_DIRECT_BLOCKS: u64 = 256;

export class Ext4Fs extends FileSystem {
  vol: Ext4Volume;
  /** What the mount said (features, read-only reasons, replay). */
  notes: Array<string> = new Array<string>(0);
  private run: BlockRun = new BlockRun();
  private slot: DirSlot = new DirSlot();
  private dirBlock: DirBlock = new DirBlock();

  constructor(vol: Ext4Volume) {
    super();
    this.vol = vol;
    this.typeName = flavour(vol.sb);
    this.source = vol.device.name;
    this.readOnly = vol.readOnly;
  }

  rootIno(): u64 {
    return ROOT_INO;
  }

  /** The inode for an operation; null with lastError. */
  inode(ino: u64): Inode | null {
    if (ino == 0 || ino > <u64>this.vol.sb.inodesCount) {
      this.vol.corrupt("inode number " + ino.toString() + " is out of range");
      return null;
    }
    return this.vol.getInode(<u32>ino);
  }

  lookup(dir: u64, name: string): i64 {
    this.vol.trimCaches();
    const d = this.inode(dir);
    if (d == null) return this.vol.lastError;
    if (!isDir(d.mode)) return -ENOTDIR;
    if (name == ".") return <i64>dir;
    const bytes = String.UTF8.encode(name, false);
    const len = <u32>bytes.byteLength;
    if (len == 0) return -ENOENT;
    const p = changetype<usize>(bytes);
    const slot = this.slot;
    let r: i32 = 0;
    if (isIndexed(this.vol, d)) {
      r = dxLookup(this.vol, d, p, len, slot);
      if (r == -EUCLEAN) r = linearLookup(this.vol, d, p, len, slot); // a damaged index: search every block
    } else {
      r = linearLookup(this.vol, d, p, len, slot);
    }
    if (r < 0) return r;
    if (r == 0) return -ENOENT;
    const ino = slot.ino;
    const child = this.vol.getInode(ino);
    if (child == null) return this.vol.lastError;
    if (child.mode == 0 || child.links == 0) {
      return this.vol.corrupt("directory " + dir.toString() + ": entry '" + name + "' points at free inode " + ino.toString());
    }
    return <i64>ino;
  }

  stat(ino: u64, out: Stat): i32 {
    const n = this.inode(ino);
    if (n == null) return this.vol.lastError;
    fillStat(this.vol, n, out);
    return 0;
  }

  read(ino: u64, offset: u64, buffer: usize, length: u32): i64 {
    this.vol.trimCaches();
    const n = this.inode(ino);
    if (n == null) return this.vol.lastError;
    if (isDir(n.mode)) return -EISDIR;
    if ((n.flags & FL_INLINE_DATA) != 0) return -EOPNOTSUPP;
    if (isLink(n.mode) && n.size < <u64>I_BLOCK_BYTES) return -EINVAL;
    return this.readData(n, offset, buffer, length);
  }

  /** Reads file bytes [offset, offset + length) clipped to the size; holes read as zeros. */
  readData(n: Inode, offset: u64, buffer: usize, length: u32): i64 {
    const vol = this.vol;
    const size = n.size;
    if (offset >= size) return 0;
    const total = <u32>min<u64>(<u64>length, size - offset);
    const bs = <u64>vol.blockSize;
    const run = this.run;
    let done: u32 = 0;
    while (done < total) {
      const pos = offset + <u64>done;
      const lblk = pos / bs;
      const within = <u32>(pos % bs);
      const e = mapBlock(vol, n, lblk, run);
      if (e < 0) return e;
      const left = total - done;
      if (run.physical == 0 || run.unwritten) {
        const span = run.count * bs - <u64>within;
        const chunk = <u32>min<u64>(<u64>left, span);
        memory.fill(buffer + <usize>done, 0, chunk);
        done += chunk;
        continue;
      }
      if (within == 0 && <u64>left >= bs * 2 && run.count >= 2) {
        // whole blocks of a contiguous run: straight from the device unless cached
        let k = min<u64>(min<u64>(run.count, <u64>left / bs), MAX_DIRECT_BLOCKS);
        let cached: u64 = 0;
        while (cached < k && vol.cache.peek(run.physical + cached) == null) cached++;
        if (cached >= 2) {
          k = cached;
          const spb = <u64>(vol.blockSize / SECTOR_SIZE);
          const r = vol.device.read(run.physical * spb, <u32>(k * spb), buffer + <usize>done);
          if (r < 0) {
            setErrorDetail("inode " + n.ino.toString() + ": reading blocks " + run.physical.toString() + "+" + k.toString());
            return -EIO;
          }
          done += <u32>(k * bs);
          continue;
        }
      }
      const b = vol.readBlock(run.physical, "inode " + n.ino.toString() + " data");
      if (b == null) return vol.lastError;
      const chunk = min<u32>(left, <u32>bs - within);
      memory.copy(buffer + <usize>done, b.data + <usize>within, chunk);
      vol.release(b);
      done += chunk;
    }
    return <i64>total;
  }

  readDir(dirIno: u64, cursor: u64, out: DirEntry): i64 {
    const vol = this.vol;
    const dir = this.inode(dirIno);
    if (dir == null) return vol.lastError;
    if (!isDir(dir.mode)) return -ENOTDIR;
    const bs = <u64>vol.blockSize;
    const size = min<u64>(dir.size, MAX_DIR_SIZE);
    const filetype = hasFiletype(vol);
    const db = this.dirBlock;
    let pos = cursor;
    while (pos < size) {
      const lblk = pos / bs;
      const off = <u32>(pos % bs);
      const e = readDirBlock(vol, dir, lblk, db);
      if (e < 0) return e;
      if (db.block == null) {
        pos = (lblk + db.holeBlocks) * bs;
        continue;
      }
      if (db.kind == DirBlockKind.DxNode) {
        vol.release(db.block!);
        pos = (lblk + 1) * bs;
        continue;
      }
      const p = db.block!.data;
      const end: u32 = db.kind == DirBlockKind.DxRoot ? 24 : db.end;
      let o: u32 = 0;
      while (o < end) {
        const ent = p + <usize>o;
        let rec = direntRecLen(ent, <u32>bs);
        if (db.kind == DirBlockKind.DxRoot && o == 12) rec = 12;
        if (rec < 12) break; // (checked already; never loop on a bad length)
        if (o >= off && direntInode(ent) != 0) {
          const nameLen = direntNameLength(ent, filetype);
          out.ino = <u64>direntInode(ent);
          out.name = decodeName(ent + DIRENT_HEADER, nameLen);
          out.type = filetype ? load<u8>(ent + 7) : DT_UNKNOWN;
          vol.release(db.block!);
          return <i64>(lblk * bs + <u64>o + <u64>rec);
        }
        o += rec;
      }
      vol.release(db.block!);
      pos = (lblk + 1) * bs;
    }
    return 0;
  }

  readLink(ino: u64, buffer: usize, capacity: u32): i64 {
    const n = this.inode(ino);
    if (n == null) return this.vol.lastError;
    if (!isLink(n.mode)) return -EINVAL;
    const size = n.size;
    if (size > 4095) return this.vol.corrupt("symlink " + ino.toString() + ": target longer than 4095 bytes");
    const len = <u32>min<u64>(size, <u64>capacity);
    if (isFastSymlink(this.vol, n)) {
      memory.copy(buffer, n.iblock, len);
      return <i64>len;
    }
    const r = this.readData(n, 0, buffer, len);
    return r;
  }

  statfs(out: FsStats): i32 {
    const sb = this.vol.sb;
    out.typeName = this.typeName;
    out.label = sb.label;
    out.blockSize = sb.blockSize;
    out.totalBlocks = sb.blocksCount;
    out.freeBlocks = sb.freeBlocks;
    out.availableBlocks = sb.freeBlocks > sb.reservedBlocks ? sb.freeBlocks - sb.reservedBlocks : 0;
    out.totalInodes = <u64>sb.inodesCount;
    out.freeInodes = <u64>sb.freeInodes;
    return 0;
  }

  unmount(): i32 {
    const r = this.vol.cache.close();
    this.vol.device.mountedAt = "";
    return r;
  }
}

/** ext4 when any ext4-only feature is on, else ext3 with a journal, else ext2. */
function flavour(sb: Superblock): string {
  const ext4Incompat = INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG | INCOMPAT_CSUM_SEED;
  const ext4Ro = RO_COMPAT_HUGE_FILE | RO_COMPAT_DIR_NLINK | RO_COMPAT_EXTRA_ISIZE | RO_COMPAT_METADATA_CSUM | RO_COMPAT_GDT_CSUM;
  if ((sb.incompat & ext4Incompat) != 0 || (sb.roCompat & ext4Ro) != 0) return "ext4";
  return sb.has(COMPAT_HAS_JOURNAL) ? "ext3" : "ext2";
}

export function isFastSymlink(vol: Ext4Volume, n: Inode): bool {
  if (n.size >= <u64>I_BLOCK_BYTES) return false;
  // a slow symlink has a data block (i_blocks counts it, plus any xattr block)
  const xattrBlocks: u64 = n.fileAcl != 0 ? <u64>(vol.blockSize / 512) : 0;
  return n.blocksRaw <= xattrBlocks;
}

/** 512-byte units used by the inode. */
export function inodeSectors(vol: Ext4Volume, n: Inode): u64 {
  if (!vol.sb.hasRoCompat(RO_COMPAT_HUGE_FILE)) return <u64><u32>n.blocksRaw;
  const raw = n.blocksRaw;
  return (n.flags & FL_HUGE_FILE) != 0 ? raw * <u64>(vol.blockSize / 512) : raw;
}

export function fillStat(vol: Ext4Volume, n: Inode, out: Stat): void {
  out.ino = <u64>n.ino;
  out.mode = n.mode;
  out.nlink = n.links;
  out.uid = n.uid;
  out.gid = n.gid;
  out.size = n.size;
  out.blocks = inodeSectors(vol, n);
  out.blockSize = vol.blockSize;
  out.atime = n.timeSeconds(ATIME, ATIME_EXTRA);
  out.atimeNs = n.timeNanos(ATIME_EXTRA);
  out.mtime = n.timeSeconds(MTIME, MTIME_EXTRA);
  out.mtimeNs = n.timeNanos(MTIME_EXTRA);
  out.ctime = n.timeSeconds(CTIME, CTIME_EXTRA);
  out.ctimeNs = n.timeNanos(CTIME_EXTRA);
  out.crtime = n.timeSeconds(CRTIME, CRTIME_EXTRA);
  out.crtimeNs = n.timeNanos(CRTIME_EXTRA);
  out.flags = n.flags;
  out.generation = n.generation;
  out.rdevMajor = 0;
  out.rdevMinor = 0;
  const type = n.mode & S_IFMT;
  if (type == S_IFCHR || type == S_IFBLK) {
    const old = load<u32>(n.iblock);
    if (old != 0) {
      out.rdevMajor = (old >> 8) & 0xff;
      out.rdevMinor = old & 0xff;
    } else {
      const v = load<u32>(n.iblock + 4);
      out.rdevMajor = (v & 0xfff00) >> 8;
      out.rdevMinor = (v & 0xff) | ((v >> 12) & 0xfff00);
    }
  }
}

/** A directory-entry name as a string (invalid UTF-8 becomes U+FFFD). */
export function decodeName(p: usize, len: u32): string {
  let ascii = true;
  for (let i: u32 = 0; i < len; i++) {
    if (load<u8>(p + <usize>i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return String.UTF8.decodeUnsafe(p, <usize>len, false);
  const bytes = new Array<u8>(<i32>len);
  for (let i: u32 = 0; i < len; i++) bytes[i] = load<u8>(p + <usize>i);
  return decodeUtf8(bytes);
}

// ---------------------------------------------------------------- mounting

export class Ext4MountResult {
  fs: Ext4Fs | null = null;
  error: i32 = 0;
  /** Why the mount failed (one line). */
  message: string = "";
}

/** Does the device hold an ext2/3/4 file system (magic number check only)? */
export function probeExt4(device: BlockDevice): bool {
  if (device.sectorCount < 4) return false;
  const buf = heap.alloc(SUPERBLOCK_SIZE);
  if (buf == 0) return false;
  const r = device.read(SUPERBLOCK_OFFSET / <u64>SECTOR_SIZE, SUPERBLOCK_SIZE / SECTOR_SIZE, buf);
  const ok = r == 0 && load<u16>(buf + 0x38) == 0xef53;
  heap.free(buf);
  return ok;
}

function failMount(result: Ext4MountResult, code: i32, message: string): Ext4MountResult {
  result.error = code;
  result.message = message;
  result.fs = null;
  return result;
}

export function mountExt4(device: BlockDevice, readOnly: bool): Ext4MountResult {
  const result = new Ext4MountResult();
  if (device.sectorCount < 4) return failMount(result, -EINVAL, "device too small for ext4");
  const buf = heap.alloc(SUPERBLOCK_SIZE);
  if (buf == 0) return failMount(result, -ENOMEM, "out of memory");
  const r = device.read(SUPERBLOCK_OFFSET / <u64>SECTOR_SIZE, SUPERBLOCK_SIZE / SECTOR_SIZE, buf);
  if (r < 0) {
    heap.free(buf);
    return failMount(result, r, "cannot read the superblock");
  }
  const sb = new Superblock();
  const ok = parseSuperblock(buf, sb, device.sizeBytes);
  heap.free(buf);
  if (!ok) return failMount(result, -EUCLEAN, superblockProblem);
  const unknownIncompat = sb.incompat & ~INCOMPAT_SUPPORTED;
  if (unknownIncompat != 0) {
    return failMount(result, -EOPNOTSUPP, "unsupported incompatible feature(s): " + incompatNames(unknownIncompat));
  }
  const notes = new Array<string>(0);
  let ro = readOnly || device.readOnly;
  const unknownRo = sb.roCompat & ~RO_COMPAT_WRITABLE;
  if (unknownRo != 0 && !ro) {
    ro = true;
    notes.push("mounted read-only: unsupported read-only-compatible feature(s): " + roCompatNames(unknownRo));
  }
  if (sb.has(COMPAT_FAST_COMMIT) && !ro) {
    ro = true;
    notes.push("mounted read-only: unsupported feature " + compatNames(COMPAT_FAST_COMMIT));
  }
  if (sb.has(COMPAT_HAS_JOURNAL) && (sb.journalInum == 0 || sb.journalDev != 0)) {
    return failMount(result, -EOPNOTSUPP, "external journal devices are not supported");
  }
  if (sb.hasIncompat(INCOMPAT_META_BG) && !ro) {
    ro = true;
    notes.push("mounted read-only: writing with meta_bg is not supported");
  }
  if (!sb.hasIncompat(INCOMPAT_EXTENTS) && !ro) {
    ro = true;
    notes.push("mounted read-only: writing block-mapped (ext2/ext3) files is not supported");
  }
  if (sb.hasIncompat(INCOMPAT_RECOVER)) {
    ro = true;
    notes.push("the journal needs recovery, which this build does not do: mounted read-only, recent changes may be missing");
  }
  const vol = new Ext4Volume(device, sb);
  vol.readOnly = ro;
  let e = vol.loadGroups();
  if (e < 0) return failMount(result, e, "group descriptors: " + takeDetailOr("unreadable"));
  const root = vol.getInode(ROOT_INO);
  if (root == null) return failMount(result, vol.lastError, "root directory: " + takeDetailOr("unreadable"));
  if (!isDir(root.mode)) return failMount(result, -EUCLEAN, "root inode is not a directory");
  const fs = new Ext4Fs(vol);
  fs.notes = notes;
  device.mountedAt = "?";
  result.fs = fs;
  return result;
}

import { takeErrorDetail } from "../types";
function takeDetailOr(fallback: string): string {
  const d = takeErrorDetail();
  return d.length > 0 ? d : fallback;
}
