/*
 * Constants and byte helpers shared by the .imp reader and writer. The
 * layout they encode is specified in docs/format.md; change both together.
 */
#ifndef IMP_FORMAT_H
#define IMP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define IMP_FMT_MAGIC "IMPASTO\0"
#define IMP_FMT_MAJOR 1
#define IMP_FMT_MINOR 1
#define IMP_FMT_ALIGN 64

/* Header field offsets. */
#define IMP_FMT_HEADER_SIZE 64
#define IMP_FMT_OFF_MAJOR 8
#define IMP_FMT_OFF_MINOR 10
#define IMP_FMT_OFF_SECTIONS 12
#define IMP_FMT_OFF_FILE_SIZE 16
#define IMP_FMT_OFF_BODY_CRC 24
#define IMP_FMT_OFF_RESERVED 28
#define IMP_FMT_OFF_HEADER_CRC 60

#define IMP_FMT_SECTION_ENTRY 24
enum imp_fmt_section {
    IMP_FMT_SECTION_GRAPH = 1,
    IMP_FMT_SECTION_WEIGHTS = 2,
    IMP_FMT_SECTION_METADATA = 3, /* since 1.1; optional */
};
/* Files without metadata are written as 1.0, exactly as before 1.1. */
#define IMP_FMT_MINOR_METADATA 1

/* The most a graph-section count may be: an int in the IR, with room for
 * the allocations that add one. */
#define IMP_FMT_MAX_COUNT 0x7ffffffeu

/* CRC-32C (Castagnoli) of n bytes, as in iSCSI / SSE 4.2. */
uint32_t imp_crc32c(const void *data, size_t n);

/* Little-endian loads and stores, byte-wise so any alignment and any host
 * byte order work. */
static inline uint16_t imp_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t imp_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t imp_ld64(const uint8_t *p)
{
    return (uint64_t)imp_ld32(p) | (uint64_t)imp_ld32(p + 4) << 32;
}

static inline void imp_st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void imp_st32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void imp_st64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif
