/* spin: loops forever without system calls; the timer must preempt it and Ctrl-C end it. */
#include "sys.h"

int main(int argc, char **argv, char **envp) {
    (void)argc; (void)argv; (void)envp;
    put("spin: spinning\n");
    volatile u64 n = 0;
    for (;;) n++;
}
