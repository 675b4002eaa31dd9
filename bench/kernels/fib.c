/* Calls: naive doubly recursive Fibonacci, fib(n) (exponential in n: about 1.6^n calls). */
#include "kernel.h"

static u32 fib(u32 k)
{
    return k < 2 ? k : fib(k - 1) + fib(k - 2);
}

u32 run(u32 n)
{
    return mix32(2166136261u, fib(n));
}
