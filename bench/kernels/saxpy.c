/* A SIMD-friendly loop: saxpy y = a * x + y on 32,768 floats, n times (a alternates in sign). */
#include "kernel.h"

#define V 32768

static float x[V], y[V];

static void saxpy(float a, const float *xs, float *ys)
{
    for (u32 i = 0; i < V; i++)
        ys[i] = a * xs[i] + ys[i];
}

u32 run(u32 n)
{
    u32 seed = 8;
    for (u32 i = 0; i < V; i++) {
        x[i] = (float)(rng_next(&seed) % 1024u) * 0.125f;
        y[i] = (float)(rng_next(&seed) % 1024u);
    }
    for (u32 r = 0; r < n; r++)
        saxpy((r & 1) ? -0.5f : 0.5f, x, y);
    u32 h = 2166136261u;
    for (u32 i = 0; i < V; i += 17)
        h = mix32(h, f32_bits(y[i]));
    return h;
}
