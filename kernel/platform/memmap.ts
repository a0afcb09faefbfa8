// The UEFI memory map handed over at boot (boot/bootinfo.h), with the names of its types
// and the totals `meminfo` and the page allocator need.
import { boot_info, memmap_field, BootKey } from "./imports";

export const PAGE_SIZE: u64 = 4096;

export enum MemoryType {
  Reserved = 0,
  LoaderCode = 1,
  LoaderData = 2,
  BootServicesCode = 3,
  BootServicesData = 4,
  RuntimeServicesCode = 5,
  RuntimeServicesData = 6,
  Conventional = 7,
  Unusable = 8,
  AcpiReclaim = 9,
  AcpiNvs = 10,
  Mmio = 11,
  MmioPortSpace = 12,
  PalCode = 13,
  Persistent = 14,
}

const TYPE_NAMES: Array<string> = [
  "reserved", "loader code", "loader data", "boot services code", "boot services data",
  "runtime services code", "runtime services data", "conventional", "unusable",
  "ACPI reclaimable", "ACPI NVS", "MMIO", "MMIO port space", "PAL code", "persistent",
];

export function memoryTypeName(type: u32): string {
  return type < <u32>TYPE_NAMES.length ? TYPE_NAMES[type] : "type " + type.toString();
}

export class MemoryRange {
  constructor(public type: u32, public start: u64, public pages: u64) {}
  get end(): u64 {
    return this.start + this.pages * PAGE_SIZE;
  }
}

/** RAM as opposed to address space for devices. */
export function isRam(type: u32): bool {
  return type != MemoryType.Mmio && type != MemoryType.MmioPortSpace && type != MemoryType.Reserved &&
    type != MemoryType.Unusable;
}

/**
 * Free for the kernel once it runs: conventional memory and what boot services used
 * (the firmware is gone after ExitBootServices; our own stack, page tables and heap were
 * allocated as loader data, so they are not in this set).
 */
export function isUsable(type: u32): bool {
  return type == MemoryType.Conventional || type == MemoryType.BootServicesCode ||
    type == MemoryType.BootServicesData;
}

let cached: Array<MemoryRange> | null = null;

export function memoryMap(): Array<MemoryRange> {
  if (cached != null) return cached!;
  const count = <u32>boot_info(BootKey.MemmapCount);
  const ranges = new Array<MemoryRange>(0);
  for (let i: u32 = 0; i < count; i++) {
    ranges.push(new MemoryRange(<u32>memmap_field(i, 0), memmap_field(i, 1), memmap_field(i, 2)));
  }
  cached = ranges;
  return ranges;
}

export function totalRamBytes(): u64 {
  const map = memoryMap();
  let total: u64 = 0;
  for (let i = 0; i < map.length; i++) if (isRam(map[i].type)) total += map[i].pages * PAGE_SIZE;
  return total;
}

export function usableRamBytes(): u64 {
  const map = memoryMap();
  let total: u64 = 0;
  for (let i = 0; i < map.length; i++) if (isUsable(map[i].type)) total += map[i].pages * PAGE_SIZE;
  return total;
}
