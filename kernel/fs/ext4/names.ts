// Name operations: look a name up, list a directory, create, link, unlink and rename, as
// free functions over the volume (like dir_write.ts, which changes the entries). The thin
// Ext4Fs (fs.ts) checks its arguments and wraps each in a journal handle; these run inside it.
import { ENOENT, ENOTDIR, EISDIR, EINVAL, EUCLEAN, EEXIST, ENOTEMPTY, EMLINK, ENOSPC, EPERM } from "../../lib/errors";
import { DirEntry, isDir, S_IFMT, S_IFDIR, S_IFLNK, DT_UNKNOWN, dirTypeOfMode, DT_DIR, NAME_MAX } from "../types";
import { decodeUtf8 } from "../../lib/utf8";
import { INCOMPAT_EXTENTS, RO_COMPAT_DIR_NLINK } from "./superblock";
import { Ext4Volume } from "./volume";
import { Inode, I_BLOCK_BYTES } from "./inode";
import {
  readDirBlock, DirBlock, DirBlockKind, DirSlot, direntInode, direntRecLen, direntNameLength, hasFiletype,
  isIndexed, linearLookup, DIRENT_HEADER, MAX_DIR_SIZE,
} from "./dir";
import { dxLookup } from "./htree";
import { addEntry, removeEntry, retargetEntry, initDirectoryBlock } from "./dir_write";
import { addOrphan } from "./orphan";
import { inodeFor, dirFor, touchTimes, newInode, destroyInode, checkDestroyable, giveBlock } from "./inodes";

/** The slot the last findSlot() filled. */
const slot = new DirSlot();
const dirBlock = new DirBlock();

/** A name as the bytes stored on disk; null when empty or longer than NAME_MAX bytes. */
export function nameBytes(name: string): ArrayBuffer | null {
  const b = String.UTF8.encode(name, false);
  if (b.byteLength == 0 || b.byteLength > NAME_MAX) return null;
  return b;
}

/** Finds the entry name (p, len) in directory d: 1 found (in `slot`), 0 not found, or an error. */
function findSlot(vol: Ext4Volume, d: Inode, p: usize, len: u32): i32 {
  let r: i32 = 0;
  if (isIndexed(vol, d)) {
    r = dxLookup(vol, d, p, len, slot);
    if (r == -EUCLEAN) r = linearLookup(vol, d, p, len, slot); // a damaged index: search every block
  } else r = linearLookup(vol, d, p, len, slot);
  return r;
}

/** The inode number `name` names in directory `dir`, or an error. */
export function lookupName(vol: Ext4Volume, dir: u64, name: string): i64 {
  const d = inodeFor(vol, dir);
  if (d == null) return vol.lastError;
  if (!isDir(d.mode)) return -ENOTDIR;
  if (name == ".") return <i64>dir;
  const bytes = String.UTF8.encode(name, false);
  const len = <u32>bytes.byteLength;
  if (len == 0) return -ENOENT;
  const r = findSlot(vol, d, changetype<usize>(bytes), len);
  if (r < 0) return r;
  if (r == 0) return -ENOENT;
  const ino = slot.ino;
  const child = vol.getInode(ino);
  if (child == null) return vol.lastError;
  if (child.mode == 0 || child.links == 0) {
    return vol.corrupt("directory " + dir.toString() + ": entry '" + name + "' points at free inode " + ino.toString());
  }
  return <i64>ino;
}

/** The entry at or after `cursor` in directory dirIno (into out); returns the next cursor, 0 at the end, or an error. */
export function readDirAt(vol: Ext4Volume, dirIno: u64, cursor: u64, out: DirEntry): i64 {
  const dir = inodeFor(vol, dirIno);
  if (dir == null) return vol.lastError;
  if (!isDir(dir.mode)) return -ENOTDIR;
  const bs = <u64>vol.blockSize;
  const size = min<u64>(dir.size, MAX_DIR_SIZE);
  const filetype = hasFiletype(vol);
  const db = dirBlock;
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

/** Creates name (p, len) in dir: a file, directory or symlink (to `target`); returns its inode number or an error. */
export function createName(vol: Ext4Volume, dir: u64, name: usize, len: u32, mode: u32, target: string): i64 {
  const d = dirFor(vol, dir);
  if (d == null) return vol.lastError;
  let r = findSlot(vol, d, name, len);
  if (r < 0) return r;
  if (r > 0) return -EEXIST;
  const type = mode & S_IFMT;
  const isDirectory = type == S_IFDIR;
  if (isDirectory && d.links >= 65000 && !vol.sb.hasRoCompat(RO_COMPAT_DIR_NLINK)) return -EMLINK;
  const targetBytes = String.UTF8.encode(target, false);
  const tlen = <u32>targetBytes.byteLength;
  const fastLink = type == S_IFLNK && tlen < I_BLOCK_BYTES;
  const extents = vol.sb.hasIncompat(INCOMPAT_EXTENTS) && !fastLink;
  // blocks a directory or slow symlink needs: check before taking the inode
  if ((isDirectory || (type == S_IFLNK && !fastLink)) && vol.sb.freeBlocks == 0) return -ENOSPC;
  const n = newInode(vol, d.ino, mode, extents);
  if (n == null) return vol.lastError;
  let e: i32 = 0;
  if (isDirectory) {
    n.links = 2;
    const physical = giveBlock(vol, n, 0);
    if (physical < 0) e = <i32>physical;
    else {
      const b = vol.newBlock(<u64>physical, "directory block");
      if (b == null) e = vol.lastError;
      else {
        initDirectoryBlock(vol, n, b.data, d.ino);
        vol.release(b);
        n.size = <u64>vol.blockSize;
      }
    }
  } else if (type == S_IFLNK) {
    if (fastLink) {
      memory.copy(n.iblock, changetype<usize>(targetBytes), tlen);
      n.size = <u64>tlen;
    } else {
      const physical = giveBlock(vol, n, 0);
      if (physical < 0) e = <i32>physical;
      else {
        const b = vol.newBlock(<u64>physical, "symlink block");
        if (b == null) e = vol.lastError;
        else {
          memory.copy(b.data, changetype<usize>(targetBytes), tlen);
          vol.release(b);
          n.size = <u64>tlen;
        }
      }
    }
  }
  if (e >= 0) e = vol.storeInode(n);
  if (e >= 0) e = addEntry(vol, d, name, len, n.ino, dirTypeOfMode(mode));
  if (e < 0) {
    // undo: the inode and whatever it got
    n.links = 0;
    destroyInode(vol, n);
    return e;
  }
  if (isDirectory) {
    if (d.links >= 65000 || d.links == 1) d.links = 1; // dir_nlink: too many to count
    else d.links = d.links + 1;
  }
  touchTimes(d, true);
  e = vol.storeInode(d);
  if (e < 0) return e;
  return <i64>n.ino;
}

/** A new name (p, len) in dir for inode ino (not a directory). */
export function linkName(vol: Ext4Volume, dir: u64, name: usize, len: u32, ino: u64): i32 {
  const d = dirFor(vol, dir);
  if (d == null) return vol.lastError;
  const n = inodeFor(vol, ino);
  if (n == null) return vol.lastError;
  if (isDir(n.mode)) return -EPERM;
  if (n.links >= 65000) return -EMLINK;
  let r = findSlot(vol, d, name, len);
  if (r < 0) return r;
  if (r > 0) return -EEXIST;
  r = addEntry(vol, d, name, len, n.ino, dirTypeOfMode(n.mode));
  if (r < 0) return r;
  n.links = n.links + 1;
  touchTimes(n, false);
  r = vol.storeInode(n);
  if (r < 0) return r;
  touchTimes(d, true);
  return vol.storeInode(d);
}

/** Is the directory empty (only "." and "..")? 1 yes, 0 no, or an error. */
function isEmptyDir(vol: Ext4Volume, n: Inode): i32 {
  // a directory always holds "." and "..": size 0 with blocks is damage, not emptiness
  if (n.size == 0 && n.blocksRaw > 0) return vol.corrupt("directory inode " + n.ino.toString() + " has size 0 but holds blocks");
  const entry = new DirEntry();
  let cursor: u64 = 0;
  for (let guard = 0; guard < 1 << 24; guard++) {
    const next = readDirAt(vol, <u64>n.ino, cursor, entry);
    if (next < 0) return <i32>next;
    if (next == 0) return 1;
    if (entry.name != "." && entry.name != "..") return 0;
    cursor = <u64>next;
  }
  return 0;
}

/** Removes name (p, len) from dir: unlink (directory false) or rmdir (true). */
export function removeName(vol: Ext4Volume, dir: u64, name: usize, len: u32, directory: bool): i32 {
  const d = dirFor(vol, dir);
  if (d == null) return vol.lastError;
  let r = findSlot(vol, d, name, len);
  if (r < 0) return r;
  if (r == 0) return -ENOENT;
  const n = vol.getInode(slot.ino);
  if (n == null) return vol.lastError;
  if (directory && !isDir(n.mode)) return -ENOTDIR;
  if (!directory && isDir(n.mode)) return -EISDIR;
  if (directory) {
    r = isEmptyDir(vol, n);
    if (r < 0) return r;
    if (r == 0) return -ENOTEMPTY;
    // isEmptyDir read the directory's blocks: find the entry again
    r = findSlot(vol, d, name, len);
    if (r <= 0) return r < 0 ? r : -ENOENT;
  }
  // when the inode goes with its name, check that it can be freed before the name goes
  if (directory || lastLink(vol, n)) {
    r = checkDestroyable(vol, n);
    if (r < 0) return r;
  }
  r = removeEntry(vol, d, slot);
  if (r < 0) return r;
  touchTimes(d, true);
  if (directory && d.links > 2) d.links = d.links - 1;
  r = vol.storeInode(d);
  if (r < 0) return r;
  if (directory) return destroyInode(vol, n);
  return dropLink(vol, n);
}

/** Would dropping one link free n now (its last name, no handle open)? */
function lastLink(vol: Ext4Volume, n: Inode): bool {
  return n.links <= 1 && !(vol.openCounts.has(<u64>n.ino) && vol.openCounts.get(<u64>n.ino) > 0);
}

/** One name of n is gone: free it at zero links unless a handle still has it open (then it is an orphan). */
function dropLink(vol: Ext4Volume, n: Inode): i32 {
  if (n.links > 0) n.links = n.links - 1;
  touchTimes(n, false);
  if (n.links > 0) return vol.storeInode(n);
  const open = vol.openCounts.has(<u64>n.ino) ? vol.openCounts.get(<u64>n.ino) : 0;
  if (open > 0) {
    const e = vol.storeInode(n);
    if (e < 0) return e;
    return addOrphan(vol, n);
  }
  return destroyInode(vol, n);
}

/** Renames (name, len) in dir to (newName, newLen) in newDir, replacing what the new name held. */
export function renameName(vol: Ext4Volume, dir: u64, name: usize, len: u32, newDir: u64, newName: usize, newLen: u32): i32 {
  const src = dirFor(vol, dir);
  if (src == null) return vol.lastError;
  const dst = dirFor(vol, newDir);
  if (dst == null) return vol.lastError;
  let r = findSlot(vol, src, name, len);
  if (r < 0) return r;
  if (r == 0) return -ENOENT;
  const moving = vol.getInode(slot.ino);
  if (moving == null) return vol.lastError;
  const movingDir = isDir(moving.mode);
  const type = dirTypeOfMode(moving.mode);
  r = findSlot(vol, dst, newName, newLen);
  if (r < 0) return r;
  let replaced: Inode | null = null;
  if (r > 0) {
    if (slot.ino == moving.ino) return 0; // the same file under both names
    replaced = vol.getInode(slot.ino);
    if (replaced == null) return vol.lastError;
    if (isDir(replaced.mode) != movingDir) return movingDir ? -ENOTDIR : -EISDIR;
    if (movingDir) {
      const empty = isEmptyDir(vol, replaced);
      if (empty < 0) return empty;
      if (empty == 0) return -ENOTEMPTY;
      r = findSlot(vol, dst, newName, newLen);
      if (r <= 0) return r < 0 ? r : -ENOENT;
    }
    r = retargetEntry(vol, dst, slot, moving.ino, type);
  } else {
    r = addEntry(vol, dst, newName, newLen, moving.ino, type);
  }
  if (r < 0) return r;
  // the old name goes (found again: adding may have moved entries)
  r = findSlot(vol, src, name, len);
  if (r <= 0) return r < 0 ? r : vol.corrupt("rename: the source entry vanished");
  r = removeEntry(vol, src, slot);
  if (r < 0) return r;
  if (movingDir && src.ino != dst.ino) {
    // ".." of the moved directory now names the new parent
    const dotdot = memory.data<u8>([46, 46]);
    r = linearLookup(vol, moving, dotdot, 2, slot);
    if (r <= 0) return r < 0 ? r : vol.corrupt("directory " + moving.ino.toString() + " has no '..'");
    r = retargetEntry(vol, moving, slot, dst.ino, DT_DIR);
    if (r < 0) return r;
    if (src.links > 2) src.links = src.links - 1;
    if (replaced == null) {
      if (dst.links >= 65000 || dst.links == 1) dst.links = 1;
      else dst.links = dst.links + 1;
    }
  }
  touchTimes(moving, false);
  r = vol.storeInode(moving);
  if (r < 0) return r;
  touchTimes(src, true);
  r = vol.storeInode(src);
  if (r < 0) return r;
  if (dst.ino != src.ino) {
    touchTimes(dst, true);
    r = vol.storeInode(dst);
    if (r < 0) return r;
  }
  if (replaced != null) {
    if (movingDir) {
      if (dst.links > 2) {
        dst.links = dst.links - 1;
        r = vol.storeInode(dst);
        if (r < 0) return r;
      }
      return destroyInode(vol, replaced!);
    }
    return dropLink(vol, replaced!);
  }
  return 0;
}
