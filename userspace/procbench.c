/*
 * procbench: process costs measured from inside a process (bench proc / procctl bench).
 *   getpid round trip (svc -> kernel -> eret), N = 20000
 *   fork + execve /bin/hello + wait4, N runs (child output to /dev/null)
 *   fork + execve /bin/busybox sh -c true + wait4, N runs
 * Prints JSON lines: {"name":..., "unit":"us", "p50":..., "p99":..., "n":...}.
 * Usage: procbench [N]   (default 20)
 */
#include "sys.h"

#define SYS_openat 56
#define SYS_dup3 24
#define SYS_clock_gettime 113

static u64 now_ns(void) {
    i64 ts[2];
    sys3(SYS_clock_gettime, 1, ts, 0);
    return (u64)ts[0] * 1000000000ull + (u64)ts[1];
}

static void sort(u64 *v, int n) {
    for (int i = 1; i < n; i++) {
        u64 x = v[i]; int j = i - 1;
        while (j >= 0 && v[j] > x) { v[j + 1] = v[j]; j--; }
        v[j + 1] = x;
    }
}

static void report(const char *name, u64 *ns, int n) {
    sort(ns, n);
    u64 p50 = ns[n / 2], p99 = ns[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
    put("{\"name\":\"proc."); put(name); put("\",\"unit\":\"us\",\"p50\":");
    put_dec((i64)(p50 / 1000)); put("."); put_dec((i64)((p50 % 1000) / 100));
    put(",\"p99\":"); put_dec((i64)(p99 / 1000)); put("."); put_dec((i64)((p99 % 1000) / 100));
    put(",\"n\":"); put_dec(n); put("}\n");
}

static u64 samples[256];

static int run(char *const argv[]) {
    i64 pid = sys6(SYS_clone, 17 /* SIGCHLD */, 0, 0, 0, 0, 0);
    if (pid == 0) {
        i64 fd = sys6(SYS_openat, -100, (i64)"/dev/null", 1, 0, 0, 0);
        if (fd >= 0) sys3(SYS_dup3, fd, 1, 0);
        static char *envp[] = {0};
        sys3(SYS_execve, argv[0], argv, envp);
        exit_group(127);
    }
    int status = 0;
    sys6(SYS_wait4, pid, (i64)&status, 0, 0, 0, 0);
    return status;
}

int main(int argc, char **argv, char **envp) {
    (void)envp;
    int n = 20;
    if (argc > 1) { n = 0; for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++) n = n * 10 + (*p - '0'); }
    if (n < 1) n = 1;
    if (n > 256) n = 256;

    /* getpid: 100 batches of 200 calls, per-call time of each batch */
    for (int b = 0; b < 100; b++) {
        u64 t = now_ns();
        for (int i = 0; i < 200; i++) sys3(SYS_getpid, 0, 0, 0);
        samples[b % 256] = (now_ns() - t) / 200;
    }
    put("{\"name\":\"proc.getpid\",\"unit\":\"ns\",\"p50\":");
    sort(samples, 100);
    put_dec((i64)samples[50]); put(",\"p99\":"); put_dec((i64)samples[99]); put(",\"n\":20000}\n");

    static char *hello[] = {"/bin/hello", 0};
    for (int i = 0; i < n; i++) {
        u64 t = now_ns();
        if (run(hello) != 0) { put("procbench: /bin/hello failed\n"); return 1; }
        samples[i] = now_ns() - t;
    }
    report("fork_exec_wait_hello", samples, n);

    static char *sh[] = {"/bin/busybox", "sh", "-c", "true", 0};
    for (int i = 0; i < n; i++) {
        u64 t = now_ns();
        if (run(sh) != 0) { put("procbench: busybox sh -c true failed\n"); return 1; }
        samples[i] = now_ns() - t;
    }
    report("busybox_sh_c_true", samples, n);
    return 0;
}
