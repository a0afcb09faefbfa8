// fsctl verify: an in-kernel consistency check of a mounted ext2/3/4 file system, in the
// spirit of e2fsck's passes (read-only; it reports, it does not repair):
//
//   1. inodes: every inode the bitmaps mark used is read (checksums verified); its blocks
//      (extent tree or block map, xattr block) are collected into a map of used blocks;
//      a block claimed twice is reported
//   2. directories: the tree is walked from the root; every entry must name a used inode;
//      references are counted (subdirectories count toward their parent's links)
//   3. links: every used inode's link count must equal its references (directories: 2 +
//      subdirectories, or 1 when dir_nlink gave up counting); used but unreferenced inodes
//      (not orphans) are reported
//   4. bitmaps vs use: every block in use (metadata and inode blocks) must be marked in the
//      block bitmap and every marked block in use; free counts of each group and of the
//      superblock must match the bitmaps
//
// Problems are collected as lines; the caller prints them all. Limits: file systems of up to
// 2^27 blocks (the used-block map is one bit per block in memory).
import { Ext4Volume } from "./volume";
import { Inode, ROOT_INO, JOURNAL_INO, RESIZE_INO, FL_INLINE_DATA } from "./inode";
import { groupFirstBlock, groupBlockCount, groupHasSuper, descriptorTableBlocks, BG_INODE_UNINIT } from "./group";
import { readBlockBitmap, testBit, setBit } from "./balloc";
import { entries, depthOf, entryAt, indexChild, leafStart, leafLength, readExtentBlock, checkHeader } from "./extent";
import { readDirBlock, DirBlock, DirBlockKind, direntInode, direntRecLen, direntNameLength, hasFiletype, dirBlocks } from "./dir";
import { bitmapChecksum } from "./csum";
import { COMPAT_RESIZE_INODE, RO_COMPAT_DIR_NLINK } from "./superblock";
import { takeErrorDetail, isDir, isReg, isLink } from "../types";
import { errorMessage } from "../../lib/errors";
import { listOrphans } from "./orphan";
import { isFastSymlink } from "./inodes";

export const MAX_VERIFY_BLOCKS: u64 = <u64>1 << 27;
const MAX_PROBLEMS: i32 = 200;

export class VerifyReport {
  problems: Array<string> = new Array<string>(0);
  inodesUsed: u32 = 0;
  directories: u32 = 0;
  blocksUsed: u64 = 0;
  truncated: bool = false;
  add(s: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(s);
    else this.truncated = true;
  }
}

class Checker {
  used: StaticArray<u8>;
  refs: StaticArray<u16>;
  subdirs: StaticArray<u16>;
  inUse: StaticArray<u8>;
  constructor(public vol: Ext4Volume, public report: VerifyReport) {
    this.used = new StaticArray<u8>(<i32>((vol.sb.blocksCount + 7) / 8));
    this.refs = new StaticArray<u16>(<i32>vol.sb.inodesCount + 1);
    this.subdirs = new StaticArray<u16>(<i32>vol.sb.inodesCount + 1);
    this.inUse = new StaticArray<u8>(<i32>vol.sb.inodesCount + 1);
  }

  claim(block: u64, owner: string): void {
    if (block >= this.vol.sb.blocksCount) {
      this.report.add(owner + ": block " + block.toString() + " beyond the end of the file system");
      return;
    }
    const p = changetype<usize>(this.used);
    if (testBit(p, <u32>block)) this.report.add(owner + ": block " + block.toString() + " is claimed twice");
    else setBit(p, <u32>block);
  }

  claimRun(start: u64, count: u64, owner: string): void {
    if (count > 1 << 24) {
      this.report.add(owner + ": absurd run of " + count.toString() + " blocks");
      return;
    }
    for (let i: u64 = 0; i < count; i++) this.claim(start + i, owner);
  }
}

function detail(): string {
  const d = takeErrorDetail();
  return d.length > 0 ? " (" + d + ")" : "";
}

/** Blocks of an extent tree node (recursively). */
function extentBlocks(c: Checker, inode: Inode, p: usize, level: i32): void {
  const vol = c.vol;
  const owner = "inode " + inode.ino.toString();
  const depth = depthOf(p);
  const n = entries(p);
  for (let i: u32 = 0; i < n; i++) {
    const e = entryAt(p, i);
    if (depth == 0) {
      c.claimRun(leafStart(e), <u64>leafLength(e), owner);
      continue;
    }
    const child = indexChild(e);
    c.claim(child, owner + " extent block");
    const b = readExtentBlock(vol, inode, child, <i32>depth - 1);
    if (b == null) {
      c.report.add(owner + ": extent block " + child.toString() + ": " + errorMessage(vol.lastError) + detail());
      continue;
    }
    if (level < 6) extentBlocks(c, inode, b.data, level + 1);
    vol.release(b);
  }
}

/** Blocks of a block-mapped inode: data and indirect blocks. */
function indirectBlocks(c: Checker, inode: Inode, block: u64, level: i32): void {
  const vol = c.vol;
  const owner = "inode " + inode.ino.toString();
  if (!vol.validBlock(block)) {
    c.report.add(owner + ": indirect block " + block.toString() + " outside the file system");
    return;
  }
  c.claim(block, owner + " indirect block");
  const b = vol.readBlock(block, owner + " indirect block");
  if (b == null) return;
  const per = vol.blockSize / 4;
  const copy = new StaticArray<u32>(<i32>per);
  memory.copy(changetype<usize>(copy), b.data, vol.blockSize);
  vol.release(b);
  for (let i: u32 = 0; i < per; i++) {
    const v = <u64>copy[i];
    if (v == 0) continue;
    if (level == 1) c.claim(v, owner);
    else indirectBlocks(c, inode, v, level - 1);
  }
}

function inodeBlocks(c: Checker, inode: Inode): void {
  const vol = c.vol;
  if (inode.ino == RESIZE_INO) {
    // the resize inode maps the reserved GDT blocks (counted with the group metadata);
    // only its double-indirect block is its own
    const dind = <u64>load<u32>(inode.iblock + 13 * 4);
    if (dind != 0) c.claim(dind, "resize inode");
    return;
  }
  if (inode.fileAcl != 0) c.claim(inode.fileAcl, "inode " + inode.ino.toString() + " xattr block");
  const mode = inode.mode;
  if (!(isReg(mode) || isDir(mode) || isLink(mode)) && inode.ino != JOURNAL_INO && inode.ino != RESIZE_INO) return;
  if ((inode.flags & FL_INLINE_DATA) != 0) return;
  if (isLink(mode) && isFastSymlink(vol, inode)) return;
  if (inode.hasExtents) {
    if (checkHeader(vol, inode, inode.iblock, 4, -1, "the inode") < 0) {
      c.report.add("inode " + inode.ino.toString() + ": bad extent root" + detail());
      return;
    }
    extentBlocks(c, inode, inode.iblock, 0);
    return;
  }
  for (let i: u32 = 0; i < 12; i++) {
    const v = <u64>load<u32>(inode.iblock + <usize>(i * 4));
    if (v != 0) c.claim(v, "inode " + inode.ino.toString());
  }
  for (let l: u32 = 1; l <= 3; l++) {
    const v = <u64>load<u32>(inode.iblock + <usize>((11 + l) * 4));
    if (v != 0) indirectBlocks(c, inode, v, <i32>l);
  }
}

/** Pass 2: walk directories from the root, counting references. */
function walkDirectories(c: Checker): void {
  const vol = c.vol;
  const filetype = hasFiletype(vol);
  const stack = new Array<u32>(0);
  const seen = new Set<u32>();
  stack.push(ROOT_INO);
  seen.add(ROOT_INO);
  c.refs[ROOT_INO]++; // the root's ".." names itself; its own "." is counted below
  const db = new DirBlock();
  while (stack.length > 0) {
    const ino = stack.pop();
    const dir = vol.getInode(ino);
    if (dir == null) {
      c.report.add("directory " + ino.toString() + ": " + errorMessage(vol.lastError) + detail());
      continue;
    }
    c.report.directories++;
    const n = dirBlocks(vol, dir);
    for (let lblk: u64 = 0; lblk < n; lblk++) {
      const e = readDirBlock(vol, dir, lblk, db);
      if (e < 0) {
        c.report.add("directory " + ino.toString() + " block " + lblk.toString() + ": " + errorMessage(e) + detail());
        continue;
      }
      if (db.block == null) {
        lblk += db.holeBlocks - 1; // the whole hole at once
        continue;
      }
      if (db.kind == DirBlockKind.DxNode) {
        vol.release(db.block!);
        continue;
      }
      const p = db.block!.data;
      const end: u32 = db.kind == DirBlockKind.DxRoot ? 24 : db.end;
      let off: u32 = 0;
      while (off < end) {
        const ent = p + <usize>off;
        let rec = direntRecLen(ent, vol.blockSize);
        if (db.kind == DirBlockKind.DxRoot && off == 12) rec = 12;
        if (rec < 12) break;
        const child = direntInode(ent);
        const len = direntNameLength(ent, filetype);
        const isDot = len == 1 && load<u8>(ent + 8) == 46;
        const isDotDot = len == 2 && load<u8>(ent + 8) == 46 && load<u8>(ent + 9) == 46;
        if (child != 0) {
          if (child > vol.sb.inodesCount) c.report.add("directory " + ino.toString() + ": entry with inode number " + child.toString() + " out of range");
          else if (c.inUse[child] == 0) c.report.add("directory " + ino.toString() + ": entry points at unused inode " + child.toString());
          else if (isDot) {
            if (child != ino) c.report.add("directory " + ino.toString() + ": '.' points at " + child.toString());
            c.refs[ino]++;
          } else if (isDotDot) {
            // counted on the parent's side (as a subdirectory link)
          } else {
            c.refs[child]++;
            const ci = vol.getInode(child);
            if (ci != null && isDir(ci.mode)) {
              c.subdirs[ino]++;
              if (seen.has(child)) c.report.add("directory " + child.toString() + " has more than one name");
              else {
                seen.add(child);
                stack.push(child);
              }
            }
          }
        }
        off += rec;
      }
      vol.release(db.block!);
    }
  }
}

/** Runs every check; fills the report. */
export function verifyVolume(vol: Ext4Volume): VerifyReport {
  const report = new VerifyReport();
  const sb = vol.sb;
  if (sb.blocksCount > MAX_VERIFY_BLOCKS) {
    report.add("file system too large for fsctl verify (" + sb.blocksCount.toString() + " blocks)");
    return report;
  }
  vol.forgetAllInodes();
  const c = new Checker(vol, report);
  const bs = vol.blockSize;
  // fixed metadata: superblocks, descriptor tables, reserved GDT, bitmaps, inode tables
  const itableBlocks = <u64>(sb.inodesPerGroup * sb.inodeSize + bs - 1) / <u64>bs;
  if (sb.firstDataBlock > 0) setBit(changetype<usize>(c.used), 0);
  for (let g: u32 = 0; g < sb.groupCount; g++) {
    const gd = vol.groups[g];
    if (groupHasSuper(sb, g)) {
      const first = groupFirstBlock(sb, g);
      const meta = 1 + descriptorTableBlocks(sb) + (sb.has(COMPAT_RESIZE_INODE) ? sb.reservedGdtBlocks : 0);
      c.claimRun(first, <u64>meta, "group " + g.toString() + " superblock and descriptors");
    }
    c.claim(gd.blockBitmap, "group " + g.toString() + " block bitmap");
    c.claim(gd.inodeBitmap, "group " + g.toString() + " inode bitmap");
    c.claimRun(gd.inodeTable, itableBlocks, "group " + g.toString() + " inode table");
  }
  // pass 1: inodes marked used
  const bitmap = heap.alloc(bs);
  let freeInodesTotal: u64 = 0;
  for (let g: u32 = 0; g < sb.groupCount; g++) {
    const gd = vol.groups[g];
    let freeHere: u32 = 0;
    let dirsHere: u32 = 0;
    const uninit = (gd.flags & BG_INODE_UNINIT) != 0 && (sb.metadataCsum || sb.gdtCsum);
    if (uninit) {
      freeHere = sb.inodesPerGroup;
    } else {
      const b = vol.readBlock(gd.inodeBitmap, "inode bitmap of group " + g.toString());
      if (b == null) {
        report.add("group " + g.toString() + ": inode bitmap unreadable");
        continue;
      }
      memory.copy(bitmap, b.data, bs);
      vol.release(b);
      if (sb.metadataCsum) {
        const cs = bitmapChecksum(sb.csumSeed, bitmap, sb.inodesPerGroup / 8);
        const desc64 = sb.is64bit && sb.descSize >= 64;
        if ((desc64 ? cs : cs & 0xffff) != gd.inodeBitmapCsum) report.add("group " + g.toString() + ": inode bitmap checksum mismatch");
      }
      for (let i: u32 = 0; i < sb.inodesPerGroup; i++) {
        const ino = g * sb.inodesPerGroup + i + 1;
        if (!testBit(bitmap, i)) {
          freeHere++;
          continue;
        }
        if (ino < sb.firstIno && ino != ROOT_INO && ino != JOURNAL_INO && ino != RESIZE_INO && ino != sb.orphanFileInum) {
          c.inUse[ino] = 1;
          continue;
        }
        const n = vol.getInode(ino);
        if (n == null) {
          report.add("inode " + ino.toString() + ": " + errorMessage(vol.lastError) + detail());
          c.inUse[ino] = 1;
          continue;
        }
        if (n.mode == 0 && ino >= sb.firstIno) {
          report.add("inode " + ino.toString() + " is marked used but has no type");
          continue;
        }
        c.inUse[ino] = 1;
        report.inodesUsed++;
        if (isDir(n.mode)) dirsHere++;
        inodeBlocks(c, n);
        vol.trimCaches();
      }
    }
    if (freeHere != gd.freeInodes) report.add("group " + g.toString() + ": " + gd.freeInodes.toString() + " free inodes recorded, bitmap has " + freeHere.toString());
    if (!uninit && dirsHere != gd.usedDirs) report.add("group " + g.toString() + ": " + gd.usedDirs.toString() + " directories recorded, found " + dirsHere.toString());
    freeInodesTotal += <u64>freeHere;
  }
  if (freeInodesTotal != <u64>sb.freeInodes) report.add("superblock: " + sb.freeInodes.toString() + " free inodes recorded, bitmaps have " + freeInodesTotal.toString());
  // pass 2 and 3: reachability and link counts
  walkDirectories(c);
  const orphans = listOrphans(vol);
  for (let ino: u32 = sb.firstIno; ino <= sb.inodesCount; ino++) {
    if (c.inUse[ino] == 0 || ino == sb.orphanFileInum) continue;
    const n = vol.getInode(ino);
    if (n == null) continue;
    if (n.mode == 0) continue;
    const refs = <u32>c.refs[ino];
    if (refs == 0) {
      if (!orphans.includes(ino)) report.add("inode " + ino.toString() + " is used but no directory names it");
      continue;
    }
    let want = refs;
    if (isDir(n.mode)) {
      // a directory's links: its parent's entry, its own ".", and each subdirectory's ".."
      want = 2 + <u32>c.subdirs[ino];
      if (n.links == 1 && sb.hasRoCompat(RO_COMPAT_DIR_NLINK) && want >= 65000) want = 1;
    }
    if (n.links != want) report.add("inode " + ino.toString() + ": link count " + n.links.toString() + ", counted " + want.toString());
    vol.trimCaches();
  }
  // pass 4: block bitmaps against use
  let freeBlocksTotal: u64 = 0;
  const usedMap = changetype<usize>(c.used);
  for (let g: u32 = 0; g < sb.groupCount; g++) {
    const gd = vol.groups[g];
    const p = readBlockBitmap(vol, g, bitmap);
    if (p == 0) {
      report.add("group " + g.toString() + ": block bitmap" + detail());
      continue;
    }
    const first = groupFirstBlock(sb, g);
    const count = groupBlockCount(sb, g);
    let freeHere: u32 = 0;
    let reported = 0;
    for (let i: u32 = 0; i < count; i++) {
      const block = first + <u64>i;
      const marked = testBit(p, i);
      const inUse = testBit(usedMap, <u32>block);
      if (!marked) freeHere++;
      if (marked != inUse && reported < 10) {
        report.add("block " + block.toString() + (inUse ? " is in use but free in the bitmap" : " is marked used but nothing uses it"));
        reported++;
      }
    }
    if (freeHere != gd.freeBlocks) report.add("group " + g.toString() + ": " + gd.freeBlocks.toString() + " free blocks recorded, bitmap has " + freeHere.toString());
    freeBlocksTotal += <u64>freeHere;
  }
  if (freeBlocksTotal != sb.freeBlocks) report.add("superblock: " + sb.freeBlocks.toString() + " free blocks recorded, bitmaps have " + freeBlocksTotal.toString());
  report.blocksUsed = sb.blocksCount - freeBlocksTotal;
  heap.free(bitmap);
  vol.forgetAllInodes();
  return report;
}
