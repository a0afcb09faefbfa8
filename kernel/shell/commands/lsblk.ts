// lsblk: block devices (size, read-only, mount point, driver), their I/O counters, and the
// statistics of every buffer cache on them (blocks cached, dirty, hits, misses, evictions).
import { registerCommand } from "../registry";
import { println, printError } from "../../platform/console";
import { blockDevices } from "../../block/device";
import { blockCaches } from "../../block/cache";
import { bytes, table, fixed } from "../../lib/format";
import { printTable } from "../output";


registerCommand("lsblk", "list block devices with I/O and cache statistics",
  "lsblk [-s]\n  Name, size, sectors, read-only, mount point and driver of every block device,\n" +
  "  then the buffer caches (blocks cached/capacity, dirty, hit rate, evictions).\n" +
  "  -s  also I/O counters per device (requests, bytes, errors, interrupts, notifies)",
  (args: Array<string>): i32 => {
    const stats = args.length == 1 && args[0] == "-s";
    if (args.length > 1 || (args.length == 1 && !stats)) {
      printError("usage: lsblk [-s]");
      return 1;
    }
    const devices = blockDevices();
    if (devices.length == 0) {
      println("no block devices (lsdev shows what was found)");
      return 0;
    }
    const rows = new Array<Array<string>>(0);
    rows.push(["NAME", "SIZE", "SECTORS", "RO", "MOUNT", "DRIVER"]);
    for (let i = 0; i < devices.length; i++) {
      const d = devices[i];
      rows.push([d.name, bytes(d.sizeBytes), d.sectorCount.toString(), d.readOnly ? "yes" : "no",
        d.mountedAt.length > 0 ? d.mountedAt : "-", d.describe().length > 0 ? d.describe() : "-"]);
    }
    printTable(rows, "  ");
    if (stats) {
      const io = new Array<Array<string>>(0);
      io.push(["NAME", "READS", "READ", "WRITES", "WRITTEN", "FLUSHES", "ERRORS", "IRQS", "NOTIFIES"]);
      for (let i = 0; i < devices.length; i++) {
        const d = devices[i];
        const s = d.stats;
        io.push([d.name, s.reads.toString(), bytes(s.sectorsRead * 512), s.writes.toString(), bytes(s.sectorsWritten * 512),
          s.flushes.toString(), s.errors.toString(), s.interrupts.toString(), s.notifies.toString()]);
      }
      println("I/O:");
      printTable(io, "  ");
    }
    const caches = blockCaches();
    if (caches.length == 0) {
      println("buffer caches: none (nothing mounted)");
      return 0;
    }
    const rowsC = new Array<Array<string>>(0);
    rowsC.push(["DEVICE", "BLOCK", "CACHED", "CAPACITY", "MEMORY", "DIRTY", "HITS", "MISSES", "HIT%", "EVICTIONS", "WRITEBACKS", "OVER"]);
    for (let i = 0; i < caches.length; i++) {
      const c = caches[i];
      const s = c.stats;
      rowsC.push([c.device.name, c.blockSize.toString(), c.cachedBlocks.toString(), c.capacity.toString(), bytes(c.cachedBytes),
        c.dirtyBlocks.toString(), s.hits.toString(), s.misses.toString(), fixed(c.hitRate * 100, 1), s.evictions.toString(),
        s.writebacks.toString(), s.overCapacity.toString()]);
    }
    println("buffer caches:");
    printTable(rowsC, "  ");
    return 0;
  });
