/* Unit tests for lib/engine.c: engine-wide type interning, module reference counting and the
 * engine options (strategy, cache directory, bounds; defaults from the environment). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "add_module.h"

static int setup_engine(void **state)
{
    wk_engine_t *e;
    assert_null(engine_new(BOUNDS_GUARD, &e));
    *state = e;
    return 0;
}

static int teardown_engine(void **state)
{
    engine_unref(*state);
    return 0;
}

static void test_engine_intern_equal_types_same_id(void **state)
{
    wk_engine_t *e = *state;
    ValType a[] = {WK_I32, WK_I64, WK_F32}, b[] = {WK_I32, WK_I64, WK_F32};
    FuncType ta = {2, 1, a}, tb = {2, 1, b};
    uint32_t ia = engine_intern_type(e, &ta);
    assert_int_equal(engine_intern_type(e, &tb), ia);
    FuncType canon = engine_type(e, ia);
    assert_int_equal(canon.nparams, 2);
    assert_int_equal(canon.nresults, 1);
    assert_memory_equal(canon.types, a, 3);
    assert_ptr_not_equal(canon.types, a); /* a copy the engine owns */
}

static void test_engine_intern_split_differs_different_id(void **state)
{
    wk_engine_t *e = *state;
    ValType a[] = {WK_I32, WK_I32};
    FuncType one_one = {1, 1, a}, two_none = {2, 0, a}, none_two = {0, 2, a};
    uint32_t x = engine_intern_type(e, &one_one), y = engine_intern_type(e, &two_none);
    uint32_t z = engine_intern_type(e, &none_two);
    assert_int_not_equal(x, y);
    assert_int_not_equal(y, z);
    assert_int_not_equal(x, z);
}

static void test_engine_intern_many_types_ids_stable(void **state)
{
    wk_engine_t *e = *state;
    ValType v[64];
    for (int i = 0; i < 64; i++) v[i] = WK_I64;
    uint32_t ids[64];
    for (uint32_t n = 0; n < 64; n++) ids[n] = engine_intern_type(e, &(FuncType){n, 0, v});
    for (uint32_t n = 0; n < 64; n++) {
        assert_int_equal(engine_intern_type(e, &(FuncType){n, 0, v}), ids[n]);
        assert_int_equal(engine_type(e, ids[n]).nparams, n);
    }
}

static void test_engine_options_default_from_environment(void **state)
{
    (void)state;
    wk_engine_options_t o;
    setenv("WK_JIT_OPT", "tiered", 1);
    setenv("WK_CACHE_DIR", "/some/dir", 1);
    setenv("WK_BOUNDS", "software", 1);
    wk_engine_options_default(&o);
    assert_int_equal(o.strategy, WK_STRATEGY_TIERED);
    assert_string_equal(o.cache_dir, "/some/dir");
    assert_true(o.software_bounds);
    setenv("WK_JIT_OPT", "0", 1);
    setenv("WK_CACHE_DIR", "", 1);
    wk_engine_options_default(&o);
    assert_int_equal(o.strategy, WK_STRATEGY_FAST);
    assert_null(o.cache_dir);
    unsetenv("WK_JIT_OPT");
    unsetenv("WK_CACHE_DIR");
    unsetenv("WK_BOUNDS");
    wk_engine_options_default(&o);
    assert_int_equal(o.strategy, WK_STRATEGY_LAZY); /* the default */
    assert_null(o.cache_dir);
    setenv("WK_JIT_OPT", "o2", 1);
    wk_engine_options_default(&o);
    assert_int_equal(o.strategy, WK_STRATEGY_O2);
    unsetenv("WK_JIT_OPT");
    assert_false(o.software_bounds);
}

/* Compiles add_wasm in a new engine made from o, instantiates it and returns fib(n). */
static int32_t run_fib(const wk_engine_options_t *o, int32_t n)
{
    wk_engine_t *e = NULL;
    assert_null(wk_engine_new_with(o, &e));
    wk_module_t *m = NULL;
    assert_null(wk_module_new(e, add_wasm, sizeof add_wasm, &m));
    wk_store_t *s = wk_store_new(e);
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(s, m, NULL, 0, &inst, &trap));
    wk_extern_t fib;
    assert_true(wk_instance_export_get(inst, "fib", 3, &fib));
    wk_val_t arg = wk_val_i32(n), res;
    assert_null(wk_func_call(fib.of.func, &arg, 1, &res, 1));
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(e);
    return res.of.i32;
}

static void test_engine_options_cache_dir_used_and_copied(void **state)
{
    (void)state;
    char dir[] = "/tmp/wk_engine_cacheXXXXXX", other[] = "/tmp/wk_engine_envXXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_non_null(mkdtemp(other));
    setenv("WK_CACHE_DIR", other, 1); /* explicit options ignore the environment */
    char copy[sizeof dir];
    memcpy(copy, dir, sizeof dir);
    wk_engine_options_t o = {.strategy = WK_STRATEGY_O2, .cache_dir = copy};
    wk_engine_t *e = NULL;
    assert_null(wk_engine_new_with(&o, &e));
    memset(copy, 0, sizeof copy);
    assert_string_equal(wk_engine_cache_dir(e), dir);
    assert_int_equal(wk_engine_strategy(e), WK_STRATEGY_O2);
    wk_engine_delete(e);
    o.cache_dir = dir;
    assert_int_equal(run_fib(&o, 10), 55);
    assert_int_equal(count_files(dir), 1);
    assert_int_equal(run_fib(&o, 12), 144); /* loaded from the cache */
    o.cache_dir = NULL;
    assert_int_equal(run_fib(&o, 10), 55);
    assert_int_equal(count_files(other), 0);
    unsetenv("WK_CACHE_DIR");
    remove_dir(dir);
    remove_dir(other);
}

static void test_engine_options_each_strategy_same_results(void **state)
{
    (void)state;
    for (wk_strategy_t s = WK_STRATEGY_O2; s <= WK_STRATEGY_LAZY; s++) {
        wk_engine_options_t o = {.strategy = s};
        assert_int_equal(run_fib(&o, 20), 6765);
    }
}

static void test_engine_options_software_bounds_forced(void **state)
{
    (void)state;
    wk_engine_options_t o = {.strategy = WK_STRATEGY_FAST, .software_bounds = true};
    wk_engine_t *e = NULL;
    assert_null(wk_engine_new_with(&o, &e));
    assert_true(wk_engine_software_bounds(e));
    assert_int_equal(wk_engine_strategy(e), WK_STRATEGY_FAST);
    assert_null(wk_engine_cache_dir(e));
    wk_engine_delete(e);
    assert_int_equal(run_fib(&o, 15), 610);
}

static void test_engine_instance_of_other_engine_usage_error(void **state)
{
    (void)state;
    wk_engine_options_t o = {.strategy = WK_STRATEGY_FAST};
    wk_engine_t *a = NULL, *b = NULL;
    assert_null(wk_engine_new_with(&o, &a));
    assert_null(wk_engine_new_with(&o, &b));
    wk_module_t *m = NULL;
    assert_null(wk_module_new(a, add_wasm, sizeof add_wasm, &m));
    wk_store_t *s = wk_store_new(b);
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    wk_error_t *err = wk_instance_new(s, m, NULL, 0, &inst, &trap);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_USAGE);
    assert_null(inst);
    assert_null(trap);
    wk_error_delete(err);
    wk_store_delete(s);
    wk_module_delete(m);
    wk_engine_delete(a);
    wk_engine_delete(b);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup_engine, teardown_engine)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_engine_intern_equal_types_same_id),
        T(test_engine_intern_split_differs_different_id),
        T(test_engine_intern_many_types_ids_stable),
        cmocka_unit_test(test_engine_options_default_from_environment),
        cmocka_unit_test(test_engine_options_cache_dir_used_and_copied),
        cmocka_unit_test(test_engine_options_each_strategy_same_results),
        cmocka_unit_test(test_engine_options_software_bounds_forced),
        cmocka_unit_test(test_engine_instance_of_other_engine_usage_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
