/* Unit tests for lib/func.c: value conversions keep every kind's bits, and direct calls of
 * host functions check their arguments and results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "func.h"

static void test_func_val_round_trip_keeps_bits(void **state)
{
    (void)state;
    wk_val_t vals[] = {wk_val_i32(-5), wk_val_i64(INT64_MIN), wk_val_f32(-0.0f),
                       wk_val_f64(1.5)};
    vals[2].of.f32_bits = 0x7fa00001; /* a signalling NaN payload survives */
    for (size_t i = 0; i < 4; i++) {
        WasmVal raw = val_to_raw(&vals[i]);
        wk_val_t back = val_from_raw(vals[i].kind, &raw);
        assert_int_equal(back.kind, vals[i].kind);
        assert_memory_equal(&back.of, &vals[i].of, vals[i].kind == WK_I32 ||
                                                       vals[i].kind == WK_F32 ? 4 : 8);
    }
    int x;
    wk_val_t ext = {.kind = WK_EXTERNREF, .of.externref = &x};
    WasmVal raw = val_to_raw(&ext);
    assert_ptr_equal(raw.ref, &x);
    assert_ptr_equal(val_from_raw(WK_EXTERNREF, &raw).of.externref, &x);
}

static wk_trap_t *negate(void *env, const wk_caller_t *caller, const wk_val_t *args,
                         wk_val_t *results)
{
    (void)caller;
    (*(int *)env)++;
    results[0] = wk_val_i64(-args[0].of.i64);
    return NULL;
}

static int setup_store(void **state)
{
    wk_engine_t *e = wk_engine_new();
    *state = wk_store_new(e);
    wk_engine_delete(e); /* the store keeps it alive */
    return 0;
}

static int teardown_store(void **state)
{
    wk_store_delete(*state);
    return 0;
}

static void test_func_host_direct_call_checks_arguments(void **state)
{
    wk_store_t *store = *state;
    wk_valkind_t i64 = WK_I64;
    wk_functype_t ft = {1, &i64, 1, &i64};
    int calls = 0;
    wk_func_t *f = wk_func_new(store, &ft, negate, &calls, NULL);
    assert_non_null(f);
    wk_val_t arg = wk_val_i64(9), res[1];
    assert_null(wk_func_call(f, &arg, 1, res, 1));
    assert_int_equal(res[0].of.i64, -9);
    arg = wk_val_i32(9);
    wk_trap_t *t = wk_func_call(f, &arg, 1, res, 1);
    assert_non_null(t);
    assert_int_equal(wk_trap_kind(t), WK_TRAP_HOST);
    wk_trap_delete(t);
    t = wk_func_call(f, NULL, 0, res, 1);
    assert_non_null(t);
    wk_trap_delete(t);
    assert_int_equal(calls, 1);
    wk_functype_t got = wk_func_type(f);
    assert_int_equal(got.nparams, 1);
    assert_int_equal(got.results[0], WK_I64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_func_val_round_trip_keeps_bits),
        cmocka_unit_test_setup_teardown(test_func_host_direct_call_checks_arguments,
                                        setup_store, teardown_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
