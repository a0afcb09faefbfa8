/*
 * Running user processes at EL0: the C half (user_entry.S has the register save/restore).
 *
 * One set of translation tables for the kernel and the process (mmu.c): the kernel's level-1
 * entry for the virtual [0, 1 GiB) (g_user_slot) holds the running process's level-2 table
 * (built by kernel/proc/addrspace.ts); every kernel mapping (RAM, the linear window, devices
 * at SIS_DEVICE_VIRT_BASE) is EL1-only and never EL0-executable, so nothing of the kernel is
 * reachable from EL0. Entering and leaving EL0 therefore switches no table and flushes no
 * TLB: a system call costs an exception and an eret, not a refill of QEMU's soft TLB.
 *
 * The TLB is flushed only when it may hold stale user translations:
 *   - another process's table goes into the slot (no ASIDs: under TCG an ASID change flushes
 *     everything anyway),
 *   - the kernel changed or removed a present descriptor of this process (USER_RUN_TLB_STALE:
 *     munmap, mprotect, a private copy of a shared page; new mappings need no flush, the
 *     TLB never holds a translation fault),
 *   - the table in the slot was freed (user_forget: a new process may get the same frame).
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
uint64_t user_kernel_sp;
/* statistics for procctl stats: TLB flushes done by user_run / avoided (entries without one) */
static uint64_t tlb_flushes, tlb_kept;

uint32_t user_enter(struct user_frame *frame);

#define DESC_TABLE 3ull
#define ADDRESS_MASK 0x0000fffffffff000ull
#define USER_RUN_SYNC_CODE 1u
#define USER_RUN_TLB_STALE 2u

u64 Z_platformZ_user_page_attributes(struct Z_platform_instance_t *p) {
    (void)p;
    return g_normal_attributes;
}

/* The level-2 table at `l2_phys` is about to be freed: it must not stay in the slot. */
void Z_platformZ_user_forget(struct Z_platform_instance_t *p, u64 l2_phys) {
    (void)p;
    if ((*g_user_slot & ADDRESS_MASK) != (l2_phys & ADDRESS_MASK) || !(*g_user_slot & 1)) return;
    *g_user_slot = 0;
    __asm__ volatile("dsb ishst; tlbi vmalle1; dsb ish; isb" ::: "memory");
    tlb_flushes++;
}

/* One user page's translation, when `l2_phys` is the table in use (a page made writable). */
void Z_platformZ_user_tlb_invalidate(struct Z_platform_instance_t *p, u64 l2_phys, u64 va) {
    (void)p;
    if ((*g_user_slot & ADDRESS_MASK) != (l2_phys & ADDRESS_MASK) || !(*g_user_slot & 1)) return;
    __asm__ volatile("dsb ishst; tlbi vae1, %0; dsb ish; isb" ::"r"((va >> 12) & 0xfffffffffffull) : "memory");
}

u64 Z_platformZ_user_tlb_flushes(struct Z_platform_instance_t *p, u32 kept) {
    (void)p;
    return kept ? tlb_kept : tlb_flushes;
}

u32 Z_platformZ_user_run(struct Z_platform_instance_t *p, u32 frame, u64 l2_phys, u32 flags) {
    (void)p;
    uint64_t *f = (uint64_t *)wasm_linear(frame, sizeof(struct user_frame));
    if (!f || (frame & 7)) return 0xff;
    uint64_t *g = (uint64_t *)&g_user_frame;
    for (uint32_t i = 0; i < sizeof(struct user_frame) / 8; i++) g[i] = f[i];
    /* EL0t with interrupts unmasked: only the condition flags come from the process */
    g_user_frame.pstate &= 0xf0000000ull;
    uint64_t slot = (l2_phys & ADDRESS_MASK) | DESC_TABLE;
    int flush = (flags & USER_RUN_TLB_STALE) || *g_user_slot != slot;
    *g_user_slot = slot;
    uint64_t cpacr;
    __asm__ volatile("mrs %0, cpacr_el1" : "=r"(cpacr));
    if (((cpacr >> 20) & 3) != 3) __asm__ volatile("msr cpacr_el1, %0; isb" ::"r"(cpacr | (3ull << 20)));
    /* the tables TypeScript wrote (and, for new code, the I-cache) must be seen by the walker */
    __asm__ volatile("dsb ish" ::: "memory");
    if (flush) {
        __asm__ volatile("tlbi vmalle1; dsb ish; isb" ::: "memory");
        tlb_flushes++;
    } else {
        tlb_kept++;
    }
    if (flags & USER_RUN_SYNC_CODE) __asm__ volatile("ic iallu; dsb ish; isb" ::: "memory");
    uint32_t kind = user_enter(&g_user_frame);
    irqs_on();
    for (uint32_t i = 0; i < sizeof(struct user_frame) / 8; i++) f[i] = g[i];
    return kind;
}
