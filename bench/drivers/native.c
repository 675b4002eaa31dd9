/* Native engine driver: links one kernel compiled by clang -O2 and times run(n).
 * Usage: native N [WARM_N]. Prints "checksum=<u32> run_s=<seconds> compile_s=0". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

unsigned run(unsigned n);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s N [WARM_N]\n", argv[0]);
        return 2;
    }
    unsigned n = (unsigned)strtoul(argv[1], NULL, 10);
    if (argc > 2)
        (void)run((unsigned)strtoul(argv[2], NULL, 10));
    double t0 = now();
    unsigned sum = run(n);
    double t1 = now();
    printf("checksum=%u run_s=%.9f compile_s=0\n", sum, t1 - t0);
    return 0;
}
