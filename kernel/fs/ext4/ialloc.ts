// Inode allocation: inode bitmaps, free-inode and directory counts, itable_unused.
//
//   bitmap of group g: one bit per inode of the group; bits from inodes_per_group to the end
//   of the bitmap block are set. INODE_UNINIT groups have an all-free bitmap, made on first use.
//   itable_unused (with group checksums): inodes at the end of the table never used; it
//   shrinks when an inode past the used part is handed out.
//
// Placement: a file goes in its parent's group if it can; a directory in the group with the
// most free inodes among those with more free blocks than average (spreading directories,
// like Orlov's allocator, so that files stay near their directory).
import { Ext4Volume } from "./volume";
import { CachedBlock } from "../../block/cache";
import { ENOSPC } from "../../lib/errors";
import { BG_INODE_UNINIT } from "./group";
import { bitmapChecksum } from "./csum";
import { testBit, setBit, clearBit } from "./balloc";

function sealInodeBitmap(vol: Ext4Volume, g: u32, p: usize): void {
  if (!vol.sb.metadataCsum) return;
  const c = bitmapChecksum(vol.sb.csumSeed, p, vol.sb.inodesPerGroup / 8);
  vol.groups[g].inodeBitmapCsum = vol.sb.is64bit && vol.sb.descSize >= 64 ? c : c & 0xffff;
}

function writableInodeBitmap(vol: Ext4Volume, g: u32): CachedBlock | null {
  const gd = vol.groups[g];
  const what = "inode bitmap of group " + g.toString();
  if ((gd.flags & BG_INODE_UNINIT) != 0 && (vol.sb.metadataCsum || vol.sb.gdtCsum)) {
    const b = vol.newBlock(gd.inodeBitmap, what);
    if (b == null) return null;
    for (let bit = vol.sb.inodesPerGroup; bit < vol.blockSize * 8; bit++) setBit(b.data, bit);
    gd.flags &= ~BG_INODE_UNINIT;
    return b;
  }
  const b = vol.writeBlock(gd.inodeBitmap, what);
  if (b == null) return null;
  if (vol.sb.metadataCsum) {
    const c = bitmapChecksum(vol.sb.csumSeed, b.data, vol.sb.inodesPerGroup / 8);
    const desc64 = vol.sb.is64bit && vol.sb.descSize >= 64;
    if ((desc64 ? c : c & 0xffff) != gd.inodeBitmapCsum) {
      vol.release(b);
      vol.badChecksum(what);
      return null;
    }
  }
  return b;
}

function pickGroup(vol: Ext4Volume, parentGroup: u32, isDir: bool): i64 {
  const sb = vol.sb;
  const n = sb.groupCount;
  if (!isDir) {
    for (let i: u32 = 0; i < n; i++) {
      const g = (parentGroup + i) % n;
      if (vol.groups[g].freeInodes > 0) return <i64>g;
    }
    return -1;
  }
  const avgFreeBlocks = sb.freeBlocks / <u64>n;
  let best: i64 = -1;
  let bestFree: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const g = (parentGroup + i) % n;
    const gd = vol.groups[g];
    if (gd.freeInodes == 0) continue;
    if (<u64>gd.freeBlocks >= avgFreeBlocks && gd.freeInodes > bestFree) {
      best = <i64>g;
      bestFree = gd.freeInodes;
    }
  }
  if (best >= 0) return best;
  return pickGroup(vol, parentGroup, false);
}

/** Allocates an inode number near the parent's group; returns it, or a negative error. */
export function allocateInode(vol: Ext4Volume, parentIno: u32, isDir: bool): i64 {
  const sb = vol.sb;
  if (sb.freeInodes == 0) return -ENOSPC;
  const parentGroup = parentIno > 0 ? (parentIno - 1) / sb.inodesPerGroup : 0;
  const n = sb.groupCount;
  const start = pickGroup(vol, parentGroup, isDir);
  if (start < 0) return -ENOSPC;
  for (let i: u32 = 0; i < n; i++) {
    const g = (<u32>start + i) % n;
    const gd = vol.groups[g];
    if (gd.freeInodes == 0) continue;
    const b = writableInodeBitmap(vol, g);
    if (b == null) return vol.lastError;
    // reserved inodes (below s_first_ino) are never handed out
    let bit: u32 = g == 0 ? sb.firstIno - 1 : 0;
    while (bit < sb.inodesPerGroup && testBit(b.data, bit)) bit++;
    if (bit >= sb.inodesPerGroup) {
      vol.release(b);
      continue;
    }
    setBit(b.data, bit);
    sealInodeBitmap(vol, g, b.data);
    vol.release(b);
    gd.freeInodes--;
    if (isDir) gd.usedDirs++;
    if (vol.sb.metadataCsum || vol.sb.gdtCsum) {
      const used = sb.inodesPerGroup - gd.itableUnused;
      if (bit + 1 > used) gd.itableUnused = sb.inodesPerGroup - (bit + 1);
      gd.flags &= ~BG_INODE_UNINIT;
    }
    let e = vol.storeGroup(g);
    if (e < 0) return e;
    sb.freeInodes--;
    e = vol.storeSuperblockCounts();
    if (e < 0) return e;
    return <i64>(g * sb.inodesPerGroup + bit + 1);
  }
  return -ENOSPC;
}

/** Frees an inode number (its blocks must be freed already). */
export function freeInode(vol: Ext4Volume, ino: u32, isDir: bool): i32 {
  const sb = vol.sb;
  const g = (ino - 1) / sb.inodesPerGroup;
  const bit = (ino - 1) % sb.inodesPerGroup;
  const b = writableInodeBitmap(vol, g);
  if (b == null) return vol.lastError;
  if (!testBit(b.data, bit)) {
    vol.release(b);
    return vol.corrupt("freeing inode " + ino.toString() + ", which is already free");
  }
  clearBit(b.data, bit);
  sealInodeBitmap(vol, g, b.data);
  vol.release(b);
  const gd = vol.groups[g];
  gd.freeInodes++;
  if (isDir && gd.usedDirs > 0) gd.usedDirs--;
  let e = vol.storeGroup(g);
  if (e < 0) return e;
  sb.freeInodes++;
  return vol.storeSuperblockCounts();
}

