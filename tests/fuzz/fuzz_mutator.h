/* The structure-aware mutators (mutator.c) of the image targets. */
#ifndef SIS_FUZZ_MUTATOR_H
#define SIS_FUZZ_MUTATOR_H
#include <stddef.h>
#include <stdint.h>
size_t ext4_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t jbd2_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
void jbd2_fix_checksums(uint8_t *journal, size_t size);
#endif
