/*
 * glibc-hostile: a program that does what a hostile or broken program does, each case in its own
 * child so one case cannot hide another. The kernel must end only the offending child, with the
 * right signal, refuse impossible requests with an error, and stop a fork bomb at its process
 * limit. Prints one line per case and "hostile: K/N as expected"; exits 0 only when all were.
 * Usage: glibc-hostile [CASE]   (default: all cases)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion" /* the stack case recurses on purpose */
#pragma GCC diagnostic ignored "-Warray-bounds"       /* so do the wild pointers */

static int total, expected;

static void wild_read(void) { volatile int *p = (int *)0x10; (void)*p; }
static void kernel_read(void) { volatile uint64_t *p = (uint64_t *)0xffff000000100000ull; (void)*p; }
static void kernel_write(void) { volatile uint64_t *p = (uint64_t *)0xffff000040000000ull; *p = 1; }
static void kernel_jump(void) { void (*f)(void) = (void (*)(void))0xffff000000080000ull; f(); }
/*
 * SIS's own kernel lives in the same translation tables as the process (arch-aarch64/mmu.c):
 * RAM from 0x4000_0000 (kernel code, stack), the devices at 0x8_0000_0000 (the PL011 at
 * +0x0900_0000) and the wasm linear window at 0x10_0000_0000. All of it is EL1-only and
 * EL0-execute-never, so each access must end the child.
 */
static void sis_ram_write(void) { *(volatile uint64_t *)0x40080000ull = 1; }
static void sis_device_read(void) { (void)*(volatile uint32_t *)0x809000018ull; }
static void sis_device_write(void) { *(volatile uint32_t *)0x809000000ull = 'X'; }
static void sis_linear_read(void) { (void)*(volatile uint64_t *)0x1000000000ull; }
static void sis_linear_write(void) { *(volatile uint64_t *)0x1000001000ull = 1; }
static void sis_ram_jump(void) { ((void (*)(void))0x40080000ull)(); }
/* a page used, then unmapped: the TLB must not keep the old translation */
static void unmapped_touch(void) {
    volatile char *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    m[0] = 1;
    munmap((void *)m, 4096);
    m[0] = 2;
}
static void readonly_write(void) {
    char *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    m[0] = 1;
    mprotect(m, 4096, PROT_READ);
    ((volatile char *)m)[0] = 2;
}
static void code_write(void) { *(volatile uint32_t *)(uintptr_t)&wild_read = 0; }
static int depth(int n) { volatile char pad[4096]; pad[0] = (char)n; return depth(n + 1) + pad[0]; }
static void stack_overflow(void) { depth(0); }
static void bad_instruction(void) { __asm__ volatile(".inst 0x00000000"); }

/* Runs fn in a child and checks that the child died of the signal `sig`. */
static void expect_signal(const char *name, void (*fn)(void), int sig) {
    total++;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) { fn(); _exit(0); }
    int status = 0;
    waitpid(pid, &status, 0);
    int ok = WIFSIGNALED(status) && WTERMSIG(status) == sig;
    expected += ok;
    if (WIFSIGNALED(status)) printf("%-16s killed by signal %d (want %d): %s\n", name, WTERMSIG(status), sig, ok ? "ok" : "WRONG");
    else printf("%-16s exited %d (want signal %d): WRONG\n", name, WEXITSTATUS(status), sig);
}

static void expect_true(const char *name, int ok, const char *what) {
    total++;
    expected += ok;
    printf("%-16s %s: %s\n", name, what, ok ? "ok" : "WRONG");
}

/*
 * Parent and child write the same addresses (a global, a heap page, the stack) in turns,
 * switching through a pipe each round: each must keep seeing only its own values (the TLB
 * must not carry one process's translations into the other).
 */
static volatile long shared_global;
static int fork_isolation(void) {
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent)) return 0;
    volatile long *heap = malloc(64 * 1024);
    volatile long local = 0;
    shared_global = 1; heap[0] = 1; heap[8000] = 1; local = 1;
    pid_t pid = fork();
    if (pid < 0) return 0;
    int in = pid == 0 ? to_child[0] : to_parent[0], out = pid == 0 ? to_parent[1] : to_child[1];
    long expect = 1; /* the copy fork made; then the parent writes 2, 4, ..., the child 3, 5, ... */
    int bad = 0;
    char c = 0;
    for (int round = 0; round < 20; round++) {
        if (pid == 0 || round > 0) if (read(in, &c, 1) != 1) { bad = 1; break; }
        if (shared_global != expect || heap[0] != expect || heap[8000] != expect || local != expect) bad = 1;
        expect = expect == 1 ? (pid == 0 ? 3 : 2) : expect + 2;
        shared_global = expect; heap[0] = expect; heap[8000] = expect; local = expect;
        if (write(out, &c, 1) != 1) { bad = 1; break; }
    }
    if (pid == 0) _exit(bad);
    int status = 0;
    close(to_child[1]);
    waitpid(pid, &status, 0);
    return !bad && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* The fork bomb: every process forks until fork fails, and its children do the same, until the
 * parent (the only holder of the pipe's write end) sees the limit itself and closes the pipe. Each
 * process then reaps its children and exits with the size of its subtree (| 128 when fork failed
 * with EAGAIN somewhere in it). */
static int release_fd = -1; /* read end, non-blocking: read() == 0 once the parent closed its end */
static int released(void) { char c; return read(release_fd, &c, 1) == 0; }

static int bomb(void) {
    int count = 1, limited = 0, n = 0;
    pid_t kids[64];
    while (n < 64 && !released()) {
        pid_t pid = fork();
        if (pid < 0) { limited = errno == EAGAIN; break; }
        if (pid == 0) _exit(bomb());
        kids[n++] = pid;
    }
    struct timespec nap = {0, 5 * 1000 * 1000};
    while (!released()) nanosleep(&nap, 0);
    for (int i = 0; i < n; i++) {
        int status = 0;
        waitpid(kids[i], &status, 0);
        int sub = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
        if (sub & 128) limited = 1;
        count += sub & 127;
    }
    if (count > 127) count = 127;
    return count | (limited ? 128 : 0);
}

static void fork_bomb(void) {
    int p[2];
    if (pipe2(p, O_NONBLOCK) != 0) { perror("pipe2"); return; }
    release_fd = p[0];
    fflush(stdout);
    pid_t root = fork();
    if (root == 0) { close(p[1]); _exit(bomb()); }
    /* the parent watches for the limit with a trivial fork every 20 ms, for at most 20 s */
    int seen_limit = 0;
    struct timespec nap = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 1000 && !seen_limit; i++) {
        nanosleep(&nap, 0);
        pid_t probe = fork();
        if (probe == 0) _exit(0);
        if (probe < 0) seen_limit = errno == EAGAIN;
        else waitpid(probe, 0, 0);
    }
    close(p[1]);
    int status = 0;
    waitpid(root, &status, 0);
    close(p[0]);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    int limited = seen_limit && code >= 0 && (code & 128);
    printf("forkbomb         %d processes, limit %s\n", code >= 0 ? code & 127 : 0,
           limited ? "reached (EAGAIN)" : "never reached");
    expect_true("forkbomb", limited, "stopped by the process limit, every process reaped");
    int none = waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD;
    expect_true("reaped", none, "no child left behind");
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : 0;
#define RUN(name) (!only || !strcmp(only, name))
    if (RUN("null")) expect_signal("null", wild_read, SIGSEGV);
    if (RUN("kernel-read")) expect_signal("kernel-read", kernel_read, SIGSEGV);
    if (RUN("kernel-write")) expect_signal("kernel-write", kernel_write, SIGSEGV);
    if (RUN("kernel-jump")) expect_signal("kernel-jump", kernel_jump, SIGSEGV);
    if (RUN("sis-ram-write")) expect_signal("sis-ram-write", sis_ram_write, SIGSEGV);
    if (RUN("sis-ram-jump")) expect_signal("sis-ram-jump", sis_ram_jump, SIGSEGV);
    if (RUN("sis-dev-read")) expect_signal("sis-dev-read", sis_device_read, SIGSEGV);
    if (RUN("sis-dev-write")) expect_signal("sis-dev-write", sis_device_write, SIGSEGV);
    if (RUN("sis-lin-read")) expect_signal("sis-lin-read", sis_linear_read, SIGSEGV);
    if (RUN("sis-lin-write")) expect_signal("sis-lin-write", sis_linear_write, SIGSEGV);
    if (RUN("unmapped")) expect_signal("unmapped", unmapped_touch, SIGSEGV);
    if (RUN("fork-isolation")) expect_true("fork-isolation", fork_isolation(), "parent and child see only their own writes");
    if (RUN("readonly")) expect_signal("readonly", readonly_write, SIGSEGV);
    if (RUN("code-write")) expect_signal("code-write", code_write, SIGSEGV);
    if (RUN("stack")) expect_signal("stack", stack_overflow, SIGSEGV);
    if (RUN("badinsn")) expect_signal("badinsn", bad_instruction, SIGILL);
    if (RUN("huge-brk")) {
        void *before = sbrk(0);
        int refused = sbrk((intptr_t)1 << 40) == (void *)-1 && errno == ENOMEM && sbrk(0) == before;
        expect_true("huge-brk", refused, "sbrk(1 TiB) refused with ENOMEM");
    }
    if (RUN("huge-mmap")) {
        void *m = mmap(0, (size_t)1 << 45, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        expect_true("huge-mmap", m == MAP_FAILED && errno == ENOMEM, "mmap(32 TiB) refused with ENOMEM");
    }
    if (RUN("forkbomb")) fork_bomb();
    printf("hostile: %d/%d as expected\n", expected, total);
    return expected == total ? 0 : 1;
}
