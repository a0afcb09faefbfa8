/*
 * Running user processes at EL0: the C half (user_entry.S has the register save/restore).
 *
 * The kernel's own tables (mmu.c) stay in TTBR0 while the kernel runs. For a process we use a
 * second root, built once, that maps:
 *
 *   [0, 1 GiB)        the process's level-2 table (built by kernel/proc/addrspace.ts)
 *   each RAM slot     the kernel's 1 GiB RAM blocks, EL1-only (AP=00) and never EL0-executable
 *                     (UXN): the vectors, the kernel stack and g_user_frame stay reachable for
 *                     the trap path, nothing of the kernel is reachable from EL0
 *   (nothing else)    no devices, no linear window (the wasm kernel's memory)
 *
 * Only entry 0 of that root changes between processes. Every switch flushes the TLB (no ASIDs:
 * the kernel's 1 GiB device block covers the same addresses as user pages).
 */
#include "arch.h"
#include "wasm_kernel.h"
#include "kernel.h"

struct Z_platform_instance_t;

struct user_frame {
    uint64_t x[31];
    uint64_t sp, pc, pstate, tpidr, esr, far, fpcr, fpsr, kind;
    uint64_t v[64];
};
_Static_assert(sizeof(struct user_frame) == 832, "frame layout shared with user_imports.ts");

struct user_frame g_user_frame __attribute__((aligned(16)));
uint64_t user_kernel_sp, user_kernel_ttbr0;

uint32_t user_enter(struct user_frame *frame, uint64_t ttbr0);

#define DESC_TABLE 3ull
#define DESC_UXN (1ull << 54)
#define ADDRESS_MASK 0x0000fffffffff000ull
#define ATTR_BITS ((7ull << 2) | (3ull << 8) | (1ull << 10)) /* AttrIndx, SH, AF */

static uint64_t user_l0[512] __attribute__((aligned(4096)));
static uint64_t user_l1[512] __attribute__((aligned(4096)));
static uint64_t user_ttbr0, normal_attributes;
static int tables_ready;

static void user_tables_init(void) {
    uint64_t tcr, kernel_root;
    __asm__ volatile("mrs %0, tcr_el1" : "=r"(tcr));
    __asm__ volatile("mrs %0, ttbr0_el1" : "=r"(kernel_root));
    uint32_t va_bits = 64 - (uint32_t)(tcr & 63);
    uint64_t *root = (uint64_t *)(kernel_root & ADDRESS_MASK);
    uint64_t *kernel_l1 = va_bits > 39 ? (uint64_t *)(root[0] & ADDRESS_MASK) : root;
    for (int i = 0; i < 512; i++) user_l0[i] = user_l1[i] = 0;
    for (int i = 1; i < 512; i++) {
        uint64_t e = kernel_l1[i];
        if ((e & 3) != 1) continue; /* only the RAM blocks; the linear window is a table */
        user_l1[i] = e | DESC_UXN;
        normal_attributes = e & ATTR_BITS;
    }
    if (va_bits > 39) {
        user_l0[0] = (uint64_t)user_l1 | DESC_TABLE;
        user_ttbr0 = (uint64_t)user_l0;
    } else {
        user_ttbr0 = (uint64_t)user_l1;
    }
    tables_ready = 1;
}

u64 Z_platformZ_user_page_attributes(struct Z_platform_instance_t *p) {
    (void)p;
    if (!tables_ready) user_tables_init();
    return normal_attributes;
}

u32 Z_platformZ_user_run(struct Z_platform_instance_t *p, u32 frame, u64 l2_phys, u32 sync_code) {
    (void)p;
    uint64_t *f = (uint64_t *)wasm_linear(frame, sizeof(struct user_frame));
    if (!f || (frame & 7)) return 0xff;
    if (!tables_ready) user_tables_init();
    uint64_t *g = (uint64_t *)&g_user_frame;
    for (uint32_t i = 0; i < sizeof(struct user_frame) / 8; i++) g[i] = f[i];
    /* EL0t with interrupts unmasked: only the condition flags come from the process */
    g_user_frame.pstate &= 0xf0000000ull;
    user_l1[0] = (l2_phys & ADDRESS_MASK) | DESC_TABLE;
    uint64_t cpacr;
    __asm__ volatile("mrs %0, cpacr_el1" : "=r"(cpacr));
    if (((cpacr >> 20) & 3) != 3) __asm__ volatile("msr cpacr_el1, %0; isb" ::"r"(cpacr | (3ull << 20)));
    /* the tables TypeScript wrote (and, for new code, the I-cache) must be seen by the walker */
    __asm__ volatile("dsb ish" ::: "memory");
    if (sync_code) __asm__ volatile("ic iallu; dsb ish; isb" ::: "memory");
    uint32_t kind = user_enter(&g_user_frame, user_ttbr0);
    irqs_on();
    for (uint32_t i = 0; i < sizeof(struct user_frame) / 8; i++) f[i] = g[i];
    return kind;
}
