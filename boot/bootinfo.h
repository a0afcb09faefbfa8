/*
 * The hand-off record from the UEFI entry (boot/) to the architecture layer and the kernel.
 *
 * Filled once in efi_main before and just after ExitBootServices, read-only afterwards.
 * The kernel reads it through the platform imports boot_info() and memmap_*().
 *
 * Linear memory of the wasm kernel (see arch-aarch64/mmu.c):
 *
 *   linear offset   0 ........................ SIS_BUDDY_WINDOW ......... + SIS_HEAP_BYTES
 *                   | RAM, identity order     | AssemblyScript statics + GC heap |
 *   physical        linear_phys_base + offset   heap_phys + (offset - window)
 *
 * so DMA address = linear_phys_base + offset for every page the buddy allocator owns.
 */
#ifndef SIS_BOOTINFO_H
#define SIS_BOOTINFO_H

#include <stdint.h>

#define BOOT_MEMMAP_MAX 256

struct boot_memory_range {
    uint32_t type;          /* EFI memory type */
    uint32_t pad;
    uint64_t start;         /* physical address */
    uint64_t pages;         /* 4 KiB pages */
    uint64_t attribute;     /* EFI attribute bits */
};

struct boot_info {
    uint64_t counter_at_entry;      /* CNTVCT_EL0 when efi_main started */
    uint64_t counter_at_exit_boot;  /* CNTVCT_EL0 right after ExitBootServices */
    uint64_t image_base, image_size;
    uint64_t linear_phys_base;      /* physical address of linear offset 0 */
    uint64_t linear_virt_base;      /* virtual address of linear offset 0 */
    uint64_t buddy_window_bytes;    /* linear [0, this) mirrors RAM */
    uint64_t heap_phys, heap_bytes; /* backing of linear [window, window + heap) */
    uint64_t stack_phys, stack_bytes;
    uint64_t page_tables_phys, page_tables_bytes;
    uint32_t firmware_revision;
    uint32_t memmap_count;
    uint16_t firmware_vendor[48];
    struct boot_memory_range memmap[BOOT_MEMMAP_MAX];
};

extern struct boot_info g_boot_info;

/* arch-aarch64/start.c: never returns. */
void arch_start(void);

#endif
