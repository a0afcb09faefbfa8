#ifndef SIS_ALLOCA_H
#define SIS_ALLOCA_H
#define alloca __builtin_alloca
#endif
