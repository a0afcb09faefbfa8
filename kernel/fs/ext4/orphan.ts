// Orphans: inodes with no name left that must still be freed (an unlinked file that was open
// when the system stopped), recorded on disk so that the next mount finishes the job.
//
//   orphan_file feature: inode s_orphan_file_inum, each block an array of inode numbers
//     (0 = free slot) with a tail { magic 0x0b10ca04, crc32c }; ORPHAN_PRESENT (ro_compat)
//     is set while any slot is used.
//   classic list: s_last_orphan -> inode -> its i_dtime -> next inode ... -> 0
//
// SIS adds to the orphan file when the feature is on, else to the classic list; at mount it
// frees everything found in either.
import { Ext4Volume } from "./volume";
import { Inode } from "./inode";

import { COMPAT_ORPHAN_FILE, RO_COMPAT_ORPHAN_PRESENT, SB_LAST_ORPHAN, SB_FEATURE_RO_COMPAT, SUPERBLOCK_OFFSET } from "./superblock";
import { orphanBlockChecksum } from "./csum";
import { BlockRun } from "./extent";
import { mapBlock } from "./dir";

export const ORPHAN_MAGIC: u32 = 0x0b10ca04;
const run = new BlockRun();

function useOrphanFile(vol: Ext4Volume): bool {
  return vol.sb.has(COMPAT_ORPHAN_FILE) && vol.sb.orphanFileInum != 0;
}

function slotsPerBlock(vol: Ext4Volume): u32 {
  return (vol.blockSize - 8) / 4;
}

/** Writes the superblock's orphan fields (s_last_orphan, the ORPHAN_PRESENT flag). */
function storeOrphanFields(vol: Ext4Volume): i32 {
  const bs = <u64>vol.blockSize;
  const b = vol.writeBlock(SUPERBLOCK_OFFSET / bs, "superblock");
  if (b == null) return vol.lastError;
  const p = b.data + <usize>(SUPERBLOCK_OFFSET % bs);
  store<u32>(p + SB_LAST_ORPHAN, vol.sb.lastOrphan);
  store<u32>(p + SB_FEATURE_RO_COMPAT, vol.sb.roCompat);
  vol.sealSuperblock(p);
  vol.release(b);
  return 0;
}

/** Calls back for every used slot orphanFile the orphan file: visit(ino, block, slot) style loop helper. */
class OrphanSlot {
  physical: u64 = 0;
  slot: u32 = 0;
  ino: u32 = 0;
}

/** Finds the slot holding `want` (or a free slot when want == 0). */
function findSlot(vol: Ext4Volume, want: u32, out: OrphanSlot): i32 {
  const orphanFile = vol.getInode(vol.sb.orphanFileInum);
  if (orphanFile == null) return vol.lastError;
  const blocks = orphanFile.size / <u64>vol.blockSize;
  const per = slotsPerBlock(vol);
  for (let lblk: u64 = 0; lblk < blocks; lblk++) {
    const e = mapBlock(vol, orphanFile, lblk, run);
    if (e < 0) return e;
    if (run.physical == 0) {
      lblk += max<u64>(run.count, 1) - 1; // a hole: skip all of it
      continue;
    }
    const b = vol.readBlock(run.physical, "orphan file block");
    if (b == null) return vol.lastError;
    for (let i: u32 = 0; i < per; i++) {
      if (load<u32>(b.data + <usize>(i * 4)) == want) {
        out.physical = run.physical;
        out.slot = i;
        out.ino = want;
        vol.release(b);
        return 1;
      }
    }
    vol.release(b);
  }
  return 0;
}

function writeSlot(vol: Ext4Volume, s: OrphanSlot, value: u32): i32 {
  const orphanFile = vol.getInode(vol.sb.orphanFileInum);
  if (orphanFile == null) return vol.lastError;
  const b = vol.writeBlock(s.physical, "orphan file block");
  if (b == null) return vol.lastError;
  store<u32>(b.data + <usize>(s.slot * 4), value);
  const bs = vol.blockSize;
  store<u32>(b.data + <usize>(bs - 8), ORPHAN_MAGIC);
  if (vol.sb.metadataCsum) {
    store<u32>(b.data + <usize>(bs - 4), orphanBlockChecksum(vol.sb.csumSeed, orphanFile.ino, orphanFile.generation, s.physical, b.data, slotsPerBlock(vol)));
  }
  vol.release(b);
  return 0;
}

/** Records inode as an orphan (its name is gone, its blocks are not yet freed). */
export function addOrphan(vol: Ext4Volume, inode: Inode): i32 {
  if (useOrphanFile(vol)) {
    const s = new OrphanSlot();
    const r = findSlot(vol, 0, s);
    if (r < 0) return r;
    if (r == 1) {
      const e = writeSlot(vol, s, inode.ino);
      if (e < 0) return e;
      if (!vol.sb.hasRoCompat(RO_COMPAT_ORPHAN_PRESENT)) {
        vol.sb.roCompat |= RO_COMPAT_ORPHAN_PRESENT;
        return storeOrphanFields(vol);
      }
      return 0;
    }
    // the orphan file is full: fall back to the classic list
  }
  inode.dtime = vol.sb.lastOrphan;
  vol.sb.lastOrphan = inode.ino;
  const e = vol.storeInode(inode);
  if (e < 0) return e;
  return storeOrphanFields(vol);
}

/** Takes inode off the orphan records. */
export function removeOrphan(vol: Ext4Volume, inode: Inode): i32 {
  if (useOrphanFile(vol)) {
    const s = new OrphanSlot();
    const r = findSlot(vol, inode.ino, s);
    if (r < 0) return r;
    if (r == 1) {
      const e = writeSlot(vol, s, 0);
      if (e < 0) return e;
      const any = new OrphanSlot();
      if (!anyOrphanSlot(vol, any) && vol.sb.hasRoCompat(RO_COMPAT_ORPHAN_PRESENT) && vol.sb.lastOrphan == 0) {
        vol.sb.roCompat &= ~RO_COMPAT_ORPHAN_PRESENT;
        return storeOrphanFields(vol);
      }
      return 0;
    }
  }
  // classic list: unlink it
  if (vol.sb.lastOrphan == inode.ino) {
    vol.sb.lastOrphan = inode.dtime;
    return storeOrphanFields(vol);
  }
  let cur = vol.sb.lastOrphan;
  for (let guard: u32 = 0; cur != 0 && guard < vol.sb.inodesCount; guard++) {
    const n = vol.getInode(cur);
    if (n == null) return vol.lastError;
    if (n.dtime == inode.ino) {
      n.dtime = inode.dtime;
      return vol.storeInode(n);
    }
    cur = n.dtime;
  }
  return 0;
}

function anyOrphanSlot(vol: Ext4Volume, out: OrphanSlot): bool {
  const orphanFile = vol.getInode(vol.sb.orphanFileInum);
  if (orphanFile == null) return false;
  const blocks = orphanFile.size / <u64>vol.blockSize;
  const per = slotsPerBlock(vol);
  for (let lblk: u64 = 0; lblk < blocks; lblk++) {
    if (mapBlock(vol, orphanFile, lblk, run) < 0) break; // a broken map: no slot past it can be trusted
    if (run.physical == 0) {
      lblk += max<u64>(run.count, 1) - 1; // a hole: skip all of it
      continue;
    }
    const b = vol.readBlock(run.physical, "orphan file block");
    if (b == null) return false;
    for (let i: u32 = 0; i < per; i++) {
      const v = load<u32>(b.data + <usize>(i * 4));
      if (v != 0) {
        out.ino = v;
        vol.release(b);
        return true;
      }
    }
    vol.release(b);
  }
  return false;
}

/** Inode numbers recorded as orphans (both kinds), for the mount to finish off. */
export function listOrphans(vol: Ext4Volume): Array<u32> {
  const out = new Array<u32>(0);
  let cur = vol.sb.lastOrphan;
  for (let guard: u32 = 0; cur != 0 && guard < 100000; guard++) {
    if (cur > vol.sb.inodesCount || out.includes(cur)) break;
    out.push(cur);
    const n = vol.getInode(cur);
    if (n == null) break;
    cur = n.dtime;
  }
  if (useOrphanFile(vol)) {
    const orphanFile = vol.getInode(vol.sb.orphanFileInum);
    if (orphanFile != null) {
      const blocks = orphanFile.size / <u64>vol.blockSize;
      const per = slotsPerBlock(vol);
      for (let lblk: u64 = 0; lblk < blocks; lblk++) {
        if (mapBlock(vol, orphanFile, lblk, run) < 0) break; // a broken map: no slot past it can be trusted
        if (run.physical == 0) {
          lblk += max<u64>(run.count, 1) - 1; // a hole: skip all of it
          continue;
        }
        const b = vol.readBlock(run.physical, "orphan file block");
        if (b == null) break;
        for (let i: u32 = 0; i < per; i++) {
          const v = load<u32>(b.data + <usize>(i * 4));
          if (v != 0 && v <= vol.sb.inodesCount && !out.includes(v)) out.push(v);
        }
        vol.release(b);
      }
    }
  }
  return out;
}

