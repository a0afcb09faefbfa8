/*
 * The libFuzzer harness: one binary per target (-DSIS_TARGET=...), each input run in a fresh
 * kernel instance (tests/fuzz/targets.entry.ts through wasm2c, runtime.c).
 *
 *   vfs_path      input = path operations (targets.entry.ts fuzzVfsPath) over a tmpfs root and
 *                 the embedded base image (disk 2) on /mnt
 *   shell_parse   input = one command line, the base image read-only on /mnt
 *   ext4_image    input = a whole small image (disk 1); mutator.c mutates its metadata and
 *                 fixes the checksums
 *   jbd2_replay   input = the first bytes of the journal, laid over the embedded journal image
 *                 (which needs recovery) at its journal's offset (disk 1); mount replays it
 *   net_rx        input = a mode byte and Ethernet frames (net_rx.entry.ts) into a network stack
 *                 with the HTTP API, an echo service, a client and (mode 1) the DHCP client
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_runtime.h"
#include "fuzz_mutator.h"

#define TARGET_VFS_PATH 1
#define TARGET_SHELL_PARSE 2
#define TARGET_EXT4_IMAGE 3
#define TARGET_JBD2_REPLAY 4
#define TARGET_NET_RX 5

#define STR2(x) #x
#define STR(x) STR2(x)

/* The base image (build/fuzz/images/base.img) and the journal image, linked into the binary. */
__asm__(".section .rodata\n.balign 64\n"
        ".global fuzz_base_image\nfuzz_base_image:\n.incbin \"" STR(SIS_BASE_IMAGE) "\"\n"
        ".global fuzz_base_image_end\nfuzz_base_image_end:\n"
        ".balign 64\n.global fuzz_journal_image\nfuzz_journal_image:\n.incbin \"" STR(SIS_JOURNAL_IMAGE) "\"\n"
        ".global fuzz_journal_image_end\nfuzz_journal_image_end:\n.previous\n");
extern const uint8_t fuzz_base_image[], fuzz_base_image_end[];
extern const uint8_t fuzz_journal_image[], fuzz_journal_image_end[];

static uint8_t *scratch_disk;
static size_t scratch_size;

static uint8_t *disk_buffer(size_t size) {
    if (size > scratch_size) {
        free(scratch_disk);
        scratch_disk = malloc(size);
        scratch_size = size;
    }
    return scratch_disk;
}

/* Copies the input into the instance's memory; returns its linear address. */
static uint32_t pass_input(const uint8_t *data, size_t size) {
    uint32_t at = Z_fuzzZ_inputBuffer(fuzz_instance(), (uint32_t)size);
    fuzz_copy_in(at, data, size);
    return at;
}

static uint64_t with_base_image(void) {
    size_t n = (size_t)(fuzz_base_image_end - fuzz_base_image);
    uint8_t *d = disk_buffer(n);
    memcpy(d, fuzz_base_image, n);
    fuzz_disk_set(2, d, n);
    return n / 512;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1u << 20)) return -1;
    fuzz_instance_start();
    Z_fuzz_instance_t *k = fuzz_instance();
#if SIS_TARGET == TARGET_VFS_PATH
    pass_input(data, size);
    Z_fuzzZ_fuzzVfsPath(k, with_base_image());
#elif SIS_TARGET == TARGET_SHELL_PARSE
    pass_input(data, size);
    Z_fuzzZ_fuzzShellParse(k, with_base_image());
#elif SIS_TARGET == TARGET_EXT4_IMAGE
    size_t n = size & ~(size_t)511;
    if (n < 2048) {
        fuzz_instance_end();
        return -1; /* no room for a superblock: not worth keeping */
    }
    uint8_t *d = disk_buffer(n);
    memcpy(d, data, n);
    fuzz_disk_set(1, d, n);
    Z_fuzzZ_fuzzExt4Image(k, n / 512);
#elif SIS_TARGET == TARGET_JBD2_REPLAY
    size_t n = (size_t)(fuzz_journal_image_end - fuzz_journal_image);
    uint8_t *d = disk_buffer(n);
    memcpy(d, fuzz_journal_image, n);
    size_t room = n - (size_t)SIS_JOURNAL_OFFSET;
    if (room > SIS_JOURNAL_BYTES) room = SIS_JOURNAL_BYTES;
    memcpy(d + SIS_JOURNAL_OFFSET, data, size < room ? size : room);
    fuzz_disk_set(1, d, n);
    Z_fuzzZ_fuzzExt4Image(k, n / 512);
#elif SIS_TARGET == TARGET_NET_RX
    pass_input(data, size);
    Z_fuzzZ_fuzzNetRx(k);
#else
#error "SIS_TARGET must name a target"
#endif
    fuzz_instance_end();
    return 0;
}

#if SIS_TARGET == TARGET_EXT4_IMAGE
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    return ext4_mutate(data, size, max_size, seed);
}
#elif SIS_TARGET == TARGET_JBD2_REPLAY
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    return jbd2_mutate(data, size, max_size, seed);
}
#endif
