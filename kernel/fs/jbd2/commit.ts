// Committing and checkpointing the journal (see journal.ts for the log picture).
//
//   commitTransaction: data home -> [revoke][desc][copies]... -> FLUSH -> commit -> FLUSH
//   checkpoint:        every dirty block home -> FLUSH -> s_start = 0 (log empty) -> FLUSH
//
// The two flushes of a commit are the ordering points: nothing of the commit block may reach
// the medium before the blocks it vouches for, and the commit is only reported done (fsync
// returns) once the commit block itself is durable.
import { EIO, ENOMEM } from "../../lib/errors";
import { nowUs } from "../../platform/time";
import { wallClockSeconds, wallClockNanos } from "../clock";
import {
  JBD2_MAGIC, BLOCKTYPE_DESCRIPTOR, BLOCKTYPE_COMMIT, BLOCKTYPE_REVOKE, FLAG_ESCAPE, FLAG_SAME_UUID, FLAG_LAST_TAG,
  INCOMPAT_64BIT, INCOMPAT_REVOKE, HEADER_SIZE, TAIL_SIZE, REVOKE_HEADER_SIZE, COMMIT_CHKSUM, COMMIT_SEC, COMMIT_NSEC,
  setHeader, setBe32, setBe64, tagBytes, writeTag, dataBlockChecksum, blockChecksum, be32,
} from "./format";
import { Journal } from "./journal";

/** Writes every pending block (file data, committed metadata) home; no flush. */
export function writePendingHome(j: Journal): i32 {
  const blocks = j.pendingHome.values();
  let result = 0;
  // in block order: fewer seeks on a real disk
  blocks.sort();
  for (let i = 0; i < blocks.length; i++) {
    const b = j.cache.peek(blocks[i]);
    if (b == null || !b.dirty || b.held) continue;
    const r = j.cache.writeBack(b);
    if (r < 0 && result == 0) result = r;
  }
  j.pendingHome.clear();
  return result;
}

/**
 * Commits the running transaction (if it has anything). Returns 0 when the commit block is
 * durable, or an error (the transaction stays held in memory; nothing partial is replayable).
 */
export function commitTransaction(j: Journal): i32 {
  const t = j.running;
  if (t == null) return 0;
  if (t.empty) {
    // nothing logged: still push ordered data home
    j.running = null;
    j.freedInTx.clear();
    const r = writePendingHome(j);
    return r < 0 ? r : j.device.flush();
  }
  const started = nowUs();
  const bs = j.blockSize;
  // 1. ordered data first
  let r = writePendingHome(j);
  if (r < 0) return r;
  if (j.runningSize() > j.free) return j.noSpace();
  const buf = heap.alloc(bs);
  const copy = heap.alloc(bs);
  if (buf == 0 || copy == 0) {
    if (buf != 0) heap.free(buf);
    return -ENOMEM;
  }
  const wasEmpty = j.start == 0;
  const firstBlock = j.head;
  let pos = j.head;
  const tid = t.tid;
  const csum = j.csumV2or3;
  // 2a. revoke blocks
  if (t.revokes.length > 0) {
    j.incompat |= INCOMPAT_REVOKE;
    const recordSize: u32 = (j.incompat & INCOMPAT_64BIT) != 0 ? 8 : 4;
    const limit = bs - (csum ? TAIL_SIZE : 0);
    let i = 0;
    while (i < t.revokes.length && r == 0) {
      memory.fill(buf, 0, bs);
      setHeader(buf, BLOCKTYPE_REVOKE, tid);
      let off = REVOKE_HEADER_SIZE;
      while (i < t.revokes.length && off + recordSize <= limit) {
        if (recordSize == 8) setBe64(buf + <usize>off, t.revokes[i]);
        else setBe32(buf + <usize>off, <u32>t.revokes[i]);
        off += recordSize;
        i++;
      }
      setBe32(buf + 12, off);
      if (csum) setBe32(buf + <usize>(bs - 4), blockChecksum(j.csumSeed, buf, bs, bs - 4));
      r = j.writeLog(pos, buf);
      pos = j.next(pos);
    }
    j.stats.revokesLogged += <u64>t.revokes.length;
  }
  // 2b. descriptor blocks, each followed by the copies it describes
  const tagSize = tagBytes(j.incompat);
  const limit = bs - (csum ? TAIL_SIZE : 0);
  let i = 0;
  while (i < t.blocks.length && r == 0) {
    memory.fill(buf, 0, bs);
    setHeader(buf, BLOCKTYPE_DESCRIPTOR, tid);
    const descPos = pos;
    pos = j.next(pos);
    let off = HEADER_SIZE;
    let firstTag = true;
    let lastTag: usize = 0;
    let lastBlock: u64 = 0;
    let lastFlags: u32 = 0;
    let lastSum: u32 = 0;
    while (i < t.blocks.length) {
      const need = tagSize + (firstTag ? 16 : 0);
      if (off + need > limit) break;
      const b = t.blocks[i];
      // the copy as it goes to the log (escaped if it starts with the magic number)
      memory.copy(copy, b.data, bs);
      let flags: u32 = firstTag ? 0 : FLAG_SAME_UUID;
      if (be32(copy) == JBD2_MAGIC) {
        store<u32>(copy, 0);
        flags |= FLAG_ESCAPE;
      }
      const sum = csum ? dataBlockChecksum(j.csumSeed, tid, b.data, bs) : 0;
      lastTag = buf + <usize>off;
      lastBlock = b.block;
      lastFlags = flags;
      lastSum = sum;
      writeTag(lastTag, j.incompat, b.block, flags, sum);
      off += tagSize;
      if (firstTag) {
        memory.copy(buf + <usize>off, changetype<usize>(j.uuid), 16);
        off += 16;
        firstTag = false;
      }
      r = j.writeLog(pos, copy);
      if (r < 0) break;
      j.logged.add(b.block);
      pos = j.next(pos);
      i++;
    }
    if (r < 0) break;
    writeTag(lastTag, j.incompat, lastBlock, lastFlags | FLAG_LAST_TAG, lastSum);
    if (csum) setBe32(buf + <usize>(bs - 4), blockChecksum(j.csumSeed, buf, bs, bs - 4));
    r = j.writeLog(descPos, buf);
  }
  // the journal superblock must point at the log before the first commit after it was empty
  if (r == 0 && wasEmpty) {
    j.start = firstBlock;
    j.sequence = tid;
    r = j.writeSuperblock();
  }
  // 3. everything of the transaction durable before the commit block
  if (r == 0) r = j.device.flush();
  // 4. the commit block -- the real commit
  if (r == 0) {
    memory.fill(buf, 0, bs);
    setHeader(buf, BLOCKTYPE_COMMIT, tid);
    setBe64(buf + COMMIT_SEC, <u64>wallClockSeconds());
    setBe32(buf + COMMIT_NSEC, wallClockNanos());
    if (csum) setBe32(buf + COMMIT_CHKSUM, blockChecksum(j.csumSeed, buf, bs, COMMIT_CHKSUM));
    r = j.writeLog(pos, buf);
    pos = j.next(pos);
    // 5. durable
    if (r == 0) r = j.device.flush();
  }
  heap.free(buf);
  heap.free(copy);
  if (r < 0) {
    if (wasEmpty) j.start = 0;
    return r < 0 ? r : -EIO;
  }
  // 6. committed: the metadata may go home from now on
  for (let k = 0; k < t.blocks.length; k++) {
    const b = t.blocks[k];
    j.cache.unhold(b);
    j.cache.release(b);
    j.pendingHome.add(b.block);
  }
  j.head = pos;
  j.nextTid = tid + 1;
  j.running = null;
  j.freedInTx.clear();
  j.stats.commits++;
  j.stats.blocksLogged += <u64>t.blocks.length;
  j.recordLatency(nowUs() - started);
  return 0;
}

/**
 * Checkpoint: with no transaction running, writes every dirty block home, flushes, and marks
 * the log empty. Afterwards the file system on disk is complete without the journal.
 */
export function checkpoint(j: Journal): i32 {
  if (j.running != null && !j.running!.empty) {
    const c = commitTransaction(j);
    if (c < 0) return c;
  }
  j.running = null;
  writePendingHome(j);
  let r = j.cache.sync(); // every dirty unheld block, then FLUSH
  if (r < 0) return r;
  j.logged.clear();
  if (j.start != 0) {
    j.start = 0;
    j.sequence = j.nextTid;
    r = j.writeSuperblock();
    if (r == 0) r = j.device.flush();
  }
  j.stats.checkpoints++;
  return r;
}
