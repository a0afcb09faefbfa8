// The platform imports: the only door from the kernel to the hardware.
//
// On the target they are C functions in arch-aarch64/imports.c; on Node the test host
// (tests/host/platform.ts) implements the same names. Addresses of MMIO registers are
// physical; pointers into kernel memory are linear-memory offsets.

// ---- console (PL011) ----
// @ts-ignore: decorator
@external("platform", "console_write") export declare function console_write(ptr: usize, len: usize): void;
/** Next received byte, or -1 when none is waiting. */
// @ts-ignore: decorator
@external("platform", "console_read") export declare function console_read(): i32;

// ---- time and interrupts ----
/** CNTVCT_EL0: the virtual counter. */
// @ts-ignore: decorator
@external("platform", "counter") export declare function counter(): u64;
// @ts-ignore: decorator
@external("platform", "counter_frequency") export declare function counter_frequency(): u64;
/** Timer interrupts taken since boot. */
// @ts-ignore: decorator
@external("platform", "ticks") export declare function ticks(): u64;
// @ts-ignore: decorator
@external("platform", "tick_hz") export declare function tick_hz(): u32;
/** All interrupts taken since boot. */
// @ts-ignore: decorator
@external("platform", "irq_count") export declare function irq_count(): u64;
/** Sleeps until an interrupt is pending (returns at once when input or a device event waits). */
// @ts-ignore: decorator
@external("platform", "wait_for_interrupt") export declare function wait_for_interrupt(): void;
/** virtio-mmio slots that raised an interrupt since the last call (bit n = slot n); clears them. */
// @ts-ignore: decorator
@external("platform", "irq_take_virtio") export declare function irq_take_virtio(): u32;
// @ts-ignore: decorator
@external("platform", "irq_enable") export declare function irq_enable(intid: u32): void;
// @ts-ignore: decorator
@external("platform", "irq_disable") export declare function irq_disable(intid: u32): void;

// ---- CRC-32C in hardware (ARMv8 CRC32 instructions; software on Node and the fuzzer) ----
/** Raw CRC-32C (no inversion) of len bytes at ptr, continuing from crc. */
// @ts-ignore: decorator
@external("platform", "crc32c_update") export declare function crc32c_update(crc: u32, ptr: usize, len: usize): u32;

// ---- the sampling profiler (arch-aarch64/prof.c) ----
/** Starts sampling at hz (1..20000) with a fresh buffer; 0 when hz is out of range. */
// @ts-ignore: decorator
@external("platform", "prof_start") export declare function prof_start(hz: u32): u32;
// @ts-ignore: decorator
@external("platform", "prof_stop") export declare function prof_stop(): void;
/** Records in the buffer since the last start. */
// @ts-ignore: decorator
@external("platform", "prof_samples") export declare function prof_samples(): u32;
/** Samples lost because the buffer was full. */
// @ts-ignore: decorator
@external("platform", "prof_dropped") export declare function prof_dropped(): u32;
// @ts-ignore: decorator
@external("platform", "prof_used_words") export declare function prof_used_words(): u32;
/** Word i of the buffer: records [n, pc, ret1..ret(n-1)] of image-relative addresses (0xffffffff: user code). */
// @ts-ignore: decorator
@external("platform", "prof_word") export declare function prof_word(i: u32): u32;

// ---- power (PSCI) ----
// @ts-ignore: decorator
@external("platform", "power_off") export declare function power_off(): void;
// @ts-ignore: decorator
@external("platform", "reboot") export declare function reboot(): void;
/** Where the panic path writes its report (arch-aarch64/incident.c): virtio-mmio base and sector. */
// @ts-ignore: decorator
@external("platform", "incident_area") export declare function incident_area(mmioBase: u64, sector: u64): void;
/** Prints "KERNEL PANIC: <message>" and halts. */
// @ts-ignore: decorator
@external("platform", "panic") export declare function platform_panic(ptr: usize, len: usize): void;

// ---- boot information (boot/bootinfo.h) ----
// @ts-ignore: decorator
@external("platform", "boot_info") export declare function boot_info(key: u32): u64;
// @ts-ignore: decorator
@external("platform", "memmap_field") export declare function memmap_field(index: u32, field: u32): u64;
// @ts-ignore: decorator
@external("platform", "firmware_vendor_char") export declare function firmware_vendor_char(index: u32): u32;

// ---- MMIO (barriers are done by the platform) ----
// @ts-ignore: decorator
@external("platform", "mmio_read8") export declare function mmio_read8(addr: u64): u32;
// @ts-ignore: decorator
@external("platform", "mmio_read16") export declare function mmio_read16(addr: u64): u32;
// @ts-ignore: decorator
@external("platform", "mmio_read32") export declare function mmio_read32(addr: u64): u32;
// @ts-ignore: decorator
@external("platform", "mmio_read64") export declare function mmio_read64(addr: u64): u64;
// @ts-ignore: decorator
@external("platform", "mmio_write8") export declare function mmio_write8(addr: u64, value: u32): void;
// @ts-ignore: decorator
@external("platform", "mmio_write16") export declare function mmio_write16(addr: u64, value: u32): void;
// @ts-ignore: decorator
@external("platform", "mmio_write32") export declare function mmio_write32(addr: u64, value: u32): void;
// @ts-ignore: decorator
@external("platform", "mmio_write64") export declare function mmio_write64(addr: u64, value: u64): void;
/** Full barrier: orders writes to DMA memory against device register accesses. */
// @ts-ignore: decorator
@external("platform", "dma_barrier") export declare function dma_barrier(): void;

/** Keys of boot_info(). */
export namespace BootKey {
  export const CounterAtEntry: u32 = 0;
  export const CounterAtExitBoot: u32 = 1;
  export const ImageBase: u32 = 2;
  export const ImageSize: u32 = 3;
  export const LinearPhysBase: u32 = 4;
  export const BuddyWindowBytes: u32 = 5;
  export const HeapPhys: u32 = 6;
  export const HeapBytes: u32 = 7;
  export const StackPhys: u32 = 8;
  export const StackBytes: u32 = 9;
  export const PageTablesPhys: u32 = 10;
  export const PageTablesBytes: u32 = 11;
  export const FirmwareRevision: u32 = 12;
  export const MemmapCount: u32 = 13;
}
