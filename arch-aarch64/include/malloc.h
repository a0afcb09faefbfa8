/* wasm2c's output includes <malloc.h> for _alloca on MSVC-like targets. */
#ifndef SIS_MALLOC_H
#define SIS_MALLOC_H
#define _alloca __builtin_alloca
#endif
