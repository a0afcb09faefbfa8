/*
 * glibc-hello: the smallest real libc program. Static glibc from Debian's cross compiler runs its
 * whole start-up (TLS set-up from PT_TLS, IRELATIVE relocations, stdio buffers) before main, so this
 * checks the ELF loader and the start-up system calls as much as it prints.
 * Usage: glibc-hello [STATUS] [ARGS...]   prints its pid and arguments, exits with STATUS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    printf("hello from glibc, pid %d, parent %d\n", (int)getpid(), (int)getppid());
    for (int i = 1; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
    return argc > 1 ? atoi(argv[1]) : 0;
}
