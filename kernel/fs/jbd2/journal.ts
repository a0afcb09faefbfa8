// The jbd2 journal of a mounted ext4: physical redo logging of metadata blocks, ordered mode.
//
//   the log: journal blocks [first, maxlen) of inode 8, used as a ring
//
//     tail (jsb s_start, s_sequence)                        head (next free log block)
//       v                                                     v
//     ... [desc][meta][meta][commit] [revoke][desc][meta][commit] ...
//          transaction tid                 transaction tid + 1
//
//   running transaction: every metadata block an operation changes is HELD in the buffer
//   cache (kernel/block/cache.ts hold()): it cannot reach its home location before its
//   transaction commits. File data is never held: it is written in place (ordered mode).
//
//   commit (commit.ts), the order that makes it durable:
//     1. file data and already-committed metadata go home (ordered mode: data first)
//     2. revoke blocks, descriptor blocks and copies of the held metadata go to the log
//     3. FLUSH                 -- everything of the transaction is on the medium
//     4. the commit block      5. FLUSH  -- the real commit point
//     6. the metadata is unheld: dirty, it goes home later (checkpoint)
//   checkpoint: write every dirty block home, FLUSH, then mark the log empty (s_start = 0).
//
// Handles: ext4 brackets each operation with begin()/end(); commits happen between
// operations only (when the transaction is big, every 5 s from the poller, on sync/fsync).
import { BlockDevice, SECTOR_SIZE } from "../../block/device";
import { BlockCache, CachedBlock } from "../../block/cache";
import { EIO, EUCLEAN, ENOMEM, ENOSPC } from "../../lib/errors";
import { nowUs } from "../../platform/time";
import { crc32cUpdate } from "../../lib/crc32c";
import {
  JBD2_MAGIC, BLOCKTYPE_SUPERBLOCK_V1, BLOCKTYPE_SUPERBLOCK_V2, be32, setBe32, JSB_BLOCKSIZE, JSB_MAXLEN, JSB_FIRST,
  JSB_SEQUENCE, JSB_START, JSB_COMPAT, JSB_INCOMPAT, JSB_RO_COMPAT, JSB_UUID, JSB_CHECKSUM_TYPE, JSB_CHECKSUM, JSB_ERRNO,
  INCOMPAT_KNOWN, INCOMPAT_CSUM_V2, INCOMPAT_CSUM_V3, INCOMPAT_64BIT, INCOMPAT_FAST_COMMIT, COMPAT_CHECKSUM, CRC32C_CHKSUM,
  superblockChecksum, hasCsumV2or3,
} from "./format";

/** How many commit latencies are kept for `fsctl journal`. */
const LATENCY_SAMPLES: i32 = 512;
/** Periodic commit interval. */
export const COMMIT_INTERVAL_US: u64 = 5_000_000;

export class Transaction {
  blocks: Array<CachedBlock> = new Array<CachedBlock>(0);
  members: Set<u64> = new Set<u64>();
  revokes: Array<u64> = new Array<u64>(0);
  startedUs: u64 = 0;
  constructor(public tid: u32) {}
  get empty(): bool { return this.blocks.length == 0 && this.revokes.length == 0; }
}

export class JournalStats {
  commits: u64 = 0;
  blocksLogged: u64 = 0;
  revokesLogged: u64 = 0;
  checkpoints: u64 = 0;
  periodicCommits: u64 = 0;
  latenciesUs: Array<u64> = new Array<u64>(0);
  replayedTransactions: u32 = 0;
  replayedBlocks: u32 = 0;
  revokedBlocks: u32 = 0;
  replayUs: u64 = 0;
  replayErrors: u32 = 0;
}

export class Journal {
  /** True while metadata writes go through the journal (a read-write mount). */
  live: bool = false;
  blockSize: u32;
  maxlen: u32 = 0;
  first: u32 = 0;
  /** Tail: oldest transaction still needed (0 = the log is empty). */
  start: u32 = 0;
  /** Sequence (tid) of the transaction at the tail, or the next one when empty. */
  sequence: u32 = 0;
  compat: u32 = 0;
  incompat: u32 = 0;
  roCompat: u32 = 0;
  uuid: StaticArray<u8> = new StaticArray<u8>(16);
  csumSeed: u32 = 0;
  errno: i32 = 0;
  /** Next free log block and the tid of the next transaction. */
  head: u32 = 0;
  nextTid: u32 = 0;
  running: Transaction | null = null;
  /** Blocks to write home at the next commit or checkpoint (file data, committed metadata). */
  pendingHome: Set<u64> = new Set<u64>();
  /** Blocks freed by the running transaction: not reused before it commits. */
  freedInTx: Set<u64> = new Set<u64>();
  /** Blocks logged since the log was last empty: freeing one needs a revoke record. */
  logged: Set<u64> = new Set<u64>();
  stats: JournalStats = new JournalStats();
  lastError: string = "";
  /** Largest transaction, in log blocks (a quarter of the log, as jbd2). */
  maxTransaction: u32 = 0;

  constructor(
    public device: BlockDevice,
    public cache: BlockCache,
    /** Journal block -> file-system block (from inode 8's extents). */
    public map: Array<u64>,
  ) {
    this.blockSize = cache.blockSize;
  }

  get csumV2or3(): bool { return hasCsumV2or3(this.incompat); }
  get logBlocks(): u32 { return this.maxlen - this.first; }

  /** Log blocks in use between tail and head. */
  get used(): u32 {
    if (this.start == 0) return 0;
    return this.head >= this.start ? this.head - this.start : this.maxlen - this.start + (this.head - this.first);
  }

  get free(): u32 {
    return this.logBlocks - this.used;
  }

  // ---------------------------------------------------------------- raw log I/O

  /** Reads journal block jblock into buf (one block). */
  readLog(jblock: u32, buf: usize): i32 {
    if (jblock >= <u32>this.map.length) return -EUCLEAN;
    const spb = this.blockSize / SECTOR_SIZE;
    return this.device.read(this.map[jblock] * <u64>spb, spb, buf);
  }

  writeLog(jblock: u32, buf: usize): i32 {
    if (jblock >= <u32>this.map.length) return -EUCLEAN;
    const spb = this.blockSize / SECTOR_SIZE;
    // the log block may be cached (a stale copy from a read): forget it
    this.cache.drop(this.map[jblock]);
    return this.device.write(this.map[jblock] * <u64>spb, spb, buf);
  }

  /** The log block after j, wrapping from maxlen to first. */
  // @ts-ignore: decorator
  @inline next(j: u32): u32 {
    return j + 1 >= this.maxlen ? this.first : j + 1;
  }

  // ---------------------------------------------------------------- superblock

  /** Reads and checks the journal superblock. 0, or an error with lastError set. */
  load(): i32 {
    const buf = heap.alloc(this.blockSize);
    if (buf == 0) return -ENOMEM;
    const r = this.readLog(0, buf);
    if (r < 0) {
      heap.free(buf);
      this.lastError = "cannot read the journal superblock";
      return -EIO;
    }
    const e = this.parseSuperblock(buf);
    heap.free(buf);
    return e;
  }

  private parseSuperblock(p: usize): i32 {
    if (be32(p) != JBD2_MAGIC) return this.bad("journal superblock: bad magic number");
    const type = be32(p + 4);
    if (type != BLOCKTYPE_SUPERBLOCK_V1 && type != BLOCKTYPE_SUPERBLOCK_V2) return this.bad("journal superblock: unknown type " + type.toString());
    if (be32(p + JSB_BLOCKSIZE) != this.blockSize) return this.bad("journal block size differs from the file system's");
    this.maxlen = be32(p + JSB_MAXLEN);
    this.first = be32(p + JSB_FIRST);
    this.sequence = be32(p + JSB_SEQUENCE);
    this.start = be32(p + JSB_START);
    this.errno = <i32>be32(p + JSB_ERRNO);
    if (type == BLOCKTYPE_SUPERBLOCK_V2) {
      this.compat = be32(p + JSB_COMPAT);
      this.incompat = be32(p + JSB_INCOMPAT);
      this.roCompat = be32(p + JSB_RO_COMPAT);
      memory.copy(changetype<usize>(this.uuid), p + JSB_UUID, 16);
    }
    if (this.maxlen > <u32>this.map.length || this.maxlen < 32) return this.bad("journal length " + this.maxlen.toString() + " does not match its inode");
    if (this.first == 0 || this.first >= this.maxlen) return this.bad("journal first block out of range");
    if (this.start != 0 && (this.start < this.first || this.start >= this.maxlen)) return this.bad("journal start block out of range");
    if ((this.incompat & ~INCOMPAT_KNOWN) != 0 && (this.incompat & INCOMPAT_FAST_COMMIT) == 0) {
      return this.bad("journal has unknown incompatible features 0x" + (this.incompat & ~INCOMPAT_KNOWN).toString(16));
    }
    if (this.csumV2or3) {
      if (load<u8>(p + JSB_CHECKSUM_TYPE) != CRC32C_CHKSUM) return this.bad("journal checksum type is not crc32c");
      if (be32(p + JSB_CHECKSUM) != superblockChecksum(p)) return this.bad("journal superblock checksum mismatch");
    }
    this.csumSeed = crc32cUpdate(0xffffffff, changetype<usize>(this.uuid), 16);
    this.head = this.start != 0 ? this.start : this.first;
    this.nextTid = this.sequence;
    this.maxTransaction = max<u32>(8, this.logBlocks / 4);
    return 0;
  }

  private bad(why: string): i32 {
    this.lastError = why;
    return -EUCLEAN;
  }

  /** Writes the journal superblock (tail, sequence, features) to journal block 0. */
  writeSuperblock(): i32 {
    const buf = heap.alloc(this.blockSize);
    if (buf == 0) return -ENOMEM;
    let r = this.readLog(0, buf);
    if (r == 0) {
      setBe32(buf + JSB_SEQUENCE, this.sequence);
      setBe32(buf + JSB_START, this.start);
      setBe32(buf + JSB_ERRNO, <u32>this.errno);
      setBe32(buf + JSB_COMPAT, this.compat);
      setBe32(buf + JSB_INCOMPAT, this.incompat);
      setBe32(buf + JSB_RO_COMPAT, this.roCompat);
      if (this.csumV2or3) {
        store<u8>(buf + JSB_CHECKSUM_TYPE, CRC32C_CHKSUM);
        setBe32(buf + JSB_CHECKSUM, superblockChecksum(buf));
      }
      r = this.writeLog(0, buf);
    }
    heap.free(buf);
    return r;
  }

  /**
   * The features SIS writes with, as Linux ext4 sets them at mount: csum v3 when the file
   * system has metadata_csum (v2 and the old compat checksum off), 64bit when it is 64-bit.
   */
  chooseFeatures(metadataCsum: bool, is64bit: bool): void {
    if (metadataCsum) {
      this.incompat = (this.incompat & ~INCOMPAT_CSUM_V2) | INCOMPAT_CSUM_V3;
      this.compat &= ~COMPAT_CHECKSUM;
    }
    if (is64bit) this.incompat |= INCOMPAT_64BIT;
  }

  // ---------------------------------------------------------------- handles

  /** Starts (or joins) the running transaction. */
  begin(): void {
    if (!this.live) return;
    if (this.running == null) {
      const t = new Transaction(this.nextTid);
      t.startedUs = nowUs();
      this.running = t;
    }
  }

  /** Adds a metadata block (pinned by the caller) to the running transaction. */
  addMetadata(b: CachedBlock): void {
    this.cache.markDirty(b);
    if (this.running == null) this.begin();
    const t = this.running!;
    if (t.members.has(b.block)) return;
    t.members.add(b.block);
    this.cache.hold(b);
    b.pins++; // the transaction keeps it pinned until commit
    t.blocks.push(b);
  }

  /** A block is being freed: it leaves the transaction, and a revoke keeps old log copies away. */
  forget(block: u64): void {
    if (this.running != null) {
      const t = this.running!;
      if (t.members.has(block)) {
        t.members.delete(block);
        for (let i = 0; i < t.blocks.length; i++) {
          if (t.blocks[i].block == block) {
            const b = t.blocks[i];
            t.blocks.splice(i, 1);
            this.cache.unhold(b);
            this.cache.release(b);
            break;
          }
        }
      }
      if (this.logged.has(block)) t.revokes.push(block);
      this.freedInTx.add(block);
    }
    this.pendingHome.delete(block);
    this.cache.drop(block);
  }

  /** A data block written through the cache: it goes home before the next commit. */
  noteData(block: u64): void {
    this.pendingHome.add(block);
  }

  /** Is block logged since the log was last empty, or in the running transaction? */
  isJournaled(block: u64): bool {
    return this.logged.has(block) || (this.running != null && this.running!.members.has(block));
  }

  /** Log blocks the running transaction will need (descriptors, copies, revokes, commit). */
  runningSize(): u32 {
    if (this.running == null) return 0;
    const t = this.running!;
    const n = <u32>t.blocks.length;
    const perDescriptor = max<u32>(1, (this.blockSize - 12 - 4) / 16 - 1);
    const perRevoke = max<u32>(1, (this.blockSize - 16 - 4) / 8);
    return n + (n + perDescriptor - 1) / perDescriptor + (<u32>t.revokes.length + perRevoke - 1) / perRevoke + 1;
  }

  /** Should the running transaction be committed now (it is big, or the log is filling)? */
  wantsCommit(): bool {
    if (this.running == null) return false;
    return this.runningSize() >= this.maxTransaction || this.runningSize() + this.maxTransaction >= this.free;
  }

  /** Is the 5-second commit timer due? */
  timerDue(now: u64): bool {
    return this.running != null && !this.running!.empty && now - this.running!.startedUs >= COMMIT_INTERVAL_US;
  }

  recordLatency(us: u64): void {
    const l = this.stats.latenciesUs;
    if (l.length >= LATENCY_SAMPLES) l.shift();
    l.push(us);
  }

  get needsSpace(): bool {
    return this.free < this.maxTransaction * 2;
  }

  get isFull(): bool {
    return this.free <= this.runningSize();
  }

  noSpace(): i32 {
    this.lastError = "the journal is full";
    return -ENOSPC;
  }
}
