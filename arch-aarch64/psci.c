/*
 * PSCI calls through HVC (QEMU virt without EL2/EL3 emulation implements PSCI 1.0 at
 * "EL2" and advertises method = "hvc"). SYSTEM_OFF makes QEMU exit with status 0.
 */
#include "arch.h"

#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

static void psci_call(uint32_t function) {
    register uint64_t x0 __asm__("x0") = function;
    __asm__ volatile("hvc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
}

void psci_system_off(void) {
    psci_call(PSCI_SYSTEM_OFF);
    early_puts("\r\nPSCI SYSTEM_OFF returned; halting\r\n");
    arch_halt();
}

void psci_system_reset(void) {
    psci_call(PSCI_SYSTEM_RESET);
    early_puts("\r\nPSCI SYSTEM_RESET returned; halting\r\n");
    arch_halt();
}
