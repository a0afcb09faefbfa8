/* wasm-rt.h names jmp_buf for wasm exceptions, which the kernel does not use. */
#ifndef SIS_SETJMP_H
#define SIS_SETJMP_H
typedef unsigned long long jmp_buf[22];
int setjmp(jmp_buf env);
void longjmp(jmp_buf env, int value) __attribute__((noreturn));
#endif
