/* Shared by every benchmark kernel: fixed-width types, the checksum mixer and a PRNG.
 * Kernels are freestanding C (no libc) and build unchanged for wasm32 and for the host. */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int i32;
typedef long long i64;

/* Each kernel defines run(n): the work scales with n; the result is a checksum of the output. */
u32 run(u32 n);

/* FNV-1a style mixing of a 32-bit word into a running checksum. */
static inline u32 mix32(u32 h, u32 v)
{
    return (h ^ v) * 0x01000193u;
}

static inline u32 mix64(u32 h, u64 v)
{
    return mix32(mix32(h, (u32)v), (u32)(v >> 32));
}

static inline u64 f64_bits(double d)
{
    u64 b;
    __builtin_memcpy(&b, &d, sizeof b);
    return b;
}

static inline u32 f32_bits(float f)
{
    u32 b;
    __builtin_memcpy(&b, &f, sizeof b);
    return b;
}

/* xorshift32: deterministic input data for every kernel. */
static inline u32 rng_next(u32 *s)
{
    u32 x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* A uniform double in [0, 1). */
static inline double rng_unit(u32 *s)
{
    return (double)(rng_next(s) >> 8) * (1.0 / 16777216.0);
}

#ifdef FIXED_N
/* For engines that cannot pass arguments (wabt's wasm-interp): run at a size fixed at build. */
u32 run_fixed(void);
u32 run_fixed(void)
{
    return run(FIXED_N);
}
#endif

#endif
