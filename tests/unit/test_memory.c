/* Unit tests for lib/memory.c: reservation, commit on grow, maximum, software mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memory.h"

static void test_memory_new_min_pages_zeroed_and_writable(void **state)
{
    (void)state;
    wk_memory_t *mem;
    Limits l = {2, 0, false};
    assert_null(memory_new(l, true, &mem));
    assert_int_equal(mem->vm.pages, 2);
    assert_int_equal(mem->vm.bytes, 2 * WK_PAGE_SIZE);
    assert_int_equal(mem->vm.base[2 * WK_PAGE_SIZE - 1], 0);
    mem->vm.base[2 * WK_PAGE_SIZE - 1] = 7;
    assert_int_equal(mem->vm.base[2 * WK_PAGE_SIZE - 1], 7);
    memory_delete(mem);
}

static void test_memory_grow_base_stays_new_pages_usable(void **state)
{
    (void)state;
    wk_memory_t *mem;
    Limits l = {1, 0, false};
    assert_null(memory_new(l, true, &mem));
    uint8_t *base = mem->vm.base;
    uint32_t prev = 99;
    assert_true(memory_grow(mem, 3, &prev));
    assert_int_equal(prev, 1);
    assert_ptr_equal(mem->vm.base, base);
    assert_int_equal(mem->vm.pages, 4);
    base[4 * WK_PAGE_SIZE - 1] = 5;
    assert_int_equal(base[4 * WK_PAGE_SIZE - 1], 5);
    memory_delete(mem);
}

static void test_memory_grow_past_max_fails_unchanged(void **state)
{
    (void)state;
    wk_memory_t *mem;
    Limits l = {1, 2, true};
    assert_null(memory_new(l, true, &mem));
    uint32_t prev;
    assert_false(memory_grow(mem, 2, &prev));
    assert_int_equal(mem->vm.pages, 1);
    assert_true(memory_grow(mem, 1, &prev));
    assert_false(memory_grow(mem, 1, &prev));
    assert_int_equal(prev, 2);
    assert_int_equal(mem->vm.pages, 2);
    memory_delete(mem);
}

static void test_memory_grow_past_4gib_fails(void **state)
{
    (void)state;
    wk_memory_t *mem;
    Limits l = {0, 0, false};
    assert_null(memory_new(l, true, &mem));
    uint32_t prev;
    assert_false(memory_grow(mem, WK_MAX_PAGES + 1, &prev));
    assert_true(memory_grow(mem, 0, &prev));
    assert_int_equal(mem->vm.pages, 0);
    memory_delete(mem);
}

static void test_memory_software_mode_grows_within_max(void **state)
{
    (void)state;
    wk_memory_t *mem;
    Limits l = {1, 3, true};
    assert_null(memory_new(l, false, &mem));
    assert_false(mem->guard);
    uint32_t prev;
    assert_true(memory_grow(mem, 2, &prev));
    mem->vm.base[3 * WK_PAGE_SIZE - 1] = 1;
    assert_false(memory_grow(mem, 1, &prev));
    memory_delete(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_new_min_pages_zeroed_and_writable),
        cmocka_unit_test(test_memory_grow_base_stays_new_pages_usable),
        cmocka_unit_test(test_memory_grow_past_max_fails_unchanged),
        cmocka_unit_test(test_memory_grow_past_4gib_fails),
        cmocka_unit_test(test_memory_software_mode_grows_within_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
