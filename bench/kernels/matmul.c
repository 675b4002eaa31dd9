/* Dense matrix multiply: C = A * B on 96x96 doubles, n times, A perturbed between rounds. */
#include "kernel.h"

#define N 96

static double A[N * N], B[N * N], C[N * N];

static void multiply(void)
{
    for (u32 i = 0; i < N; i++) {
        for (u32 j = 0; j < N; j++)
            C[i * N + j] = 0.0;
        for (u32 k = 0; k < N; k++) {
            double a = A[i * N + k];
            for (u32 j = 0; j < N; j++)
                C[i * N + j] += a * B[k * N + j];
        }
    }
}

u32 run(u32 n)
{
    u32 seed = 12345;
    for (u32 i = 0; i < N * N; i++) {
        A[i] = rng_unit(&seed) - 0.5;
        B[i] = rng_unit(&seed) - 0.5;
    }
    u32 h = 2166136261u;
    for (u32 r = 0; r < n; r++) {
        multiply();
        u32 at = (r * 7919u) % (N * N);
        A[at] = C[at] * 0.5;
        h = mix64(h, f64_bits(C[(r * 131u) % (N * N)]));
    }
    for (u32 i = 0; i < N * N; i += 97)
        h = mix64(h, f64_bits(C[i]));
    return h;
}
