/* Unit tests of the text-format parser (lib/wat*.c) through wk_wat2wasm: encodings of the
 * abbreviations, numeric literals, and errors with the spec's wording and line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wasmkiln.h"

/* Converts text; the bytes after the 8-byte header are compared with want. */
static void expect_body(const char *text, const char *want, size_t want_len)
{
    uint8_t *wasm = NULL;
    size_t size = 0;
    wk_error_t *err = wk_wat2wasm(text, strlen(text), &wasm, &size);
    if (err) fail_msg("%s: %s", text, wk_error_message(err));
    assert_int_equal(size, 8 + want_len);
    assert_memory_equal(wasm + 8, want, want_len);
    wk_wasm_delete(wasm);
}

static void expect_error(const char *text, const char *message)
{
    uint8_t *wasm = NULL;
    size_t size = 0;
    wk_error_t *err = wk_wat2wasm(text, strlen(text), &wasm, &size);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_MALFORMED);
    if (strncmp(wk_error_message(err), message, strlen(message)) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", text, wk_error_message(err), message);
    wk_error_delete(err);
}

static void test_wat_empty_module_is_header_only(void **state)
{
    (void)state;
    expect_body("(module)", "", 0);
    expect_body("", "", 0);
}

static void test_wat_folded_and_plain_encode_alike(void **state)
{
    (void)state;
    static const char want[] = "\x01\x07\x01\x60\x02\x7f\x7f\x01\x7f" /* type */
                               "\x03\x02\x01\x00"                     /* func */
                               "\x0a\x09\x01\x07\x00\x20\x00\x20\x01\x6a\x0b";
    expect_body("(module (func (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))",
                want, sizeof want - 1);
    expect_body("(func (param $a i32) (param $b i32) (result i32) local.get $a local.get $b i32.add)",
                want, sizeof want - 1);
}

static void test_wat_inline_export_and_import(void **state)
{
    (void)state;
    static const char want[] = "\x01\x04\x01\x60\x00\x00"                 /* type () -> () */
                               "\x02\x07\x01\x01m\x01n\x00\x00"           /* import m.n func 0 */
                               "\x07\x05\x01\x01" "f\x00\x00";            /* export "f" func 0 */
    expect_body("(module (func $f (export \"f\") (import \"m\" \"n\")))", want, sizeof want - 1);
}

static void test_wat_numeric_literals(void **state)
{
    (void)state;
    /* i32.const 0xffff_ffff is -1; f32.const -0x1p-1 is 0xBF000000; nan:0x200000 payload */
    static const char want[] = "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00"
                               "\x0a\x13\x01\x11\x00"
                               "\x41\x7f\x1a"
                               "\x43\x00\x00\x00\xbf\x1a"
                               "\x43\x00\x00\xa0\x7f\x1a\x0b";
    expect_body("(func i32.const 0xffff_ffff drop f32.const -0x1p-1 drop f32.const nan:0x20_0000 "
                "drop)",
                want, sizeof want - 1);
}

static void test_wat_data_string_escapes(void **state)
{
    (void)state;
    static const char want[] = "\x05\x03\x01\x00\x01"                      /* memory 1 */
                               "\x0b\x0b\x01\x00\x41\x00\x0b\x05" "a\n\x00\xe2\x82";
    expect_body("(memory 1) (data (i32.const 0) \"a\\n\\00\\e2\\82\")", want, sizeof want - 1);
}

static void test_wat_errors_use_spec_wording(void **state)
{
    (void)state;
    expect_error("(func (i32.foo))", "unknown operator");
    expect_error("(func (i32.const 0x100000000) drop)", "constant out of range");
    expect_error("(func (i32.const) drop)", "unexpected token");
    expect_error("(func br $nowhere)", "unknown label");
    expect_error("(type (func)) (func (type 0) (param i32))", "inline function type");
    expect_error("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))",
                 "alignment must be a power of two");
    expect_error("(memory 0x1_0000_0000)", "i32 constant out of range");
    expect_error("(func $a) (func $a)", "duplicate func");
    expect_error("(func) (import \"\" \"\" (func))", "import after function");
    expect_error("(func block $a end $b)", "mismatching label");
    expect_error("(func (export \"\\ff\"))", "malformed UTF-8 encoding");
}

static void test_wat_error_has_line_and_column(void **state)
{
    (void)state;
    expect_error("(module\n  (func\n    i32.bogus))", "unknown operator i32.bogus (at 3:5)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wat_empty_module_is_header_only),
        cmocka_unit_test(test_wat_folded_and_plain_encode_alike),
        cmocka_unit_test(test_wat_inline_export_and_import),
        cmocka_unit_test(test_wat_numeric_literals),
        cmocka_unit_test(test_wat_data_string_escapes),
        cmocka_unit_test(test_wat_errors_use_spec_wording),
        cmocka_unit_test(test_wat_error_has_line_and_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
