/* Unit tests for lib/tierup.c: the tiered strategy (fast tier first, O2 switched in by the
 * background job for the module and the instances made before and after), waiting for the
 * switch, cancellation when the module or the engine goes, and the O2 object in the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compiled.h"
#include "engine.h"
#include "func.h"
#include "wasmkiln.h"

#include "add_module.h"

/* A tiered engine that tiers up every module, however small. */
static wk_engine_t *tiered_engine(const char *cache_dir)
{
    wk_engine_options_t o = {.strategy = WK_STRATEGY_TIERED, .cache_dir = cache_dir,
                             .tiered_min_bytes = 1};
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

static wk_func_t *export_func(wk_instance_t *inst, const char *name)
{
    wk_extern_t x;
    assert_true(wk_instance_export_get(inst, name, strlen(name), &x));
    assert_int_equal(x.kind, WK_EXTERN_FUNC);
    return x.of.func;
}

static int32_t call1(wk_func_t *f, int32_t a)
{
    wk_val_t arg = wk_val_i32(a), res;
    assert_null(wk_func_call(f, &arg, 1, &res, 1));
    return res.of.i32;
}

/* The code the module gives defined function i now. */
static void *module_code(wk_module_t *m, uint32_t i)
{
    return atomic_load(&m->code)->funcs[i];
}

static void test_tierup_switch_same_results_old_instance_gets_o2(void **state)
{
    (void)state;
    wk_engine_t *e = tiered_engine(NULL);
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, add_wasm, sizeof add_wasm, &m));
    assert_non_null(m->fast_code); /* started in the fast tier */
    wk_store_t *s = wk_store_new(e);
    wk_instance_t *before = instantiate(s, m);
    wk_func_t *fib = export_func(before, "fib");
    int32_t first = call1(fib, 20);
    assert_true(wk_module_wait_optimized(m));
    assert_int_equal(atomic_load(&m->tierup), TIERUP_DONE);
    assert_ptr_not_equal(module_code(m, 1), m->fast_code->funcs[1]);
    assert_ptr_equal(fib->ref.code, module_code(m, 1)); /* re-pointed */
    assert_ptr_equal(export_func(before, "add")->ref.code, module_code(m, 0));
    assert_int_equal(call1(fib, 20), first);
    assert_int_equal(first, 6765);
    wk_instance_t *after = instantiate(s, m);
    assert_ptr_equal(export_func(after, "fib")->ref.code, module_code(m, 1));
    assert_int_equal(call1(export_func(after, "fib"), 21), 10946);
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
}

static void test_tierup_table_element_follows_switch(void **state)
{
    (void)state;
    wk_engine_t *e = tiered_engine(NULL);
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, add_wasm, sizeof add_wasm, &m));
    wk_store_t *s = wk_store_new(e);
    wk_instance_t *inst = instantiate(s, m);
    wk_extern_t tab;
    assert_true(wk_instance_export_get(inst, "tab", 3, &tab));
    assert_true(wk_module_wait_optimized(m));
    wk_val_t elem;
    assert_true(wk_table_get(tab.of.table, 0, &elem));
    assert_ptr_equal(elem.of.funcref->ref.code, module_code(m, 0));
    wk_val_t args[2] = {wk_val_i32(40), wk_val_i32(2)}, res;
    assert_null(wk_func_call(elem.of.funcref, args, 2, &res, 1));
    assert_int_equal(res.of.i32, 42);
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
}

static void test_tierup_wait_reports_strategy(void **state)
{
    (void)state;
    for (wk_strategy_t st = WK_STRATEGY_O2; st <= WK_STRATEGY_FAST; st++) {
        wk_engine_options_t o = {.strategy = st};
        wk_engine_t *e = NULL;
        assert_null(wk_engine_new_with(&o, &e));
        wk_module_t *m = NULL;
        assert_null(wk_module_new(e, add_wasm, sizeof add_wasm, &m));
        assert_null(m->fast_code);
        assert_int_equal(wk_module_wait_optimized(m), st == WK_STRATEGY_O2);
        wk_module_delete(m);
        wk_engine_delete(e);
    }
    wk_engine_options_t o = {.strategy = WK_STRATEGY_TIERED}; /* small: O2 at once */
    wk_engine_t *e = NULL;
    assert_null(wk_engine_new_with(&o, &e));
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, add_wasm, sizeof add_wasm, &m));
    assert_null(m->fast_code);
    assert_int_equal(atomic_load(&m->tierup), TIERUP_NONE);
    assert_true(wk_module_wait_optimized(m));
    wk_module_delete(m);
    wk_engine_delete(e);
}

static void test_tierup_module_and_engine_deleted_while_pending(void **state)
{
    (void)state;
    for (int round = 0; round < 4; round++) {
        wk_engine_t *e = tiered_engine(NULL);
        wk_module_t *m = NULL, *kept = NULL;
        assert_null(wk_module_new(e, add_wasm, sizeof add_wasm, &m));
        assert_null(wk_module_new(e, add_wasm, sizeof add_wasm, &kept));
        wk_store_t *s = wk_store_new(e);
        wk_module_delete(m); /* only its job holds it: cancelled or finishing */
        wk_engine_delete(e); /* joins the jobs */
        int st = atomic_load(&kept->tierup); /* NONE: m's O2 code was loaded already */
        assert_int_not_equal(st, TIERUP_PENDING);
        assert_int_equal(wk_module_wait_optimized(kept), st != TIERUP_FAILED);
        assert_int_equal(call1(export_func(instantiate(s, kept), "fib"), 10), 55);
        wk_store_delete(s);
        wk_module_delete(kept);
    }
}

static void test_tierup_fork_while_pending_child_runs_fast_tier(void **state)
{
    (void)state;
    wk_engine_t *e = tiered_engine(NULL);
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, add_wasm, sizeof add_wasm, &m));
    wk_store_t *s = wk_store_new(e);
    wk_func_t *fib = export_func(instantiate(s, m), "fib");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* no cmocka asserts here: exit status only */
        bool opt = wk_module_wait_optimized(m); /* must not wait for the parent's thread */
        wk_val_t arg = wk_val_i32(15), res;
        wk_trap_t *trap = wk_func_call(fib, &arg, 1, &res, 1);
        bool ok = !trap && res.of.i32 == 610 && (opt || atomic_load(&m->tierup) != TIERUP_DONE);
        wk_store_delete(s);
        wk_module_delete(m);
        wk_engine_delete(e); /* must not join the parent's thread */
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(wk_module_wait_optimized(m));
    assert_int_equal(call1(fib, 15), 610);
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
}

static void test_tierup_o2_cached_then_loaded_without_fast_tier(void **state)
{
    (void)state;
    char dir[] = "/tmp/wk_tierup_cacheXXXXXX";
    assert_non_null(mkdtemp(dir));
    wk_engine_t *e = tiered_engine(dir);
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, add_wasm, sizeof add_wasm, &m));
    assert_non_null(m->fast_code);
    assert_true(wk_module_wait_optimized(m));
    assert_int_equal(count_files(dir), 2); /* both tiers */
    wk_module_delete(m);
    wk_engine_delete(e);
    e = tiered_engine(dir);
    assert_null(wk_module_new(e, add_wasm, sizeof add_wasm, &m));
    assert_null(m->fast_code);
    assert_int_equal(atomic_load(&m->tierup), TIERUP_NONE);
    assert_true(wk_module_wait_optimized(m));
    wk_store_t *s = wk_store_new(e);
    assert_int_equal(call1(export_func(instantiate(s, m), "fib"), 12), 144);
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tierup_switch_same_results_old_instance_gets_o2),
        cmocka_unit_test(test_tierup_table_element_follows_switch),
        cmocka_unit_test(test_tierup_wait_reports_strategy),
        cmocka_unit_test(test_tierup_module_and_engine_deleted_while_pending),
        cmocka_unit_test(test_tierup_fork_while_pending_child_runs_fast_tier),
        cmocka_unit_test(test_tierup_o2_cached_then_loaded_without_fast_tier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
