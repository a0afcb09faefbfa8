/*
 * The few UEFI types SIS uses, declared by hand (no gnu-efi).
 *
 * Only what boot/efi_main.c calls: the system table, the boot-services table up to
 * SetWatchdogTimer, the memory descriptor and the loaded-image protocol. Table layouts
 * follow the UEFI 2.x specification; unused function slots are kept as opaque pointers
 * so the offsets of the ones we call stay right.
 */
#ifndef SIS_EFI_H
#define SIS_EFI_H

#include <stdint.h>

typedef uint64_t efi_status_t;
typedef void *efi_handle_t;
typedef uint16_t char16_t_efi;

#define EFI_SUCCESS 0
#define EFI_ERROR_BIT (1ull << 63)
#define EFI_BUFFER_TOO_SMALL (EFI_ERROR_BIT | 5)
#define EFI_INVALID_PARAMETER (EFI_ERROR_BIT | 2)

typedef struct {
    uint64_t signature;
    uint32_t revision;
    uint32_t header_size;
    uint32_t crc32;
    uint32_t reserved;
} efi_table_header_t;

typedef struct {
    uint32_t type;
    uint32_t pad;
    uint64_t physical_start;
    uint64_t virtual_start;
    uint64_t number_of_pages;
    uint64_t attribute;
} efi_memory_descriptor_t;

enum efi_memory_type {
    EfiReservedMemoryType, EfiLoaderCode, EfiLoaderData, EfiBootServicesCode,
    EfiBootServicesData, EfiRuntimeServicesCode, EfiRuntimeServicesData,
    EfiConventionalMemory, EfiUnusableMemory, EfiACPIReclaimMemory,
    EfiACPIMemoryNVS, EfiMemoryMappedIO, EfiMemoryMappedIOPortSpace,
    EfiPalCode, EfiPersistentMemory
};

enum efi_allocate_type { AllocateAnyPages, AllocateMaxAddress, AllocateAddress };

typedef struct {
    uint32_t data1;
    uint16_t data2, data3;
    uint8_t data4[8];
} efi_guid_t;

typedef struct {
    efi_table_header_t hdr;
    void *raise_tpl, *restore_tpl;
    efi_status_t (*allocate_pages)(int type, int memory_type, uint64_t pages, uint64_t *address);
    efi_status_t (*free_pages)(uint64_t address, uint64_t pages);
    efi_status_t (*get_memory_map)(uint64_t *map_size, efi_memory_descriptor_t *map,
                                   uint64_t *map_key, uint64_t *descriptor_size,
                                   uint32_t *descriptor_version);
    void *allocate_pool, *free_pool;
    void *create_event, *set_timer, *wait_for_event, *signal_event, *close_event, *check_event;
    void *install_protocol_interface, *reinstall_protocol_interface, *uninstall_protocol_interface;
    efi_status_t (*handle_protocol)(efi_handle_t handle, const efi_guid_t *protocol, void **iface);
    void *reserved, *register_protocol_notify, *locate_handle, *locate_device_path;
    void *install_configuration_table;
    void *load_image, *start_image, *exit, *unload_image;
    efi_status_t (*exit_boot_services)(efi_handle_t image, uint64_t map_key);
    void *get_next_monotonic_count, *stall;
    efi_status_t (*set_watchdog_timer)(uint64_t timeout, uint64_t code, uint64_t size, char16_t_efi *data);
} efi_boot_services_t;

typedef struct {
    efi_table_header_t hdr;
    char16_t_efi *firmware_vendor;
    uint32_t firmware_revision;
    efi_handle_t console_in_handle;
    void *con_in;
    efi_handle_t console_out_handle;
    void *con_out;
    efi_handle_t standard_error_handle;
    void *std_err;
    void *runtime_services;
    efi_boot_services_t *boot_services;
    uint64_t number_of_table_entries;
    void *configuration_table;
} efi_system_table_t;

typedef struct {
    uint32_t revision;
    efi_handle_t parent_handle;
    efi_system_table_t *system_table;
    efi_handle_t device_handle;
    void *file_path;
    void *reserved;
    uint32_t load_options_size;
    void *load_options;
    void *image_base;
    uint64_t image_size;
    int image_code_type, image_data_type;
    void *unload;
} efi_loaded_image_t;

#endif
