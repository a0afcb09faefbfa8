/* fault: touches a bad address chosen by its argument; only this process must end. */
#include "sys.h"

int main(int argc, char **argv, char **envp) {
    (void)envp;
    const char *what = argc > 1 ? argv[1] : "null";
    put("fault: ");
    put(what);
    put("\n");
    if (what[0] == 'k') {             /* kernel RAM: mapped for EL1 only */
        volatile u64 *p = (volatile u64 *)0x40080000ul;
        put_dec((i64)*p);
    } else if (what[0] == 'j') {      /* jump into kernel memory */
        ((void (*)(void))0x40080000ul)();
    } else if (what[0] == 'r') {      /* write to our own code (read-only) */
        *(volatile u64 *)(void *)&main = 0;
    } else if (what[0] == 'b') {      /* a bad pointer to a system call: EFAULT, not a fault */
        i64 r = sys3(SYS_write, 1, 0x40080000ul, 16);
        put("write(kernel address) = ");
        put_dec(r);
        put("\n");
        return r == -14 ? 0 : 1;
    } else {
        volatile u64 *p = (volatile u64 *)0x8;
        put_dec((i64)*p);
    }
    put("fault: still alive\n");
    return 1;
}
