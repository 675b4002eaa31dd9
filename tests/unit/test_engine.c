/* Unit tests for lib/engine.c: engine-wide type interning and module reference counting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine.h"

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

#define T(name) cmocka_unit_test_setup_teardown(name, setup_engine, teardown_engine)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_engine_intern_equal_types_same_id),
        T(test_engine_intern_split_differs_different_id),
        T(test_engine_intern_many_types_ids_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
