/*
 * iobench: the Linux side of `make bench-linux`. A static aarch64 program (raw system calls,
 * userspace/sys.h, no libc) that times block and ext4 operations in-process with the virtual
 * counter (cntvct_el0, which Linux lets EL0 read), so a process start (~5 ms under TCG) is
 * never part of a figure. Each command prints one JSON line:
 *   {"name":..., "unit":..., "value":..., "p50_us":..., "p99_us":..., "n":...}
 *
 *   iobench seq DEV read|write KIB MIB    O_DIRECT pread/pwrite of KIB requests, queue depth 1, no
 *                                         flush (as SIS's blkctl bench): MB/s
 *   iobench rand DEV QD COUNT             O_DIRECT 4 KiB random reads, QD requests in flight
 *                                         through Linux AIO (io_submit/io_getevents): IOPS
 *   iobench create DIR COUNT              COUNT files created with one small write each, then sync(): s
 *   iobench write PATH MIB                1 MiB writes then fsync: MB/s
 *   iobench fsync PATH COUNT              4 KiB append then fsync, COUNT times; the fsync timed: ms p50
 * The same definitions as SIS's `bench fs` and `blkctl bench` (kernel/shell/commands/).
 */
#include "../../userspace/sys.h"

#define SYS_io_setup 0
#define SYS_io_submit 2
#define SYS_io_getevents 4
#define SYS_mkdirat 34
#define SYS_unlinkat 35
#define SYS_openat 56
#define SYS_close 57
#define SYS_pread64 67
#define SYS_pwrite64 68
#define SYS_sync 81
#define SYS_fsync 82
#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_DIRECT 0200000 /* arm64's value */
#define AT_REMOVEDIR 0x200

#define MAX_SAMPLES 65536
static u64 samples[MAX_SAMPLES];

static inline u64 ticks(void) {
    u64 v;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
    return v;
}
static u64 freq(void) {
    u64 v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}
static u64 ticks_to_ns(u64 t) { return t * 1000000000ull / freq(); }

static int str_eq(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}
static i64 to_int(const char *s) {
    i64 v = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}
/* clang may lower array initialisers to these calls; there is no libc */
void *memset(void *d, int c, unsigned long n) { char *p = d; while (n--) *p++ = (char)c; return d; }
void *memcpy(void *d, const void *s, unsigned long n) { char *p = d; const char *q = s; while (n--) *p++ = *q++; return d; }

/* fixed point with 3 decimals; value is in thousandths */
static void put_milli(u64 milli) {
    put_dec((i64)(milli / 1000));
    put(".");
    char d[4] = {(char)('0' + milli / 100 % 10), (char)('0' + milli / 10 % 10), (char)('0' + milli % 10), 0};
    put(d);
}
static void *map(u64 bytes) {
    i64 p = sys6(SYS_mmap, 0, (i64)bytes, 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
    return p < 0 && p > -4096 ? 0 : (void *)p;
}
static void fail(const char *what, i64 err) {
    put("error: "); put(what); put(": errno "); put_dec(-err); put("\n");
    exit_group(1);
}

/* Shell sort: n is at most MAX_SAMPLES and this runs outside the timed part. */
static void sort(u64 *a, u64 n) {
    for (u64 gap = n / 2; gap > 0; gap /= 2)
        for (u64 i = gap; i < n; i++) {
            u64 v = a[i], j = i;
            for (; j >= gap && a[j - gap] > v; j -= gap) a[j] = a[j - gap];
            a[j] = v;
        }
}
/* nearest rank, as bench/lib.ts percentile() */
static u64 pct(u64 *sorted, u64 n, u64 p) {
    u64 rank = (p * n + 99) / 100;
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}
/* value_milli: the figure in thousandths of `unit`; latencies from samples[0..n) in ticks */
static void report(const char *name, const char *unit, u64 value_milli, u64 n) {
    for (u64 i = 0; i < n; i++) samples[i] = ticks_to_ns(samples[i]);
    sort(samples, n);
    put("{\"name\":\""); put(name); put("\",\"unit\":\""); put(unit); put("\",\"value\":"); put_milli(value_milli);
    if (n > 0) {
        put(",\"p50_us\":"); put_milli(pct(samples, n, 50));
        put(",\"p99_us\":"); put_milli(pct(samples, n, 99));
    }
    put(",\"n\":"); put_dec((i64)n); put("}\n");
}
/* bytes per elapsed ticks as MB/s (10^6 bytes), in thousandths */
static u64 mbps_milli(u64 bytes, u64 elapsed) {
    u64 ns = ticks_to_ns(elapsed);
    return ns ? bytes * 1000000ull / ns : 0; /* bytes/ns * 1e3 = MB/s; *1e3 more for milli */
}

static int cmd_seq(const char *dev, int write, u64 kib, u64 mib) {
    i64 fd = sys6(SYS_openat, AT_FDCWD, (i64)dev, (write ? O_RDWR : O_RDONLY) | O_DIRECT, 0, 0, 0);
    if (fd < 0) fail(dev, fd);
    u64 bs = kib * 1024, count = (mib << 20) / bs;
    if (count > MAX_SAMPLES) count = MAX_SAMPLES;
    char *buf = map(bs);
    for (u64 i = 0; i < bs; i++) buf[i] = (char)(i * 31);
    u64 t0 = ticks();
    for (u64 i = 0; i < count; i++) {
        u64 s = ticks();
        i64 n = sys6(write ? SYS_pwrite64 : SYS_pread64, fd, (i64)buf, (i64)bs, (i64)(i * bs), 0, 0);
        if (n != (i64)bs) fail(write ? "pwrite" : "pread", n < 0 ? n : -5);
        samples[i] = ticks() - s;
    }
    /* no flush at the end: SIS's blkctl bench does not send one either */
    u64 t1 = ticks();
    sys3(SYS_close, fd, 0, 0);
    char name[64] = "linux.seq_";
    const char *rw = write ? "write_" : "read_";
    u64 k = 10;
    for (const char *p = rw; *p; p++) name[k++] = *p;
    const char *sz = kib >= 1024 ? "1m" : "128k";
    if (kib != 1024 && kib != 128) sz = "other";
    for (const char *p = sz; *p; p++) name[k++] = *p;
    name[k] = 0;
    report(name, "MB/s", mbps_milli(count * bs, t1 - t0), count);
    return 0;
}

struct iocb {
    u64 aio_data;
    unsigned aio_key;
    int aio_rw_flags;
    unsigned short aio_lio_opcode;
    short aio_reqprio;
    unsigned aio_fildes;
    u64 aio_buf, aio_nbytes;
    i64 aio_offset;
    u64 aio_reserved2;
    unsigned aio_flags, aio_resfd;
};
struct io_event { u64 data, obj; i64 res, res2; };

static u64 rng = 0x9e3779b97f4a7c15ull;
static u64 next_random(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static int cmd_rand(const char *dev, u64 qd, u64 count) {
    if (qd < 1 || qd > 256 || count > MAX_SAMPLES) fail("rand: qd 1..256, count <= 65536", -22);
    i64 fd = sys6(SYS_openat, AT_FDCWD, (i64)dev, O_RDONLY | O_DIRECT, 0, 0, 0);
    if (fd < 0) fail(dev, fd);
    /* device size: the last readable 4 KiB block found by binary search would cost reads; the
       host passes a 128 MiB scratch disk, so the first 128 MiB are used as SIS's bench does */
    u64 blocks = (128ull << 20) / 4096;
    char *bufs = map(qd * 4096);
    struct iocb *cbs = map(qd * sizeof(struct iocb));
    struct iocb **ptrs = map(qd * sizeof(void *));
    struct io_event *events = map(qd * sizeof(struct io_event));
    u64 *started = map(qd * sizeof(u64));
    u64 ctx = 0;
    i64 e = sys3(SYS_io_setup, qd, &ctx, 0);
    if (e < 0) fail("io_setup", e);
    u64 submitted = 0, done = 0;
    u64 t0 = ticks();
    for (u64 slot = 0; slot < qd && submitted < count; slot++, submitted++) {
        struct iocb *cb = &cbs[slot];
        cb->aio_key = 0; cb->aio_rw_flags = 0; cb->aio_reqprio = 0; cb->aio_reserved2 = 0;
        cb->aio_flags = 0; cb->aio_resfd = 0;
        cb->aio_data = slot; cb->aio_lio_opcode = 0; /* IOCB_CMD_PREAD */ cb->aio_fildes = (unsigned)fd;
        cb->aio_buf = (u64)(bufs + slot * 4096); cb->aio_nbytes = 4096;
        cb->aio_offset = (i64)((next_random() % blocks) * 4096);
        ptrs[slot] = cb;
        started[slot] = ticks();
    }
    e = sys3(SYS_io_submit, ctx, submitted, ptrs);
    if (e != (i64)submitted) fail("io_submit", e < 0 ? e : -5);
    while (done < count) {
        i64 got = sys6(SYS_io_getevents, (i64)ctx, 1, (i64)qd, (i64)events, 0, 0);
        if (got < 0) fail("io_getevents", got);
        u64 now = ticks(), refill = 0;
        for (i64 i = 0; i < got; i++) {
            u64 slot = events[i].data;
            if (events[i].res != 4096) fail("aio read", events[i].res < 0 ? events[i].res : -5);
            samples[done++] = now - started[slot];
            if (submitted < count) {
                struct iocb *cb = &cbs[slot];
                cb->aio_offset = (i64)((next_random() % blocks) * 4096);
                started[slot] = ticks();
                ptrs[refill++] = cb;
                submitted++;
            }
        }
        if (refill) {
            e = sys3(SYS_io_submit, ctx, refill, ptrs);
            if (e != (i64)refill) fail("io_submit", e < 0 ? e : -5);
        }
    }
    u64 t1 = ticks();
    u64 iops_milli = count * 1000000000000ull / ticks_to_ns(t1 - t0);
    report(qd == 1 ? "linux.rand_read_4k_qd1" : "linux.rand_read_4k_qdN", "IOPS", iops_milli, count);
    return 0;
}

static void join(char *out, const char *dir, const char *leaf, u64 num) {
    u64 k = 0;
    for (; *dir; dir++) out[k++] = *dir;
    out[k++] = '/';
    for (; *leaf; leaf++) out[k++] = *leaf;
    if (num != (u64)-1) {
        char d[24]; int i = 23; d[i] = 0;
        do { d[--i] = (char)('0' + num % 10); num /= 10; } while (num);
        for (char *p = d + i; *p; p++) out[k++] = *p;
    }
    out[k] = 0;
}

static int cmd_create(const char *dir, u64 count) {
    static const char text[] = "a small file of the create benchmark\n";
    char sub[256], path[300];
    join(sub, dir, "bench-create", (u64)-1);
    i64 e = sys3(SYS_mkdirat, AT_FDCWD, sub, 0755);
    if (e < 0) fail(sub, e);
    if (count > MAX_SAMPLES) count = MAX_SAMPLES;
    u64 t0 = ticks();
    for (u64 i = 0; i < count; i++) {
        u64 s = ticks();
        join(path, sub, "f", i);
        i64 fd = sys6(SYS_openat, AT_FDCWD, (i64)path, O_WRONLY | O_CREAT | O_EXCL, 0644, 0, 0);
        if (fd < 0) fail(path, fd);
        i64 n = sys3(SYS_write, fd, text, sizeof text - 1);
        sys3(SYS_close, fd, 0, 0);
        if (n < 0) fail("write", n);
        samples[i] = ticks() - s;
    }
    sys3(SYS_sync, 0, 0, 0);
    u64 t1 = ticks();
    report("linux.create_files_sync", "s", ticks_to_ns(t1 - t0) / 1000000, count);
    for (u64 i = 0; i < count; i++) { join(path, sub, "f", i); sys3(SYS_unlinkat, AT_FDCWD, path, 0); }
    sys3(SYS_unlinkat, AT_FDCWD, sub, AT_REMOVEDIR);
    sys3(SYS_sync, 0, 0, 0);
    return 0;
}

static int cmd_write(const char *path, u64 mib) {
    u64 chunk = 1 << 20;
    unsigned *buf = map(chunk);
    for (u64 i = 0; i < chunk / 4; i++) buf[i] = (unsigned)(i * 4 * 2654435761u);
    i64 fd = sys6(SYS_openat, AT_FDCWD, (i64)path, O_WRONLY | O_CREAT | O_TRUNC, 0644, 0, 0);
    if (fd < 0) fail(path, fd);
    u64 t0 = ticks();
    for (u64 m = 0; m < mib; m++) {
        i64 n = sys3(SYS_write, fd, buf, chunk);
        if (n != (i64)chunk) fail("write", n < 0 ? n : -28);
    }
    i64 e = sys3(SYS_fsync, fd, 0, 0);
    u64 t1 = ticks();
    if (e < 0) fail("fsync", e);
    sys3(SYS_close, fd, 0, 0);
    sys3(SYS_unlinkat, AT_FDCWD, path, 0);
    sys3(SYS_sync, 0, 0, 0);
    report("linux.write_sequential_sync", "MB/s", mbps_milli(mib * chunk, t1 - t0), 0);
    return 0;
}

static int cmd_fsync(const char *path, u64 count) {
    char *buf = map(4096);
    for (int i = 0; i < 4096; i++) buf[i] = 0x5a;
    i64 fd = sys6(SYS_openat, AT_FDCWD, (i64)path, O_WRONLY | O_CREAT | O_TRUNC, 0644, 0, 0);
    if (fd < 0) fail(path, fd);
    if (count > MAX_SAMPLES) count = MAX_SAMPLES;
    for (u64 i = 0; i < count; i++) {
        i64 n = sys3(SYS_write, fd, buf, 4096);
        if (n != 4096) fail("write", n < 0 ? n : -28);
        u64 s = ticks();
        i64 e = sys3(SYS_fsync, fd, 0, 0);
        samples[i] = ticks() - s;
        if (e < 0) fail("fsync", e);
    }
    sys3(SYS_close, fd, 0, 0);
    sys3(SYS_unlinkat, AT_FDCWD, path, 0);
    /* value: the p50 in ms, as the compare row wants it; p50_us/p99_us carry the detail */
    u64 n = count;
    for (u64 i = 0; i < n; i++) samples[i] = ticks_to_ns(samples[i]);
    sort(samples, n);
    u64 p50_ns = pct(samples, n, 50);
    for (u64 i = 0; i < n; i++) samples[i] = samples[i] * freq() / 1000000000ull; /* back to ticks for report() */
    report("linux.append_fsync_p50", "ms", p50_ns / 1000, n);
    return 0;
}

int main(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc >= 6 && str_eq(argv[1], "seq")) {
        int write = str_eq(argv[3], "write");
        i64 kib = to_int(argv[4]), mib = to_int(argv[5]);
        if ((!write && !str_eq(argv[3], "read")) || kib < 1 || mib < 1) goto usage;
        return cmd_seq(argv[2], write, (u64)kib, (u64)mib);
    }
    if (argc >= 5 && str_eq(argv[1], "rand")) {
        i64 qd = to_int(argv[3]), count = to_int(argv[4]);
        if (qd < 1 || count < 1) goto usage;
        return cmd_rand(argv[2], (u64)qd, (u64)count);
    }
    if (argc >= 4 && str_eq(argv[1], "create")) {
        i64 count = to_int(argv[3]);
        if (count < 1) goto usage;
        return cmd_create(argv[2], (u64)count);
    }
    if (argc >= 4 && str_eq(argv[1], "write")) {
        i64 mib = to_int(argv[3]);
        if (mib < 1) goto usage;
        return cmd_write(argv[2], (u64)mib);
    }
    if (argc >= 4 && str_eq(argv[1], "fsync")) {
        i64 count = to_int(argv[3]);
        if (count < 1) goto usage;
        return cmd_fsync(argv[2], (u64)count);
    }
usage:
    put("error: usage: iobench seq DEV read|write KIB MIB | rand DEV QD COUNT | create DIR COUNT | write PATH MIB | fsync PATH COUNT\n");
    return 2;
}
