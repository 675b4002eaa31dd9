/* Unit tests for lib/table.c: initial elements, growth, the maximum and the size limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "table.h"

static void test_table_new_min_elements_set_to_init(void **state)
{
    (void)state;
    int marker;
    wk_table_t *t;
    TableType tt = {WK_EXTERNREF, {3, 0, false}};
    assert_null(table_new(tt, &marker, &t));
    assert_int_equal(t->vm.size, 3);
    assert_int_equal(t->vm.max, UINT32_MAX);
    for (int i = 0; i < 3; i++) assert_ptr_equal(t->vm.elems[i], &marker);
    table_delete(t);
}

static void test_table_grow_within_max_then_refused(void **state)
{
    (void)state;
    int a, b;
    wk_table_t *t;
    TableType tt = {WK_FUNCREF, {1, 4, true}};
    assert_null(table_new(tt, &a, &t));
    uint32_t prev = 0;
    assert_true(table_grow(t, 3, &b, &prev));
    assert_int_equal(prev, 1);
    assert_ptr_equal(t->vm.elems[0], &a);
    assert_ptr_equal(t->vm.elems[3], &b);
    assert_false(table_grow(t, 1, &b, &prev));
    assert_int_equal(prev, 4);
    assert_int_equal(t->vm.size, 4);
    assert_true(table_grow(t, 0, NULL, &prev));
    table_delete(t);
}

static void test_table_grow_past_limit_refused(void **state)
{
    (void)state;
    wk_table_t *t;
    TableType tt = {WK_FUNCREF, {0, 0, false}};
    assert_null(table_new(tt, NULL, &t));
    uint32_t prev;
    assert_false(table_grow(t, UINT32_MAX, NULL, &prev));
    assert_false(table_grow(t, WK_TABLE_LIMIT + 1, NULL, &prev));
    assert_int_equal(t->vm.size, 0);
    table_delete(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_new_min_elements_set_to_init),
        cmocka_unit_test(test_table_grow_within_max_then_refused),
        cmocka_unit_test(test_table_grow_past_limit_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
