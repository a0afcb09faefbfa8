/*
 * The platform imports: the only door from the TypeScript kernel to the hardware.
 * Their TypeScript declarations are in kernel/platform/imports.ts; the Node test host
 * (tests/host/platform.ts) implements the same set. Keep the three in step.
 *
 * Pointers from wasm are linear-memory offsets and are bounds-checked here.
 */
#include "arch.h"
#include "../boot/bootinfo.h"
#include "wasm_kernel.h"
#include "kernel.h"

struct Z_platform_instance_t;
struct Z_env_instance_t;

#define BOOT_KEY_COUNT 14

/* ---- console ---- */
void Z_platformZ_console_write(struct Z_platform_instance_t *p, u32 ptr, u32 len) {
    (void)p;
    uint8_t *bytes = wasm_linear(ptr, len);
    if (!bytes) return;
    for (u32 i = 0; i < len; i++) early_putc((char)bytes[i]);
}

u32 Z_platformZ_console_read(struct Z_platform_instance_t *p) {
    (void)p;
    return (u32)uart_rx_pop();
}

/* ---- time and events ---- */
u64 Z_platformZ_counter(struct Z_platform_instance_t *p) { (void)p; return arch_counter(); }
u64 Z_platformZ_counter_frequency(struct Z_platform_instance_t *p) { (void)p; return arch_counter_frequency(); }
u64 Z_platformZ_ticks(struct Z_platform_instance_t *p) { (void)p; return timer_ticks(); }
u32 Z_platformZ_tick_hz(struct Z_platform_instance_t *p) { (void)p; return timer_hz(); }
u64 Z_platformZ_irq_count(struct Z_platform_instance_t *p) { (void)p; return irq_count(); }
void Z_platformZ_wait_for_interrupt(struct Z_platform_instance_t *p) { (void)p; wait_for_interrupt(); }
u32 Z_platformZ_irq_take_virtio(struct Z_platform_instance_t *p) { (void)p; return irq_take_virtio_pending(); }
void Z_platformZ_irq_enable(struct Z_platform_instance_t *p, u32 intid) { (void)p; gic_enable(intid); }
void Z_platformZ_irq_disable(struct Z_platform_instance_t *p, u32 intid) { (void)p; gic_disable(intid); }

/*
 * ---- CRC-32C with the ARMv8 CRC32 instructions (kernel/lib/crc32c.ts) ----
 * The profiler found ext4's metadata checksums at 39% of `bench fs create`: in wasm every
 * table lookup is a bounds-checked load, while crc32cx takes 8 bytes per instruction (under
 * TCG one helper call). Raw form, as crc32cUpdate(): no inversion in or out.
 */
static inline uint32_t crc32c_u8(uint32_t c, uint8_t v) {
    __asm__(".arch_extension crc\n crc32cb %w0, %w0, %w1" : "+r"(c) : "r"((uint32_t)v));
    return c;
}
static inline uint32_t crc32c_u64(uint32_t c, uint64_t v) {
    __asm__(".arch_extension crc\n crc32cx %w0, %w0, %x1" : "+r"(c) : "r"(v));
    return c;
}
u32 Z_platformZ_crc32c_update(struct Z_platform_instance_t *p, u32 crc, u32 ptr, u32 len) {
    (void)p;
    const uint8_t *b = wasm_linear(ptr, len);
    if (!b) kernel_panic("wasm", "crc32c_update: buffer outside linear memory");
    uint32_t c = crc;
    while (len > 0 && ((uintptr_t)b & 7) != 0) { c = crc32c_u8(c, *b++); len--; }
    for (; len >= 8; b += 8, len -= 8) c = crc32c_u64(c, *(const uint64_t *)b);
    while (len > 0) { c = crc32c_u8(c, *b++); len--; }
    return c;
}

/* ---- the sampling profiler (prof.c) ---- */
u32 Z_platformZ_prof_start(struct Z_platform_instance_t *p, u32 hz) { (void)p; return prof_start(hz); }
void Z_platformZ_prof_stop(struct Z_platform_instance_t *p) { (void)p; prof_stop(); }
u32 Z_platformZ_prof_samples(struct Z_platform_instance_t *p) { (void)p; return prof_samples(); }
u32 Z_platformZ_prof_dropped(struct Z_platform_instance_t *p) { (void)p; return prof_dropped(); }
u32 Z_platformZ_prof_used_words(struct Z_platform_instance_t *p) { (void)p; return prof_used_words(); }
u32 Z_platformZ_prof_word(struct Z_platform_instance_t *p, u32 i) { (void)p; return prof_word(i); }

/* ---- power ---- */
void Z_platformZ_power_off(struct Z_platform_instance_t *p) { (void)p; psci_system_off(); }
void Z_platformZ_reboot(struct Z_platform_instance_t *p) { (void)p; psci_system_reset(); }

/* ---- incident reports (incident.c) ---- */
void Z_platformZ_incident_area(struct Z_platform_instance_t *p, u64 mmio_base, u64 sector) {
    (void)p;
    incident_set_area(mmio_base, sector);
}

void Z_platformZ_panic(struct Z_platform_instance_t *p, u32 ptr, u32 len) {
    (void)p;
    irqs_off();
    incident_begin();
    early_puts("\r\n*** KERNEL PANIC: ");
    uint8_t *bytes = wasm_linear(ptr, len);
    for (u32 i = 0; bytes && i < len; i++) early_putc((char)bytes[i]);
    early_puts("\r\n");
    arch_halt();
}

/* ---- boot information ---- */
u64 Z_platformZ_boot_info(struct Z_platform_instance_t *p, u32 key) {
    (void)p;
    struct boot_info *b = &g_boot_info;
    switch (key) {
    case 0: return b->counter_at_entry;
    case 1: return b->counter_at_exit_boot;
    case 2: return b->image_base;
    case 3: return b->image_size;
    case 4: return b->linear_phys_base;
    case 5: return b->buddy_window_bytes;
    case 6: return b->heap_phys;
    case 7: return b->heap_bytes;
    case 8: return b->stack_phys;
    case 9: return b->stack_bytes;
    case 10: return b->page_tables_phys;
    case 11: return b->page_tables_bytes;
    case 12: return b->firmware_revision;
    case 13: return b->memmap_count;
    default: return 0;
    }
}

u64 Z_platformZ_memmap_field(struct Z_platform_instance_t *p, u32 index, u32 field) {
    (void)p;
    if (index >= g_boot_info.memmap_count) return 0;
    struct boot_memory_range *r = &g_boot_info.memmap[index];
    switch (field) {
    case 0: return r->type;
    case 1: return r->start;
    case 2: return r->pages;
    case 3: return r->attribute;
    default: return 0;
    }
}

u32 Z_platformZ_firmware_vendor_char(struct Z_platform_instance_t *p, u32 index) {
    (void)p;
    return index < 48 ? g_boot_info.firmware_vendor[index] : 0;
}

/* ---- MMIO: barriers are here, so TypeScript never has to think about them ---- */
u32 Z_platformZ_mmio_read8(struct Z_platform_instance_t *p, u64 a) {
    (void)p; u32 v = *(volatile uint8_t *)mmio_va(a); __asm__ volatile("dmb oshld" ::: "memory"); return v;
}
u32 Z_platformZ_mmio_read16(struct Z_platform_instance_t *p, u64 a) {
    (void)p; u32 v = *(volatile uint16_t *)mmio_va(a); __asm__ volatile("dmb oshld" ::: "memory"); return v;
}
u32 Z_platformZ_mmio_read32(struct Z_platform_instance_t *p, u64 a) { (void)p; return mmio_r32(a); }
u64 Z_platformZ_mmio_read64(struct Z_platform_instance_t *p, u64 a) {
    (void)p; u64 v = *(volatile uint64_t *)mmio_va(a); __asm__ volatile("dmb oshld" ::: "memory"); return v;
}
void Z_platformZ_mmio_write8(struct Z_platform_instance_t *p, u64 a, u32 v) {
    (void)p; __asm__ volatile("dmb oshst" ::: "memory"); *(volatile uint8_t *)mmio_va(a) = (uint8_t)v;
}
void Z_platformZ_mmio_write16(struct Z_platform_instance_t *p, u64 a, u32 v) {
    (void)p; __asm__ volatile("dmb oshst" ::: "memory"); *(volatile uint16_t *)mmio_va(a) = (uint16_t)v;
}
void Z_platformZ_mmio_write32(struct Z_platform_instance_t *p, u64 a, u32 v) { (void)p; mmio_w32(a, v); }
void Z_platformZ_mmio_write64(struct Z_platform_instance_t *p, u64 a, u64 v) {
    (void)p; __asm__ volatile("dmb oshst" ::: "memory"); *(volatile uint64_t *)mmio_va(a) = v;
}
/* Orders normal-memory writes (descriptor rings) against device accesses. */
void Z_platformZ_dma_barrier(struct Z_platform_instance_t *p) { (void)p; __asm__ volatile("dsb sy" ::: "memory"); }

/* ---- AssemblyScript runtime hooks (module "env") ---- */

/* AssemblyScript strings are UTF-16 with the byte length stored 4 bytes before the data. */
static void put_as_string(u32 ptr) {
    uint8_t *len_bytes = ptr >= 4 ? wasm_linear(ptr - 4, 4) : 0;
    if (!ptr || !len_bytes) { early_puts("?"); return; }
    u32 len = *(u32 *)len_bytes;
    uint8_t *chars = wasm_linear(ptr, len);
    for (u32 i = 0; chars && i + 1 < len; i += 2) {
        uint16_t c = (uint16_t)(chars[i] | (chars[i + 1] << 8));
        early_putc(c < 128 ? (char)c : '?');
    }
}

void Z_envZ_abort(struct Z_env_instance_t *e, u32 message, u32 file, u32 line, u32 column) {
    (void)e;
    irqs_off();
    incident_begin();
    early_puts("\r\n*** KERNEL PANIC: kernel abort: ");
    put_as_string(message);
    early_puts("\r\n    at ");
    put_as_string(file);
    early_puts(":");
    early_put_dec(line);
    early_puts(":");
    early_put_dec(column);
    early_puts("\r\n");
    arch_halt();
}

f64 Z_envZ_seed(struct Z_env_instance_t *e) { (void)e; return (f64)arch_counter(); }
