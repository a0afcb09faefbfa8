/* Freestanding math.h: every function wasm2c needs maps to one AArch64 instruction. */
#ifndef SIS_MATH_H
#define SIS_MATH_H
#define isnan(x) __builtin_isnan(x)
#define signbit(x) __builtin_signbit(x)
#define INFINITY __builtin_inff()
#define NAN __builtin_nanf("")
#define floor __builtin_floor
#define floorf __builtin_floorf
#define ceil __builtin_ceil
#define ceilf __builtin_ceilf
#define trunc __builtin_trunc
#define truncf __builtin_truncf
#define nearbyint __builtin_nearbyint
#define nearbyintf __builtin_nearbyintf
#define sqrt __builtin_sqrt
#define sqrtf __builtin_sqrtf
#define fabs __builtin_fabs
#define fabsf __builtin_fabsf
#define copysign __builtin_copysign
#define copysignf __builtin_copysignf
#define fmin __builtin_fmin
#define fminf __builtin_fminf
#define fmax __builtin_fmax
#define fmaxf __builtin_fmaxf
#endif
