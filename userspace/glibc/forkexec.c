/*
 * glibc-forkexec: fork, exec and wait as a shell uses them, checked by the program itself.
 * N children each run /bin/glibc-hello with exit status i, their stdout through one pipe; the parent
 * waits for every pid, checks each exit status and that every child's line came through the pipe.
 * Prints "forkexec: K/N ok" and exits 0 only when every check held.
 * Usage: glibc-forkexec [N]   (default 8, at most 32)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 8;
    if (n < 1 || n > 32) { fprintf(stderr, "glibc-forkexec: N must be 1..32\n"); return 2; }
    int fds[2];
    if (pipe(fds) != 0) { perror("pipe"); return 1; }
    pid_t pids[32];
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            dup2(fds[1], 1);
            close(fds[0]);
            close(fds[1]);
            char status[8];
            snprintf(status, sizeof status, "%d", i);
            execl("/bin/glibc-hello", "glibc-hello", status, (char *)0);
            _exit(127); /* exec failed */
        }
        pids[i] = pid;
    }
    close(fds[1]);
    char out[8192];
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fds[0], out + got, sizeof out - 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    out[got] = 0;
    int ok = 0;
    for (int i = 0; i < n; i++) {
        int status = 0;
        pid_t w = waitpid(pids[i], &status, 0);
        char want[64];
        snprintf(want, sizeof want, "pid %d,", (int)pids[i]);
        int good = w == pids[i] && WIFEXITED(status) && WEXITSTATUS(status) == i && strstr(out, want) != 0;
        if (good) ok++;
        else printf("child %d (pid %d): wait %d, status 0x%x, line %s\n", i, (int)pids[i], (int)w, status,
                    strstr(out, want) ? "seen" : "missing");
    }
    int status;
    int none = waitpid(-1, &status, 0) == -1 && errno == ECHILD;
    if (!none) printf("waitpid(-1) after all children: expected ECHILD\n");
    printf("forkexec: %d/%d ok\n", ok, n);
    return ok == n && none ? 0 : 1;
}
