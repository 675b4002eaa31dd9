/* CRC-32 (IEEE 802.3, reflected, table-driven byte at a time) of a 256 KiB buffer, n times. */
#include "kernel.h"

#define BUF (256 * 1024)

static u8 data[BUF];
static u32 table[256];

static void make_table(void)
{
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (u32 k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static u32 crc32(const u8 *p, u32 len)
{
    u32 c = 0xFFFFFFFFu;
    for (u32 i = 0; i < len; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

u32 run(u32 n)
{
    make_table();
    u32 seed = 31337;
    for (u32 i = 0; i < BUF; i++)
        data[i] = (u8)rng_next(&seed);
    u32 h = 2166136261u;
    for (u32 r = 0; r < n; r++) {
        u32 c = crc32(data, BUF);
        data[r % BUF] ^= (u8)c;
        h = mix32(h, c);
    }
    return h;
}
