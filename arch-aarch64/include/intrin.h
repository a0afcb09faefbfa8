/*
 * wasm2c's output includes <intrin.h> on MSVC-like targets for _BitScanForward/Reverse,
 * which clang provides as builtins there: nothing to declare.
 */
#ifndef SIS_INTRIN_H
#define SIS_INTRIN_H
#endif
