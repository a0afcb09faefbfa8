// meminfo: RAM as the firmware described it.
import { registerCommand } from "../registry";
import { println, printError } from "../../platform/console";
import { memoryMap, memoryTypeName, isRam, isUsable, totalRamBytes, usableRamBytes, PAGE_SIZE } from "../../platform/memmap";
import { boot_info, BootKey } from "../../platform/imports";
import { bytes, table, padLeft, fixed } from "../../lib/format";
import { managedPages, PAGE_SIZE as ALLOCATOR_PAGE_SIZE } from "../../mm/pages";
import { printTable } from "../output";

registerCommand("meminfo", "RAM found in the UEFI memory map", "meminfo [-v]\n  Total, usable and reserved RAM and the amount by memory type.\n  -v  also list every range of the memory map",
  (args: Array<string>): i32 => {
    const verbose = args.length == 1 && args[0] == "-v";
    if (args.length > 1 || (args.length == 1 && !verbose)) {
      printError("usage: meminfo [-v]");
      return 1;
    }
    const map = memoryMap();
    const total = totalRamBytes();
    const usable = usableRamBytes();
    println("total RAM:   " + bytes(total) + " (" + (total / PAGE_SIZE).toString() + " pages)");
    println("usable:      " + bytes(usable) + " (conventional + boot services, free after boot)");
    println("reserved:    " + bytes(total - usable) + " (kernel image, stack, heap, firmware runtime)");
    const managed = <u64>managedPages() * <u64>ALLOCATOR_PAGE_SIZE;
    println("managed by the page allocator: " + bytes(managed) + " (" +
      fixed(total == 0 ? 0.0 : <f64>managed * 100 / <f64>total, 1) + "% of RAM)");
    println("kernel heap: " + bytes(boot_info(BootKey.HeapBytes)) + " at " + "0x" + boot_info(BootKey.HeapPhys).toString(16) +
      ", stack " + bytes(boot_info(BootKey.StackBytes)));
    const perType = new Array<u64>(16);
    for (let i = 0; i < map.length; i++) if (map[i].type < 16) perType[map[i].type] += map[i].pages * PAGE_SIZE;
    const rows = new Array<Array<string>>(0);
    rows.push(["type", "size", "use"]);
    for (let t: u32 = 0; t < 16; t++) {
      if (perType[t] == 0) continue;
      rows.push([memoryTypeName(t), padLeft(bytes(perType[t]), 10), isUsable(t) ? "usable" : isRam(t) ? "reserved" : "not RAM"]);
    }
    println("by type:");
    printTable(rows, "  ");
    if (verbose) {
      println("kernel image: " + bytes(boot_info(BootKey.ImageSize)) + " at 0x" + boot_info(BootKey.ImageBase).toString(16) +
        "; stack at 0x" + boot_info(BootKey.StackPhys).toString(16) + "; page tables at 0x" +
        boot_info(BootKey.PageTablesPhys).toString(16));
      const ranges = new Array<Array<string>>(0);
      ranges.push(["start", "end", "pages", "type"]);
      for (let i = 0; i < map.length; i++) {
        const r = map[i];
        ranges.push(["0x" + padLeft(r.start.toString(16), 10, "0"), "0x" + padLeft(r.end.toString(16), 10, "0"),
          r.pages.toString(), memoryTypeName(r.type)]);
      }
      printTable(ranges, "  ");
    }
    return 0;
  });


