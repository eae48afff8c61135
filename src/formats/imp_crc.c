/*
 * CRC-32C for the .imp checksums, eight bytes per step ("slicing by 8").
 * The tables are rebuilt on every call (a few microseconds) so there is no
 * shared mutable state and nothing to initialise across threads.
 */
#include "formats/imp_format.h"

#define CRC32C_POLY 0x82f63b78u /* reflected Castagnoli polynomial */

static void make_tables(uint32_t t[8][256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        t[0][i] = c;
    }
    /* t[s][b]: the CRC contribution of byte b followed by s zero bytes. */
    for (int s = 1; s < 8; s++)
        for (int i = 0; i < 256; i++)
            t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
}

uint32_t imp_crc32c(const void *data, size_t n)
{
    uint32_t t[8][256];
    make_tables(t);
    const uint8_t *p = data;
    uint32_t crc = 0xffffffffu;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = crc ^ imp_ld32(p);
        uint32_t hi = imp_ld32(p + 4);
        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^
              t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][hi & 0xff] ^
              t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    for (; n > 0; n--, p++)
        crc = t[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
    return ~crc;
}
