/* Reproducers found by the fuzzers (tests/fuzz), each asserting the clean outcome now expected.
 * The input bytes are embedded as found (or minimised). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wasmkiln.h"

/* fuzz_run crash-2dde216d: (module (func)). Lowering the empty body computed `stack + 0` on a
 * NULL value stack (UBSan: applying zero offset to null pointer). */
static const uint8_t empty_func_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
};

static void test_regression_empty_function_body_compiles(void **state)
{
    (void)state;
    wk_engine_t *engine = wk_engine_new();
    wk_module_t *mod = NULL;
    wk_error_t *err = wk_module_new(engine, empty_func_wasm, sizeof empty_func_wasm, &mod);
    assert_null(err);
    assert_int_equal(wk_module_export_count(mod), 0);
    wk_module_delete(mod);
    wk_engine_delete(engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regression_empty_function_body_compiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
