/*
 * PL011 UART: polled transmit, interrupt-driven receive.
 *
 * Receive: the IRQ handler drains the RX FIFO into rx_ring (single producer: the IRQ;
 * single consumer: the kernel through the console_read import). When the ring is full the
 * receive interrupt is masked and bytes stay in the FIFO, so the sender (QEMU) waits: no
 * input is lost however fast it is pasted. Reading unmasks it again.
 * The firmware has already configured baud rate and line format; we keep them.
 */
#include "arch.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_CR 0x30
#define UART_IMSC 0x38
#define UART_ICR 0x44
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define INT_RX (1u << 4)
#define INT_RX_TIMEOUT (1u << 6)

#define RX_RING_SIZE 8192u /* power of two */
static volatile uint8_t rx_ring[RX_RING_SIZE];
static volatile uint32_t rx_head, rx_tail; /* head: next write (IRQ), tail: next read */
static volatile int rx_throttled;

void early_putc(char c) {
    incident_record(c); /* only while a panic is being reported */
    while (mmio_r32(PL011_BASE + UART_FR) & FR_TXFF) {}
    mmio_w32(PL011_BASE + UART_DR, (uint8_t)c);
}

void early_puts(const char *s) {
    while (*s) early_putc(*s++);
}

void early_put_hex(uint64_t v) {
    early_puts("0x");
    for (int shift = 60; shift >= 0; shift -= 4) early_putc("0123456789abcdef"[(v >> shift) & 15]);
}

void early_put_dec(uint64_t v) {
    char digits[24];
    int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) early_putc(digits[--n]);
}

void uart_enable_rx_interrupt(void) {
    mmio_w32(PL011_BASE + UART_ICR, 0x7ff);
    mmio_w32(PL011_BASE + UART_IMSC, INT_RX | INT_RX_TIMEOUT);
    gic_enable(INTID_UART);
}

/*
 * Moves bytes from the FIFO to the ring until the FIFO is empty or the ring is full.
 * The receive interrupt needs no acknowledge: it drops by itself when the FIFO empties.
 * (Writing UARTICR here would race with a byte arriving after the last read and lose
 * its interrupt.) Runs with IRQs masked.
 */
static void drain_fifo(void) {
    while (!(mmio_r32(PL011_BASE + UART_FR) & FR_RXFE)) {
        uint32_t head = rx_head;
        if (head - rx_tail >= RX_RING_SIZE) {
            /* Ring full: stop taking bytes; they wait in the FIFO, then in QEMU. */
            rx_throttled = 1;
            mmio_w32(PL011_BASE + UART_IMSC, 0);
            return;
        }
        rx_ring[head & (RX_RING_SIZE - 1)] = (uint8_t)mmio_r32(PL011_BASE + UART_DR);
        __asm__ volatile("dmb ish" ::: "memory");
        rx_head = head + 1;
    }
}

void uart_handle_interrupt(void) { drain_fifo(); }

int uart_rx_pop(void) {
    uint32_t tail = rx_tail;
    if (tail == rx_head) return -1;
    __asm__ volatile("dmb ish" ::: "memory");
    int byte = rx_ring[tail & (RX_RING_SIZE - 1)];
    rx_tail = tail + 1;
    if (rx_throttled && rx_head - rx_tail < RX_RING_SIZE / 2) {
        /* Room again: take what waits in the FIFO ourselves, then let interrupts resume. */
        irqs_off();
        rx_throttled = 0;
        mmio_w32(PL011_BASE + UART_IMSC, INT_RX | INT_RX_TIMEOUT);
        drain_fifo();
        irqs_on();
    }
    return byte;
}

int uart_rx_pending(void) { return rx_tail != rx_head; }
