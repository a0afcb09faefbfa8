// The PL031 real-time clock of QEMU's virt machine: seconds since 1970 (UTC) in its data
// register. QEMU starts it at the host's time (`-rtc base=utc`, the default), so reading it
// once at boot gives files real dates; afterwards the wall clock runs on the counter
// (kernel/fs/clock.ts). The device is identified by its PrimeCell ID first, so a machine
// without it keeps the built-in date instead of trusting a stray register.
import { mmio_read32 } from "./imports";

/** virt's memory map: VIRT_RTC at 0x09010000 (hw/arm/virt.c; the device tree's pl031 node). */
export const PL031_BASE: u64 = 0x09010000;
const DR: u64 = 0x000; // data register: the current time in seconds
const PERIPH_ID0: u64 = 0xfe0; // 0x31, 0x10, x4, 0x00: part 0x031, designer ARM
const PCELL_ID0: u64 = 0xff0; // 0x0d, 0xf0, 0x05, 0xb1: a PrimeCell

/** True when a PL031 answers at PL031_BASE. */
export function rtcPresent(): bool {
  const part = (mmio_read32(PL031_BASE + PERIPH_ID0) & 0xff) | ((mmio_read32(PL031_BASE + PERIPH_ID0 + 4) & 0x0f) << 8);
  const cell = (mmio_read32(PL031_BASE + PCELL_ID0) & 0xff) | ((mmio_read32(PL031_BASE + PCELL_ID0 + 4) & 0xff) << 8) |
    ((mmio_read32(PL031_BASE + PCELL_ID0 + 8) & 0xff) << 16) | ((mmio_read32(PL031_BASE + PCELL_ID0 + 12) & 0xff) << 24);
  return part == 0x031 && cell == 0xb105f00d;
}

/** Seconds since 1970 from the RTC, or -1 when there is no PL031. */
export function rtcSeconds(): i64 {
  if (!rtcPresent()) return -1;
  return <i64>(<u32>mmio_read32(PL031_BASE + DR));
}
