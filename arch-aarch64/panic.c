/* Halting: used by panics. The CPU parks with interrupts off; the serial log holds the report. */
#include "arch.h"

void arch_halt(void) {
    irqs_off();
    incident_save(); /* the report of a panic, to the reserved disk area (incident.c) */
    early_puts("*** system halted\r\n");
    /* Silence every interrupt source, or a pending one would turn the wfi loop into a spin. */
    __asm__ volatile("msr cntv_ctl_el0, %0; isb" ::"r"((uint64_t)0));
    mmio_w32(GICC_BASE, 0);
    for (;;) __asm__ volatile("wfi");
}

void kernel_panic(const char *kind, const char *detail) {
    irqs_off();
    incident_begin();
    early_puts("\r\n*** KERNEL PANIC: ");
    early_puts(kind);
    if (detail && *detail) {
        early_puts(": ");
        early_puts(detail);
    }
    early_puts("\r\n");
    arch_halt();
}
