/*
 * Our own stage-1 translation tables, replacing UEFI's (which live in boot-services memory
 * that the buddy allocator will hand out).
 *
 * We keep UEFI's TCR_EL1 and MAIR_EL1 (4 KiB granule, write-back walks) and build:
 *
 *   virtual                               physical                     attributes
 *   [0, 1 GiB)                            the running process          its level-2 table (user.c,
 *                                                                      kernel/proc/addrspace.ts)
 *   SIS_DEVICE_VIRT_BASE + [0, 1 GiB)     [0, 1 GiB)                   device (UART, GIC, virtio-mmio)
 *   every 1 GiB slot holding RAM          same                         normal write-back (C code, stack)
 *   LINEAR_VIRT + [0, window)             linear_phys_base + offset    normal write-back (buddy pages)
 *   LINEAR_VIRT + [window, window+heap)   heap_phys + ...              normal write-back (AS heap)
 *   LINEAR_VIRT + [window+heap, 8 GiB)    nothing: the guard region; any wasm access beyond
 *                                         linear memory faults here (see arch.h)
 *
 * Every kernel mapping is EL1-only (AP = 00) and EL0-execute-never (UXN): a user process runs
 * on these same tables (no switch, no TLB flush at each system call), and nothing of the
 * kernel is reachable from EL0.
 *
 * The wasm runtime's memory.data points at LINEAR_VIRT, so a linear offset maps to one fixed
 * physical address: that is what makes DMA from TypeScript possible.
 */
#include "arch.h"
#include "../boot/bootinfo.h"
#include "../boot/efi.h"

#define DESC_TABLE 3ull
#define DESC_BLOCK 1ull
#define DESC_AF (1ull << 10)
#define DESC_SH_INNER (3ull << 8)
#define DESC_PXN (1ull << 53)
#define DESC_UXN (1ull << 54)
#define ADDRESS_MASK 0x0000fffffffff000ull

static uint64_t *table_pool;
static uint32_t tables_used, tables_available;
static uint32_t root_level; /* 0 or 1 */
static uint64_t attr_normal, attr_device;
uint64_t g_mmio_offset; /* 0 until our tables are in: the firmware maps devices 1:1 */
uint64_t *g_user_slot;
uint64_t g_normal_attributes;

static uint64_t *new_table(void) {
    if (tables_used >= tables_available) kernel_panic("mmu", "out of page-table pages");
    uint64_t *t = table_pool + 512 * tables_used++;
    for (int i = 0; i < 512; i++) t[i] = 0;
    return t;
}

/* Maps one block of 1 GiB (level 1) or 2 MiB (level 2). */
static void map_block(uint64_t *root, uint64_t va, uint64_t pa, uint32_t level, uint64_t attributes) {
    uint64_t *table = root;
    for (uint32_t l = root_level; l < level; l++) {
        uint64_t index = (va >> (39 - 9 * l)) & 511;
        if (!(table[index] & 1)) table[index] = (uint64_t)new_table() | DESC_TABLE;
        table = (uint64_t *)(table[index] & ADDRESS_MASK);
    }
    table[(va >> (39 - 9 * level)) & 511] = (pa & ADDRESS_MASK) | attributes | DESC_BLOCK;
}

static uint32_t mair_index_of(uint64_t mair, uint8_t attribute) {
    for (uint32_t i = 0; i < 8; i++)
        if (((mair >> (8 * i)) & 0xff) == attribute) return i;
    kernel_panic("mmu", "UEFI's MAIR_EL1 lacks a needed memory type");
}

static int is_ram(uint32_t type) {
    return type != EfiReservedMemoryType && type != EfiMemoryMappedIO &&
           type != EfiMemoryMappedIOPortSpace && type != EfiUnusableMemory;
}

void mmu_install_kernel_tables(void) {
    struct boot_info *info = &g_boot_info;
    uint64_t tcr, mair;
    __asm__ volatile("mrs %0, tcr_el1" : "=r"(tcr));
    __asm__ volatile("mrs %0, mair_el1" : "=r"(mair));
    uint32_t t0sz = tcr & 63, va_bits = 64 - t0sz;
    if (((tcr >> 14) & 3) != 0) kernel_panic("mmu", "UEFI did not use the 4 KiB granule");
    if (va_bits < 38) kernel_panic("mmu", "virtual address space too small for the linear window");
    root_level = va_bits > 39 ? 0 : 1;

    g_normal_attributes = ((uint64_t)mair_index_of(mair, 0xff) << 2) | DESC_AF | DESC_SH_INNER;
    attr_normal = g_normal_attributes | DESC_UXN;
    attr_device = ((uint64_t)mair_index_of(mair, 0x00) << 2) | DESC_AF | DESC_PXN | DESC_UXN;

    table_pool = (uint64_t *)info->page_tables_phys;
    tables_available = (uint32_t)(info->page_tables_bytes / 4096);
    tables_used = 0;
    uint64_t *root = new_table();

    const uint64_t gib = 1ull << 30, two_mib = 2ull << 20;
    map_block(root, SIS_DEVICE_VIRT_BASE, 0, 1, attr_device);
    g_user_slot = root_level == 0 ? (uint64_t *)(root[0] & ADDRESS_MASK) : root; /* L1 entry 0 */
    if (root_level == 0 && (SIS_DEVICE_VIRT_BASE >> 39) != 0) kernel_panic("mmu", "device slot outside L0 entry 0");

    uint64_t ram_low = ~0ull;
    for (uint32_t i = 0; i < info->memmap_count; i++) {
        struct boot_memory_range *r = &info->memmap[i];
        if (!is_ram(r->type)) continue;
        if (r->start < ram_low) ram_low = r->start;
        for (uint64_t slot = r->start & ~(gib - 1); slot < r->start + r->pages * 4096; slot += gib) {
            if (slot >= SIS_LINEAR_VIRT_BASE && slot < SIS_LINEAR_VIRT_BASE + SIS_LINEAR_GUARD_SPAN)
                kernel_panic("mmu", "RAM overlaps the linear window's guard region");
            if (slot == SIS_DEVICE_VIRT_BASE) kernel_panic("mmu", "RAM overlaps the device mapping");
            if (slot != 0) map_block(root, slot, slot, 1, attr_normal);
        }
    }

    info->linear_phys_base = ram_low & ~(two_mib - 1);
    info->linear_virt_base = SIS_LINEAR_VIRT_BASE;
    info->buddy_window_bytes = SIS_BUDDY_WINDOW;
    for (uint64_t off = 0; off < SIS_BUDDY_WINDOW; off += two_mib)
        map_block(root, SIS_LINEAR_VIRT_BASE + off, info->linear_phys_base + off, 2, attr_normal);
    for (uint64_t off = 0; off < SIS_HEAP_BYTES; off += two_mib)
        map_block(root, SIS_LINEAR_VIRT_BASE + SIS_BUDDY_WINDOW + off, info->heap_phys + off, 2, attr_normal);

    __asm__ volatile("dsb ishst\n msr ttbr0_el1, %0\n isb\n tlbi vmalle1\n dsb ish\n isb" ::"r"(root) : "memory");
    g_mmio_offset = SIS_DEVICE_VIRT_BASE;
}
