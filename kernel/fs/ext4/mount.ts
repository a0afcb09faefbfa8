// Mounting ext2/3/4: probeExt4() (the magic number), mountExt4() (superblock and group
// descriptors checked, unknown incompatible features refused by name, read-only for unknown
// read-only-compatible ones, the journal loaded and replayed, orphans finished) and
// reloadSuperblock() after a replay. All three read the superblock with readSuperblock().
// Also the superblock write of mount and unmount (writeSuperblockNow).
import { BlockDevice, SECTOR_SIZE } from "../../block/device";
import { EINVAL, ENOMEM, EUCLEAN, EOPNOTSUPP, errorMessage } from "../../lib/errors";
import { isDir, takeErrorDetail } from "../types";
import {
  Superblock, parseSuperblock, superblockProblem, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE,
  INCOMPAT_SUPPORTED, RO_COMPAT_WRITABLE, incompatNames, roCompatNames, COMPAT_HAS_JOURNAL, INCOMPAT_RECOVER,
  INCOMPAT_EXTENTS, INCOMPAT_64BIT, INCOMPAT_FLEX_BG, RO_COMPAT_HUGE_FILE, RO_COMPAT_DIR_NLINK, RO_COMPAT_EXTRA_ISIZE,
  RO_COMPAT_METADATA_CSUM, RO_COMPAT_GDT_CSUM, INCOMPAT_CSUM_SEED, INCOMPAT_META_BG, COMPAT_FAST_COMMIT, compatNames,
  SB_FEATURE_INCOMPAT, SB_MNT_COUNT, SB_MTIME, SB_WTIME,
} from "./superblock";
import { Ext4Volume } from "./volume";
import { ROOT_INO, JOURNAL_INO } from "./inode";
import { BlockRun } from "./extent";
import { mapBlock } from "./dir";
import { Journal } from "../jbd2/journal";
import { replayJournal } from "../jbd2/replay";
import { checkpoint } from "../jbd2/commit";
import { wallClockSeconds } from "../clock";
import { Ext4Fs } from "./fs";

export class Ext4MountResult {
  fs: Ext4Fs | null = null;
  error: i32 = 0;
  /** Why the mount failed (one line). */
  message: string = "";
}

/** Set by readSuperblock() when the device read itself failed (not the contents). */
let superblockUnreadable = false;

/**
 * Reads the superblock from the device. With `out` null only the magic number is checked
 * (0, or -EUCLEAN); else it is parsed into `out` (-EUCLEAN with superblockProblem when bad).
 * Read errors (superblockUnreadable set) and -ENOMEM pass through.
 */
function readSuperblock(device: BlockDevice, out: Superblock | null, verifyChecksum: bool = true): i32 {
  superblockUnreadable = false;
  const buf = heap.alloc(SUPERBLOCK_SIZE);
  if (buf == 0) return -ENOMEM;
  const r = device.read(SUPERBLOCK_OFFSET / <u64>SECTOR_SIZE, SUPERBLOCK_SIZE / SECTOR_SIZE, buf);
  let e: i32 = 0;
  if (r < 0) {
    superblockUnreadable = true;
    e = r;
  } else if (out == null) {
    if (load<u16>(buf + 0x38) != 0xef53) e = -EUCLEAN;
  } else if (!parseSuperblock(buf, out!, device.sizeBytes, verifyChecksum)) {
    e = -EUCLEAN;
  }
  heap.free(buf);
  return e;
}

/** Does the device hold an ext2/3/4 file system (magic number check only)? */
export function probeExt4(device: BlockDevice): bool {
  if (device.sectorCount < 4) return false;
  return readSuperblock(device, null) == 0;
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
  const sb = new Superblock();
  let r = readSuperblock(device, sb);
  if (r == -ENOMEM && !superblockUnreadable) return failMount(result, -ENOMEM, "out of memory");
  if (superblockUnreadable) return failMount(result, r, "cannot read the superblock");
  // A superblock write torn between its two sectors (fields in the first, the checksum in
  // the second) fails the checksum. Every in-place superblock write is journaled first, so
  // if the journal holds committed transactions their replay restores it: go on to replay,
  // and refuse the mount afterwards unless the replayed superblock checks.
  let unverified = "";
  if (r == -EUCLEAN && superblockProblem.startsWith("superblock checksum mismatch") && !readOnly && !device.readOnly) {
    unverified = superblockProblem;
    r = readSuperblock(device, sb, false);
  }
  if (r < 0) return failMount(result, -EUCLEAN, superblockProblem);
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
  const vol = new Ext4Volume(device, sb);
  vol.readOnly = ro;
  let e = vol.loadGroups();
  if (e < 0) return failMount(result, e, "group descriptors: " + takeDetailOr("unreadable"));
  const root = vol.getInode(ROOT_INO);
  if (root == null) return failMount(result, vol.lastError, "root directory: " + takeDetailOr("unreadable"));
  if (!isDir(root.mode)) return failMount(result, -EUCLEAN, "root inode is not a directory");
  if (sb.has(COMPAT_HAS_JOURNAL)) {
    const map = new Array<u64>(0);
    let journal: Journal | null = null;
    let je = mapJournal(vol, map);
    let why = "";
    if (je == 0) {
      journal = new Journal(device, vol.cache, map);
      je = journal!.load();
      why = journal!.lastError;
    } else why = takeDetailOr("unreadable");
    if (je < 0) {
      if (!ro) {
        ro = true;
        vol.readOnly = true;
        notes.push("mounted read-only: journal: " + why);
      } else notes.push("journal: " + why);
      journal = null;
    } else if (journal!.start != 0) {
      if (device.readOnly) {
        notes.push("the journal needs recovery but the device is read-only: recent changes are missing");
        ro = true;
        vol.readOnly = true;
      } else {
        e = replayJournal(journal!);
        if (e < 0) return failMount(result, e, "journal replay failed: " + errorMessage(e));
        const st = journal!.stats;
        notes.push("journal: replayed " + st.replayedTransactions.toString() + " transactions, " + st.replayedBlocks.toString() +
          " blocks (" + st.revokedBlocks.toString() + " revoked" + (st.replayErrors > 0 ? ", " + st.replayErrors.toString() + " with bad checksums skipped" : "") +
          ") in " + (st.replayUs / 1000).toString() + " ms");
        // the replay rewrote metadata under us: read the superblock and descriptors again
        e = reloadSuperblock(vol, device);
        if (e < 0) return failMount(result, e, "after journal replay: " + takeDetailOr(superblockProblem));
        if (unverified.length > 0) {
          notes.push("superblock: a torn write (" + unverified + ") repaired by the journal replay");
          unverified = "";
        }
      }
    }
    vol.journal = journal;
  }
  if (unverified.length > 0) return failMount(result, -EUCLEAN, unverified);
  const fs = new Ext4Fs(vol);
  fs.notes = notes;
  if (!ro) {
    const j = vol.journal;
    if (j != null) {
      j.chooseFeatures(sb.metadataCsum, sb.is64bit);
      e = j.writeSuperblock();
      if (e < 0) return failMount(result, e, "cannot write the journal superblock");
      j.live = true;
    }
    e = writeSuperblockNow(vol, true);
    if (e < 0) return failMount(result, e, "cannot write the superblock");
    fs.processOrphans();
  }
  device.mountedAt = "?";
  result.fs = fs;
  return result;
}

/** Reads and parses the superblock again and reloads the group descriptors (after replay). */
function reloadSuperblock(vol: Ext4Volume, device: BlockDevice): i32 {
  const sb = new Superblock();
  const r = readSuperblock(device, sb);
  if (r < 0) return r;
  if (sb.blockSize != vol.sb.blockSize) return -EUCLEAN;
  vol.sb = sb;
  vol.forgetAllInodes();
  return vol.loadGroups();
}

/**
 * Writes the superblock home now: the needs_recovery flag on a read-write mount (off at
 * unmount), mount count and times. Through a transaction of its own and a checkpoint when the
 * journal is live, else in place, then FLUSH.
 */
export function writeSuperblockNow(vol: Ext4Volume, mounting: bool): i32 {
  const bs = <u64>vol.blockSize;
  const block = SUPERBLOCK_OFFSET / bs;
  // with a live journal the new superblock is logged and committed before it goes home (the
  // checkpoint): a write torn at the sector boundary is then repaired by replay (mountExt4)
  const j = vol.journal;
  const journaled = j != null && j!.live;
  if (journaled) {
    const c = checkpoint(j!); // nothing else in the transaction that carries the superblock
    if (c < 0) return c;
    j!.begin();
  }
  const b = vol.writeBlock(block, "superblock");
  if (b == null) return vol.lastError;
  const p = b.data + <usize>(SUPERBLOCK_OFFSET % bs);
  const now = <u32>wallClockSeconds();
  let incompat = load<u32>(p + SB_FEATURE_INCOMPAT);
  if (vol.sb.has(COMPAT_HAS_JOURNAL)) {
    if (mounting) incompat |= INCOMPAT_RECOVER;
    else incompat &= ~INCOMPAT_RECOVER;
  }
  store<u32>(p + SB_FEATURE_INCOMPAT, incompat);
  vol.sb.incompat = incompat;
  if (mounting) {
    store<u16>(p + SB_MNT_COUNT, load<u16>(p + SB_MNT_COUNT) + 1);
    store<u32>(p + SB_MTIME, now);
  }
  store<u32>(p + SB_WTIME, now);
  vol.sealSuperblock(p);
  if (journaled) {
    vol.release(b);
    // commit (log, FLUSH, commit block, FLUSH), home, FLUSH, log empty, FLUSH
    return checkpoint(j!);
  }
  let r = vol.cache.writeBack(b);
  vol.release(b);
  if (r == 0) r = vol.device.flush();
  return r;
}

/** Journal block -> file-system block for every block of the journal inode. */
function mapJournal(vol: Ext4Volume, out: Array<u64>): i32 {
  const j = vol.getInode(JOURNAL_INO);
  if (j == null) return vol.lastError;
  const bs = <u64>vol.blockSize;
  const blocks = j.size / bs;
  if (blocks < 32 || blocks > (1 << 24)) return vol.corrupt("journal inode: bad size " + j.size.toString());
  const run = new BlockRun();
  let lblk: u64 = 0;
  while (lblk < blocks) {
    const e = mapBlock(vol, j, lblk, run);
    if (e < 0) return e;
    if (run.physical == 0) return vol.corrupt("journal inode has a hole at block " + lblk.toString());
    for (let k: u64 = 0; k < run.count && lblk < blocks; k++) {
      out.push(run.physical + k);
      lblk++;
    }
  }
  return 0;
}

/** ext4 when any ext4-only feature is on, else ext3 with a journal, else ext2. */
export function flavour(sb: Superblock): string {
  const ext4Incompat = INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG | INCOMPAT_CSUM_SEED;
  const ext4Ro = RO_COMPAT_HUGE_FILE | RO_COMPAT_DIR_NLINK | RO_COMPAT_EXTRA_ISIZE | RO_COMPAT_METADATA_CSUM | RO_COMPAT_GDT_CSUM;
  if ((sb.incompat & ext4Incompat) != 0 || (sb.roCompat & ext4Ro) != 0) return "ext4";
  return sb.has(COMPAT_HAS_JOURNAL) ? "ext3" : "ext2";
}

function takeDetailOr(fallback: string): string {
  const d = takeErrorDetail();
  return d.length > 0 ? d : fallback;
}
