/* The wasm kernel instance: created and entered by wasm_runtime.c. */
#ifndef SIS_WASM_KERNEL_H
#define SIS_WASM_KERNEL_H
#include <stdint.h>

void wasm_kernel_start(void);
/* Pointer into linear memory, or 0 when [offset, offset+len) is outside it. */
uint8_t *wasm_linear(uint64_t offset, uint64_t len);
#endif
