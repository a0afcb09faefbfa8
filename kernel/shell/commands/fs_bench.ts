// bench fs: file-system benchmarks printing JSON lines (bench/fs.bench.ts collects them).
//
//   bench fs create DIR [--count N]    N small files created (and written) then sync: files/s
//   bench fs write PATH [--mib N]      sequential 1 MiB writes then fsync: MB/s
//   bench fs fsync PATH [--count N]    4 KiB append + fsync: latency, and journal commit latency
//   bench fs read PATH [--repeat N]   read PATH through the VFS (like cat, without printing)
//                                     and the same number of bytes raw from its device: MB/s
//   bench fs lookup DIR [--count N]   resolve N names of DIR (a big directory) one by one:
//                                     ns per lookup, and whether DIR is hashed (htree)
import { registerSubcommand } from "../families";
import { println, printError } from "../../platform/console";
import { Options } from "../args";
import { nowNs } from "../../platform/time";
import { fixed } from "../../lib/format";
import * as vfs from "../../fs/vfs";
import { Stat, DT_REG } from "../../fs/types";
import { fsError } from "../../fs/messages";
import { Ext4Fs } from "../../fs/ext4/fs";
import { isIndexed } from "../../fs/ext4/dir";
import { SECTOR_SIZE } from "../../block/device";
import { checkpoint } from "../../sched/checkpoint";
import { interrupted } from "../progress";
import { percentileSorted } from "../../lib/stats";

const CHUNK: u32 = 1 << 20;


/** Below this many samples a 99th percentile is just the largest one: only "max" is printed. */
const P99_MIN_SAMPLES = 100;

function json(name: string, unit: string, samples: Array<f64>, extra: string): void {
  const sorted = samples.slice(0);
  sorted.sort();
  let mean: f64 = 0;
  for (let i = 0; i < sorted.length; i++) mean += sorted[i];
  mean /= <f64>max(1, sorted.length);
  const top = sorted.length > 0 ? sorted[sorted.length - 1] : 0;
  println("{\"name\":\"" + name + "\",\"unit\":\"" + unit + "\",\"n\":" + sorted.length.toString() + ",\"p50\":" + fixed(percentileSorted(sorted, 50), 3) +
    (sorted.length >= P99_MIN_SAMPLES ? ",\"p99\":" + fixed(percentileSorted(sorted, 99), 3) : "") + ",\"max\":" + fixed(top, 3) +
    ",\"mean\":" + fixed(mean, 3) + extra + "}");
}

function median(samples: Array<f64>): f64 {
  const sorted = samples.slice(0);
  sorted.sort();
  return percentileSorted(sorted, 50);
}

function benchRead(args: Array<string>): i32 {
  const o = new Options(args, ["--repeat"], []);
  if (!o.ok || o.positionals.length != 1) {
    printError(o.ok ? "usage: bench fs read PATH [--repeat N]" : "bench fs read: " + o.error);
    return 1;
  }
  const repeat = <i32>o.integer("--repeat", 5, 1, 1000);
  if (repeat < 0) return 1;
  const path = o.positionals[0];
  const st = new Stat();
  let e = vfs.stat(path, true, st);
  if (e < 0) return fsError("bench fs read", path, e);
  const mount = vfs.mountOf(path);
  if (mount == null) return fsError("bench fs read", path, vfs.lastError);
  const buf = heap.alloc(CHUNK);
  if (buf == 0) {
    printError("bench fs read: out of memory");
    return 1;
  }
  const vfsRates = new Array<f64>(0);
  const rawRates = new Array<f64>(0);
  const isExt4 = mount!.fs instanceof Ext4Fs;
  for (let r = 0; r < repeat; r++) {
    const fd = vfs.open(path, vfs.O_RDONLY);
    if (fd < 0) {
      heap.free(buf);
      return fsError("bench fs read", path, fd);
    }
    const t0 = nowNs();
    let total: u64 = 0;
    while (true) {
      if (checkpoint()) {
        vfs.close(fd);
        heap.free(buf);
        return interrupted("bench fs read");
      }
      const n = vfs.read(fd, buf, CHUNK);
      if (n < 0) {
        vfs.close(fd);
        heap.free(buf);
        return fsError("bench fs read", path, <i32>n);
      }
      if (n == 0) break;
      total += <u64>n;
    }
    const t1 = nowNs();
    vfs.close(fd);
    vfsRates.push(<f64>total / (<f64>(t1 - t0) / 1e9) / 1e6);
    if (isExt4) {
      // the same amount, raw from the device, in the same 1 MiB requests
      const device = (mount!.fs as Ext4Fs).vol.device;
      const sectors = CHUNK / SECTOR_SIZE;
      const deviceSectors = device.sectorCount;
      let done: u64 = 0;
      let lba: u64 = 0;
      const r0 = nowNs();
      while (done < total) {
        if (checkpoint()) break; // reported by the next repeat's read loop
        if (lba + <u64>sectors > deviceSectors) lba = 0;
        if (device.read(lba, sectors, buf) < 0) break;
        lba += <u64>sectors;
        done += <u64>CHUNK;
      }
      const r1 = nowNs();
      rawRates.push(<f64>done / (<f64>(r1 - r0) / 1e9) / 1e6);
    }
  }
  heap.free(buf);
  const size = ",\"bytes\":" + st.size.toString();
  json("fs.read_file", "MB/s", vfsRates, size + ",\"path\":\"" + path + "\"");
  if (rawRates.length > 0) {
    json("fs.read_raw_device", "MB/s", rawRates, size);
    // the ratio of the two medians printed above (not of one repetition)
    const ratio = median(vfsRates) / median(rawRates);
    println("{\"name\":\"fs.read_file_vs_raw\",\"unit\":\"ratio\",\"n\":" + vfsRates.length.toString() + ",\"p50\":" + fixed(ratio, 3) +
      ",\"note\":\"p50 of fs.read_file / p50 of fs.read_raw_device\"}");
  }
  return 0;
}

function benchLookup(args: Array<string>): i32 {
  const o = new Options(args, ["--count"], []);
  if (!o.ok || o.positionals.length != 1) {
    printError(o.ok ? "usage: bench fs lookup DIR [--count N]" : "bench fs lookup: " + o.error);
    return 1;
  }
  const count = <i32>o.integer("--count", 2000, 1, 1000000);
  if (count < 0) return 1;
  const dir = o.positionals[0];
  const entries = vfs.listDirectory(dir);
  if (entries == null) return fsError("bench fs lookup", dir, vfs.lastError);
  const names = new Array<string>(0);
  for (let i = 0; i < entries.length; i++) if (entries[i].type == DT_REG || entries[i].type == 0) names.push(entries[i].name);
  if (names.length == 0) {
    printError("bench fs lookup: " + dir + " has no files");
    return 1;
  }
  // hashed or linear?
  let kind = "tmpfs";
  const r = vfs.resolve(dir, true);
  if (r.error == 0 && r.node!.fs instanceof Ext4Fs) {
    const efs = r.node!.fs as Ext4Fs;
    const inode = efs.vol.getInode(<u32>r.node!.ino);
    kind = inode != null && isIndexed(efs.vol, inode) ? "hashed" : "linear";
  }
  const samples = new Array<f64>(0);
  let seed: u32 = 12345;
  for (let i = 0; i < count; i++) {
    seed = seed * 1103515245 + 12345;
    const name = names[<i32>((seed >>> 8) % <u32>names.length)];
    const path = dir + "/" + name;
    const t0 = nowNs();
    const res = vfs.resolve(path, true);
    const t1 = nowNs();
    if (res.error < 0) return fsError("bench fs lookup", path, res.error);
    samples.push(<f64>(t1 - t0));
  }
  // the directory was listed just before: its blocks are in the buffer cache (no device reads)
  json("fs.lookup_" + kind, "ns", samples, ",\"entries\":" + names.length.toString() + ",\"dir\":\"" + dir + "\"" +
    ",\"note\":\"directory blocks in the buffer cache (warm): no device reads\"");
  return 0;
}

/** A benchmark failed after making PATH: report the error, remove what it made, sync. */
function failRemoving(command: string, path: string, code: i32): i32 {
  const status = fsError(command, path, code);
  vfs.removeFile(path);
  vfs.syncAll();
  return status;
}

/** bench fs create failed after making `made` files in dir: report, remove them and dir. */
function createFailed(dir: string, made: i32, code: i32): i32 {
  const status = fsError("bench fs create", dir, code);
  for (let i = 0; i <= made; i++) vfs.removeFile(dir + "/f" + i.toString());
  vfs.removeDirectory(dir);
  vfs.syncAll();
  return status;
}

function benchCreate(args: Array<string>): i32 {
  const o = new Options(args, ["--count"], []);
  if (!o.ok || o.positionals.length != 1) {
    printError(o.ok ? "usage: bench fs create DIR [--count N]" : "bench fs create: " + o.error);
    return 1;
  }
  const count = <i32>o.integer("--count", 1000, 1, 100000);
  if (count < 0) return 1;
  const dir = o.positionals[0] + "/bench-create";
  let e = vfs.makeDirectory(dir, 0o755);
  if (e < 0) return fsError("bench fs create", dir, e);
  const text = String.UTF8.encode("a small file of the create benchmark\n", false);
  const samples = new Array<f64>(0);
  const t0 = nowNs();
  for (let i = 0; i < count; i++) {
    const s0 = nowNs();
    const fd = vfs.open(dir + "/f" + i.toString(), vfs.O_WRONLY | vfs.O_CREAT | vfs.O_EXCL);
    if (fd < 0) return createFailed(dir, i, fd);
    const n = vfs.write(fd, changetype<usize>(text), <u32>text.byteLength);
    vfs.close(fd);
    if (n < 0) return createFailed(dir, i, <i32>n);
    samples.push(<f64>(nowNs() - s0) / 1000);
  }
  e = vfs.syncAll();
  const t1 = nowNs();
  if (e < 0) return createFailed(dir, count - 1, e);
  const rate = <f64>count / (<f64>(t1 - t0) / 1e9);
  json("fs.create_small_file", "us", samples, "");
  println("{\"name\":\"fs.create_files_per_s\",\"unit\":\"files/s\",\"n\":" + count.toString() + ",\"p50\":" + fixed(rate, 1) +
    ",\"p99\":" + fixed(rate, 1) + ",\"note\":\"" + count.toString() + " creates + 1 write each, then sync\"}");
  // clean up
  for (let i = 0; i < count; i++) vfs.removeFile(dir + "/f" + i.toString());
  vfs.removeDirectory(dir);
  vfs.syncAll();
  return 0;
}

function benchWrite(args: Array<string>): i32 {
  const o = new Options(args, ["--mib", "--repeat"], []);
  if (!o.ok || o.positionals.length != 1) {
    printError(o.ok ? "usage: bench fs write PATH [--mib N] [--repeat N]" : "bench fs write: " + o.error);
    return 1;
  }
  const mib = <i32>o.integer("--mib", 16, 1, 4096);
  const repeat = <i32>o.integer("--repeat", 3, 1, 100);
  if (mib < 0 || repeat < 0) return 1;
  const path = o.positionals[0];
  const buf = heap.alloc(CHUNK);
  if (buf == 0) {
    printError("bench fs write: out of memory");
    return 1;
  }
  for (let i: u32 = 0; i < CHUNK; i += 4) store<u32>(buf + <usize>i, i * 2654435761);
  const rates = new Array<f64>(0);
  for (let r = 0; r < repeat; r++) {
    const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC);
    if (fd < 0) {
      heap.free(buf);
      return fsError("bench fs write", path, fd);
    }
    const t0 = nowNs();
    for (let m = 0; m < mib; m++) {
      if (checkpoint()) {
        vfs.close(fd);
        heap.free(buf);
        vfs.removeFile(path);
        return interrupted("bench fs write");
      }
      const n = vfs.write(fd, buf, CHUNK);
      if (n < <i64>CHUNK) {
        // a full disk must not stay full of the benchmark's partial file
        vfs.close(fd);
        heap.free(buf);
        return failRemoving("bench fs write", path, n < 0 ? <i32>n : -28);
      }
    }
    const e = vfs.fsync(fd);
    const t1 = nowNs();
    vfs.close(fd);
    if (e < 0) {
      heap.free(buf);
      return failRemoving("bench fs write", path, e);
    }
    rates.push(<f64>mib * 1048576 / (<f64>(t1 - t0) / 1e9) / 1e6);
  }
  heap.free(buf);
  vfs.removeFile(path);
  vfs.syncAll();
  json("fs.write_sequential", "MB/s", rates, ",\"bytes\":" + (<u64>mib << 20).toString() + ",\"note\":\"1 MiB writes, then fsync; in QEMU the writes land in the host page cache\"");
  return 0;
}

function benchFsync(args: Array<string>): i32 {
  const o = new Options(args, ["--count"], []);
  if (!o.ok || o.positionals.length != 1) {
    printError(o.ok ? "usage: bench fs fsync PATH [--count N]" : "bench fs fsync: " + o.error);
    return 1;
  }
  const count = <i32>o.integer("--count", 200, 1, 100000);
  if (count < 0) return 1;
  const path = o.positionals[0];
  const fd = vfs.open(path, vfs.O_WRONLY | vfs.O_CREAT | vfs.O_TRUNC);
  if (fd < 0) return fsError("bench fs fsync", path, fd);
  const buf = heap.alloc(4096);
  memory.fill(buf, 0x5a, 4096);
  const mount = vfs.mountOf(path);
  const before = mount != null && mount!.fs instanceof Ext4Fs && (mount!.fs as Ext4Fs).vol.journal != null
    ? (mount!.fs as Ext4Fs).vol.journal!.stats.latenciesUs.length : 0;
  const samples = new Array<f64>(0);
  for (let i = 0; i < count; i++) {
    const n = vfs.write(fd, buf, 4096);
    if (n < 0) {
      vfs.close(fd);
      heap.free(buf);
      return failRemoving("bench fs fsync", path, <i32>n);
    }
    const t0 = nowNs();
    const e = vfs.fsync(fd);
    samples.push(<f64>(nowNs() - t0) / 1000);
    if (e < 0) {
      vfs.close(fd);
      heap.free(buf);
      return failRemoving("bench fs fsync", path, e);
    }
  }
  vfs.close(fd);
  heap.free(buf);
  json("fs.fsync_after_4k_append", "us", samples, "");
  if (mount != null && mount!.fs instanceof Ext4Fs && (mount!.fs as Ext4Fs).vol.journal != null) {
    const lat = (mount!.fs as Ext4Fs).vol.journal!.stats.latenciesUs;
    const commits = new Array<f64>(0);
    for (let i = max(0, lat.length - min(count, lat.length - before)); i < lat.length; i++) commits.push(<f64>lat[i]);
    if (commits.length > 0) json("fs.journal_commit", "us", commits, ",\"note\":\"data home, log blocks, flush, commit block, flush\"");
  }
  vfs.removeFile(path);
  vfs.syncAll();
  return 0;
}

registerSubcommand("bench", "fs", "file-system throughput and latency (read, lookup, create, write, fsync)",
  "bench fs read PATH [--repeat N]\n  Reads PATH to the end through the VFS N times (default 5), then as many bytes raw from its\n  device: MB/s of each and their ratio.\nbench fs lookup DIR [--count N]\n  Looks up N (default 2000) random names of the files in DIR: ns per lookup; says whether\n  DIR is a hashed (htree) or linear directory.\nbench fs create DIR [--count N]\n  Creates N (default 1000) small files in DIR/bench-create, then syncs: files/s, and us per create.\nbench fs write PATH [--mib N] [--repeat R]\n  Writes N MiB (default 16) sequentially in 1 MiB pieces and fsyncs, R times: MB/s.\nbench fs fsync PATH [--count N]\n  Appends 4 KiB and fsyncs, N times (default 200): fsync latency, and the journal commits'.",
  (args: Array<string>): i32 => {
    if (args.length == 0) {
      printError("usage: bench fs read|lookup|create|write|fsync ... (bench fs --help)");
      return 1;
    }
    const rest = args.slice(1);
    if (args[0] == "read") return benchRead(rest);
    if (args[0] == "lookup") return benchLookup(rest);
    if (args[0] == "create") return benchCreate(rest);
    if (args[0] == "write") return benchWrite(rest);
    if (args[0] == "fsync") return benchFsync(rest);
    printError("bench fs: unknown benchmark '" + args[0] + "' (read, lookup, create, write, fsync)");
    return 1;
  });
