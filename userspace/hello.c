/* hello: prints its arguments and PID, exits with the status given as its first argument (or 0). */
#include "sys.h"

int main(int argc, char **argv, char **envp) {
    (void)envp;
    put("hello from user space: pid ");
    put_dec(sys3(SYS_getpid, 0, 0, 0));
    put(", argc ");
    put_dec(argc);
    for (int i = 0; i < argc; i++) { put(i == 0 ? ", argv " : " "); put(argv[i]); }
    put("\n");
    int status = 0;
    if (argc > 1) for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++) status = status * 10 + (*p - '0');
    return status;
}
