// Journal recovery at mount, in the three passes of jbd2 and e2fsck:
//
//   SCAN    from the tail (s_start, s_sequence) follow blocks whose header has the magic and
//           the expected sequence; a commit block (with a good checksum) ends a transaction.
//           The first transaction without a valid commit ends the log: it is not replayed.
//   REVOKE  collect every revoke record of the committed transactions: block -> newest tid
//   REPLAY  write each logged block home (unescaped, checksum verified) unless a revoke
//           record of the same or a later transaction covers it
//
// Then FLUSH, and mark the log empty with the sequence after the last one seen + 1 (as jbd2
// does, so that stale blocks of the old log can never match).
import { EIO, ENOMEM } from "../../lib/errors";
import { SECTOR_SIZE } from "../../block/device";
import { nowUs } from "../../platform/time";
import {
  JBD2_MAGIC, BLOCKTYPE_DESCRIPTOR, BLOCKTYPE_COMMIT, BLOCKTYPE_REVOKE, FLAG_SAME_UUID, FLAG_LAST_TAG, FLAG_ESCAPE,
  INCOMPAT_64BIT, HEADER_SIZE, TAIL_SIZE, REVOKE_HEADER_SIZE, COMMIT_CHKSUM,
  be32, be64, tagBytes, tagBlock, tagFlags, tagChecksum, dataBlockChecksum, blockChecksum, INCOMPAT_CSUM_V3,
} from "./format";
import { Journal } from "./journal";

/** Tags of a descriptor block: the log blocks that follow it. */
function countTags(j: Journal, p: usize): u32 {
  const bs = j.blockSize;
  const tagSize = tagBytes(j.incompat);
  const limit = bs - (j.csumV2or3 ? TAIL_SIZE : 0);
  let off = HEADER_SIZE;
  let n: u32 = 0;
  while (off + tagSize <= limit) {
    const flags = tagFlags(p + <usize>off, j.incompat);
    n++;
    off += tagSize;
    if ((flags & FLAG_SAME_UUID) == 0) off += 16;
    if ((flags & FLAG_LAST_TAG) != 0) break;
  }
  return n;
}

function advance(j: Journal, pos: u32, by: u32): u32 {
  let p = pos;
  for (let i: u32 = 0; i < by; i++) p = j.next(p);
  return p;
}

const PASS_SCAN = 0;
const PASS_REVOKE = 1;
const PASS_REPLAY = 2;

class Pass {
  endTid: u32 = 0;
  revoked: Map<u64, u32> = new Map<u64, u32>();
  transactions: u32 = 0;
  replayed: u32 = 0;
  revokeHits: u32 = 0;
  errors: u32 = 0;
}

/** One pass over the log. Returns 0 or an I/O error. */
function onePass(j: Journal, pass: i32, state: Pass, buf: usize, data: usize): i32 {
  const bs = j.blockSize;
  const csum = j.csumV2or3;
  let tid = j.sequence;
  let pos = j.start;
  const spb = bs / SECTOR_SIZE;
  for (let guard: u32 = 0; guard <= j.logBlocks; guard++) {
    if (pass != PASS_SCAN && tid == state.endTid) break;
    let r = j.readLog(pos, buf);
    if (r < 0) return r;
    if (be32(buf) != JBD2_MAGIC || be32(buf + 8) != tid) break;
    const type = be32(buf + 4);
    if (type == BLOCKTYPE_DESCRIPTOR) {
      if (csum && be32(buf + <usize>(bs - 4)) != blockChecksum(j.csumSeed, buf, bs, bs - 4)) {
        if (pass == PASS_SCAN) break; // a torn or stale descriptor: the log ends here
      }
      const n = countTags(j, buf);
      if (pass != PASS_REPLAY) {
        pos = advance(j, pos, 1 + n);
        continue;
      }
      const tagSize = tagBytes(j.incompat);
      const limit = bs - (csum ? TAIL_SIZE : 0);
      let off = HEADER_SIZE;
      let logPos = j.next(pos);
      while (off + tagSize <= limit) {
        const tag = buf + <usize>off;
        const flags = tagFlags(tag, j.incompat);
        const target = tagBlock(tag, j.incompat);
        r = j.readLog(logPos, data);
        if (r < 0) return r;
        logPos = j.next(logPos);
        const revokedBy = state.revoked.has(target) ? state.revoked.get(target) : 0;
        if (state.revoked.has(target) && <i32>(revokedBy - tid) >= 0) {
          state.revokeHits++;
        } else {
          if ((flags & FLAG_ESCAPE) != 0) store<u32>(data, bswap<u32>(JBD2_MAGIC));
          let ok = true;
          if (csum) {
            const sum = dataBlockChecksum(j.csumSeed, tid, data, bs);
            const stored = tagChecksum(tag, j.incompat);
            ok = (j.incompat & INCOMPAT_CSUM_V3) != 0 ? sum == stored : (sum & 0xffff) == stored;
          }
          if (!ok || target >= j.cache.blockCount) {
            state.errors++;
          } else {
            j.cache.drop(target);
            r = j.device.write(target * <u64>spb, spb, data);
            if (r < 0) return r;
            state.replayed++;
          }
        }
        off += tagSize;
        if ((flags & FLAG_SAME_UUID) == 0) off += 16;
        if ((flags & FLAG_LAST_TAG) != 0) break;
      }
      pos = logPos;
      continue;
    }
    if (type == BLOCKTYPE_COMMIT) {
      if (pass == PASS_SCAN && csum && be32(buf + COMMIT_CHKSUM) != blockChecksum(j.csumSeed, buf, bs, COMMIT_CHKSUM)) break;
      if (pass == PASS_SCAN) state.transactions++;
      tid++;
      pos = j.next(pos);
      continue;
    }
    if (type == BLOCKTYPE_REVOKE) {
      if (pass == PASS_SCAN && csum && be32(buf + <usize>(bs - 4)) != blockChecksum(j.csumSeed, buf, bs, bs - 4)) break;
      if (pass == PASS_REVOKE) {
        const recordSize: u32 = (j.incompat & INCOMPAT_64BIT) != 0 ? 8 : 4;
        const count = min<u32>(be32(buf + 12), bs - (csum ? TAIL_SIZE : 0));
        let off = REVOKE_HEADER_SIZE;
        while (off + recordSize <= count) {
          const block = recordSize == 8 ? be64(buf + <usize>off) : <u64>be32(buf + <usize>off);
          if (!state.revoked.has(block) || <i32>(tid - state.revoked.get(block)) > 0) state.revoked.set(block, tid);
          off += recordSize;
        }
      }
      pos = j.next(pos);
      continue;
    }
    break; // unknown block type: the end of the log
  }
  if (pass == PASS_SCAN) state.endTid = tid;
  return 0;
}

/**
 * Replays committed transactions (when the log is not empty). Fills j.stats.replayed*;
 * returns 0 or an error. The log is empty afterwards.
 */
export function replayJournal(j: Journal): i32 {
  if (j.start == 0) return 0;
  const started = nowUs();
  const buf = heap.alloc(j.blockSize);
  const data = heap.alloc(j.blockSize);
  if (buf == 0 || data == 0) {
    if (buf != 0) heap.free(buf);
    return -ENOMEM;
  }
  const state = new Pass();
  let r = onePass(j, PASS_SCAN, state, buf, data);
  if (r == 0) r = onePass(j, PASS_REVOKE, state, buf, data);
  if (r == 0) r = onePass(j, PASS_REPLAY, state, buf, data);
  heap.free(buf);
  heap.free(data);
  if (r < 0) return r;
  r = j.device.flush();
  if (r < 0) return r;
  j.stats.replayedTransactions = state.transactions;
  j.stats.replayedBlocks = state.replayed;
  j.stats.revokedBlocks = state.revokeHits;
  j.stats.replayErrors = state.errors;
  // the log is empty now; the next sequence skips one, as jbd2 and e2fsck do
  j.nextTid = state.endTid + 1;
  j.sequence = j.nextTid;
  j.start = 0;
  j.head = j.first;
  r = j.writeSuperblock();
  if (r == 0) r = j.device.flush();
  j.stats.replayUs = nowUs() - started;
  return r < 0 ? r : 0; // bad data-block checksums were skipped and counted (stats.replayErrors)
}
