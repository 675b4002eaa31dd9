/* wasmkiln engine driver for the benchmark suite, through the public C API only: times
 * bytes -> callable instance and run(n) of one kernel module; also the issue-4 call-cost
 * micro-benchmark (ns per wk_func_call of a trivial export) and an engine probe.
 *   wk_bench FILE.wasm N [WARM_N]  prints "checksum=<u32> run_s=<s> compile_s=<s>"
 *   wk_bench --compile FILE.wasm   prints "checksum=<run(1)> compile_s=<cold> compile_warm_s=<s>"
 *   wk_bench --callcost [CALLS]    prints "ns_per_call=<ns> calls=<count>"
 *   wk_bench --probe               exit 0 when modules can be instantiated and called, else 3 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasmkiln.h"

/* (module (func (export "id") (param i32) (result i32) local.get 0)) */
static const uint8_t id_module[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x06, 0x01, 0x02,
    0x69, 0x64, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x20, 0x00, 0x0b,
};

typedef struct Loaded {
    wk_engine_t *engine;
    wk_module_t *module;
    wk_store_t *store;
    wk_func_t *func;
} Loaded;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void unload(Loaded *l)
{
    wk_store_delete(l->store);
    wk_module_delete(l->module);
    wk_engine_delete(l->engine);
}

/* Compiles and instantiates bytes in engine (owned by l afterwards) and finds the function
 * export `name`. Returns 0, or prints why not and returns 3 (the engine cannot run modules yet)
 * or 1 (any other failure). */
static int load_in(wk_engine_t *engine, const uint8_t *bytes, size_t size, const char *name,
                   Loaded *l)
{
    memset(l, 0, sizeof *l);
    l->engine = engine;
    wk_error_t *err = wk_module_new(l->engine, bytes, size, &l->module);
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    if (!err) {
        l->store = wk_store_new(l->engine);
        err = wk_instance_new(l->store, l->module, NULL, 0, &inst, &trap);
    }
    if (err) {
        int rc = wk_error_kind(err) == WK_ERROR_UNSUPPORTED ? 3 : 1;
        printf("error=%s\n", wk_error_describe(err));
        wk_error_delete(err);
        return rc;
    }
    if (trap) {
        printf("error=trap during instantiation: %s\n", wk_trap_message(trap));
        wk_trap_delete(trap);
        return 1;
    }
    wk_extern_t ext;
    if (!wk_instance_export_get(inst, name, strlen(name), &ext) || ext.kind != WK_EXTERN_FUNC) {
        printf("error=no function export \"%s\"\n", name);
        return 1;
    }
    l->func = ext.of.func;
    return 0;
}

/* A new engine, then load_in. */
static int load(const uint8_t *bytes, size_t size, const char *name, Loaded *l)
{
    return load_in(wk_engine_new(), bytes, size, name, l);
}

/* Calls f(arg) -> i32; returns false (after printing the trap) when it traps. */
static bool call_i32(wk_func_t *f, uint32_t arg, uint32_t *result)
{
    wk_val_t args[1] = {wk_val_i32((int32_t)arg)};
    wk_val_t res[1];
    wk_trap_t *trap = wk_func_call(f, args, 1, res, 1);
    if (trap) {
        printf("error=trap: %s\n", wk_trap_message(trap));
        wk_trap_delete(trap);
        return false;
    }
    *result = (uint32_t)res[0].of.i32;
    return true;
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)len;
    return buf;
}

static int kernel(const char *path, uint32_t n, const char *warm)
{
    size_t size;
    uint8_t *bytes = read_file(path, &size);
    if (!bytes) {
        printf("error=cannot read %s\n", path);
        return 1;
    }
    Loaded l;
    double t0 = now();
    int rc = load(bytes, size, "run", &l);
    double t1 = now();
    free(bytes);
    uint32_t sum = 0;
    double t2 = 0, t3 = 0;
    if (rc == 0 && warm) {
        rc = call_i32(l.func, (uint32_t)strtoul(warm, NULL, 10), &sum) ? 0 : 1;
        wk_module_wait_optimized(l.module); /* steady state: the hot functions' O2 code is in */
    }
    if (rc == 0) {
        t2 = now();
        rc = call_i32(l.func, n, &sum) ? 0 : 1;
        t3 = now();
    }
    if (rc == 0)
        printf("checksum=%u run_s=%.9f compile_s=%.9f\n", sum, t3 - t2, t1 - t0);
    unload(&l);
    return rc;
}

/* The bytes followed by an empty custom section "warm": a different module with the same code,
 * so that no engine can reuse the first compilation. */
static uint8_t *variant(const uint8_t *bytes, size_t size, size_t *out_size)
{
    static const uint8_t custom[] = {0x00, 0x05, 0x04, 'w', 'a', 'r', 'm'};
    uint8_t *v = malloc(size + sizeof custom);
    if (v) {
        memcpy(v, bytes, size);
        memcpy(v + size, custom, sizeof custom);
    }
    *out_size = size + sizeof custom;
    return v;
}

/* Compile latency, bytes -> callable instance: cold (a new engine in a new process) and warm
 * (a second module in the same engine, LLVM already loaded and initialised); checks run(1). */
static int compile_twice(const char *path)
{
    size_t size, vsize;
    uint8_t *bytes = read_file(path, &size);
    uint8_t *again = bytes ? variant(bytes, size, &vsize) : NULL;
    if (!again) {
        printf("error=cannot read %s\n", path);
        free(bytes);
        return 1;
    }
    Loaded cold, warm = {0};
    double t0 = now();
    int rc = load(bytes, size, "run", &cold);
    double t1 = now();
    if (rc == 0) {
        wk_store_delete(cold.store);
        wk_module_delete(cold.module);
        cold.store = NULL;
        cold.module = NULL;
    }
    double t2 = now();
    if (rc == 0)
        rc = load_in(cold.engine, again, vsize, "run", &warm);
    double t3 = now();
    uint32_t sum = 0;
    if (rc == 0 && call_i32(warm.func, 1, &sum))
        printf("checksum=%u compile_s=%.9f compile_warm_s=%.9f\n", sum, t1 - t0, t3 - t2);
    else
        rc = 1;
    wk_store_delete(warm.store);
    wk_module_delete(warm.module);
    unload(&cold);
    free(bytes);
    free(again);
    return rc;
}

static int callcost(long calls)
{
    Loaded l;
    int rc = load(id_module, sizeof id_module, "id", &l);
    uint32_t r = 0, acc = 0;
    for (long i = 0; rc == 0 && i < calls / 10; i++) /* warm-up */
        rc = call_i32(l.func, (uint32_t)i, &r) ? 0 : 1;
    double t0 = now();
    for (long i = 0; rc == 0 && i < calls; i++) {
        rc = call_i32(l.func, (uint32_t)i, &r) ? 0 : 1;
        acc += r;
    }
    double t1 = now();
    uint32_t expect = 0;
    for (long i = 0; i < calls; i++)
        expect += (uint32_t)i;
    if (rc == 0 && acc != expect) {
        printf("error=id returned wrong values\n");
        rc = 1;
    }
    if (rc == 0)
        printf("ns_per_call=%.2f calls=%ld\n", (t1 - t0) * 1e9 / (double)calls, calls);
    unload(&l);
    return rc;
}

static int probe(void)
{
    Loaded l;
    int rc = load(id_module, sizeof id_module, "id", &l);
    uint32_t r = 0;
    if (rc == 0 && !(call_i32(l.func, 42, &r) && r == 42)) {
        printf("error=id(42) did not return 42\n");
        rc = 1;
    }
    if (rc == 0)
        printf("ok\n");
    unload(&l);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--probe") == 0)
        return probe();
    if (argc >= 3 && strcmp(argv[1], "--compile") == 0)
        return compile_twice(argv[2]);
    if (argc >= 2 && strcmp(argv[1], "--callcost") == 0)
        return callcost(argc > 2 ? strtol(argv[2], NULL, 10) : 10000000L);
    if (argc >= 3)
        return kernel(argv[1], (uint32_t)strtoul(argv[2], NULL, 10), argc > 3 ? argv[3] : NULL);
    fprintf(stderr, "usage: %s FILE.wasm N [WARM_N] | --compile FILE.wasm | --callcost [CALLS] | "
                    "--probe\n", argv[0]);
    return 2;
}
