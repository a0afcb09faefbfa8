// File data writes: write() (allocating holes next to the previous block, whole blocks of a
// run straight to the device in ordered mode, partial blocks through the cache) and
// truncate() (freeing the extents past the end, zeroing the tail of the last block through
// the journal). Free functions over the volume; the thin Ext4Fs (fs.ts) wraps each in a
// journal handle.
import { SECTOR_SIZE } from "../../block/device";
import { EISDIR, EINVAL, EIO, EOPNOTSUPP, EROFS, EFBIG } from "../../lib/errors";
import { isDir, isReg, setErrorDetail } from "../types";
import { Ext4Volume } from "./volume";
import { BlockRun } from "./extent";
import { mapBlock } from "./dir";
import { allocateBlocks, freeBlocks, Allocation } from "./balloc";
import { insertExtent, truncateExtents, addBlocks } from "./extent_write";
import { inodeFor, touchTimes, groupStartOf, MAX_EXTENT_FILE_BLOCKS } from "./inodes";

/** Largest direct device read or write, in blocks (bounded so one request stays reasonable). */
export const MAX_DIRECT_BLOCKS: u64 = 256;

const run = new BlockRun();
const alloc = new Allocation();

/** Writes length bytes at offset into file ino; returns the bytes written (> 0 when some were) or an error. */
export function writeFile(vol: Ext4Volume, ino: u64, offset: u64, buffer: usize, length: u32): i64 {
  const n = inodeFor(vol, ino);
  if (n == null) return vol.lastError;
  if (isDir(n.mode)) return -EISDIR;
  if (!isReg(n.mode)) return -EINVAL;
  if (!n.hasExtents) return -EROFS;
  const bs = <u64>vol.blockSize;
  if (offset + <u64>length > MAX_EXTENT_FILE_BLOCKS * bs) return -EFBIG;
  if (length == 0) return 0;
  let done: u32 = 0;
  let result: i64 = 0;
  // blocks allocated by this call: their old contents must never show through
  let freshFrom: u64 = 0;
  let freshTo: u64 = 0;
  while (done < length) {
    const pos = offset + <u64>done;
    const lblk = pos / bs;
    const within = <u32>(pos % bs);
    const left = length - done;
    let e = mapBlock(vol, n, lblk, run);
    if (e < 0) {
      result = e;
      break;
    }
    let fresh = run.physical != 0 && run.physical >= freshFrom && run.physical < freshTo;
    if (run.unwritten) {
      result = -EOPNOTSUPP; // writing into preallocated (unwritten) extents
      break;
    }
    if (run.physical == 0) {
      // a hole: allocate as much of it as this write covers, next to the previous block
      const wantBlocks = (<u64>within + <u64>left + bs - 1) / bs;
      const want = <u32>min<u64>(min<u64>(wantBlocks, run.count), 32768);
      let goal = groupStartOf(vol, n.ino);
      if (lblk > 0) {
        const prev = new BlockRun();
        if (mapBlock(vol, n, lblk - 1, prev) == 0 && prev.physical != 0) goal = prev.physical + 1;
      }
      e = allocateBlocks(vol, goal, want, alloc);
      if (e < 0) {
        result = e;
        break;
      }
      e = insertExtent(vol, n, lblk, alloc.start, alloc.count);
      if (e < 0) {
        freeBlocks(vol, alloc.start, <u64>alloc.count);
        result = e;
        break;
      }
      addBlocks(vol, n, <i64>alloc.count);
      run.physical = alloc.start;
      run.count = <u64>alloc.count;
      freshFrom = alloc.start;
      freshTo = alloc.start + <u64>alloc.count;
      fresh = true;
    }
    // whole blocks of the run: straight to the device (ordered: before the next commit),
    // except blocks the journal holds a copy of (they go through the journal again)
    let direct: u64 = 0;
    if (within == 0 && <u64>left >= bs * 2 && run.count >= 2) {
      const most = min<u64>(min<u64>(run.count, <u64>left / bs), MAX_DIRECT_BLOCKS);
      while (direct < most && !vol.isJournaled(run.physical + direct)) direct++;
    }
    if (direct >= 2) {
      const k = direct;
      for (let i: u64 = 0; i < k; i++) {
        vol.cache.drop(run.physical + i);
      }
      const spb = <u64>(vol.blockSize / SECTOR_SIZE);
      const r = vol.device.write(run.physical * spb, <u32>(k * spb), buffer + <usize>done);
      if (r < 0) {
        setErrorDetail("inode " + n.ino.toString() + ": writing blocks " + run.physical.toString() + "+" + k.toString());
        result = -EIO;
        break;
      }
      done += <u32>(k * bs);
      continue;
    }
    const chunk = min<u32>(left, <u32>bs - within);
    const whole = within == 0 && chunk == <u32>bs;
    const b = whole || fresh ? vol.cache.getForOverwrite(run.physical) : vol.cache.get(run.physical);
    if (b == null) {
      result = -EIO;
      break;
    }
    if (fresh && !whole) memory.fill(b.data, 0, <usize>bs);
    memory.copy(b.data + <usize>within, buffer + <usize>done, chunk);
    vol.dataDirtied(b);
    vol.cache.release(b);
    done += chunk;
  }
  if (done > 0) {
    const end = offset + <u64>done;
    if (end > n.size) n.size = end;
    touchTimes(n, true);
    const e = vol.storeInode(n);
    if (e < 0) return e;
    return <i64>done;
  }
  return result;
}

/** Sets file ino's size: frees what lies past it, or grows it (reading zeros). */
export function truncateFile(vol: Ext4Volume, ino: u64, size: u64): i32 {
  const n = inodeFor(vol, ino);
  if (n == null) return vol.lastError;
  if (isDir(n.mode)) return -EISDIR;
  if (!isReg(n.mode)) return -EINVAL;
  if (!n.hasExtents) return -EROFS;
  const bs = <u64>vol.blockSize;
  if (size > MAX_EXTENT_FILE_BLOCKS * bs) return -EFBIG;
  if (size < n.size) {
    const keep = (size + bs - 1) / bs;
    let e = truncateExtents(vol, n, keep);
    if (e < 0) return e;
    // zero the rest of the last partial block, so that growing again reads zeros; through
    // the journal, so that the block changes on disk only if the truncation commits (written
    // in place, a power cut before the commit would leave the old size with zeroed bytes)
    if (size % bs != 0) {
      e = mapBlock(vol, n, size / bs, run);
      if (e < 0) return e;
      if (run.physical != 0 && !run.unwritten) {
        const b = vol.cache.get(run.physical);
        if (b == null) return -EIO;
        memory.fill(b.data + <usize>(size % bs), 0, <usize>(bs - size % bs));
        vol.journalData(b);
        vol.cache.release(b);
      }
    }
  }
  n.size = size;
  touchTimes(n, true);
  return vol.storeInode(n);
}
