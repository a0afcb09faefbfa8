/* assert() in the wasm2c output guards only its own invariants: checked, then panic. */
#ifndef SIS_ASSERT_H
#define SIS_ASSERT_H
void kernel_panic(const char *kind, const char *detail) __attribute__((noreturn));
#define assert(c) ((c) ? (void)0 : kernel_panic("assertion failed", #c))
#endif
