/* A tight integer loop (no memory traffic): a xorshift/multiply hash chain of n * 1M steps.
 * The issue-4 figure "a tight integer loop within 1.2x of clang -O2" is this kernel's ratio. */
#include "kernel.h"

u32 run(u32 n)
{
    u32 x = 0x9E3779B9u, acc = 0;
    u64 steps = (u64)n * 1000000u;
    for (u64 i = 0; i < steps; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        acc += (x & 1) ? x >> 3 : x * 3u;
    }
    return mix32(acc, x);
}
