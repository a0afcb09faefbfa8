/* Freestanding stdlib.h: wasm-rt.h includes it; nothing from it is used. */
#ifndef SIS_STDLIB_H
#define SIS_STDLIB_H
#include <stddef.h>
void abort(void) __attribute__((noreturn));
#endif
