/*
 * The freestanding wasm2c runtime: what the generated kernel.c expects from "wasm-rt.h".
 *
 * - Linear memory is not allocated: it is the fixed virtual window set up by mmu.c
 *   (buddy window + AssemblyScript heap). memory.grow beyond it fails (returns -1),
 *   which AssemblyScript reports as out of memory through env.abort.
 * - Traps print a panic report and halt; there is no recovery into a runtime that was
 *   interrupted mid-update.
 * - Function types and tables come from a small static pool (the kernel has one table).
 */
#include <stdarg.h>
#include "arch.h"
#include "../boot/bootinfo.h"
#include "wasm_kernel.h"
#include "kernel.h"

uint32_t wasm_rt_call_stack_depth;
static int runtime_initialized;
static Z_kernel_instance_t kernel;

#define MAX_FUNC_TYPES 256
#define MAX_TYPE_SLOTS 2048
static struct { uint32_t params, results, first; } func_types[MAX_FUNC_TYPES];
static wasm_rt_type_t type_slots[MAX_TYPE_SLOTS];
static uint32_t func_type_count, type_slots_used;

static uint8_t table_pool[256 * 1024] __attribute__((aligned(16)));
static uint32_t table_pool_used;

void wasm_rt_init(void) { runtime_initialized = 1; }
bool wasm_rt_is_initialized(void) { return runtime_initialized; }
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
    uint64_t caller = (uint64_t)__builtin_return_address(0);
    irqs_off();
    incident_begin();
    early_puts("\r\n*** KERNEL PANIC: wasm trap: ");
    early_puts(wasm_rt_strerror(trap));
    early_puts("\r\n    trapping code at image offset ");
    early_put_hex(caller - g_boot_info.image_base);
    early_puts(" (look it up in build/BOOTAA64.map)\r\n    call depth ");
    early_put_dec(wasm_rt_call_stack_depth);
    early_puts("\r\n");
    arch_halt();
}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
    va_list args;
    va_start(args, results);
    wasm_rt_type_t types[64];
    uint32_t n = params + results;
    if (n > 64) kernel_panic("wasm runtime", "function type too large");
    for (uint32_t i = 0; i < n; i++) types[i] = (wasm_rt_type_t)va_arg(args, int);
    va_end(args);
    for (uint32_t t = 0; t < func_type_count; t++) {
        if (func_types[t].params != params || func_types[t].results != results) continue;
        uint32_t i = 0;
        while (i < n && type_slots[func_types[t].first + i] == types[i]) i++;
        if (i == n) return t;
    }
    if (func_type_count >= MAX_FUNC_TYPES || type_slots_used + n > MAX_TYPE_SLOTS)
        kernel_panic("wasm runtime", "too many function types");
    func_types[func_type_count].params = params;
    func_types[func_type_count].results = results;
    func_types[func_type_count].first = type_slots_used;
    for (uint32_t i = 0; i < n; i++) type_slots[type_slots_used++] = types[i];
    return func_type_count++;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *memory, uint32_t initial_pages, uint32_t max_pages) {
    uint64_t bytes = (uint64_t)initial_pages * 65536;
    if (bytes != g_boot_info.buddy_window_bytes + g_boot_info.heap_bytes)
        kernel_panic("wasm runtime", "kernel.wasm memory size does not match the linear window");
    memory->data = (uint8_t *)g_boot_info.linear_virt_base;
    /*
     * The kernel's static data (AssemblyScript's segments) starts the heap window, and this is
     * called just before wasm2c copies the segments in. wasm-opt's memory packing dropped their
     * zero runs (thousands of gaps, among them the GC list links of every static object): a wasm
     * memory starts zeroed. RAM after a warm reset (QEMU system_reset, the dashboard's power cut)
     * still holds the previous boot's values there, so static objects looked linked to the old
     * boot's heap and the collector unlinked them through stale pointers: heap corruption (itcms
     * asserts, __visit_members traps, "Index out of range" in __typeinfo). Clear the static
     * part; kernel/init.ts checks at boot that it covers all of it.
     */
    __builtin_memset(memory->data + g_boot_info.buddy_window_bytes, 0, SIS_STATIC_CLEAR_BYTES);
    memory->pages = initial_pages;
    memory->max_pages = max_pages;
    memory->size = (uint32_t)bytes;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t delta) {
    if (delta == 0) return memory->pages;
    return (uint32_t)-1; /* the window is fixed */
}

void wasm_rt_free_memory(wasm_rt_memory_t *memory) { (void)memory; }

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements, uint32_t max) {
    uint64_t bytes = (uint64_t)elements * sizeof(wasm_rt_funcref_t);
    if (table_pool_used + bytes > sizeof(table_pool)) kernel_panic("wasm runtime", "function table too large");
    table->data = (wasm_rt_funcref_t *)(table_pool + table_pool_used);
    table_pool_used += (uint32_t)((bytes + 15) & ~15ull);
    for (uint32_t i = 0; i < elements; i++) table->data[i] = wasm_rt_funcref_null_value;
    table->size = elements;
    table->max_size = max;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table) { (void)table; }

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t *table, uint32_t delta, wasm_rt_funcref_t init) {
    (void)table; (void)delta; (void)init;
    return (uint32_t)-1;
}

uint8_t *wasm_linear(uint64_t offset, uint64_t len) {
    wasm_rt_memory_t *m = &kernel.w2c_memory;
    if (offset > m->size || len > m->size - offset) return 0;
    return m->data + offset;
}

void wasm_kernel_start(void) {
    /*
     * The heap window is not cleared: AssemblyScript's runtime initialises its allocator
     * metadata itself, zero-fills every managed object (__new) and every shadow-stack frame,
     * and the kernel never reads heap.alloc memory before writing it. Clearing 48 MiB cost
     * up to 250 ms of boot under emulation.
     */
    wasm_rt_init();
    Z_kernel_init_module();
    Z_kernel_instantiate(&kernel, 0, 0);
    Z_kernelZ_kmain(&kernel);
}
