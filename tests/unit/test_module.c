/* Unit tests for lib/module.c: index spaces put imports first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "decode.h"

static void test_func_index_space_imports_first(void **state)
{
    (void)state;
    static const uint8_t b[] = {
        0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x00, /* types 0, 1 */
        0x02, 0x07, 0x01, 0x01, 'm', 0x01, 'f', 0x00, 0x01,         /* import f: type 1 */
        0x03, 0x02, 0x01, 0x00,                                     /* func: type 0 */
        0x05, 0x03, 0x01, 0x00, 0x02,                               /* memory 2 */
        0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
    };
    Module *m = NULL;
    assert_null(decode_module(b, sizeof b, &m));
    assert_int_equal(module_func_count(m), 2);
    assert_int_equal(module_func_type_index(m, 0), 1);
    assert_int_equal(module_func_type_index(m, 1), 0);
    assert_int_equal(module_func_type(m, 0)->nparams, 1);
    assert_int_equal(module_memory_count(m), 1);
    assert_int_equal(module_memory_type(m, 0).min, 2);
    assert_false(module_memory_type(m, 0).has_max);
    assert_int_equal(module_table_count(m), 0);
    module_free(m);
    module_free(NULL); /* accepted, like every _free */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_func_index_space_imports_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
