/*
 * Structure-aware mutators for the image targets.
 *
 * ext4_image: finds the metadata of a small ext4 image (superblock, group descriptors, bitmaps,
 * used inodes, extent tree blocks, directory and htree blocks), lets libFuzzer mutate one of
 * them, then recomputes every metadata checksum (metadata_csum: crc32c; gdt_csum: crc16), so
 * the mutation is judged by the code behind the checksum checks, not by them. One mutation in
 * eight keeps its wrong checksums, so the checks themselves stay covered.
 *
 * jbd2_replay: mutates the journal region and fixes the journal superblock, descriptor,
 * revoke and commit block checksums (v2/v3), big-endian as jbd2 stores them.
 *
 * Formats: /work/shared/reference/FACTS.md, kernel/fs/ext4/csum.ts, kernel/fs/jbd2/format.ts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_mutator.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* ---------------------------------------------------------------- crc32c (raw: no final xor) */

static uint32_t crc_table[256];
static void crc_init(void) {
    if (crc_table[1]) return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
        crc_table[i] = c;
    }
}
static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) crc = (crc >> 8) ^ crc_table[(crc ^ p[i]) & 0xff];
    return crc;
}
static uint32_t crc32c_u32(uint32_t crc, uint32_t v) {
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return crc32c(crc, b, 4);
}
static uint16_t crc16(uint16_t crc, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0xa001 : crc >> 1;
    }
    return crc;
}

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }
static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void putbe32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }

/* ---------------------------------------------------------------- the ext4 layout */

#define MAX_REGIONS 1024
struct region { size_t offset, length; uint32_t ino, gen; int kind; };
enum { R_SUPER, R_GDT, R_BITMAP, R_INODE, R_EXTENT, R_DIR };

struct layout {
    uint8_t *d;
    size_t size;
    uint32_t bs, inode_size, ipg, cpg, groups, desc_size, seed;
    uint64_t gdt;
    int csum, gdt_csum, is64;
    struct region r[MAX_REGIONS];
    int n;
};

static void add(struct layout *l, size_t off, size_t len, int kind, uint32_t ino, uint32_t gen) {
    if (l->n >= MAX_REGIONS || off >= l->size || len == 0 || len > l->size - off) return;
    l->r[l->n++] = (struct region){ off, len, ino, gen, kind };
}

static uint8_t *block(struct layout *l, uint64_t b) {
    if (b == 0 || b >= l->size / l->bs) return 0;
    return l->d + b * l->bs;
}

static uint8_t *desc(struct layout *l, uint32_t g) {
    size_t off = l->gdt * l->bs + (size_t)g * l->desc_size;
    if (off + l->desc_size > l->size) return 0;
    return l->d + off;
}

static uint64_t desc_field(struct layout *l, uint8_t *gd, int lo, int hi) {
    uint64_t v = le32(gd + lo);
    if (l->is64 && l->desc_size >= 64) v |= (uint64_t)le32(gd + hi) << 32;
    return v;
}

static uint8_t *inode_at(struct layout *l, uint32_t ino) {
    if (ino == 0 || ino > l->groups * l->ipg) return 0;
    uint8_t *gd = desc(l, (ino - 1) / l->ipg);
    if (!gd) return 0;
    uint64_t table = desc_field(l, gd, 0x8, 0x28);
    size_t off = table * l->bs + (size_t)((ino - 1) % l->ipg) * l->inode_size;
    /* the callers read fields up to 0x80 (a mutated superblock can claim a smaller inode size) */
    size_t need = l->inode_size < 0x80 ? 0x80 : l->inode_size;
    if (table == 0 || table >= l->size / l->bs || off + need > l->size) return 0;
    return l->d + off;
}

/* Walks an extent node (in an inode or a block), adding extent blocks and, for a directory, its blocks. */
static void walk_extents(struct layout *l, const uint8_t *node, size_t room, int depth_left, int is_dir,
                         uint32_t ino, uint32_t gen) {
    if (room < 12 || le16(node) != 0xf30a || depth_left < 0) return;
    uint32_t entries = le16(node + 2), depth = le16(node + 6);
    if (12 + (size_t)entries * 12 > room) return;
    for (uint32_t i = 0; i < entries; i++) {
        const uint8_t *e = node + 12 + i * 12;
        if (depth > 0) {
            uint64_t b = le32(e + 4) | (uint64_t)le16(e + 8) << 32;
            uint8_t *child = block(l, b);
            if (!child) continue;
            add(l, b * l->bs, l->bs, R_EXTENT, ino, gen);
            walk_extents(l, child, l->bs, depth_left - 1, is_dir, ino, gen);
        } else if (is_dir) {
            uint32_t len = le16(e + 4);
            if (len > 32768) len -= 32768;
            uint64_t start = le32(e + 8) | (uint64_t)le16(e + 6) << 32;
            for (uint32_t k = 0; k < len && k < 64; k++)
                if (block(l, start + k)) add(l, (start + k) * l->bs, l->bs, R_DIR, ino, gen);
        }
    }
}

static int parse(struct layout *l, uint8_t *d, size_t size) {
    memset(l, 0, sizeof(*l));
    l->d = d;
    l->size = size;
    if (size < 4096) return 0;
    uint8_t *sb = d + 1024;
    if (le16(sb + 0x38) != 0xef53) return 0;
    uint32_t log = le32(sb + 0x18);
    if (log > 6) return 0;
    l->bs = 1024u << log;
    l->ipg = le32(sb + 0x28);
    l->cpg = le32(sb + 0x24);
    uint32_t bpg = le32(sb + 0x20);
    uint32_t blocks = le32(sb + 0x4);
    l->inode_size = le32(sb + 0x0) ? le16(sb + 0x58) : 128;
    if (le32(sb + 0x4c) == 0) l->inode_size = 128; /* revision 0 */
    if (l->inode_size < 128 || l->inode_size > l->bs || bpg == 0 || l->ipg == 0) return 0;
    uint32_t incompat = le32(sb + 0x60), ro = le32(sb + 0x64);
    l->is64 = (incompat & 0x80) != 0;
    l->desc_size = l->is64 ? le16(sb + 0xfe) : 32;
    if (l->desc_size < 32 || l->desc_size > 1024) l->desc_size = 32;
    l->csum = (ro & 0x400) != 0;
    l->gdt_csum = !l->csum && (ro & 0x10) != 0;
    l->seed = (incompat & 0x2000) ? le32(sb + 0x270) : crc32c(~0u, sb + 0x68, 16);
    uint32_t first = le32(sb + 0x14);
    l->groups = (blocks - first + bpg - 1) / bpg;
    if (l->groups == 0 || l->groups > 64) return 0;
    l->gdt = first + 1;
    add(l, 1024, 1024, R_SUPER, 0, 0);
    add(l, l->gdt * l->bs, (size_t)l->groups * l->desc_size, R_GDT, 0, 0);
    for (uint32_t g = 0; g < l->groups; g++) {
        uint8_t *gd = desc(l, g);
        if (!gd) break;
        uint64_t bb = desc_field(l, gd, 0x0, 0x20), ib = desc_field(l, gd, 0x4, 0x24);
        if (block(l, bb)) add(l, bb * l->bs, l->cpg / 8 ? l->cpg / 8 : 1, R_BITMAP, 0, 0);
        if (block(l, ib)) add(l, ib * l->bs, l->ipg / 8 ? l->ipg / 8 : 1, R_BITMAP, 0, 0);
    }
    uint32_t inodes = l->groups * l->ipg;
    for (uint32_t ino = 1; ino <= inodes && ino <= 4096; ino++) {
        uint8_t *in = inode_at(l, ino);
        if (!in) continue;
        uint32_t mode = le16(in);
        if (mode == 0 && le16(in + 0x1a) == 0) continue;
        uint32_t gen = le32(in + 0x64);
        add(l, (size_t)(in - d), l->inode_size, R_INODE, ino, gen);
        int is_dir = (mode & 0xf000) == 0x4000;
        uint32_t flags = le32(in + 0x20);
        if (flags & 0x80000) {
            walk_extents(l, in + 0x28, 60, 4, is_dir, ino, gen);
        } else if (is_dir) {
            for (int k = 0; k < 12; k++) {
                uint32_t b = le32(in + 0x28 + k * 4);
                if (block(l, b)) add(l, (size_t)b * l->bs, l->bs, R_DIR, ino, gen);
            }
        }
    }
    return 1;
}

static uint32_t inode_seed(struct layout *l, uint32_t ino, uint32_t gen) {
    return crc32c_u32(crc32c_u32(l->seed, ino), gen);
}

static void fix_extent_block(struct layout *l, uint8_t *b, uint32_t seed) {
    if (le16(b) != 0xf30a) return;
    size_t tail = 12 + (size_t)le16(b + 4) * 12;
    if (tail + 4 > l->bs) return;
    put32(b + tail, crc32c(seed, b, tail));
}

static void fix_dir_block(struct layout *l, uint8_t *b, uint32_t seed) {
    uint32_t bs = l->bs;
    uint8_t *t = b + bs - 12;
    if (le32(t) == 0 && le16(t + 4) == 12 && t[6] == 0 && t[7] == 0xde) {
        put32(t + 8, crc32c(seed, b, bs - 12));
        return;
    }
    /* an htree node: the root (after "." and "..") or an interior node (one empty dirent) */
    uint32_t count_offset;
    if (le32(b) == 0 && le16(b + 4) == bs) count_offset = 8;
    else if (le16(b + 4) == 12 && b[8] == '.' && le16(b + 12 + 4) == bs - 12 && b[12 + 8] == '.') count_offset = 24 + b[24 + 5];
    else return;
    if (count_offset + 4 > bs) return;
    uint32_t limit = le16(b + count_offset), count = le16(b + count_offset + 2);
    size_t tail = count_offset + (size_t)limit * 8;
    if (count > limit || tail + 8 > bs) return;
    uint32_t c = crc32c(seed, b, count_offset + (size_t)count * 8);
    c = crc32c(c, b + tail, 4);
    static const uint8_t zero[4];
    c = crc32c(c, zero, 4);
    put32(b + tail + 4, c);
}

static void fix_inode(struct layout *l, uint8_t *in, uint32_t ino) {
    uint32_t seed = inode_seed(l, ino, le32(in + 0x64));
    static const uint8_t zero[4];
    int has_hi = l->inode_size > 128 && le16(in + 0x80) >= 4;
    uint32_t c = crc32c(seed, in, 0x7c);
    c = crc32c(c, zero, 2);
    c = crc32c(c, in + 0x7e, 2);
    if (l->inode_size > 128) {
        c = crc32c(c, in + 0x80, 2);
        if (has_hi) {
            c = crc32c(c, zero, 2);
            c = crc32c(c, in + 0x84, l->inode_size - 0x84);
        } else {
            c = crc32c(c, in + 0x82, l->inode_size - 0x82);
        }
    }
    put16(in + 0x7c, c & 0xffff);
    if (has_hi) put16(in + 0x82, c >> 16);
}

static void fix_groups(struct layout *l) {
    uint8_t *sb = l->d + 1024;
    for (uint32_t g = 0; g < l->groups; g++) {
        uint8_t *gd = desc(l, g);
        if (!gd) return;
        if (l->csum) {
            uint64_t bb = desc_field(l, gd, 0x0, 0x20), ib = desc_field(l, gd, 0x4, 0x24);
            uint8_t *bbp = block(l, bb), *ibp = block(l, ib);
            /* a mutated group size must not take the checksum past the bitmap's block */
            uint32_t bbytes = l->cpg / 8 < l->bs ? l->cpg / 8 : l->bs;
            uint32_t ibytes = l->ipg / 8 < l->bs ? l->ipg / 8 : l->bs;
            if (bbp) {
                uint32_t c = crc32c(l->seed, bbp, bbytes);
                put16(gd + 0x18, c & 0xffff);
                if (l->desc_size >= 64) put16(gd + 0x38, c >> 16);
            }
            if (ibp) {
                uint32_t c = crc32c(l->seed, ibp, ibytes);
                put16(gd + 0x1a, c & 0xffff);
                if (l->desc_size >= 64) put16(gd + 0x3a, c >> 16);
            }
            static const uint8_t zero[2];
            uint32_t c = crc32c_u32(l->seed, g);
            c = crc32c(c, gd, 0x1e);
            c = crc32c(c, zero, 2);
            if (l->desc_size > 0x20) c = crc32c(c, gd + 0x20, l->desc_size - 0x20);
            put16(gd + 0x1e, c & 0xffff);
        } else if (l->gdt_csum) {
            uint8_t g4[4] = { (uint8_t)g, (uint8_t)(g >> 8), (uint8_t)(g >> 16), (uint8_t)(g >> 24) };
            uint16_t c = crc16(0xffff, sb + 0x68, 16);
            c = crc16(c, g4, 4);
            c = crc16(c, gd, 0x1e);
            if (l->desc_size > 32) c = crc16(c, gd + 32, l->desc_size - 32);
            put16(gd + 0x1e, c);
        }
    }
}

/* Recomputes every checksum of the image from its current contents. */
static void fix_checksums(uint8_t *d, size_t size) {
    static struct layout l;
    if (!parse(&l, d, size)) return;
    if (l.csum) {
        for (int i = 0; i < l.n; i++) {
            struct region *r = &l.r[i];
            uint8_t *in = inode_at(&l, r->ino);
            uint32_t seed = inode_seed(&l, r->ino, in ? le32(in + 0x64) : r->gen);
            if (r->kind == R_EXTENT) fix_extent_block(&l, d + r->offset, seed);
            else if (r->kind == R_DIR) fix_dir_block(&l, d + r->offset, seed);
        }
        for (int i = 0; i < l.n; i++)
            if (l.r[i].kind == R_INODE) fix_inode(&l, d + l.r[i].offset, l.r[i].ino);
    }
    fix_groups(&l);
    if (l.csum) put32(d + 1024 + 0x3fc, crc32c(~0u, d + 1024, 0x3fc));
}

size_t ext4_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    crc_init();
    srand(seed);
    static struct layout l;
    (void)max_size;
    if (size < 4096 || !parse(&l, data, size) || l.n == 0 || rand() % 16 == 0) {
        /* not an image (any more), or now and then: plain mutation of the first 64 KiB */
        size_t n = size < 65536 ? size : 65536;
        if (size < 4096) return LLVMFuzzerMutate(data, size, max_size);
        LLVMFuzzerMutate(data, n, n);
        fix_checksums(data, size);
        return size;
    }
    int rounds = 1 + rand() % 3;
    for (int k = 0; k < rounds; k++) {
        struct region *r = &l.r[rand() % l.n];
        uint8_t tmp[4096];
        size_t len = r->length < sizeof(tmp) ? r->length : sizeof(tmp);
        memcpy(tmp, data + r->offset, len);
        size_t got = LLVMFuzzerMutate(tmp, len, len);
        memcpy(data + r->offset, tmp, got < len ? got : len);
    }
    if (rand() % 8 != 0) fix_checksums(data, size);
    return size;
}

/* ---------------------------------------------------------------- jbd2 */

/* v3 descriptor tags (16 bytes, + 16 of UUID unless SAME_UUID): the checksum of each data block. */
static void fix_tags(uint8_t *j, size_t size, size_t desc_off, uint32_t bs, uint32_t seed) {
    uint8_t *b = j + desc_off;
    uint32_t sequence = be32(b + 8);
    size_t at = 12, data = desc_off + bs;
    while (at + 16 <= bs - 4) {
        uint8_t *tag = b + at;
        uint32_t flags = be32(tag + 4);
        if (data + bs <= size) {
            uint8_t seq[4];
            putbe32(seq, sequence);
            putbe32(tag + 12, crc32c(crc32c(seed, seq, 4), j + data, bs));
        }
        data += bs;
        at += 16 + ((flags & 2) ? 0 : 16);
        if (flags & 8) break; /* the last tag */
    }
}

/* Fixes the checksums of a journal region (jbd2 v2/v3: crc32c of the journal UUID as seed). */
void jbd2_fix_checksums(uint8_t *j, size_t size) {
    if (size < 1024 || be32(j) != 0xc03b3998u) return;
    uint32_t bs = be32(j + 0xc);
    if (bs < 1024 || bs > 65536 || (bs & (bs - 1))) return;
    uint32_t incompat = be32(j + 0x28);
    int csum = (incompat & 0x10) || (incompat & 0x8); /* CSUM_V3, CSUM_V2 */
    if (!csum) return;
    uint32_t seed = crc32c(~0u, j + 0x30, 16);
    /* the superblock: s_checksum (0xfc) over the 1024 bytes with it zeroed */
    putbe32(j + 0xfc, 0);
    putbe32(j + 0xfc, crc32c(~0u, j, 1024));
    for (size_t off = bs; off + bs <= size; off += bs) {
        uint8_t *b = j + off;
        if (be32(b) != 0xc03b3998u) continue;
        uint32_t type = be32(b + 4);
        if (type == 1 || type == 5) { /* descriptor, revoke: the last 4 bytes */
            if (type == 1 && (incompat & 0x10)) fix_tags(j, size, off, bs, seed);
            putbe32(b + bs - 4, 0);
            putbe32(b + bs - 4, crc32c(seed, b, bs));
        } else if (type == 2) { /* commit: h_chksum[0] at 0x10 */
            putbe32(b + 0x10, 0);
            putbe32(b + 0x10, crc32c(seed, b, bs));
        }
    }
}

size_t jbd2_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    crc_init();
    srand(seed);
    size_t n = LLVMFuzzerMutate(data, size, max_size);
    if (rand() % 8 != 0) jbd2_fix_checksums(data, n);
    return n;
}
