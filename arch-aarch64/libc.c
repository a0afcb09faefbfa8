/*
 * The few C library functions that clang and the wasm2c output call: memory copies
 * (memory.copy / memory.fill in wasm become memmove / memset) and string length.
 * Word-at-a-time where it matters: memmove and memset carry the kernel's bulk copies.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "arch.h"

void *memmove(void *dst, const void *src, size_t n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d == s || n == 0) return dst;
    if (d < s || d >= s + n) {
        if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
            for (; n >= 32; n -= 32, d += 32, s += 32) {
                uint64_t a = ((const uint64_t *)s)[0], b = ((const uint64_t *)s)[1];
                uint64_t c = ((const uint64_t *)s)[2], e = ((const uint64_t *)s)[3];
                ((uint64_t *)d)[0] = a; ((uint64_t *)d)[1] = b;
                ((uint64_t *)d)[2] = c; ((uint64_t *)d)[3] = e;
            }
            for (; n >= 8; n -= 8, d += 8, s += 8) *(uint64_t *)d = *(const uint64_t *)s;
        }
        while (n--) *d++ = *s++;
    } else {
        d += n;
        s += n;
        if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0)
            for (; n >= 8; n -= 8) { d -= 8; s -= 8; *(uint64_t *)d = *(const uint64_t *)s; }
        while (n--) *--d = *--s;
    }
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n) { return memmove(dst, src, n); }

void *memset(void *dst, int c, size_t n) {
    uint8_t *d = dst;
    uint64_t pattern = (uint8_t)c * 0x0101010101010101ull;
    while (n && ((uintptr_t)d & 7)) { *d++ = (uint8_t)c; n--; }
    for (; n >= 8; n -= 8, d += 8) *(uint64_t *)d = pattern;
    while (n--) *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

void abort(void) { kernel_panic("abort", "C runtime abort"); }
