/*
 * glibc-syscalls: system call conformance, judged by Linux's own semantics. Every check calls one
 * system call (through glibc or syscall(2)) and compares its return value and errno with what Linux
 * 6.1 gives, so the same binary can be run on a Linux guest to validate the expectations themselves.
 * Bad pointers must give EFAULT, never a fault. Prints one line per failing check and a summary
 * "syscalls: P passed, F failed"; exits 0 only when nothing failed.
 * Usage: glibc-syscalls [DIR]   works under DIR/sc.PID (default /tmp), removes it afterwards.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;
static int verbose;

/* expect(name, result, want_result, want_errno): want_errno 0 means "no error expected". */
static void expect(const char *name, long got, long want, int want_errno) {
    int err = errno;
    int good = want_errno ? (got == -1 && err == want_errno) : (got == want);
    if (good) {
        passed++;
        if (verbose) printf("ok   %s\n", name);
    } else {
        failed++;
        if (want_errno) printf("FAIL %s: got %ld (errno %d %s), want -1 errno %d %s\n", name, got, err,
                               strerror(err), want_errno, strerror(want_errno));
        else printf("FAIL %s: got %ld (errno %d %s), want %ld\n", name, got, err, strerror(err), want);
    }
    errno = 0;
}

static void check(const char *name, int cond) { expect(name, cond ? 1 : 0, 1, 0); }

#define BAD_PTR ((void *)1)                       /* unmapped page 0 */
#define KERNEL_PTR ((void *)0xffff000000100000ull) /* kernel half: never reachable from EL0 */

int main(int argc, char **argv) {
    const char *base = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v")) verbose = 1;
        else base = argv[i];
    }
    if (!strcmp(base, "/")) base = ""; /* "/sc.PID", not "//sc.PID": getcwd gives the plain form */
    char dir[256], file[300], file2[300], slink[300], sub[300], buf[4096];
    snprintf(dir, sizeof dir, "%s/sc.%d", base, (int)getpid());
    snprintf(file, sizeof file, "%s/a", dir);
    snprintf(file2, sizeof file2, "%s/b", dir);
    snprintf(slink, sizeof slink, "%s/l", dir);
    snprintf(sub, sizeof sub, "%s/d", dir);
    signal(SIGPIPE, SIG_IGN);

    /* identity */
    check("getpid > 0", getpid() > 0);
    check("getppid >= 0", getppid() >= 0);
    check("gettid == getpid", syscall(SYS_gettid) == getpid());
    expect("getuid", getuid(), 0, 0);
    struct utsname u;
    expect("uname", uname(&u), 0, 0);
    check("uname machine aarch64", !strcmp(u.machine, "aarch64"));
    expect("uname(bad)", syscall(SYS_uname, BAD_PTR), -1, EFAULT);
    expect("unknown syscall 1000", syscall(1000), -1, ENOSYS);

    /* write / read on descriptors */
    expect("write len 0", write(1, "", 0), 0, 0);
    expect("write bad fd", write(-1, "x", 1), -1, EBADF);
    expect("write fd 999", write(999, "x", 1), -1, EBADF);
    expect("write bad ptr", syscall(SYS_write, 1, BAD_PTR, 10), -1, EFAULT);
    expect("write kernel ptr", syscall(SYS_write, 1, KERNEL_PTR, 10), -1, EFAULT);
    expect("close bad fd", close(999), -1, EBADF);

    /* directories and files */
    expect("mkdir", mkdir(dir, 0755), 0, 0);
    expect("mkdir again", mkdir(dir, 0755), -1, EEXIST);
    expect("mkdir no parent", mkdir("/nonexistent-sc/x", 0755), -1, ENOENT);
    expect("mkdir bad ptr", mkdir(BAD_PTR, 0755), -1, EFAULT);
    expect("open missing", open("/nonexistent-sc", O_RDONLY), -1, ENOENT);
    expect("open bad ptr", open(BAD_PTR, O_RDONLY), -1, EFAULT);
    int fd = open(file, O_CREAT | O_EXCL | O_RDWR, 0644);
    check("open O_CREAT|O_EXCL", fd >= 0);
    expect("open O_EXCL existing", open(file, O_CREAT | O_EXCL | O_RDWR, 0644), -1, EEXIST);
    expect("write 5", write(fd, "hello", 5), 5, 0);
    expect("lseek SET 0", lseek(fd, 0, SEEK_SET), 0, 0);
    expect("lseek negative", lseek(fd, -1, SEEK_SET), -1, EINVAL);
    expect("lseek END", lseek(fd, 0, SEEK_END), 5, 0);
    lseek(fd, 0, SEEK_SET);
    memset(buf, 0, sizeof buf);
    expect("read 5", read(fd, buf, sizeof buf), 5, 0);
    check("read content", !memcmp(buf, "hello", 5));
    expect("read at EOF", read(fd, buf, sizeof buf), 0, 0);
    lseek(fd, 0, SEEK_SET);
    expect("read bad ptr with data", syscall(SYS_read, fd, BAD_PTR, 5), -1, EFAULT);
    memset(buf, 0, sizeof buf);
    expect("pread64", pread(fd, buf, 3, 1), 3, 0);
    check("pread64 content", !memcmp(buf, "ell", 3));
    struct stat st;
    expect("fstat", fstat(fd, &st), 0, 0);
    check("fstat size 5", st.st_size == 5);
    check("fstat regular", S_ISREG(st.st_mode));
    expect("fstat bad ptr", fstat(fd, BAD_PTR), -1, EFAULT);
    expect("stat missing", stat("/nonexistent-sc", &st), -1, ENOENT);
    expect("stat dir", stat(dir, &st), 0, 0);
    check("stat is dir", S_ISDIR(st.st_mode));
    expect("ftruncate 2", ftruncate(fd, 2), 0, 0);
    fstat(fd, &st);
    check("size after ftruncate", st.st_size == 2);
    expect("fsync", fsync(fd), 0, 0);
    int flags = fcntl(fd, F_GETFL);
    check("fcntl F_GETFL O_RDWR", flags >= 0 && (flags & O_ACCMODE) == O_RDWR);
    expect("fcntl F_SETFD", fcntl(fd, F_SETFD, FD_CLOEXEC), 0, 0);
    expect("fcntl F_GETFD", fcntl(fd, F_GETFD), FD_CLOEXEC, 0);
    int fd2 = dup(fd);
    check("dup", fd2 > fd);
    expect("dup3 same fd", dup3(fd, fd, 0), -1, EINVAL);
    expect("dup2 to 40", dup2(fd, 40), 40, 0);
    expect("close dup2", close(40), 0, 0);
    expect("close dup", close(fd2), 0, 0);
    expect("ioctl TCGETS on file", ioctl(fd, TCGETS, buf), -1, ENOTTY);
    expect("close", close(fd), 0, 0);
    expect("close twice", close(fd), -1, EBADF);
    expect("access F_OK", access(file, F_OK), 0, 0);
    expect("access missing", access("/nonexistent-sc", F_OK), -1, ENOENT);

    /* names */
    expect("rename", rename(file, file2), 0, 0);
    expect("stat old name", stat(file, &st), -1, ENOENT);
    expect("symlink", symlink("b", slink), 0, 0);
    memset(buf, 0, sizeof buf);
    expect("readlink", readlink(slink, buf, sizeof buf), 1, 0);
    check("readlink target", !strcmp(buf, "b"));
    expect("readlink non-link", readlink(file2, buf, sizeof buf), -1, EINVAL);
    check("readlink /proc/self/exe", readlink("/proc/self/exe", buf, sizeof buf) > 0);
    expect("link", link(file2, file), 0, 0);
    stat(file2, &st);
    check("nlink 2 after link", st.st_nlink == 2);
    expect("mkdir sub", mkdir(sub, 0755), 0, 0);
    int sfd = open(sub, O_RDONLY | O_DIRECTORY);
    check("open dir", sfd >= 0);
    expect("read on dir", read(sfd, buf, 10), -1, EISDIR);
    close(sfd);
    expect("open file as dir", open(file2, O_RDONLY | O_DIRECTORY), -1, ENOTDIR);
    expect("unlink dir", unlink(sub), -1, EISDIR);
    expect("rmdir non-empty", rmdir(dir), -1, ENOTEMPTY);
    expect("rmdir file", rmdir(file2), -1, ENOTDIR);

    /* directory listing */
    DIR *d = opendir(dir);
    int seen = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != 0)
            if (!strcmp(e->d_name, "a") || !strcmp(e->d_name, "b") || !strcmp(e->d_name, "l") ||
                !strcmp(e->d_name, "d")) seen++;
        closedir(d);
    }
    check("getdents64 lists 4 names", seen == 4);

    /* cwd */
    char cwd[256];
    expect("chdir", chdir(dir), 0, 0);
    check("getcwd", getcwd(cwd, sizeof cwd) != 0 && !strcmp(cwd, dir));
    check("getcwd too small: ERANGE", getcwd(cwd, 2) == 0 && errno == ERANGE);
    errno = 0;
    expect("chdir missing", chdir("/nonexistent-sc"), -1, ENOENT);
    expect("chdir to file", chdir(file2), -1, ENOTDIR);
    chdir("/");

    /* pipes */
    int p[2];
    expect("pipe2", pipe2(p, O_CLOEXEC), 0, 0);
    expect("pipe write", write(p[1], "abc", 3), 3, 0);
    expect("pipe read", read(p[0], buf, sizeof buf), 3, 0);
    int in = open(file2, O_RDONLY);
    expect("sendfile to pipe", sendfile(p[1], in, 0, 100), 2, 0);
    expect("pipe read sendfile", read(p[0], buf, sizeof buf), 2, 0);
    close(in);
    close(p[1]);
    expect("pipe EOF", read(p[0], buf, sizeof buf), 0, 0);
    close(p[0]);
    pipe(p);
    close(p[0]);
    expect("write to closed pipe", write(p[1], "x", 1), -1, EPIPE);
    close(p[1]);

    /* memory */
    void *b0 = sbrk(0);
    check("brk grows", sbrk(65536) == b0 && sbrk(0) == (char *)b0 + 65536);
    char *m = mmap(0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap anonymous", m != MAP_FAILED);
    check("mmap zeroed", m != MAP_FAILED && m[0] == 0 && m[65535] == 0);
    if (m != MAP_FAILED) { m[100] = 7; check("mmap writable", m[100] == 7); }
    expect("mprotect read-only", mprotect(m, 4096, PROT_READ), 0, 0);
    expect("munmap", munmap(m, 65536), 0, 0);
    expect("munmap unaligned", munmap((char *)m + 1, 4096), -1, EINVAL);
    check("mmap len 0", mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);
    errno = 0;
    check("mmap huge", mmap(0, 1ull << 46, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
                           errno == ENOMEM);
    errno = 0;
    char *big = malloc(1 << 20);
    check("malloc 1 MiB", big != 0);
    if (big) { memset(big, 1, 1 << 20); free(big); }

    /* time */
    struct timespec t0, t1, nap = {0, 20 * 1000 * 1000};
    expect("clock_gettime", clock_gettime(CLOCK_MONOTONIC, &t0), 0, 0);
    expect("nanosleep 20 ms", nanosleep(&nap, 0), 0, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    check("nanosleep slept >= 20 ms", ms >= 20);
    expect("clock_gettime bad ptr", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD_PTR), -1, EFAULT);
    struct timespec bad = {0, 2000000000};
    expect("nanosleep bad nsec", nanosleep(&bad, 0), -1, EINVAL);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    check("realtime after 2020", rt.tv_sec > 1577836800);

    /* processes and signals */
    expect("kill self 0", kill(getpid(), 0), 0, 0);
    expect("kill missing pid", kill(99999, 0), -1, ESRCH);
    expect("wait no children", wait(0), -1, ECHILD);
    pid_t c = fork();
    if (c == 0) _exit(42);
    int status = 0;
    expect("waitpid child", waitpid(c, &status, 0), c, 0);
    check("child exit 42", WIFEXITED(status) && WEXITSTATUS(status) == 42);
    c = fork();
    if (c == 0) { for (;;) pause(); }
    expect("kill SIGKILL", kill(c, SIGKILL), 0, 0);
    waitpid(c, &status, 0);
    check("child killed by 9", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    struct rlimit rl;
    expect("getrlimit NOFILE", getrlimit(RLIMIT_NOFILE, &rl), 0, 0);
    check("NOFILE > 16", rl.rlim_cur > 16);
    unsigned char rnd[16];
    expect("getrandom 16", syscall(SYS_getrandom, rnd, 16, 0), 16, 0);
    expect("getrandom bad ptr", syscall(SYS_getrandom, BAD_PTR, 16, 0), -1, EFAULT);

    /* clean up */
    expect("unlink link", unlink(slink), 0, 0);
    expect("unlink a", unlink(file), 0, 0);
    expect("unlink b", unlink(file2), 0, 0);
    expect("unlink missing", unlink(file2), -1, ENOENT);
    expect("rmdir sub", rmdir(sub), 0, 0);
    expect("rmdir dir", rmdir(dir), 0, 0);

    printf("syscalls: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
