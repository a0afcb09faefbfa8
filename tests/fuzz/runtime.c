/*
 * The host side of the fuzz build: the wasm2c runtime ("wasm-rt.h") and the kernel's imports
 * (platform, env, hostblk) for tests/fuzz/targets.entry.ts compiled to C.
 *
 * The same imports as the Node platform (tests/host/platform.ts, tests/host/ext4-node.ts):
 * console output is dropped (SIS_FUZZ_ECHO=1 prints it), the counter runs at 62.5 MHz from the
 * host clock, there is no MMIO, and disks are byte arrays in host memory.
 *
 * A wasm trap, an AssemblyScript abort or a kernel panic prints one line and calls abort(),
 * which libFuzzer records as a crash.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "fuzz_runtime.h"

uint32_t wasm_rt_call_stack_depth;
static int initialized;
static int echo_console = -1;

/* ---------------------------------------------------------------- wasm-rt */

void wasm_rt_init(void) { initialized = 1; }
bool wasm_rt_is_initialized(void) { return initialized; }
void wasm_rt_free(void) {}

const char *wasm_rt_strerror(wasm_rt_trap_t trap) {
    switch (trap) {
    case WASM_RT_TRAP_NONE: return "no error";
    case WASM_RT_TRAP_OOB: return "out-of-bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid float-to-integer conversion";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT: return "bad indirect call";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
    default: return "unknown trap";
    }
}

void wasm_rt_trap(wasm_rt_trap_t trap) {
    fprintf(stderr, "SIS-FUZZ CRASH: wasm trap: %s (call depth %u)\n", wasm_rt_strerror(trap), wasm_rt_call_stack_depth);
    abort();
}

#define MAX_FUNC_TYPES 512
#define MAX_TYPE_SLOTS 4096
static struct { uint32_t params, results, first; } func_types[MAX_FUNC_TYPES];
static wasm_rt_type_t type_slots[MAX_TYPE_SLOTS];
static uint32_t func_type_count, type_slots_used;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
    va_list args;
    va_start(args, results);
    wasm_rt_type_t types[64];
    uint32_t n = params + results;
    if (n > 64) { fprintf(stderr, "function type too large\n"); abort(); }
    for (uint32_t i = 0; i < n; i++) types[i] = (wasm_rt_type_t)va_arg(args, int);
    va_end(args);
    for (uint32_t t = 0; t < func_type_count; t++) {
        if (func_types[t].params != params || func_types[t].results != results) continue;
        uint32_t i = 0;
        while (i < n && type_slots[func_types[t].first + i] == types[i]) i++;
        if (i == n) return t;
    }
    if (func_type_count >= MAX_FUNC_TYPES || type_slots_used + n > MAX_TYPE_SLOTS) { fprintf(stderr, "too many function types\n"); abort(); }
    func_types[func_type_count].params = params;
    func_types[func_type_count].results = results;
    func_types[func_type_count].first = type_slots_used;
    for (uint32_t i = 0; i < n; i++) type_slots[type_slots_used++] = types[i];
    return func_type_count++;
}

/*
 * One linear memory, mapped once and reused: freeing it returns the pages (MADV_DONTNEED
 * zeroes them), so every input starts from zeroed memory at the cost of the pages it touched.
 */
static uint8_t *memory_base;
static uint64_t memory_bytes;

void wasm_rt_allocate_memory(wasm_rt_memory_t *memory, uint32_t initial_pages, uint32_t max_pages) {
    uint64_t bytes = (uint64_t)initial_pages * 65536;
    if (!memory_base) {
        /*
         * 8 GiB reserved, the memory's pages readable and writable: any 32-bit address plus
         * offset that is out of bounds lands in the inaccessible rest and faults (the
         * generated code has no bounds checks: WASM_RT_MEMCHECK_SIGNAL_HANDLER=1), which
         * libFuzzer and AddressSanitizer report as a crash (SEGV).
         */
        memory_base = mmap(0, 8ull << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (memory_base == MAP_FAILED) { perror("mmap linear memory"); abort(); }
        if (mprotect(memory_base, bytes, PROT_READ | PROT_WRITE) != 0) { perror("mprotect linear memory"); abort(); }
        memory_bytes = bytes;
    }
    if (bytes != memory_bytes) { fprintf(stderr, "linear memory size changed\n"); abort(); }
    memory->data = memory_base;
    memory->pages = initial_pages;
    memory->max_pages = max_pages;
    memory->size = (uint32_t)bytes;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t delta) {
    if (delta == 0) return memory->pages;
    return (uint32_t)-1; /* fixed, as on the target */
}

void wasm_rt_free_memory(wasm_rt_memory_t *memory) {
    madvise(memory->data, memory_bytes, MADV_DONTNEED);
}

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements, uint32_t max) {
    table->data = calloc(elements ? elements : 1, sizeof(wasm_rt_funcref_t));
    for (uint32_t i = 0; i < elements; i++) table->data[i] = wasm_rt_funcref_null_value;
    table->size = elements;
    table->max_size = max;
}
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table) { free(table->data); }
uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *t, uint32_t d, wasm_rt_funcref_t i) {
    (void)t; (void)d; (void)i;
    return (uint32_t)-1;
}

/* ---------------------------------------------------------------- the instance */

static Z_fuzz_instance_t instance;
static int module_ready;

static uint8_t *linear(uint32_t offset, uint64_t len) {
    wasm_rt_memory_t *m = &instance.w2c_memory;
    if (offset > m->size || len > m->size - offset) {
        fprintf(stderr, "SIS-FUZZ CRASH: import pointer outside linear memory\n");
        abort();
    }
    return m->data + offset;
}

void fuzz_instance_start(void) {
    if (!module_ready) {
        wasm_rt_init();
        Z_fuzz_init_module();
        module_ready = 1;
    }
    wasm_rt_call_stack_depth = 0;
    Z_fuzz_instantiate(&instance, 0, 0, 0);
    Z_fuzzZ__start(&instance);
}

void fuzz_instance_end(void) { Z_fuzz_free(&instance); }

Z_fuzz_instance_t *fuzz_instance(void) { return &instance; }

void fuzz_copy_in(uint32_t offset, const uint8_t *data, size_t size) {
    memcpy(linear(offset, size), data, size);
}

/* ---------------------------------------------------------------- disks */

struct disk { uint8_t *bytes; uint64_t size; };
static struct disk disks[FUZZ_DISKS];

void fuzz_disk_set(int id, uint8_t *bytes, uint64_t size) {
    disks[id].bytes = bytes;
    disks[id].size = size;
}

static struct disk *disk(uint32_t id) {
    if (id >= FUZZ_DISKS || !disks[id].bytes) {
        fprintf(stderr, "SIS-FUZZ CRASH: hostblk: no disk %u\n", id);
        abort();
    }
    return &disks[id];
}

/* The kernel checks lba + count against the size it was given; a request past it is a bug. */
static uint64_t disk_offset(struct disk *d, uint64_t lba, uint32_t count) {
    if (lba > d->size / 512 || count > d->size / 512 - lba) {
        fprintf(stderr, "SIS-FUZZ CRASH: hostblk: I/O past the end of the disk (lba %llu count %u)\n",
                (unsigned long long)lba, count);
        abort();
    }
    return lba * 512;
}

u32 Z_hostblkZ_read(struct Z_hostblk_instance_t *p, u32 id, u64 lba, u32 count, u32 ptr) {
    (void)p;
    struct disk *d = disk(id);
    uint64_t off = disk_offset(d, lba, count);
    memcpy(linear(ptr, (uint64_t)count * 512), d->bytes + off, (size_t)count * 512);
    return 0;
}

u32 Z_hostblkZ_write(struct Z_hostblk_instance_t *p, u32 id, u64 lba, u32 count, u32 ptr) {
    (void)p;
    struct disk *d = disk(id);
    uint64_t off = disk_offset(d, lba, count);
    memcpy(d->bytes + off, linear(ptr, (uint64_t)count * 512), (size_t)count * 512);
    return 0;
}

u32 Z_hostblkZ_flush(struct Z_hostblk_instance_t *p, u32 id) { (void)p; disk(id); return 0; }

/* ---------------------------------------------------------------- platform, env */

void Z_platformZ_console_write(struct Z_platform_instance_t *p, u32 ptr, u32 len) {
    (void)p;
    if (echo_console < 0) echo_console = getenv("SIS_FUZZ_ECHO") != 0;
    uint8_t *bytes = linear(ptr, len);
    if (echo_console) fwrite(bytes, 1, len, stderr);
}

/* No console input under the fuzzer: -1 as the UART's empty receive ring returns (long
   commands poll it for Ctrl-C through kernel/sched/checkpoint.ts). */
u32 Z_platformZ_console_read(struct Z_platform_instance_t *p) {
    (void)p;
    return (u32)-1;
}

u64 Z_platformZ_counter(struct Z_platform_instance_t *p) {
    (void)p;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u64)ts.tv_sec * 62500000ull + (u64)ts.tv_nsec / 16;
}
u64 Z_platformZ_counter_frequency(struct Z_platform_instance_t *p) { (void)p; return 62500000ull; }
u64 Z_platformZ_ticks(struct Z_platform_instance_t *p) { return Z_platformZ_counter(p) / 625000ull; }
u32 Z_platformZ_tick_hz(struct Z_platform_instance_t *p) { (void)p; return 100; }
u64 Z_platformZ_irq_count(struct Z_platform_instance_t *p) { return Z_platformZ_ticks(p); }
void Z_platformZ_wait_for_interrupt(struct Z_platform_instance_t *p) { (void)p; }
u32 Z_platformZ_irq_take_virtio(struct Z_platform_instance_t *p) { (void)p; return 0; }
void Z_platformZ_irq_enable(struct Z_platform_instance_t *p, u32 intid) { (void)p; (void)intid; }
void Z_platformZ_irq_disable(struct Z_platform_instance_t *p, u32 intid) { (void)p; (void)intid; }
/* CRC-32C, raw (the target uses the CPU's crc32c instructions: arch-aarch64/imports.c) */
u32 Z_platformZ_crc32c_update(struct Z_platform_instance_t *p, u32 crc, u32 ptr, u32 len) {
    (void)p;
    static uint32_t table[256];
    if (table[1] == 0)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
            table[i] = c;
        }
    const uint8_t *b = linear(ptr, len);
    for (u32 i = 0; i < len; i++) crc = table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
    return crc;
}
void Z_platformZ_power_off(struct Z_platform_instance_t *p) { (void)p; }
void Z_platformZ_reboot(struct Z_platform_instance_t *p) { (void)p; }
void Z_platformZ_dma_barrier(struct Z_platform_instance_t *p) { (void)p; }

void Z_platformZ_panic(struct Z_platform_instance_t *p, u32 ptr, u32 len) {
    (void)p;
    fprintf(stderr, "SIS-FUZZ CRASH: kernel panic: %.*s\n", (int)len, (const char *)linear(ptr, len));
    abort();
}

/* Only the memory map's size and the RAM window are asked for by what the targets run. */
u64 Z_platformZ_boot_info(struct Z_platform_instance_t *p, u32 key) { (void)p; (void)key; return 0; }
u64 Z_platformZ_memmap_field(struct Z_platform_instance_t *p, u32 index, u32 field) {
    (void)p; (void)index; (void)field;
    return 0;
}
u32 Z_platformZ_firmware_vendor_char(struct Z_platform_instance_t *p, u32 index) { (void)p; (void)index; return 0; }

static void no_mmio(u64 addr) {
    fprintf(stderr, "SIS-FUZZ CRASH: MMIO access to 0x%llx with no device\n", (unsigned long long)addr);
    abort();
}
u32 Z_platformZ_mmio_read8(struct Z_platform_instance_t *p, u64 a) { (void)p; no_mmio(a); return 0; }
u32 Z_platformZ_mmio_read16(struct Z_platform_instance_t *p, u64 a) { (void)p; no_mmio(a); return 0; }
u32 Z_platformZ_mmio_read32(struct Z_platform_instance_t *p, u64 a) { (void)p; no_mmio(a); return 0; }
u64 Z_platformZ_mmio_read64(struct Z_platform_instance_t *p, u64 a) { (void)p; no_mmio(a); return 0; }
void Z_platformZ_mmio_write8(struct Z_platform_instance_t *p, u64 a, u32 v) { (void)p; (void)v; no_mmio(a); }
void Z_platformZ_mmio_write16(struct Z_platform_instance_t *p, u64 a, u32 v) { (void)p; (void)v; no_mmio(a); }
void Z_platformZ_mmio_write32(struct Z_platform_instance_t *p, u64 a, u32 v) { (void)p; (void)v; no_mmio(a); }
void Z_platformZ_mmio_write64(struct Z_platform_instance_t *p, u64 a, u64 v) { (void)p; (void)v; no_mmio(a); }

/* An AssemblyScript string: UTF-16LE, byte length in the word before it. Printed as ASCII. */
static void print_as_string(u32 ptr) {
    if (!ptr || ptr < 4) { fputs("?", stderr); return; }
    uint32_t len;
    memcpy(&len, linear(ptr - 4, 4), 4);
    const uint8_t *s = linear(ptr, len);
    for (uint32_t i = 0; i + 1 < len; i += 2) fputc(s[i + 1] ? '?' : s[i], stderr);
}

void Z_envZ_abort(struct Z_env_instance_t *p, u32 message, u32 file, u32 line, u32 column) {
    (void)p;
    fputs("SIS-FUZZ CRASH: kernel abort: ", stderr);
    print_as_string(message);
    fputs(" at ", stderr);
    print_as_string(file);
    fprintf(stderr, ":%u:%u\n", line, column);
    abort();
}

