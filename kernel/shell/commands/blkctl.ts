// blkctl: raw access to block devices (read with a hex dump, write a pattern, flush, a
// benchmark, polling and ring-feature switches), and `bench blk`, the JSON benchmark set.
//
// Writes are refused on a read-only device, and on a device that holds a mounted file system
// unless --force (writing under a mounted ext4 corrupts it). Every failure is one error line.
import { registerFamily, registerSubcommand } from "../families";
import { registerSubcommand } from "../families";
import { Options, parseUnsigned } from "../args";
import { println, printError } from "../../platform/console";
import { printable } from "../shell";
import { BlockDevice, findBlockDevice, SECTOR_SIZE } from "../../block/device";
import { BlockBenchConfig, BlockBenchResult, runBlockBench, MAX_BENCH_BUFFER_BYTES, MAX_BENCH_REQUESTS } from "../../block/bench";
import { VirtioBlk } from "../../drivers/virtio/blk";
import { findVirtioBlk, virtioBlockDevices } from "../../drivers/virtio/probe";
import { errorMessage } from "../../lib/errors";
import { crc32 } from "../../block/checksum";
import { nowTicks, ticksToUs } from "../../platform/time";
import { hex, fixed, padLeft, bytes as formatBytes } from "../../lib/format";
import { checkpoint } from "../../sched/checkpoint";
import { interrupted } from "../progress";
import { median } from "../../lib/stats";

const MAX_READ_SECTORS: i64 = 64;
const MAX_WRITE_SECTORS: i64 = 2048;

const USAGE = "blkctl read|write|flush|sum|bench|poll|ring ...\n" +
  "  blkctl read DEV LBA [COUNT] [-v]   hex dump of COUNT (1-64, default 1) sectors from LBA;\n" +
  "                                      repeated lines are shown as '*' unless -v\n" +
  "  blkctl write DEV LBA PATTERN [--count N] [--force]\n" +
  "                                      fills N sectors (default 1) with PATTERN: a byte 0xNN, or text\n" +
  "                                      repeated; refused on a device with a mounted file system\n" +
  "                                      unless --force. Not durable until 'blkctl flush DEV'\n" +
  "  blkctl flush DEV                    the flush barrier: earlier writes are durable when it returns\n" +
  "  blkctl sum DEV [LBA COUNT]          CRC-32 (as zlib computes it) of COUNT sectors from LBA\n" +
  "                                      (default: the whole device), read in 4 MiB requests\n" +
  "  blkctl bench DEV seq|rand read|write [--qd N] [--mb N] [--bs KIB] [--batch N] [--poll] [--force]\n" +
  "                                      MB/s, IOPS, latency p50/p99, interrupts per request\n" +
  "                                      (seq: 128 KiB requests, 64 MiB; rand: 4 KiB, 16 MiB)\n" +
  "  blkctl poll DEV|all on|off          complete requests by polling instead of interrupts\n" +
  "  blkctl ring DEV [--event-idx on|off] [--indirect on|off]\n" +
  "                                      show or change the ring features (re-initialises the device)\n" +
  "DEV is a name from lsblk (vda, vdb, ... or /dev/vda); LBA counts 512-byte sectors.";

function findDevice(name: string): BlockDevice | null {
  const d = findBlockDevice(name);
  if (d == null) printError("no block device '" + printable(name, 40) + "' (lsblk lists them)");
  return d;
}

function findVirtio(name: string): VirtioBlk | null {
  const d = findVirtioBlk(name);
  if (d == null) printError("no virtio block device '" + printable(name, 40) + "' (lsblk lists them)");
  return d;
}

/** Checks [lba, lba + count) against the device; prints the error. */
function inRange(d: BlockDevice, lba: u64, count: u64): bool {
  if (lba < d.sectorCount && count <= d.sectorCount - lba) return true;
  printError(d.name + ": sectors " + lba.toString() + ".." + (lba + count - 1).toString() +
    " are past the end of the device (" + d.sectorCount.toString() + " sectors, last LBA " +
    (d.sectorCount > 0 ? (d.sectorCount - 1).toString() : "none") + ")");
  return false;
}

/** Refuses writes to a read-only device, or one holding a mounted file system without force. */
function writable(d: BlockDevice, force: bool): bool {
  if (d.readOnly) {
    printError(d.name + " is read-only");
    return false;
  }
  if (d.mountedAt.length > 0 && !force) {
    printError(d.name + " holds the file system mounted at " + d.mountedAt +
      "; writing under it corrupts it (use --force to write anyway)");
    return false;
  }
  return true;
}

function parseLba(s: string): i64 {
  const v = parseUnsigned(s);
  if (v < 0) printError("LBA must be a sector number, not '" + printable(s, 40) + "'");
  return v;
}

// ---- read ----

function hexLine(base: u64, ptr: usize): string {
  let line = padLeft(hex(base), 8, "0") + "  ";
  let text = "";
  for (let i = 0; i < 16; i++) {
    const b = load<u8>(ptr + <usize>i);
    line += hex(b, 2) + (i == 7 ? "  " : " ");
    text += b >= 32 && b < 127 ? String.fromCharCode(b) : ".";
  }
  return line + " |" + text + "|";
}

function cmdRead(args: Array<string>): i32 {
  const o = new Options(args, [], ["-v"]);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length < 2 || o.positionals.length > 3) { printError("usage: blkctl read DEV LBA [COUNT] [-v]"); return 1; }
  const d = findDevice(o.positionals[0]);
  if (d == null) return 1;
  const lba = parseLba(o.positionals[1]);
  if (lba < 0) return 1;
  let count: i64 = 1;
  if (o.positionals.length == 3) {
    count = parseUnsigned(o.positionals[2]);
    if (count < 1 || count > MAX_READ_SECTORS) { printError("COUNT must be from 1 to " + MAX_READ_SECTORS.toString()); return 1; }
  }
  if (!inRange(d, <u64>lba, <u64>count)) return 1;
  const length = <usize>count * <usize>SECTOR_SIZE;
  const buffer = heap.alloc(length);
  if (buffer == 0) { printError("out of memory for a " + length.toString() + "-byte buffer"); return 1; }
  const r = d.read(<u64>lba, <u32>count, buffer);
  if (r < 0) {
    heap.free(buffer);
    printError(d.name + ": read of " + count.toString() + " sector(s) at LBA " + lba.toString() + " failed: " + errorMessage(r));
    return 1;
  }
  const start = <u64>lba * <u64>SECTOR_SIZE;
  let starred = false;
  for (let off: usize = 0; off < length; off += 16) {
    if (!o.has("-v") && off > 0 && off + 16 < length && memory.compare(buffer + off, buffer + off - 16, 16) == 0) {
      if (!starred) println("*");
      starred = true;
      continue;
    }
    starred = false;
    println(hexLine(start + <u64>off, buffer + off));
  }
  heap.free(buffer);
  return 0;
}

// ---- write ----

function cmdWrite(args: Array<string>): i32 {
  const o = new Options(args, ["--count"], ["--force"]);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length != 3) { printError("usage: blkctl write DEV LBA PATTERN [--count N] [--force]"); return 1; }
  const d = findDevice(o.positionals[0]);
  if (d == null) return 1;
  const lba = parseLba(o.positionals[1]);
  if (lba < 0) return 1;
  const count = o.integer("--count", 1, 1, MAX_WRITE_SECTORS);
  if (count < 0) return 1;
  const pattern = o.positionals[2];
  if (pattern.length == 0) { printError("PATTERN is empty"); return 1; }
  if (!inRange(d, <u64>lba, <u64>count)) return 1;
  if (!writable(d, o.has("--force"))) return 1;
  const length = <usize>count * <usize>SECTOR_SIZE;
  const buffer = heap.alloc(length);
  if (buffer == 0) { printError("out of memory for a " + length.toString() + "-byte buffer"); return 1; }
  // 0xNN is one byte repeated; anything else starting 0x is a mistake, not text
  const hexByte = pattern.startsWith("0x") || pattern.startsWith("0X");
  const byteValue = hexByte ? parseUnsigned(pattern) : -1;
  if (hexByte && (byteValue < 0 || byteValue > 255 || pattern.length > 4)) {
    heap.free(buffer);
    printError("PATTERN " + pattern + " is not a hex byte (0x00..0xff)");
    return 1;
  }
  if (byteValue >= 0) {
    memory.fill(buffer, <u8>byteValue, length);
  } else {
    const text = String.UTF8.encode(pattern);
    const n = <usize>text.byteLength;
    const src = changetype<usize>(text);
    for (let i: usize = 0; i < length; i++) store<u8>(buffer + i, load<u8>(src + i % n));
  }
  const r = d.write(<u64>lba, <u32>count, buffer);
  heap.free(buffer);
  if (r < 0) {
    printError(d.name + ": write of " + count.toString() + " sector(s) at LBA " + lba.toString() + " failed: " + errorMessage(r));
    return 1;
  }
  println("wrote " + count.toString() + " sector(s) (" + formatBytes(<u64>length) + ") at LBA " + lba.toString() +
    " of " + d.name + "; 'blkctl flush " + d.name + "' makes it durable");
  return 0;
}

// ---- flush ----

function cmdFlush(args: Array<string>): i32 {
  if (args.length != 1) { printError("usage: blkctl flush DEV"); return 1; }
  const d = findDevice(args[0]);
  if (d == null) return 1;
  const r = d.flush();
  if (r < 0) { printError(d.name + ": flush failed: " + errorMessage(r)); return 1; }
  println("flushed " + d.name);
  return 0;
}

// ---- sum ----

const SUM_CHUNK_SECTORS: u64 = 8192; // 4 MiB per read: four 1 MiB parts in flight

function cmdSum(args: Array<string>): i32 {
  if (args.length != 1 && args.length != 3) { printError("usage: blkctl sum DEV [LBA COUNT]"); return 1; }
  const d = findDevice(args[0]);
  if (d == null) return 1;
  let lba: u64 = 0;
  let count: u64 = d.sectorCount;
  if (args.length == 3) {
    const l = parseLba(args[1]);
    if (l < 0) return 1;
    const c = parseUnsigned(args[2]);
    if (c < 1) { printError("COUNT must be a number of sectors, at least 1"); return 1; }
    lba = <u64>l;
    count = <u64>c;
  }
  if (count == 0 || !inRange(d, lba, count)) return 1;
  const chunk = min<u64>(count, SUM_CHUNK_SECTORS);
  const buffer = heap.alloc(<usize>(chunk * <u64>SECTOR_SIZE));
  if (buffer == 0) { printError("out of memory for the read buffer"); return 1; }
  const started = nowTicks();
  let crc: u32 = 0;
  let done: u64 = 0;
  while (done < count) {
    if (checkpoint()) {
      heap.free(buffer);
      return interrupted("blkctl sum");
    }
    const n = min<u64>(chunk, count - done);
    const r = d.read(lba + done, <u32>n, buffer);
    if (r < 0) {
      heap.free(buffer);
      printError(d.name + ": read at LBA " + (lba + done).toString() + " failed: " + errorMessage(r));
      return 1;
    }
    crc = crc32(crc, buffer, <usize>(n * <u64>SECTOR_SIZE));
    done += n;
  }
  heap.free(buffer);
  const us = ticksToUs(nowTicks() - started);
  println("crc32 " + hex(crc, 8) + " over " + count.toString() + " sectors (" + formatBytes(count * <u64>SECTOR_SIZE) +
    ") from LBA " + lba.toString() + " of " + d.name + " in " + fixed(<f64>us / 1000, 1) + " ms");
  return 0;
}

// ---- poll / ring ----

function onOff(s: string): i32 {
  if (s == "on") return 1;
  if (s == "off") return 0;
  printError("expected on or off, not '" + printable(s, 20) + "'");
  return -1;
}

function cmdPoll(args: Array<string>): i32 {
  if (args.length != 2) { printError("usage: blkctl poll DEV|all on|off"); return 1; }
  const on = onOff(args[1]);
  if (on < 0) return 1;
  const list = new Array<VirtioBlk>(0);
  if (args[0] == "all") {
    const all = virtioBlockDevices();
    for (let i = 0; i < all.length; i++) list.push(all[i]);
  } else {
    const d = findVirtio(args[0]);
    if (d == null) return 1;
    list.push(d);
  }
  for (let i = 0; i < list.length; i++) {
    list[i].setPollMode(on == 1);
    println(list[i].name + ": " + (on == 1 ? "polling (device interrupts off)" : "interrupt-driven completion"));
  }
  return 0;
}

function ringSummary(d: VirtioBlk): string {
  const q = d.queue;
  return d.name + ": queue " + (q != null ? q.size.toString() : "-") + ", EVENT_IDX " + (d.eventIdx ? "on" : "off") +
    ", indirect descriptors " + (d.indirect ? "on" : "off") + ", " + (d.pollMode ? "polling" : "interrupts") +
    " (" + d.state + ")";
}

function cmdRing(args: Array<string>): i32 {
  const o = new Options(args, ["--event-idx", "--indirect"], []);
  if (!o.ok) { printError(o.error); return 1; }
  if (o.positionals.length != 1) { printError("usage: blkctl ring DEV [--event-idx on|off] [--indirect on|off]"); return 1; }
  const d = findVirtio(o.positionals[0]);
  if (d == null) return 1;
  if (!o.hasValue("--event-idx") && !o.hasValue("--indirect")) {
    println(ringSummary(d));
    return 0;
  }
  let eventIdx = d.wantEventIdx;
  let indirect = d.wantIndirect;
  if (o.hasValue("--event-idx")) {
    const v = onOff(o.value("--event-idx"));
    if (v < 0) return 1;
    eventIdx = v == 1;
  }
  if (o.hasValue("--indirect")) {
    const v = onOff(o.value("--indirect"));
    if (v < 0) return 1;
    indirect = v == 1;
  }
  const r = d.reinit(eventIdx, indirect);
  if (r < 0) {
    printError(d.name + ": re-initialisation failed: " + errorMessage(r) + " (" + d.state + ")");
    return 1;
  }
  println(ringSummary(d));
  return 0;
}

// ---- bench ----

function ms(ns: u64): string {
  return fixed(<f64>ns / 1e6, 3) + " ms";
}

function describeRun(d: BlockDevice, c: BlockBenchConfig): string {
  return d.name + ": " + (c.random ? "random " : "sequential ") + (c.write ? "write" : "read") + ", " +
    formatBytes(<u64>c.requestBytes) + " requests, queue depth " + c.queueDepth.toString() +
    (c.batch > 1 ? ", refill after " + c.batch.toString() : "");
}

/** Parses the options shared by `blkctl bench` and `bench blk`; null after printing an error. */
function benchConfig(o: Options, random: bool, write: bool): BlockBenchConfig | null {
  const c = new BlockBenchConfig();
  c.random = random;
  c.write = write;
  const qd = o.integer("--qd", 1, 1, 256);
  const mb = o.integer("--mb", random ? 16 : 64, 1, 4096);
  const kib = o.integer("--bs", random ? 4 : 128, 1, 1024);
  const batch = o.integer("--batch", 1, 1, 256);
  if (qd < 0 || mb < 0 || kib < 0 || batch < 0) return null;
  if ((kib * 1024) % <i64>SECTOR_SIZE != 0) { printError("--bs must be a multiple of 512 bytes"); return null; }
  c.queueDepth = <i32>qd;
  c.totalBytes = <u64>mb << 20;
  c.requestBytes = <u32>(kib * 1024);
  c.batch = <i32>batch;
  if (<u64>qd * <u64>c.requestBytes > MAX_BENCH_BUFFER_BYTES) {
    printError("--qd x --bs is " + formatBytes(<u64>qd * <u64>c.requestBytes) + " of buffers; at most " +
      formatBytes(MAX_BENCH_BUFFER_BYTES));
    return null;
  }
  if (c.totalBytes / <u64>c.requestBytes > MAX_BENCH_REQUESTS) {
    printError("--mb / --bs gives " + (c.totalBytes / <u64>c.requestBytes).toString() + " requests; at most " +
      MAX_BENCH_REQUESTS.toString() + " per run (lower --mb or raise --bs)");
    return null;
  }
  return c;
}

function cmdBench(args: Array<string>): i32 {
  const o = new Options(args, ["--qd", "--mb", "--bs", "--batch"], ["--poll", "--force"]);
  if (!o.ok) { printError(o.error); return 1; }
  const p = o.positionals;
  if (p.length != 3 || (p[1] != "seq" && p[1] != "rand") || (p[2] != "read" && p[2] != "write")) {
    printError("usage: blkctl bench DEV seq|rand read|write [--qd N] [--mb N] [--bs KIB] [--batch N] [--poll] [--force]");
    return 1;
  }
  const d = findDevice(p[0]);
  if (d == null) return 1;
  const c = benchConfig(o, p[1] == "rand", p[2] == "write");
  if (c == null) return 1;
  if (c.write && !writable(d, o.has("--force"))) return 1;
  const v = findVirtioBlk(d.name);
  const wasPolling = v != null && v.pollMode;
  if (v != null && o.has("--poll")) v.setPollMode(true);
  const r = runBlockBench(d, c);
  if (v != null) v.setPollMode(wasPolling);
  if (r.requests == 0) {
    printError(d.name + ": benchmark could not run: " + errorMessage(r.firstError));
    return 1;
  }
  println(describeRun(d, c) + ": " + formatBytes(r.bytes) + " in " + fixed(<f64>r.elapsedNs / 1e9, 3) + " s");
  println("  throughput " + fixed(r.megabytesPerSecond, 1) + " MB/s, " + fixed(r.iops, 0) + " IOPS");
  println("  latency p50 " + ms(r.latencyPercentile(50)) + ", p99 " + ms(r.latencyPercentile(99)) +
    " (n=" + r.latencyNs.length.toString() + ")");
  let ring = "";
  if (v != null) ring = " (EVENT_IDX " + (v.eventIdx ? "on" : "off") + ", " + (o.has("--poll") || wasPolling ? "polling" : "interrupts") + ")";
  println("  interrupts " + fixed(r.interruptsPerRequest, 3) + " per request, notifies " + fixed(r.notifiesPerRequest, 3) +
    " per request" + ring);
  if (r.errors > 0) {
    printError(d.name + ": " + r.errors.toString() + " request(s) failed: " + errorMessage(r.firstError));
    return 1;
  }
  return 0;
}

registerFamily("blkctl", "read, write, flush and benchmark block devices", USAGE);
registerSubcommand("blkctl", "read", "hex dump of sectors",
  "blkctl read DEV LBA [COUNT] [-v]\n  Hex dump of COUNT (1-64, default 1) sectors from LBA; repeated lines are shown as '*' unless -v.\nDEV is a name from lsblk (vda, vdb, ... or /dev/vda); LBA counts 512-byte sectors.",
  (rest: Array<string>): i32 => cmdRead(rest));
registerSubcommand("blkctl", "write", "fill sectors with a pattern",
  "blkctl write DEV LBA PATTERN [--count N] [--force]\n  Fills N sectors (default 1) with PATTERN: a byte 0xNN, or text repeated; refused on a device\n  with a mounted file system unless --force. Not durable until 'blkctl flush DEV'.\nDEV is a name from lsblk (vda, vdb, ... or /dev/vda); LBA counts 512-byte sectors.",
  (rest: Array<string>): i32 => cmdWrite(rest));
registerSubcommand("blkctl", "flush", "the flush barrier",
  "blkctl flush DEV\n  The flush barrier: earlier writes are durable when it returns.\nDEV is a name from lsblk (vda, vdb, ... or /dev/vda); LBA counts 512-byte sectors.",
  (rest: Array<string>): i32 => cmdFlush(rest));
registerSubcommand("blkctl", "sum", "CRC-32 of sectors",
  "blkctl sum DEV [LBA COUNT]\n  CRC-32 (as zlib computes it) of COUNT sectors from LBA (default: the whole device), read in\n  4 MiB requests.\nDEV is a name from lsblk (vda, vdb, ... or /dev/vda); LBA counts 512-byte sectors.",
  (rest: Array<string>): i32 => cmdSum(rest));
registerSubcommand("blkctl", "bench", "MB/s, IOPS, latency p50/p99, interrupts per request",
  "blkctl bench DEV seq|rand read|write [--qd N] [--mb N] [--bs KIB] [--batch N] [--poll] [--force]\n  MB/s, IOPS, latency p50/p99, interrupts per request (seq: 128 KiB requests, 64 MiB; rand: 4 KiB, 16 MiB).\nDEV is a name from lsblk (vda, vdb, ... or /dev/vda); LBA counts 512-byte sectors.",
  (rest: Array<string>): i32 => cmdBench(rest));
registerSubcommand("blkctl", "poll", "complete requests by polling instead of interrupts",
  "blkctl poll DEV|all on|off\n  Complete requests by polling instead of interrupts.\nDEV is a name from lsblk (vda, vdb, ... or /dev/vda); LBA counts 512-byte sectors.",
  (rest: Array<string>): i32 => cmdPoll(rest));
registerSubcommand("blkctl", "ring", "show or change the ring features",
  "blkctl ring DEV [--event-idx on|off] [--indirect on|off]\n  Shows or changes the ring features (re-initialises the device).\nDEV is a name from lsblk (vda, vdb, ... or /dev/vda); LBA counts 512-byte sectors.",
  (rest: Array<string>): i32 => cmdRing(rest));

// ---- bench blk: the JSON set for `make bench` ----

function jsonNumber(v: f64, decimals: i32): string {
  return fixed(v, decimals);
}


/**
 * Runs `runs` times and prints one JSON line: the median of the runs' MB/s (or IOPS, for
 * random I/O), the other figures from the median run.
 */
function benchJson(d: BlockDevice, v: VirtioBlk | null, name: string, c: BlockBenchConfig, runs: i32): bool {
  const results = new Array<BlockBenchResult>(0);
  const values = new Array<f64>(0);
  const iops = c.random;
  for (let i = 0; i < runs; i++) {
    c.seed = <u32>(i + 1);
    const r = runBlockBench(d, c);
    if (r.requests == 0 || r.errors > 0) {
      printError(d.name + ": " + name + " failed: " + errorMessage(r.firstError));
      return false;
    }
    results.push(r);
    values.push(iops ? r.iops : r.megabytesPerSecond);
  }
  const m = median(values);
  let pick = results[0];
  for (let i = 0; i < results.length; i++) if (values[i] == m) pick = results[i];
  let runList = "";
  for (let i = 0; i < values.length; i++) runList += (i > 0 ? "," : "") + jsonNumber(values[i], iops ? 0 : 1);
  let line = "{\"name\":\"" + name + "\",\"unit\":\"" + (iops ? "IOPS" : "MB/s") + "\",\"value\":" + jsonNumber(m, iops ? 0 : 1) +
    ",\"runs\":[" + runList + "],\"mbps\":" + jsonNumber(pick.megabytesPerSecond, 1) + ",\"iops\":" + jsonNumber(pick.iops, 0) +
    ",\"p50_us\":" + jsonNumber(<f64>pick.latencyPercentile(50) / 1000, 1) +
    ",\"p99_us\":" + jsonNumber(<f64>pick.latencyPercentile(99) / 1000, 1) +
    ",\"n\":" + pick.requests.toString() + ",\"bs\":" + c.requestBytes.toString() + ",\"qd\":" + c.queueDepth.toString() +
    ",\"batch\":" + c.batch.toString() +
    ",\"irq_per_req\":" + jsonNumber(pick.interruptsPerRequest, 3) + ",\"notify_per_req\":" + jsonNumber(pick.notifiesPerRequest, 3);
  if (v != null) line += ",\"event_idx\":" + (v.eventIdx ? "true" : "false") + ",\"mode\":\"" + (v.pollMode ? "poll" : "irq") + "\"";
  println(line + ",\"device\":\"" + d.name + "\"}");
  return true;
}

function config(random: bool, write: bool, kib: u32, qd: i32, mb: u64, batch: i32): BlockBenchConfig {
  const c = new BlockBenchConfig();
  c.random = random;
  c.write = write;
  c.requestBytes = kib * 1024;
  c.queueDepth = qd;
  c.totalBytes = mb << 20;
  c.batch = batch;
  return c;
}

registerSubcommand("bench", "blk", "block device throughput, IOPS and interrupts per request (JSON lines)",
  "bench blk [--dev DEV] [--mb N] [--runs N] [--force]\n" +
  "  On DEV (default vdb; a scratch disk: it is written): sequential read and write (128 KiB) and\n" +
  "  4 KiB random read at queue depth 1 and 32, then interrupts per request at depth 32 with\n" +
  "  EVENT_IDX on and off (refill at once, and after 16 completions), and polling.\n" +
  "  --mb   data per sequential run (default 64; random runs use a quarter)\n" +
  "  --runs repetitions per line (default 3; the median is reported)",
  (args: Array<string>): i32 => {
    const o = new Options(args, ["--dev", "--mb", "--runs"], ["--force"]);
    if (!o.ok) { printError(o.error); return 1; }
    if (o.positionals.length > 0) { printError("usage: bench blk [--dev DEV] [--mb N] [--runs N] [--force]"); return 1; }
    const d = findDevice(o.value("--dev", "vdb"));
    if (d == null) return 1;
    const mb = o.integer("--mb", 64, 1, 4096);
    const runs = o.integer("--runs", 3, 1, 15);
    if (mb < 0 || runs < 0) return 1;
    if (!writable(d, o.has("--force"))) return 1;
    const v = findVirtioBlk(d.name);
    const seqMb = <u64>mb;
    const randMb = max<u64>(seqMb / 4, 1);
    const n = <i32>runs;
    const wasPolling = v != null && v.pollMode;
    if (v != null) v.setPollMode(false);
    let ok = true;
    ok = ok && benchJson(d, v, "blk.seq_read.qd1", config(false, false, 128, 1, seqMb, 1), n);
    ok = ok && benchJson(d, v, "blk.seq_read.qd32", config(false, false, 128, 32, seqMb, 1), n);
    ok = ok && benchJson(d, v, "blk.seq_write.qd1", config(false, true, 128, 1, seqMb, 1), n);
    ok = ok && benchJson(d, v, "blk.seq_write.qd32", config(false, true, 128, 32, seqMb, 1), n);
    ok = ok && benchJson(d, v, "blk.rand_read_4k.qd1", config(true, false, 4, 1, randMb, 1), n);
    ok = ok && benchJson(d, v, "blk.rand_read_4k.qd32", config(true, false, 4, 32, randMb, 1), n);
    if (ok && v != null) {
      const eventIdx = v.wantEventIdx;
      const indirect = v.wantIndirect;
      for (let pass = 0; pass < 2 && ok; pass++) {
        const on = pass == 0;
        if (v.reinit(on, indirect) < 0) {
          printError(d.name + ": re-initialisation failed (" + v.state + ")");
          ok = false;
          break;
        }
        const tag = on ? "event_idx_on" : "event_idx_off";
        ok = ok && benchJson(d, v, "blk.irq.rand_read_4k.qd32." + tag, config(true, false, 4, 32, randMb, 1), n);
        ok = ok && benchJson(d, v, "blk.irq.rand_read_4k.qd32.batch16." + tag, config(true, false, 4, 32, randMb, 16), n);
      }
      if (ok && v.reinit(eventIdx, indirect) < 0) ok = false;
      if (ok) {
        v.setPollMode(true);
        ok = benchJson(d, v, "blk.poll.rand_read_4k.qd32", config(true, false, 4, 32, randMb, 1), n);
        ok = ok && benchJson(d, v, "blk.poll.seq_read.qd32", config(false, false, 128, 32, seqMb, 1), n);
        v.setPollMode(false);
      }
      if (v.reinit(eventIdx, indirect) < 0) ok = false;
    }
    if (v != null) v.setPollMode(wasPolling);
    return ok ? 0 : 1;
  });
