/*
 * The EL1 virtual timer (CNTV, PPI 27) as a periodic tick.
 *
 * The tick only counts and wakes the CPU from wfi; all time keeping in the kernel reads
 * the counter itself (CNTVCT_EL0), so a late tick never skews time.
 */
#include "arch.h"

static volatile uint64_t ticks;
static uint32_t tick_hz;
static uint64_t tick_interval;

void timer_init(uint32_t hz) {
    tick_hz = hz;
    tick_interval = arch_counter_frequency() / hz;
    __asm__ volatile("msr cntv_tval_el0, %0" ::"r"(tick_interval));
    __asm__ volatile("msr cntv_ctl_el0, %0; isb" ::"r"((uint64_t)1)); /* enable, unmasked */
    gic_enable(INTID_VIRTUAL_TIMER);
}

void timer_handle_interrupt(void) {
    __asm__ volatile("msr cntv_tval_el0, %0; isb" ::"r"(tick_interval));
    ticks++;
}

uint64_t timer_ticks(void) { return ticks; }
uint32_t timer_hz(void) { return tick_hz; }
