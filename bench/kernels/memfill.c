/* Memory bandwidth: copy and fill of 8 MiB buffers (bigger than the caches), n rounds. */
#include "kernel.h"

#define SZ (8u << 20)

static u8 src[SZ], dst[SZ];

u32 run(u32 n)
{
    u32 seed = 5;
    for (u32 i = 0; i < SZ; i += 4096)
        src[i] = (u8)rng_next(&seed);
    u32 h = 2166136261u;
    for (u32 r = 0; r < n; r++) {
        __builtin_memcpy(dst, src, SZ);
        h = mix32(h, dst[(r * 4099u) % SZ]);
        __builtin_memset(src + (r % 64u) * 4096u, (int)(r & 0xFF), SZ / 2);
        h = mix32(h, src[SZ / 2 + (r % 64u) * 4096u - 1]);
    }
    return h;
}
