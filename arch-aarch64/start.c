/*
 * From the firmware hand-off to kmain: the power-on path after boot/efi_main.c.
 *
 *   arch_start         vectors -> our page tables -> our stack
 *   kernel_entry       GIC -> timer -> UART receive IRQ -> IRQs on -> wasm instance -> kmain()
 */
#include "arch.h"
#include "../boot/bootinfo.h"
#include "wasm_kernel.h"

#define TICK_HZ 100

void switch_stack_and_call(uint64_t stack_top, void (*fn)(void)) __attribute__((noreturn));

static void kernel_entry(void) __attribute__((noreturn));

void arch_start(void) {
    vectors_install();
    mmu_install_kernel_tables();
    switch_stack_and_call(g_boot_info.stack_phys + g_boot_info.stack_bytes, kernel_entry);
}

static void kernel_entry(void) {
    gic_init();
    timer_init(TICK_HZ);
    uart_enable_rx_interrupt();
    irqs_on();
    wasm_kernel_start(); /* runs kmain; returns only if kmain does */
    early_puts("\r\nkmain returned; powering off\r\n");
    psci_system_off();
}
