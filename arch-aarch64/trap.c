/*
 * Exception dispatch: interrupts are acknowledged and recorded here; nothing in this file
 * ever calls into wasm (the AssemblyScript runtime is not re-entrant). The kernel learns of
 * events by polling (console_read, irq_take_virtio) after wait_for_interrupt() returns.
 *
 * virtio-mmio interrupts are level-triggered and can only be silenced by the driver, which
 * is TypeScript: so the line is masked in the GIC here, recorded in virtio_pending, and
 * unmasked by the driver (irq_enable import) once it has serviced the device.
 */
#include "arch.h"

struct exception_frame {
    uint64_t x[31];
    uint64_t elr, spsr, kind;
};

static volatile uint32_t virtio_pending; /* bit n: slot n raised its interrupt */
static volatile uint64_t irq_total;

extern char exception_vectors[];

void vectors_install(void) {
    __asm__ volatile("msr vbar_el1, %0; isb" ::"r"(exception_vectors));
}

static const char *const kind_names[16] = {
    "synchronous (EL1t)", "IRQ (EL1t)", "FIQ (EL1t)", "SError (EL1t)",
    "synchronous exception", "IRQ", "FIQ", "SError",
    "synchronous (EL0, 64-bit)", "IRQ (EL0)", "FIQ (EL0)", "SError (EL0)",
    "synchronous (EL0, 32-bit)", "IRQ (EL0 32)", "FIQ (EL0 32)", "SError (EL0 32)",
};

static const char *exception_class_name(uint32_t ec) {
    switch (ec) {
    case 0x00: return "unknown reason";
    case 0x01: return "WFI/WFE trapped";
    case 0x07: return "FP/SIMD access trapped";
    case 0x0e: return "illegal execution state";
    case 0x15: return "SVC instruction";
    case 0x16: return "HVC instruction";
    case 0x18: return "system register access trapped";
    case 0x20: return "instruction abort (lower EL)";
    case 0x21: return "instruction abort";
    case 0x22: return "PC alignment fault";
    case 0x24: return "data abort (lower EL)";
    case 0x25: return "data abort";
    case 0x26: return "SP alignment fault";
    case 0x2c: return "floating-point exception";
    case 0x2f: return "SError";
    case 0x3c: return "BRK instruction";
    default: return "other";
    }
}

/* frame: the interrupted kernel context; NULL when the IRQ came from user code (EL0) */
static void handle_irq(const struct exception_frame *frame) {
    for (;;) {
        uint32_t iar = gic_acknowledge();
        uint32_t intid = iar & 0x3ff;
        if (intid >= 1020) return; /* spurious: nothing pending */
        irq_total++;
        if (intid == INTID_VIRTUAL_TIMER) {
            timer_handle_interrupt();
        } else if (intid == INTID_PHYSICAL_TIMER) {
            prof_sample(frame ? frame->elr : 0, frame ? frame->x[29] : 0, frame == 0);
        } else if (intid == INTID_UART) {
            uart_handle_interrupt();
        } else if (intid >= INTID_VIRTIO_MMIO_FIRST && intid < INTID_VIRTIO_MMIO_FIRST + VIRTIO_MMIO_SLOTS) {
            gic_disable(intid);
            virtio_pending |= 1u << (intid - INTID_VIRTIO_MMIO_FIRST);
        } else {
            gic_disable(intid); /* nobody asked for it: keep it quiet */
        }
        gic_end(iar);
    }
}

/* The IRQ taken while a user process ran (user_entry.S), after TTBR0 is the kernel's again. */
void exception_handle_irq(void) { handle_irq(0); }

void exception_dispatch(uint64_t kind, struct exception_frame *frame) {
    if (kind == 5 || kind == 9) { handle_irq(kind == 5 ? frame : 0); return; }
    uint64_t esr, far;
    __asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
    __asm__ volatile("mrs %0, far_el1" : "=r"(far));
    uint32_t ec = (uint32_t)(esr >> 26) & 0x3f;
    incident_begin();
    /* kernel.c has no software bounds checks: its out-of-bounds accesses land here (arch.h) */
    if (ec == 0x25 && far >= SIS_LINEAR_VIRT_BASE && far < SIS_LINEAR_VIRT_BASE + SIS_LINEAR_GUARD_SPAN)
        early_puts("\r\n*** KERNEL PANIC: wasm trap: out-of-bounds memory access (guard region)\r\n    CPU exception: ");
    else
        early_puts("\r\n*** KERNEL PANIC: CPU exception: ");
    early_puts(kind_names[kind & 15]);
    early_puts("\r\n    cause: ");
    early_puts(exception_class_name(ec));
    early_puts("\r\n    ESR_EL1 ");
    early_put_hex(esr);
    early_puts("  (EC ");
    early_put_hex(ec);
    early_puts(")\r\n    ELR_EL1 ");
    early_put_hex(frame->elr);
    early_puts("  (faulting instruction)\r\n    FAR_EL1 ");
    early_put_hex(far);
    early_puts("  (faulting address)\r\n    SPSR    ");
    early_put_hex(frame->spsr);
    early_puts("\r\n    LR      ");
    early_put_hex(frame->x[30]);
    early_puts("\r\n");
    arch_halt();
}

uint32_t irq_take_virtio_pending(void) {
    irqs_off();
    uint32_t pending = virtio_pending;
    virtio_pending = 0;
    irqs_on();
    return pending;
}

uint64_t irq_count(void) { return irq_total; }

/*
 * Sleep until an interrupt arrives. IRQs are masked while we decide, so an interrupt that
 * lands between the check and the wfi still wakes it (wfi wakes on pending, masked IRQs).
 */
void wait_for_interrupt(void) {
    irqs_off();
    if (!uart_rx_pending() && !virtio_pending) __asm__ volatile("wfi");
    irqs_on();
}
