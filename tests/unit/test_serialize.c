/* Unit tests for lib/serialize.c (and module.c's custom sections): a serialized module runs
 * after deserialization, and bytes of another build, LLVM, CPU or truncated are refused with
 * an error saying which. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "load_wasm.h"

static int32_t call_seven(wk_engine_t *engine, wk_module_t *m)
{
    wk_store_t *s = wk_store_new(engine);
    wk_instance_t *inst;
    wk_trap_t *trap = NULL;
    assert_null(wk_instance_new(s, m, NULL, 0, &inst, &trap));
    wk_extern_t e;
    assert_true(wk_instance_export_get(inst, "seven", 5, &e));
    wk_val_t r;
    assert_null(wk_func_call(e.of.func, NULL, 0, &r, 1));
    wk_store_delete(s);
    return r.of.i32;
}

/* Replaces the first occurrence of `from` in bytes by `to` (same length). */
static void patch(uint8_t *bytes, size_t size, const char *from, const char *to)
{
    size_t n = strlen(from);
    for (size_t i = 0; i + n <= size; i++) {
        if (memcmp(bytes + i, from, n) == 0) {
            memcpy(bytes + i, to, n);
            return;
        }
    }
    fail_msg("%s not found", from);
}

static void expect_refused(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                           wk_error_kind_t kind, const char *text)
{
    wk_module_t *m = NULL;
    wk_error_t *err = wk_module_deserialize(engine, bytes, size, &m);
    assert_non_null(err);
    assert_null(m);
    assert_int_equal(wk_error_kind(err), kind);
    if (!strstr(wk_error_message(err), text)) fail_msg("%s", wk_error_message(err));
    wk_error_delete(err);
}

static void test_serialize_round_trip_then_refusals(void **state)
{
    (void)state;
    wk_engine_t *engine = wk_engine_new();
    wk_module_t *m = load_wasm(engine, "seven");
    uint8_t *bytes;
    size_t size;
    assert_null(wk_module_serialize(m, &bytes, &size));
    wk_module_delete(m);
    wk_engine_t *other = wk_engine_new(); /* a fresh engine: nothing loaded to share */
    assert_null(wk_module_deserialize(other, bytes, size, &m));
    assert_int_equal(call_seven(other, m), 7);
    wk_module_delete(m);
    expect_refused(other, bytes, 20, WK_ERROR_MALFORMED, "truncated");
    expect_refused(other, bytes, size - 1, WK_ERROR_MALFORMED, "truncated");
    expect_refused(other, (const uint8_t *)"\0asm\1\0\0\0", 8, WK_ERROR_MALFORMED,
                   "not a serialized wasmkiln module");
    uint8_t *copy = malloc(size);
    memcpy(copy, bytes, size);
    patch(copy, size, "llvm 19", "llvm 18");
    expect_refused(other, copy, size, WK_ERROR_UNSUPPORTED, "compiled with llvm 18");
    memcpy(copy, bytes, size);
    patch(copy, size, "wasmkiln ", "wasmkilm ");
    expect_refused(other, copy, size, WK_ERROR_UNSUPPORTED, "another wasmkiln build");
    free(copy);
    wk_bytes_delete(bytes);
    wk_engine_delete(other);
    wk_engine_delete(engine);
}

static void test_serialize_other_cpu_refused(void **state)
{
    (void)state;
    wk_engine_t *engine = wk_engine_new();
    wk_module_t *m = load_wasm(engine, "seven");
    uint8_t *bytes;
    size_t size;
    assert_null(wk_module_serialize(m, &bytes, &size));
    /* the target string is "llvm X.Y.Z|<triple>|<cpu>|<features>": change the triple */
    patch(bytes, size, "-linux", "-linuy");
    expect_refused(engine, bytes, size, WK_ERROR_UNSUPPORTED, "another CPU");
    wk_bytes_delete(bytes);
    wk_module_delete(m);
    wk_engine_delete(engine);
}

static void test_custom_sections_by_name_in_order(void **state)
{
    (void)state;
    static const uint8_t wasm[] = {0, 'a', 's', 'm', 1, 0, 0, 0,
                                   0, 4, 1, 'x', 'A', 'B', /* custom "x": "AB" */
                                   0, 2, 1, 'y',           /* custom "y": "" */
                                   0, 3, 1, 'x', 'C'};     /* custom "x": "C" */
    wk_engine_t *engine = wk_engine_new();
    wk_module_t *m;
    assert_null(wk_module_new(engine, wasm, sizeof wasm, &m));
    wk_name_t out[4];
    assert_int_equal(wk_module_custom_sections(m, "x", 1, out, 4), 2);
    assert_int_equal(out[0].size, 2);
    assert_memory_equal(out[0].data, "AB", 2);
    assert_int_equal(out[1].size, 1);
    assert_memory_equal(out[1].data, "C", 1);
    assert_int_equal(wk_module_custom_sections(m, "y", 1, out, 1), 1);
    assert_int_equal(out[0].size, 0);
    assert_int_equal(wk_module_custom_sections(m, "z", 1, NULL, 0), 0);
    wk_module_delete(m);
    wk_engine_delete(engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serialize_round_trip_then_refusals),
        cmocka_unit_test(test_serialize_other_cpu_refused),
        cmocka_unit_test(test_custom_sections_by_name_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
