/*
 * Raw Linux aarch64 system calls for our small test programs (no libc): built with
 * clang --target=aarch64-linux-gnu -nostdlib -static by toolchain/userspace.ts.
 */
#ifndef SIS_USER_SYS_H
#define SIS_USER_SYS_H

typedef unsigned long u64;
typedef long i64;

static inline i64 sys6(i64 n, i64 a, i64 b, i64 c, i64 d, i64 e, i64 f) {
    register i64 x8 __asm__("x8") = n;
    register i64 x0 __asm__("x0") = a;
    register i64 x1 __asm__("x1") = b;
    register i64 x2 __asm__("x2") = c;
    register i64 x3 __asm__("x3") = d;
    register i64 x4 __asm__("x4") = e;
    register i64 x5 __asm__("x5") = f;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
}
#define sys3(n, a, b, c) sys6(n, (i64)(a), (i64)(b), (i64)(c), 0, 0, 0)

#define SYS_write 64
#define SYS_exit_group 94
#define SYS_getpid 172
#define SYS_getppid 173
#define SYS_brk 214
#define SYS_mmap 222
#define SYS_clone 220
#define SYS_execve 221
#define SYS_wait4 260

static inline u64 str_len(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static inline void put(const char *s) { sys3(SYS_write, 1, s, str_len(s)); }
static inline void put_dec(i64 v) {
    char buf[24]; int i = 23; buf[i] = 0;
    int neg = v < 0; u64 u = neg ? (u64)-v : (u64)v;
    do { buf[--i] = (char)('0' + u % 10); u /= 10; } while (u);
    if (neg) buf[--i] = '-';
    put(buf + i);
}
static inline void put_hex(u64 v) {
    char buf[19]; int i = 18; buf[i] = 0;
    do { buf[--i] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
    buf[--i] = 'x'; buf[--i] = '0';
    put(buf + i);
}
static inline __attribute__((noreturn)) void exit_group(int code) {
    sys3(SYS_exit_group, code, 0, 0);
    for (;;) {}
}

/* The entry: the kernel's initial stack has argc at sp, argv after it (see kernel/proc/stack.ts). */
int main(int argc, char **argv, char **envp);
__attribute__((naked, noreturn)) void _start(void) {
    __asm__ volatile(
        "ldr x0, [sp]\n"
        "add x1, sp, #8\n"
        "add x2, x1, x0, lsl #3\n"
        "add x2, x2, #8\n"
        "bl start_c\n");
}
__attribute__((used, noreturn)) static void start_c(int argc, char **argv, char **envp) {
    exit_group(main(argc, argv, envp));
}
#endif
