/*
 * GICv2 distributor and CPU interface (QEMU virt default, GICD 0x08000000, GICC 0x08010000).
 *
 * UEFI disables the GIC at ExitBootServices; we re-enable it with every interrupt
 * disabled, then enable exactly the ones we handle: the virtual timer (PPI 27), the
 * PL011 (SPI 1) and, on the kernel's request, the virtio-mmio slots (SPI 16..47).
 * Everything is group 0, priority 0xa0, routed to CPU 0, level-triggered.
 */
#include "arch.h"

#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_ICACTIVER 0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00
#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_BPR 0x008
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010
#define GICC_RPR 0x014
#define GICC_APR0 0x0d0
#define GICC_IDLE_PRIORITY 0xff

static uint32_t gic_lines;

/*
 * A warm reset (QEMU's system_reset, which the crash tests use as a power cut) taken while an
 * interrupt was active can leave the CPU interface's running priority at that interrupt's
 * level with nothing active (seen: GICC_RPR 0xa0, GICD_ISACTIVER all 0). Then no interrupt of
 * our priority is ever signalled: no timer tick, no input, no disk completion, and the kernel
 * sleeps in wfi for good. Clearing the active-priority registers and one end-of-interrupt
 * return it to idle. A cold boot finds it idle and does nothing here.
 */
static void gic_drop_stale_priority(void) {
    uint32_t stale = mmio_r32(GICC_BASE + GICC_RPR);
    if (stale == GICC_IDLE_PRIORITY) return;
    early_puts("gic: running priority ");
    early_put_hex(stale);
    early_puts(" left by a warm reset with nothing active: dropped\r\n");
    for (int tries = 0; tries < 4 && mmio_r32(GICC_BASE + GICC_RPR) != GICC_IDLE_PRIORITY; tries++) {
        for (uint32_t r = 0; r < 4; r++) mmio_w32(GICC_BASE + GICC_APR0 + 4 * r, 0);
        mmio_w32(GICC_BASE + GICC_EOIR, INTID_VIRTUAL_TIMER); /* any valid ID: it drops the priority */
    }
}

void gic_init(void) {
    mmio_w32(GICD_BASE + GICD_CTLR, 0);
    gic_lines = 32 * ((mmio_r32(GICD_BASE + GICD_TYPER) & 0x1f) + 1);
    for (uint32_t i = 0; i < gic_lines; i += 32) {
        mmio_w32(GICD_BASE + GICD_ICENABLER + i / 8, 0xffffffffu);
        mmio_w32(GICD_BASE + GICD_ICPENDR + i / 8, 0xffffffffu);
        mmio_w32(GICD_BASE + GICD_ICACTIVER + i / 8, 0xffffffffu);
    }
    for (uint32_t i = 0; i < gic_lines; i += 4) mmio_w32(GICD_BASE + GICD_IPRIORITYR + i, 0xa0a0a0a0u);
    for (uint32_t i = 32; i < gic_lines; i += 4) mmio_w32(GICD_BASE + GICD_ITARGETSR + i, 0x01010101u);
    for (uint32_t i = 32; i < gic_lines; i += 16) mmio_w32(GICD_BASE + GICD_ICFGR + i / 4, 0); /* level */
    mmio_w32(GICD_BASE + GICD_CTLR, 1);
    mmio_w32(GICC_BASE + GICC_PMR, 0xf0);
    mmio_w32(GICC_BASE + GICC_BPR, 0);
    mmio_w32(GICC_BASE + GICC_CTLR, 1);
    gic_drop_stale_priority();
}

void gic_enable(uint32_t intid) {
    if (intid < gic_lines) mmio_w32(GICD_BASE + GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

void gic_disable(uint32_t intid) {
    if (intid < gic_lines) mmio_w32(GICD_BASE + GICD_ICENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

uint32_t gic_acknowledge(void) { return mmio_r32(GICC_BASE + GICC_IAR); }

void gic_end(uint32_t iar) { mmio_w32(GICC_BASE + GICC_EOIR, iar); }
