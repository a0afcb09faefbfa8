/*
 * The architecture layer's small interface: everything the UEFI entry, the wasm runtime and the
 * platform imports need from the CPU, the GIC, the timer and the PL011.
 */
#ifndef SIS_ARCH_H
#define SIS_ARCH_H

#include <stdint.h>

/* Build-time layout, passed by toolchain/build.ts (see boot/bootinfo.h). */
#ifndef SIS_BUDDY_WINDOW
#error "SIS_BUDDY_WINDOW must be defined by the build"
#endif
#ifndef SIS_HEAP_BYTES
#error "SIS_HEAP_BYTES must be defined by the build"
#endif
#define SIS_STACK_BYTES (8ull << 20)
/* Bytes at the start of the heap window cleared before the static data is copied in (wasm_runtime.c). */
#define SIS_STATIC_CLEAR_BYTES (1ull << 20)
#define SIS_PAGE_TABLE_BYTES (64ull << 10)
/* Where linear memory appears in the virtual address space: far above RAM and devices. */
#define SIS_LINEAR_VIRT_BASE 0x1000000000ull
/*
 * Every wasm address (u32 + u32 offset) falls in [base, base + 8 GiB). Only the window is
 * mapped there; the rest is the guard region whose faults replace wasm2c's software bounds
 * checks (toolchain/wasm2c-patch.ts).
 */
#define SIS_LINEAR_GUARD_SPAN (8ull << 30)

/*
 * Devices: the physical [0, 1 GiB) (GIC, PL011, RTC, virtio-mmio) is mapped at
 * SIS_DEVICE_VIRT_BASE once mmu.c has installed the kernel's tables, so that the virtual
 * [0, 1 GiB) is free for the running user process (kernel/proc/layout.ts). Every device access
 * goes through mmio_r32/mmio_w32 (or imports.c's MMIO imports), which add g_mmio_offset to
 * an address below 1 GiB (mmio_va): 0 under the firmware's identity map, SIS_DEVICE_VIRT_BASE
 * afterwards.
 */
#define SIS_DEVICE_VIRT_BASE 0x800000000ull
extern uint64_t g_mmio_offset;

/* QEMU virt machine addresses (GICv2 default), physical. */
#define PL011_BASE 0x09000000ull
#define GICD_BASE 0x08000000ull
#define GICC_BASE 0x08010000ull
#define INTID_VIRTUAL_TIMER 27
#define INTID_PHYSICAL_TIMER 30 /* the profiler's sample clock (prof.c) */
#define INTID_UART 33
#define INTID_VIRTIO_MMIO_FIRST 48 /* SPI 16 + slot */
#define VIRTIO_MMIO_SLOTS 32

static inline uint64_t arch_counter(void) {
    uint64_t v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    return v;
}
static inline uint64_t arch_counter_frequency(void) {
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}
static inline void irqs_on(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void irqs_off(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }

/* The virtual address of device address `a`: only the physical [0, 1 GiB) holds devices and
 * moves; anything else (a test's deliberately unmapped address) is used as it is. */
static inline uint64_t mmio_va(uint64_t a) { return a < (1ull << 30) ? a + g_mmio_offset : a; }

static inline uint32_t mmio_r32(uint64_t a) {
    uint32_t v = *(volatile uint32_t *)mmio_va(a);
    __asm__ volatile("dmb oshld" ::: "memory");
    return v;
}
static inline void mmio_w32(uint64_t a, uint32_t v) {
    __asm__ volatile("dmb oshst" ::: "memory");
    *(volatile uint32_t *)mmio_va(a) = v;
}

/* uart.c: polled output (usable at any time, also from exception handlers). */
void early_putc(char c);
void early_puts(const char *s);
void early_put_hex(uint64_t v);
void early_put_dec(uint64_t v);
void uart_enable_rx_interrupt(void);
void uart_handle_interrupt(void);
int uart_rx_pop(void);
int uart_rx_pending(void);

/* gic.c */
void gic_init(void);
void gic_enable(uint32_t intid);
void gic_disable(uint32_t intid);
uint32_t gic_acknowledge(void);
void gic_end(uint32_t iar);

/* timer.c */
void timer_init(uint32_t hz);
void timer_handle_interrupt(void);
uint64_t timer_ticks(void);
uint32_t timer_hz(void);

/* prof.c: the sampling profiler's timer and sample buffer */
uint32_t prof_start(uint32_t hz);
void prof_stop(void);
void prof_sample(uint64_t pc, uint64_t fp, int user);
uint32_t prof_running(void);
uint32_t prof_samples(void);
uint32_t prof_dropped(void);
uint32_t prof_used_words(void);
uint32_t prof_word(uint32_t i);

/* mmu.c */
void mmu_install_kernel_tables(void);
/* The kernel's level-1 entry for the virtual [0, 1 GiB): the running process's level-2 table (user.c). */
extern uint64_t *g_user_slot;
/* Descriptor bits (AttrIndx, SH, AF) of the kernel's normal memory. */
extern uint64_t g_normal_attributes;

/* trap.c */
void vectors_install(void);
uint32_t irq_take_virtio_pending(void);
uint64_t irq_count(void);
void wait_for_interrupt(void);

/* psci.c */
void psci_system_off(void) __attribute__((noreturn));
void psci_system_reset(void) __attribute__((noreturn));

/* incident.c: the panic report, saved to the system disk for the next boot */
void incident_begin(void);
void incident_record(char c);
void incident_save(void);
void incident_set_area(uint64_t mmio_base, uint64_t sector);

/* panic.c */
void arch_halt(void) __attribute__((noreturn));
void kernel_panic(const char *kind, const char *detail) __attribute__((noreturn));

#endif
