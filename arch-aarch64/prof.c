/*
 * The sampling profiler's hardware half: the EL1 physical timer (CNTP, PPI 30), separate from
 * the 100 Hz virtual-timer tick, interrupts N times a second; each interrupt records the
 * interrupted PC and the frame-pointer chain (x29 -> the saved x29 and return address; the
 * kernel is built with -fno-omit-frame-pointer) into a flat buffer.
 *
 * A record is [n, pc, ret1, ..., ret(n-1)] as image-relative addresses (RVAs, what the link
 * map lists), so the kernel symbolises them against build/BOOTAA64.lldmap without knowing
 * where UEFI loaded the image. An interrupt from user code (EL0) records [1, PROF_USER].
 * When the buffer is full, further samples are only counted as dropped. The kernel side
 * (kernel/prof/) reads the buffer after stopping; nothing here allocates.
 */
#include "arch.h"
#include "../boot/bootinfo.h"

#define PROF_WORDS (512u * 1024u) /* 2 MiB: ~30 s at 997 Hz with 16-deep stacks */
#define PROF_MAX_DEPTH 48
#define PROF_USER 0xffffffffu

extern char __ImageBase[]; /* lld-link: the image's load address */

static uint32_t buffer[PROF_WORDS];
static volatile uint32_t used;      /* words written */
static volatile uint32_t samples;   /* records written */
static volatile uint32_t dropped;   /* samples that found the buffer full */
static volatile uint32_t running;
static uint64_t interval;

uint32_t prof_start(uint32_t hz) {
    if (hz < 1 || hz > 20000) return 0;
    __asm__ volatile("msr cntp_ctl_el0, %0; isb" ::"r"((uint64_t)0)); /* off while we reset */
    used = 0;
    samples = 0;
    dropped = 0;
    interval = arch_counter_frequency() / hz;
    running = 1;
    __asm__ volatile("msr cntp_tval_el0, %0" ::"r"(interval));
    __asm__ volatile("msr cntp_ctl_el0, %0; isb" ::"r"((uint64_t)1)); /* enable, unmasked */
    gic_enable(INTID_PHYSICAL_TIMER);
    return 1;
}

void prof_stop(void) {
    running = 0;
    __asm__ volatile("msr cntp_ctl_el0, %0; isb" ::"r"((uint64_t)0));
    gic_disable(INTID_PHYSICAL_TIMER);
}

static inline uint32_t rva(uint64_t addr) {
    uint64_t base = (uint64_t)__ImageBase;
    return addr >= base && addr - base < 0xffffffffull ? (uint32_t)(addr - base) : 0;
}

/* Called from the IRQ path with the interrupted context; user = taken from EL0 (no frame). */
void prof_sample(uint64_t pc, uint64_t fp, int user) {
    if (!running) return;
    __asm__ volatile("msr cntp_tval_el0, %0" ::"r"(interval)); /* the next sample */
    uint32_t at = used;
    if (at + PROF_MAX_DEPTH + 1 > PROF_WORDS) {
        dropped++;
        return;
    }
    uint32_t n = 1;
    buffer[at + 1] = user ? PROF_USER : rva(pc);
    if (!user) {
        /*
         * Walk frame records only inside the kernel stack, strictly upwards, 8-aligned. clang's
         * aarch64-windows prologue stores the pair as "stp x30, x29" (return address at [fp],
         * saved fp at [fp+8]), the reverse of the AAPCS64 record; take whichever word points
         * further up the stack as the saved fp and the other as the return address.
         */
        uint64_t lo = g_boot_info.stack_phys, hi = lo + g_boot_info.stack_bytes;
        while (n < PROF_MAX_DEPTH && fp >= lo && fp + 16 <= hi && (fp & 7) == 0) {
            uint64_t a = ((uint64_t *)fp)[0], b = ((uint64_t *)fp)[1];
            uint64_t next, ret;
            if (a > fp && a < hi) { next = a; ret = b; }
            else if (b > fp && b < hi) { next = b; ret = a; }
            else { next = 0; ret = rva(a) ? a : b; } /* the outermost record */
            uint32_t r = ret >= 4 ? rva(ret - 4) : 0; /* the call instruction, not the one after */
            if (r == 0) break;
            buffer[at + 1 + n++] = r;
            if (next == 0) break;
            fp = next;
        }
    }
    buffer[at] = n;
    used = at + 1 + n;
    samples++;
}

uint32_t prof_running(void) { return running; }
uint32_t prof_samples(void) { return samples; }
uint32_t prof_dropped(void) { return dropped; }
uint32_t prof_used_words(void) { return used; }
uint32_t prof_word(uint32_t i) { return i < used ? buffer[i] : 0; }
