// Test entry for the virtio-mmio transport, the split virtqueue and virtio-blk, driven from
// mocha against the fake devices of tests/host/virtio-fake.ts, plus the shell commands
// (lsdev, lsblk, blkctl) on top of them.
import { probeVirtioDevices, virtioSlots, findVirtioBlk } from "../../../kernel/drivers/virtio/probe";
import { VirtioBlk, setCompletionTimeoutUs } from "../../../kernel/drivers/virtio/blk";
import { dmaBytesInUse } from "../../../kernel/drivers/virtio/dma_alloc";
import { BlockRequest, BlockOp, findBlockDevice, setBlockCompletionHook, blockDevices } from "../../../kernel/block/device";
import { runPollers } from "../../../kernel/kernel_loop";
import { BlockCache } from "../../../kernel/block/cache";
import { consoleShell } from "../../../kernel/shell/shell";
import "../../../kernel/shell/commands/help";
import "../../../kernel/shell/commands/lsdev";
import "../../../kernel/shell/commands/lsblk";
import "../../../kernel/shell/commands/blkctl";
import "../../../kernel/shell/commands/bench";

export function probe(): i32 {
  probeVirtioDevices();
  return blockDevices().length;
}

export function slotCount(): i32 { return virtioSlots().length; }
export function slotNumber(i: i32): i32 { return virtioSlots()[i].slot; }
export function slotName(i: i32): string { return virtioSlots()[i].name; }
export function deviceNames(): string {
  const d = blockDevices();
  let s = "";
  for (let i = 0; i < d.length; i++) s += (i > 0 ? "," : "") + d[i].name;
  return s;
}

export function shellRun(line: string): i32 { return consoleShell.execute(line); }

export function alloc(bytes: usize): usize { return heap.alloc(bytes); }
export function free(ptr: usize): void { heap.free(ptr); }
export function memoryBytes(): usize { return <usize>memory.size() << 16; }

function blk(name: string): VirtioBlk {
  const d = findVirtioBlk(name);
  if (d == null) abort("no virtio device " + name);
  return d!;
}

export function devRead(name: string, lba: u64, count: u32, ptr: usize): i32 {
  const d = findBlockDevice(name);
  return d == null ? -19 : d.read(lba, count, ptr);
}
export function devWrite(name: string, lba: u64, count: u32, ptr: usize): i32 {
  const d = findBlockDevice(name);
  return d == null ? -19 : d.write(lba, count, ptr);
}
export function devFlush(name: string): i32 {
  const d = findBlockDevice(name);
  return d == null ? -19 : d.flush();
}

// ---- asynchronous requests ----

const requests = new Array<BlockRequest>(0);
let hookCalls: i32 = 0;
function countCompletion(r: BlockRequest): void { hookCalls++; }
setBlockCompletionHook(countCompletion);

export function completionHookCalls(): i32 { return hookCalls; }

/** Submits; returns a handle (>= 0) or the error. */
export function submit(name: string, op: i32, lba: u64, count: u32, ptr: usize): i32 {
  const r = new BlockRequest(<BlockOp>op, lba, count, ptr);
  const e = blk(name).submit(r);
  if (e < 0) return e;
  requests.push(r);
  return requests.length - 1;
}
export function requestDone(h: i32): bool { return requests[h].done; }
export function requestStatus(h: i32): i32 { return requests[h].status; }
export function waitRequest(name: string, h: i32): i32 {
  blk(name).wait(requests[h]);
  return requests[h].status;
}
export function pollAll(): void { runPollers(); }
export function plug(name: string): void { blk(name).plug(); }
export function unplug(name: string): void { blk(name).unplug(); }
export function waitForCompletions(name: string, n: i32): void { blk(name).waitForCompletions(n); }

/** `n` one-sector reads of LBA i % mod into ptr; each must see its LBA in the first word. */
export function readLoop(name: string, n: i32, mod: u64, ptr: usize): i32 {
  const d = blk(name);
  for (let i = 0; i < n; i++) {
    const lba = <u64>i % mod;
    const r = d.read(lba, 1, ptr);
    if (r < 0) return r;
    if (load<u32>(ptr) != <u32>lba) return -1000 - i;
  }
  return 0;
}

// ---- device state ----

export function state(name: string): string {
  const s = virtioSlots();
  for (let i = 0; i < s.length; i++) {
    const b = s[i].blk;
    if (s[i].name == name && b != null) return b.state;
  }
  return "absent";
}
export function negotiated(name: string): u64 { return blk(name).negotiated; }
export function queueSize(name: string): i32 { const q = blk(name).queue; return q == null ? 0 : q.size; }
export function interrupts(name: string): u64 { return blk(name).stats.interrupts; }
export function notifies(name: string): u64 { return blk(name).stats.notifies; }
export function notifiesSuppressed(name: string): u64 { const q = blk(name).queue; return q == null ? 0 : q.notifiesSuppressed; }
export function inFlight(name: string): i32 { return blk(name).inFlight; }
export function availIndex(name: string): u32 { const q = blk(name).queue; return q == null ? 0 : <u32>q.availIndex; }
export function sectorCount(name: string): u64 { return blk(name).sectorCount; }
export function readOnly(name: string): bool { return blk(name).readOnly; }
export function setPoll(name: string, on: bool): void { blk(name).setPollMode(on); }
export function reinit(name: string, eventIdx: bool, indirect: bool): i32 { return blk(name).reinit(eventIdx, indirect); }
export function dmaInUse(): usize { return dmaBytesInUse(); }
export function setTimeoutUs(us: u64): void { setCompletionTimeoutUs(us); }
/** What a VFS does at mount time. */
export function setMounted(name: string, path: string): void {
  const d = findBlockDevice(name);
  if (d != null) d.mountedAt = path;
}

/** A buffer cache on `name`: dirties blocks 0..n-1 (4 KiB, first word = 5000 + n), syncs. */
export function cacheSync(name: string, n: i32): i32 {
  const d = findBlockDevice(name);
  if (d == null) return -19;
  const cache = new BlockCache(d, 4096, 64);
  for (let i = 0; i < n; i++) {
    const b = cache.getForOverwrite(<u64>i);
    if (b == null) return cache.lastError;
    store<u32>(b.data, <u32>(5000 + i));
    cache.markDirty(b);
    cache.release(b);
  }
  return cache.sync();
}
