/* Sorting: recursive quicksort (median of three, insertion sort below 16) of 200,000 random
 * 32-bit keys, n times. */
#include "kernel.h"

#define M 200000

static u32 keys[M];

static void insertion(u32 *v, i32 lo, i32 hi)
{
    for (i32 i = lo + 1; i <= hi; i++) {
        u32 x = v[i];
        i32 j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void swap(u32 *v, i32 i, i32 j)
{
    u32 t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static void quicksort(u32 *v, i32 lo, i32 hi)
{
    while (hi - lo > 16) {
        i32 mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swap(v, mid, lo);
        if (v[hi] < v[lo])
            swap(v, hi, lo);
        if (v[hi] < v[mid])
            swap(v, hi, mid);
        u32 pivot = v[mid];
        i32 i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j)
                swap(v, i++, j--);
        }
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
    insertion(v, lo, hi);
}

u32 run(u32 n)
{
    u32 seed = 99;
    u32 h = 2166136261u;
    for (u32 r = 0; r < n; r++) {
        for (u32 i = 0; i < M; i++)
            keys[i] = rng_next(&seed);
        quicksort(keys, 0, M - 1);
        for (u32 i = 0; i < M; i += 1009)
            h = mix32(h, keys[i]);
        for (u32 i = 1; i < M; i++)
            if (keys[i - 1] > keys[i])
                return 0; /* not sorted: a checksum no engine can match by accident */
    }
    return h;
}
