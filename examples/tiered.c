/* Compilation strategies compared on one module: for O2, the fast tier and tiered compilation
 * (each in a new engine, no cache), the time from the bytes to the first result of an export
 * `run(i32) -> i32`, the time until the O2 code is in place, and the steady-state time of
 * REPS calls. Shows wk_engine_new_with and wk_module_wait_optimized.
 *   tiered FILE.wasm [ARG [REPS]]       (e.g. bench's large.wasm: tiered large.wasm 7 2000)
 * Tiered compilation skips modules under 64 KiB of code unless WK_TIER_MIN_BYTES says less. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wasmkiln.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *bytes = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (bytes = malloc(n ? (size_t)n : 1)) &&
        fread(bytes, 1, (size_t)n, f) != (size_t)n) {
        free(bytes);
        bytes = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return bytes;
}

/* Calls run(arg) reps times; false on a trap (printed). */
static bool call_run(wk_func_t *run, int32_t arg, int reps, int32_t *result)
{
    for (int i = 0; i < reps; i++) {
        wk_val_t a = wk_val_i32(arg), r;
        wk_trap_t *trap = wk_func_call(run, &a, 1, &r, 1);
        if (trap) {
            fprintf(stderr, "trap: %s\n", wk_trap_message(trap));
            wk_trap_delete(trap);
            return false;
        }
        *result = r.of.i32;
    }
    return true;
}

/* Instantiates module and finds its export "run"; NULL (message printed) on failure. */
static wk_func_t *instantiate_run(wk_store_t *store, wk_module_t *module)
{
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    wk_error_t *err = wk_instance_new(store, module, NULL, 0, &inst, &trap);
    wk_extern_t run;
    if (err || trap || !wk_instance_export_get(inst, "run", 3, &run) ||
        run.kind != WK_EXTERN_FUNC) {
        fprintf(stderr, "cannot instantiate (no imports allowed) or no export run\n");
        wk_error_delete(err);
        wk_trap_delete(trap);
        return NULL;
    }
    return run.of.func;
}

/* Measures one strategy; false on any failure. */
static bool measure(const char *name, wk_strategy_t strategy, const unsigned char *bytes,
                    size_t size, int32_t arg, int reps)
{
    wk_engine_options_t opts;
    wk_engine_options_default(&opts);
    opts.strategy = strategy;
    opts.cache_dir = NULL;
    wk_engine_t *engine = NULL;
    wk_error_t *err = wk_engine_new_with(&opts, &engine);
    wk_module_t *module = NULL;
    double t0 = now();
    if (!err) err = wk_module_new(engine, bytes, size, &module);
    if (err) {
        fprintf(stderr, "%s: %s\n", name, wk_error_message(err));
        wk_error_delete(err);
        wk_engine_delete(engine);
        return false;
    }
    wk_store_t *store = wk_store_new(engine);
    wk_func_t *run = instantiate_run(store, module);
    int32_t result = 0;
    bool ok = run && call_run(run, arg, 1, &result);
    double first = now() - t0;
    bool optimized = wk_module_wait_optimized(module);
    double final = now() - t0, t1 = now();
    ok = ok && call_run(run, arg, reps, &result);
    if (ok)
        printf("%-7s first result %7.3f s   final code %7.3f s (%s)   %d calls %7.3f s   "
               "result %d\n", name, first, final, optimized ? "O2" : "fast tier", reps,
               now() - t1, result);
    wk_store_delete(store);
    wk_module_delete(module);
    wk_engine_delete(engine);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tiered FILE.wasm [ARG [REPS]]\n");
        return 2;
    }
    size_t size = 0;
    unsigned char *bytes = read_file(argv[1], &size);
    if (!bytes) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    int32_t arg = argc > 2 ? (int32_t)strtol(argv[2], NULL, 0) : 1;
    int reps = argc > 3 ? atoi(argv[3]) : 1;
    printf("%s: %zu bytes\n", argv[1], size);
    bool ok = measure("o2", WK_STRATEGY_O2, bytes, size, arg, reps) &&
              measure("fast", WK_STRATEGY_FAST, bytes, size, arg, reps) &&
              measure("tiered", WK_STRATEGY_TIERED, bytes, size, arg, reps);
    free(bytes);
    return ok ? 0 : 1;
}
