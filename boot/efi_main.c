/*
 * UEFI entry: the only code that runs while the firmware owns the machine.
 *
 * Steps, in order:
 *   1. stop the firmware watchdog (it would reset us after 5 minutes);
 *   2. note where our image lies (loaded-image protocol);
 *   3. allocate, as EfiLoaderData so nobody else ever gets them: the kernel stack,
 *      the page tables, and the backing of the AssemblyScript heap;
 *   4. read the memory map and call ExitBootServices, retrying while the map key is
 *      stale. Nothing is printed between the last GetMemoryMap and ExitBootServices:
 *      printing can allocate and so change the map;
 *   5. copy the map into g_boot_info and hand over to arch_start().
 *
 * Errors before ExitBootServices are printed on the PL011 directly and end in a halt.
 */
#include <stdint.h>
#include "efi.h"
#include "bootinfo.h"
#include "../arch-aarch64/arch.h"

struct boot_info g_boot_info;

/* Room for the raw map: descriptors are ~48 bytes, the map rarely has 100 entries. */
static uint8_t raw_memory_map[64 * 1024] __attribute__((aligned(16)));

static const efi_guid_t loaded_image_guid = {
    0x5b1b31a1, 0x9562, 0x11d2, {0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

static void halt_with(const char *msg, efi_status_t status) {
    early_puts("\r\nSIS boot failed: ");
    early_puts(msg);
    early_puts(" (status ");
    early_put_hex(status);
    early_puts(")\r\n");
    arch_halt();
}

/* Allocates `bytes` (rounded to pages) of loader data, aligned to `align` (power of two). */
static uint64_t allocate_aligned(efi_boot_services_t *bs, uint64_t bytes, uint64_t align,
                                 const char *what) {
    uint64_t pages = (bytes + align + 4095) / 4096;
    uint64_t address = 0;
    efi_status_t status = bs->allocate_pages(AllocateAnyPages, EfiLoaderData, pages, &address);
    if (status != EFI_SUCCESS) halt_with(what, status);
    return (address + align - 1) & ~(align - 1);
}

efi_status_t efi_main(efi_handle_t image, efi_system_table_t *system_table) {
    efi_boot_services_t *bs = system_table->boot_services;
    struct boot_info *info = &g_boot_info;

    info->counter_at_entry = arch_counter();
    bs->set_watchdog_timer(0, 0, 0, 0);

    efi_loaded_image_t *loaded = 0;
    if (bs->handle_protocol(image, &loaded_image_guid, (void **)&loaded) == EFI_SUCCESS && loaded) {
        info->image_base = (uint64_t)loaded->image_base;
        info->image_size = loaded->image_size;
    }
    info->firmware_revision = system_table->firmware_revision;
    for (int i = 0; i < 47 && system_table->firmware_vendor && system_table->firmware_vendor[i]; i++)
        info->firmware_vendor[i] = system_table->firmware_vendor[i];

    info->stack_bytes = SIS_STACK_BYTES;
    info->stack_phys = allocate_aligned(bs, SIS_STACK_BYTES, 4096, "stack allocation");
    info->page_tables_bytes = SIS_PAGE_TABLE_BYTES;
    info->page_tables_phys = allocate_aligned(bs, SIS_PAGE_TABLE_BYTES, 4096, "page-table allocation");
    /* 2 MiB aligned so the MMU can map the heap with 2 MiB blocks. */
    info->heap_bytes = SIS_HEAP_BYTES;
    info->heap_phys = allocate_aligned(bs, SIS_HEAP_BYTES, 2u << 20, "heap allocation");

    uint64_t map_size, map_key = 0, descriptor_size = 0;
    uint32_t descriptor_version = 0;
    efi_status_t status = EFI_INVALID_PARAMETER;
    for (int attempt = 0; attempt < 8 && status != EFI_SUCCESS; attempt++) {
        map_size = sizeof(raw_memory_map);
        status = bs->get_memory_map(&map_size, (efi_memory_descriptor_t *)raw_memory_map, &map_key,
                                    &descriptor_size, &descriptor_version);
        if (status != EFI_SUCCESS) halt_with("GetMemoryMap", status);
        status = bs->exit_boot_services(image, map_key); /* stale key: loop and read again */
    }
    if (status != EFI_SUCCESS) halt_with("ExitBootServices", status);
    /* From here on the firmware is gone: no boot services, interrupts off, GIC disabled. */
    info->counter_at_exit_boot = arch_counter();

    uint64_t count = map_size / descriptor_size;
    if (count > BOOT_MEMMAP_MAX) count = BOOT_MEMMAP_MAX;
    for (uint64_t i = 0; i < count; i++) {
        efi_memory_descriptor_t *d = (efi_memory_descriptor_t *)(raw_memory_map + i * descriptor_size);
        info->memmap[i].type = d->type;
        info->memmap[i].start = d->physical_start;
        info->memmap[i].pages = d->number_of_pages;
        info->memmap[i].attribute = d->attribute;
    }
    info->memmap_count = (uint32_t)count;

    arch_start();
    return EFI_SUCCESS; /* not reached */
}
