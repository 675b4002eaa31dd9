/* Unit tests for lib/lazy.c, lib/lazy_stub.c and lib/hotqueue.c: the lazy strategy. Nothing
 * compiles before a first call; concurrent first calls compile once; arguments of every kind
 * and several results pass through the stubs; a function tiers up to O2 while it runs (and
 * while a function it calls is switched); modules and engines go away with O2 work pending;
 * a fork()ed child compiles and tiers up on its own, also when forked while first-call and
 * O2 compiles run; exit() with work pending is prompt;
 * per-function cache entries are loaded, and never executed when truncated or altered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compiled.h"
#include "engine.h"
#include "func.h"
#include "lazy.h"
#include "wasmkiln.h"

#include "lazy_module.h"

static wk_engine_t *lazy_engine(void)
{
    wk_engine_options_t o = {.strategy = WK_STRATEGY_LAZY};
    wk_engine_t *e = NULL;
    assert_null(wk_engine_new_with(&o, &e));
    return e;
}

static wk_instance_t *instantiate(wk_store_t *s, wk_module_t *m)
{
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(s, m, NULL, 0, &inst, &trap));
    assert_null(trap);
    return inst;
}

static wk_extern_t export_of(wk_instance_t *inst, const char *name)
{
    wk_extern_t x;
    assert_true(wk_instance_export_get(inst, name, strlen(name), &x));
    return x;
}

static wk_func_t *export_func(wk_instance_t *inst, const char *name)
{
    wk_extern_t x = export_of(inst, name);
    assert_int_equal(x.kind, WK_EXTERN_FUNC);
    return x.of.func;
}

static int32_t call1(wk_func_t *f, int32_t a)
{
    wk_val_t arg = wk_val_i32(a), res;
    assert_null(wk_func_call(f, &arg, 1, &res, 1));
    return res.of.i32;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Polls until defined function i of m is in state `want` (at most `secs`). */
static bool wait_state(wk_module_t *m, uint32_t i, int want, double secs)
{
    double end = now() + secs;
    while (lazy_state(m, i) != want) {
        if (now() > end) return false;
        usleep(1000);
    }
    return true;
}

/* Waits for child pid, which must exit with status 0. */
static void expect_exit_0(pid_t pid)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_lazy_nothing_compiled_before_first_call(void **state)
{
    (void)state;
    if (!lazy_available()) skip();
    wk_engine_t *e = lazy_engine();
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &m));
    wk_store_t *s = wk_store_new(e);
    wk_instance_t *inst = instantiate(s, m);
    for (uint32_t i = 0; i <= LAZY_VEC; i++) assert_int_equal(lazy_state(m, i), LAZY_STUB);
    assert_int_equal(call1(export_func(inst, "fib"), 10), 55);
    assert_int_equal(lazy_first_compiles(m), 1); /* fib only: it calls itself directly */
    assert_int_equal(lazy_state(m, LAZY_ADD), LAZY_STUB);
    assert_int_not_equal(lazy_state(m, LAZY_FIB), LAZY_STUB);
    /* through the table: the stub of add, then its code */
    wk_val_t elem;
    assert_true(wk_table_get(export_of(inst, "tab").of.table, 0, &elem));
    wk_val_t args[2] = {wk_val_i32(40), wk_val_i32(2)}, res;
    assert_null(wk_func_call(elem.of.funcref, args, 2, &res, 1));
    assert_int_equal(res.of.i32, 42);
    assert_int_equal(lazy_first_compiles(m), 2);
    assert_ptr_equal(elem.of.funcref->ref.code, atomic_load(&m->code)->funcs[LAZY_ADD]);
    /* a second instance starts with the compiled code */
    wk_instance_t *again = instantiate(s, m);
    assert_ptr_equal(export_func(again, "add")->ref.code, atomic_load(&m->code)->funcs[LAZY_ADD]);
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
}

static void test_lazy_validation_stays_eager(void **state)
{
    (void)state;
    /* the last function ends with `i32x4.extract_lane 2` (fd 1b 02) then `end` (0b): lane 7
     * of an i32x4 is invalid; the function is never called, the module must still fail */
    uint8_t bad[sizeof lazy_wasm];
    memcpy(bad, lazy_wasm, sizeof bad);
    size_t k = sizeof bad - 4;
    assert_memory_equal(bad + k, "\xfd\x1b\x02\x0b", 4);
    bad[k + 2] = 7;
    wk_engine_t *e = lazy_engine();
    wk_module_t *m = NULL;
    wk_error_t *err = wk_module_new(e, bad, sizeof bad, &m);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_INVALID);
    wk_error_delete(err);
    wk_engine_delete(e);
}

/* One thread of the race: its own store and instance of the shared module (a store is used by
 * one thread at a time). */
typedef struct Racer {
    pthread_barrier_t *go;
    wk_module_t *m;
    wk_func_t *fib, *add;
    int32_t fib_result, add_result;
} Racer;

static void *race(void *arg)
{
    Racer *r = arg;
    wk_store_t *s = wk_store_new(r->m->engine);
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    wk_error_t *err = wk_instance_new(s, r->m, NULL, 0, &inst, &trap);
    wk_extern_t fib, add;
    bool ok = !err && !trap && wk_instance_export_get(inst, "fib", 3, &fib) &&
              wk_instance_export_get(inst, "add", 3, &add);
    pthread_barrier_wait(r->go);
    r->fib_result = r->add_result = -2;
    if (!ok) {
        wk_store_delete(s);
        return NULL;
    }
    r->fib = fib.of.func;
    r->add = add.of.func;
    wk_val_t a = wk_val_i32(15), res;
    wk_trap_t *t = wk_func_call(r->fib, &a, 1, &res, 1);
    if (t) fprintf(stderr, "fib trapped: %s\n", wk_trap_message(t));
    r->fib_result = t ? -1 : res.of.i32;
    wk_trap_delete(t);
    wk_val_t b[2] = {wk_val_i32(5), wk_val_i32(6)};
    t = wk_func_call(r->add, b, 2, &res, 1);
    r->add_result = t ? -1 : res.of.i32;
    wk_trap_delete(t);
    wk_store_delete(s);
    return NULL;
}

static void test_lazy_concurrent_first_calls_compile_once(void **state)
{
    (void)state;
    if (!lazy_available()) skip();
    enum { N = 8 };
    for (int round = 0; round < 3; round++) {
        wk_engine_t *e = lazy_engine();
        wk_module_t *m = NULL;
        assert_null(wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &m));
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, N);
        Racer r[N];
        pthread_t tid[N];
        for (int i = 0; i < N; i++) {
            r[i] = (Racer){.go = &go, .m = m};
            assert_int_equal(pthread_create(&tid[i], NULL, race, &r[i]), 0);
        }
        for (int i = 0; i < N; i++) pthread_join(tid[i], NULL);
        pthread_barrier_destroy(&go);
        for (int i = 0; i < N; i++) {
            assert_int_equal(r[i].fib_result, 610);
            assert_int_equal(r[i].add_result, 11);
        }
        assert_int_equal(lazy_first_compiles(m), 2); /* fib and add, once each */
        wk_module_delete(m);
        wk_engine_delete(e);
    }
}

static void test_lazy_stub_passes_every_kind_and_results(void **state)
{
    (void)state;
    wk_engine_t *e = lazy_engine();
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &m));
    wk_store_t *s = wk_store_new(e);
    wk_instance_t *inst = instantiate(s, m);
    wk_val_t arg = wk_val_i32(1), res[3];
    assert_null(wk_func_call(export_func(inst, "many"), &arg, 1, res, 3));
    assert_int_equal(res[0].of.i64, 37);        /* 10 + 20 + 7 */
    double f;
    memcpy(&f, &res[1].of.f64_bits, sizeof f);
    assert_true(f == 4.5);                       /* 1.25 + 2.5 + 0.75 */
    assert_int_equal(res[2].of.i32, 1101);       /* 1 + 100 + 1000 */
    assert_int_equal(call1(export_func(inst, "vec"), 40), 43);
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
}

typedef struct Spinner {
    wk_func_t *spin;
    int32_t result;
    bool trapped;
} Spinner;

static void *spinner(void *arg)
{
    Spinner *sp = arg;
    wk_val_t res;
    wk_trap_t *t = wk_func_call(sp->spin, NULL, 0, &res, 1);
    sp->trapped = t != NULL;
    sp->result = t ? 0 : res.of.i32;
    wk_trap_delete(t);
    return NULL;
}

/* spin runs in its fast-tier code while add (which it calls) and spin itself are compiled at
 * O2 and switched in; it keeps running and computes the right sum. */
static void test_lazy_tier_switch_while_function_runs(void **state)
{
    (void)state;
    if (!lazy_available()) skip();
    wk_engine_t *e = lazy_engine();
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &m));
    wk_store_t *s = wk_store_new(e);
    wk_instance_t *inst = instantiate(s, m);
    uint8_t *mem = wk_memory_data(export_of(inst, "mem").of.memory);
    Spinner sp = {.spin = export_func(inst, "spin")};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, spinner, &sp), 0);
    assert_true(wait_state(m, LAZY_ADD, LAZY_O2, 60));
    assert_true(wait_state(m, LAZY_SPIN, LAZY_O2, 60));
    assert_ptr_equal(export_func(inst, "spin")->ref.code, atomic_load(&m->code)->funcs[LAZY_SPIN]);
    __atomic_store_n((uint32_t *)mem, 1, __ATOMIC_RELAXED); /* still in the old code: stop */
    pthread_join(tid, NULL);
    assert_false(sp.trapped);
    uint32_t n;
    memcpy(&n, mem + 4, 4);
    assert_true(n > 20000); /* ran long enough to get hot */
    uint32_t want = (uint32_t)((uint64_t)n * (n + 1) / 2);
    assert_int_equal((uint32_t)sp.result, want);
    assert_true(wk_module_wait_optimized(m));
    /* a new call runs the O2 code of spin, which stops at once */
    wk_val_t res;
    assert_null(wk_func_call(export_func(inst, "spin"), NULL, 0, &res, 1));
    assert_int_equal(res.of.i32, 0);
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
}

/* Runs fib(25) `calls` times (hot: queues O2 work). */
static void make_hot(wk_func_t *fib, int calls)
{
    for (int i = 0; i < calls; i++) assert_int_equal(call1(fib, 25), 75025);
}

static void test_lazy_module_and_engine_deleted_with_o2_pending(void **state)
{
    (void)state;
    if (!lazy_available()) skip();
    for (int round = 0; round < 4; round++) {
        wk_engine_t *e = lazy_engine();
        wk_module_t *m = NULL, *kept = NULL;
        assert_null(wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &m));
        assert_null(wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &kept));
        wk_store_t *s = wk_store_new(e);
        make_hot(export_func(instantiate(s, m), "fib"), 1);
        wk_func_t *kfib = export_func(instantiate(s, kept), "fib");
        make_hot(kfib, 1);
        wk_store_delete(s); /* the instances go: only the embedder holds m */
        double t0 = now();
        wk_module_delete(m); /* its queued or running O2 compile is dropped */
        wk_engine_delete(e); /* stops the worker */
        assert_true(now() - t0 < 10);
        /* kept still works, in whatever tier it reached */
        wk_store_t *s2 = wk_store_new(kept->engine);
        assert_int_equal(call1(export_func(instantiate(s2, kept), "fib"), 20), 6765);
        wk_store_delete(s2);
        wk_module_delete(kept);
    }
}

static void test_lazy_fork_child_compiles_and_tiers_up(void **state)
{
    (void)state;
    if (!lazy_available()) skip();
    wk_engine_t *e = lazy_engine();
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &m));
    wk_store_t *s = wk_store_new(e);
    wk_instance_t *inst = instantiate(s, m);
    make_hot(export_func(inst, "fib"), 2); /* O2 of fib queued or running */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* no cmocka asserts here: exit status only */
        wk_val_t a[2] = {wk_val_i32(2), wk_val_i32(3)}, res;
        wk_trap_t *t = wk_func_call(export_func(inst, "add"), a, 2, &res, 1); /* compiles */
        bool ok = !t && res.of.i32 == 5;
        wk_val_t arg = wk_val_i32(25);
        for (int i = 0; ok && i < 2; i++) {
            t = wk_func_call(export_func(inst, "fib"), &arg, 1, &res, 1);
            ok = !t && res.of.i32 == 75025;
        }
        ok = ok && wk_module_wait_optimized(m) && lazy_state(m, LAZY_FIB) == LAZY_O2;
        wk_store_delete(s);
        wk_module_delete(m);
        wk_engine_delete(e);
        _exit(ok ? 0 : 1);
    }
    expect_exit_0(pid);
    assert_true(wk_module_wait_optimized(m));
    assert_int_equal(call1(export_func(inst, "fib"), 20), 6765);
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
}

/* Forks while the library's lazy threads work: a Wasm thread runs `spin` (compiled on its
 * first call, its callee too, then both tier up to O2 in the background while it loops) and
 * before each fork a new module's fib is made hot (its O2 compile queued or running on the
 * worker). Each child compiles (first calls) and tiers up on its own. Between the forks the
 * test's threads do not allocate (see test_tierup.c: ASan's allocator is not fork-safe). */
static void test_lazy_fork_while_compiling_child_compiles(void **state)
{
    (void)state;
    if (!lazy_available()) skip();
    wk_engine_t *e = lazy_engine();
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &m));
    wk_store_t *s = wk_store_new(e);
    wk_instance_t *inst = instantiate(s, m);
    Spinner sp = {.spin = export_func(inst, "spin")};
    uint8_t *data = wk_memory_data(export_of(inst, "mem").of.memory);
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, spinner, &sp), 0);
    double end = now() + 60;
    while (lazy_state(m, LAZY_ADD) < LAZY_FAST && now() < end) usleep(1000); /* spin runs */
    assert_true(lazy_state(m, LAZY_ADD) >= LAZY_FAST);
    for (int i = 0; i < 6; i++) {
        wk_module_t *pending = NULL;
        assert_null(wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &pending));
        wk_instance_t *pi = instantiate(s, pending);
        make_hot(export_func(pi, "fib"), 1); /* O2 of this fib queued or compiling */
        usleep((useconds_t)(i * 2000));
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) { /* no cmocka asserts here: exit status only */
            wk_module_t *cm = NULL;
            bool ok = !wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &cm);
            wk_instance_t *ci = NULL;
            wk_trap_t *trap = NULL;
            ok = ok && !wk_instance_new(s, cm, NULL, 0, &ci, &trap) && !trap;
            wk_extern_t f;
            wk_val_t arg = wk_val_i32(25), res;
            ok = ok && wk_instance_export_get(ci, "fib", 3, &f);
            for (int k = 0; ok && k < 2; k++) /* first call: compiles; then hot */
                ok = !wk_func_call(f.of.func, &arg, 1, &res, 1) && res.of.i32 == 75025;
            ok = ok && wk_module_wait_optimized(cm) && lazy_state(cm, LAZY_FIB) == LAZY_O2;
            ok = ok && wk_module_wait_optimized(pending); /* the inherited request too */
            _exit(ok ? 0 : 1);
        }
        expect_exit_0(pid);
        wk_module_delete(pending);
    }
    __atomic_store_n((int32_t *)data, 1, __ATOMIC_RELAXED); /* spin stops */
    assert_int_equal(pthread_join(tid, NULL), 0);
    int32_t n;
    memcpy(&n, data + 4, 4);
    assert_true(n > 0);
    assert_false(sp.trapped);
    assert_int_equal(sp.result, (int32_t)(uint32_t)((uint64_t)n * (uint64_t)(n + 1) / 2));
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
}

/* Corrupts every file of dir: truncates the even ones, flips a byte in the middle of the odd. */
static int corrupt_all(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.') continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        if (n++ % 2 == 0) {
            assert_int_equal(truncate(path, st.st_size / 2), 0);
        } else {
            FILE *f = fopen(path, "r+b");
            assert_non_null(f);
            fseek(f, st.st_size / 2, SEEK_SET);
            int c = fgetc(f);
            fseek(f, st.st_size / 2, SEEK_SET);
            fputc(c ^ 0xff, f);
            fclose(f);
        }
    }
    closedir(d);
    return n;
}

static void run_with_cache(const char *dir, int *files_after)
{
    wk_engine_options_t o = {.strategy = WK_STRATEGY_LAZY, .cache_dir = dir};
    wk_engine_t *e = NULL;
    assert_null(wk_engine_new_with(&o, &e));
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &m));
    wk_store_t *s = wk_store_new(e);
    wk_instance_t *inst = instantiate(s, m);
    assert_int_equal(call1(export_func(inst, "fib"), 20), 6765);
    assert_int_equal(call1(export_func(inst, "vec"), 1), 4);
    wk_val_t arg = wk_val_i32(2), res[3];
    assert_null(wk_func_call(export_func(inst, "many"), &arg, 1, res, 3));
    assert_int_equal(res[2].of.i32, 1102);
    assert_true(wk_module_wait_optimized(m));
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));) n += de->d_name[0] != '.';
    if (d) closedir(d);
    *files_after = n;
}

/* Per-function cache entries: written on the first run, loaded by the second; truncated or
 * altered ones are never executed (the functions are compiled again, the results the same). */
static void test_lazy_cache_hit_and_corruption(void **state)
{
    (void)state;
    if (!lazy_available()) skip();
    char dir[] = "/tmp/wk_test_lazy_XXXXXX";
    assert_non_null(mkdtemp(dir));
    int files = 0, again = 0;
    run_with_cache(dir, &files);
    assert_true(files >= 5); /* fib, vec, vadd, many, mix (fast tier; fib at O2 too) */
    run_with_cache(dir, &again);
    assert_int_equal(again, files); /* all hits: nothing new */
    assert_int_equal(corrupt_all(dir), files);
    run_with_cache(dir, &again); /* rejected, recompiled, rewritten */
    assert_int_equal(again, files);
    run_with_cache(dir, &again);
    assert_int_equal(again, files);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* The program run with --exit-child: makes fib hot (O2 queued or compiling), then exit()s
 * without deleting anything; the exit handler stops the worker. */
static int exit_child(void)
{
    wk_engine_options_t o = {.strategy = WK_STRATEGY_LAZY};
    wk_engine_t *e = NULL;
    wk_module_t *m = NULL;
    if (wk_engine_new_with(&o, &e) || wk_module_new(e, lazy_wasm, sizeof lazy_wasm, &m)) return 2;
    wk_store_t *s = wk_store_new(e);
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    wk_extern_t fib;
    if (wk_instance_new(s, m, NULL, 0, &inst, &trap) || trap ||
        !wk_instance_export_get(inst, "fib", 3, &fib))
        return 3;
    wk_val_t arg = wk_val_i32(25), res;
    for (int i = 0; i < 2; i++)
        if (wk_func_call(fib.of.func, &arg, 1, &res, 1) || res.of.i32 != 75025) return 4;
    exit(0);
}

static void test_lazy_exit_with_o2_pending_is_prompt(void **state)
{
    (void)state;
    if (!lazy_available()) skip();
    double t0 = now();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* a fresh process image: no test-runner state at exit */
        execl("/proc/self/exe", "test_lazy", "--exit-child", (char *)NULL);
        _exit(127);
    }
    expect_exit_0(pid);
    assert_true(now() - t0 < 20); /* generous: a loaded 2-core machine */
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--exit-child") == 0) return exit_child();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lazy_nothing_compiled_before_first_call),
        cmocka_unit_test(test_lazy_validation_stays_eager),
        cmocka_unit_test(test_lazy_concurrent_first_calls_compile_once),
        cmocka_unit_test(test_lazy_stub_passes_every_kind_and_results),
        cmocka_unit_test(test_lazy_tier_switch_while_function_runs),
        cmocka_unit_test(test_lazy_module_and_engine_deleted_with_o2_pending),
        cmocka_unit_test(test_lazy_fork_child_compiles_and_tiers_up),
        cmocka_unit_test(test_lazy_fork_while_compiling_child_compiles),
        cmocka_unit_test(test_lazy_exit_with_o2_pending_is_prompt),
        cmocka_unit_test(test_lazy_cache_hit_and_corruption),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
