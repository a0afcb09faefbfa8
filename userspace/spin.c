/* spin: loops forever without system calls; the timer must preempt it and Ctrl-C end it. */
#include "sys.h"

int main(int argc, char **argv, char **envp) {
    (void)argv; (void)envp;
    if (argc < 2) put("spin: spinning\n"); /* any argument: quiet */
    volatile u64 n = 0;
    for (;;) n++;
}
