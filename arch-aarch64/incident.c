/*
 * Incident reports: the panic report is kept where the next boot finds it (issue 24, bug 11).
 *
 * Every panic path calls incident_begin() before it prints "*** KERNEL PANIC"; from then on
 * early_putc() also copies what it prints into `report`. arch_halt() calls incident_save(),
 * which writes the report to the reserved area of the system disk: the 4 KiB after the end of
 * its ext4 file system (images/system-disk.ts leaves them), whose sector and virtio-mmio slot
 * the kernel registered at boot (platform import incident_area, kernel/platform/incident.ts).
 * The next boot copies it into /incidents/ and clears it.
 *
 * The write cannot trust anything of the kernel that panicked (its heap may be exhausted, the
 * driver's ring half-updated), so it uses no allocation, no interrupts and none of the
 * driver's state: it resets the device and drives it with its own one-request ring in static
 * memory (C statics are identity-mapped, so their addresses are physical), polling for the
 * completion for at most one second.
 */
#include "arch.h"

#define REPORT_BYTES 4096u
#define MAGIC "SISPANIC "

static char report[REPORT_BYTES] __attribute__((aligned(4096)));
static uint32_t report_len;
static int recording, saving;
static uint64_t area_base; /* virtio-mmio register base of the system disk, 0: no area */
static uint64_t area_sector;

/* virtio-mmio registers (virtio 1.x, 4.2.2) and status bits */
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0
#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define QSIZE 4u

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
static struct desc ring_desc[QSIZE] __attribute__((aligned(16)));
static struct { uint16_t flags, idx, ring[QSIZE], used_event; } ring_avail __attribute__((aligned(2)));
static volatile struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSIZE]; uint16_t avail_event; }
    ring_used __attribute__((aligned(4)));
static struct { uint32_t type, reserved; uint64_t sector; } request_header __attribute__((aligned(16)));
static volatile uint8_t request_status;

void incident_set_area(uint64_t mmio_base, uint64_t sector) {
    area_base = mmio_base;
    area_sector = sector;
}

static void append(const char *s) {
    while (*s && report_len < REPORT_BYTES - 1) report[report_len++] = *s++;
}

static void append_dec(uint64_t v) {
    char digits[24];
    int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n && report_len < REPORT_BYTES - 1) report[report_len++] = digits[--n];
}

void incident_begin(void) {
    if (recording) return; /* a panic while reporting a panic: keep the first report */
    recording = 1;
    report_len = 0;
    append(MAGIC);
    /* the PL031 RTC (seconds since 1970) dates the report; 0 when it is not there */
    uint32_t part = mmio_r32(0x09010fe0) & 0xff;
    append_dec(part == 0x31 ? mmio_r32(0x09010000) : 0);
    append("\n");
}

void incident_record(char c) {
    if (recording && !saving && report_len < REPORT_BYTES - 1) report[report_len++] = c;
}

static void reg_w(uint32_t r, uint32_t v) { mmio_w32(area_base + r, v); }
static uint32_t reg_r(uint32_t r) { return mmio_r32(area_base + r); }
static void reg_w64(uint32_t r, uint64_t v) { reg_w(r, (uint32_t)v); reg_w(r + 4, (uint32_t)(v >> 32)); }

/* Writes the report to the reserved area; returns 0, or a short reason. */
static const char *write_report(void) {
    if (reg_r(R_MAGIC) != 0x74726976 || reg_r(R_VERSION) != 2 || reg_r(R_DEVICE_ID) != 2) return "no virtio-blk there";
    for (uint32_t i = report_len; i < REPORT_BYTES; i++) report[i] = 0;
    reg_w(R_STATUS, 0); /* reset: the device forgets the driver's rings */
    uint64_t deadline = arch_counter() + arch_counter_frequency(); /* 1 s for each wait */
    while (reg_r(R_STATUS) != 0) {
        if (arch_counter() > deadline) return "device did not reset";
    }
    reg_w(R_STATUS, S_ACK);
    reg_w(R_STATUS, S_ACK | S_DRIVER);
    reg_w(R_DRIVER_FEATURES_SEL, 0);
    reg_w(R_DRIVER_FEATURES, 0);
    reg_w(R_DRIVER_FEATURES_SEL, 1);
    reg_w(R_DRIVER_FEATURES, 1); /* VERSION_1 (bit 32) only */
    reg_w(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    if (!(reg_r(R_STATUS) & S_FEATURES_OK)) return "features refused";
    reg_w(R_QUEUE_SEL, 0);
    if (reg_r(R_QUEUE_NUM_MAX) < QSIZE) return "queue too small";
    reg_w(R_QUEUE_NUM, QSIZE);
    ring_avail.flags = 1; /* no interrupt wanted */
    ring_avail.idx = 0;
    ring_used.idx = 0;
    reg_w64(R_QUEUE_DESC, (uint64_t)ring_desc);
    reg_w64(R_QUEUE_DRIVER, (uint64_t)&ring_avail);
    reg_w64(R_QUEUE_DEVICE, (uint64_t)&ring_used);
    reg_w(R_QUEUE_READY, 1);
    reg_w(R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);

    request_header.type = 1; /* VIRTIO_BLK_T_OUT */
    request_header.reserved = 0;
    request_header.sector = area_sector;
    request_status = 0xff;
    ring_desc[0] = (struct desc){ (uint64_t)&request_header, 16, 1, 1 };         /* NEXT */
    ring_desc[1] = (struct desc){ (uint64_t)report, REPORT_BYTES, 1, 2 };         /* NEXT */
    ring_desc[2] = (struct desc){ (uint64_t)&request_status, 1, 2, 0 };           /* WRITE */
    ring_avail.ring[0] = 0;
    __asm__ volatile("dsb sy" ::: "memory");
    ring_avail.idx = 1;
    __asm__ volatile("dsb sy" ::: "memory");
    reg_w(R_QUEUE_NOTIFY, 0);
    deadline = arch_counter() + arch_counter_frequency();
    while (ring_used.idx == 0) {
        if (arch_counter() > deadline) return "no completion within 1 s";
    }
    __asm__ volatile("dsb sy" ::: "memory");
    return request_status == 0 ? 0 : "device error";
}

void incident_save(void) {
    if (!recording || saving) return;
    saving = 1;
    if (!area_base) {
        early_puts("*** incident report not saved: no reserved area on the system disk\r\n");
        return;
    }
    const char *why = write_report();
    if (why) {
        early_puts("*** incident report not saved: ");
        early_puts(why);
        early_puts("\r\n");
    } else {
        early_puts("*** incident report saved to the system disk (sector ");
        early_put_dec(area_sector);
        early_puts("); the next boot stores it in /incidents/\r\n");
    }
}
