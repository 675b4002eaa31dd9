/* Unit tests for lib/decode.c: each section's encodings and error paths, hostile counts,
 * limits, the name section, and that input bytes are copied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"

#define HEADER 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00
/* type section: one type [] -> [] */
#define TYPE_VOID 0x01, 0x04, 0x01, 0x60, 0x00, 0x00
/* function section: one function of type 0 */
#define FUNC_ONE 0x03, 0x02, 0x01, 0x00
/* code section: one empty body */
#define CODE_EMPTY 0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B

static Module *decode_ok(const uint8_t *b, size_t n)
{
    Module *m = NULL;
    wk_error_t *err = decode_module(b, n, &m);
    if (err) fail_msg("unexpected error: %s", wk_error_describe(err));
    assert_non_null(m);
    return m;
}

/* Decodes b expecting a failure whose message starts with msg; returns its offset. */
static size_t decode_fails(const uint8_t *b, size_t n, const char *msg)
{
    Module *m = (Module *)(uintptr_t)1;
    wk_error_t *err = decode_module(b, n, &m);
    assert_non_null(err);
    assert_ptr_equal(m, (Module *)(uintptr_t)1); /* untouched on failure */
    if (strncmp(wk_error_message(err), msg, strlen(msg)) != 0)
        fail_msg("expected \"%s\", got \"%s\"", msg, wk_error_message(err));
    size_t off = wk_error_offset(err);
    wk_error_delete(err);
    return off;
}

#define DECODE_OK(arr) decode_ok((arr), sizeof(arr))
#define DECODE_FAILS(arr, msg) decode_fails((arr), sizeof(arr), (msg))

static void test_empty_module_decodes(void **state)
{
    (void)state;
    static const uint8_t b[] = {HEADER};
    Module *m = DECODE_OK(b);
    assert_int_equal(m->ntypes, 0);
    assert_int_equal(module_func_count(m), 0);
    module_free(m);
}

static void test_header_errors_reported(void **state)
{
    (void)state;
    static const uint8_t short_magic[] = {0x00, 0x61, 0x73};
    static const uint8_t bad_magic[] = {0x00, 0x41, 0x53, 0x4D, 0x01, 0x00, 0x00, 0x00};
    static const uint8_t bad_version[] = {0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00};
    DECODE_FAILS(short_magic, "unexpected end");
    DECODE_FAILS(bad_magic, "magic header not detected");
    assert_int_equal(DECODE_FAILS(bad_version, "unknown binary version"), 4);
}

static void test_input_bytes_copied(void **state)
{
    (void)state;
    uint8_t b[] = {HEADER, 0x00, 0x04, 0x03, 'a', 'b', 'c'};
    Module *m = DECODE_OK(b);
    assert_ptr_not_equal(m->bytes, b);
    memset(b, 0xEE, sizeof b);
    assert_int_equal(m->size, sizeof b);
    assert_int_equal(m->bytes[8], 0x00);
    assert_memory_equal(m->bytes + 11, "abc", 3);
    module_free(m);
}

static void test_sections_out_of_order_rejected(void **state)
{
    (void)state;
    static const uint8_t b[] = {HEADER, FUNC_ONE, TYPE_VOID, CODE_EMPTY};
    static const uint8_t dup[] = {HEADER, TYPE_VOID, TYPE_VOID};
    assert_int_equal(DECODE_FAILS(b, "unexpected content after last section"), 12);
    DECODE_FAILS(dup, "unexpected content after last section");
}

static void test_section_id_and_size_checked(void **state)
{
    (void)state;
    static const uint8_t bad_id[] = {HEADER, 0x0D, 0x00};
    static const uint8_t too_long[] = {HEADER, 0x01, 0x06, 0x01, 0x60, 0x00, 0x00};
    static const uint8_t mismatch[] = {HEADER, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00};
    assert_int_equal(DECODE_FAILS(bad_id, "malformed section id"), 8);
    DECODE_FAILS(too_long, "length out of bounds");
    DECODE_FAILS(mismatch, "section size mismatch");
}

static void test_hostile_count_unexpected_end(void **state)
{
    (void)state;
    /* Counts of 4 billion with a few bytes left: rejected before any allocation. */
    static const uint8_t types[] = {HEADER, 0x01, 0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x60, 0x00};
    static const uint8_t params[] = {HEADER, 0x01, 0x08, 0x01, 0x60, 0xFF, 0xFF, 0xFF, 0xFF,
                                     0x0F, 0x7F};
    static const uint8_t locals[] = {HEADER, TYPE_VOID, FUNC_ONE, 0x0A, 0x09, 0x01, 0x07, 0xFF,
                                     0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x0B};
    DECODE_FAILS(types, "unexpected end");
    DECODE_FAILS(params, "unexpected end");
    DECODE_FAILS(locals, "unexpected end");
}

/* Writes a module whose one type has n (128..16383) i32 params; returns its size. */
static size_t module_with_params(uint32_t n, uint8_t *b)
{
    static const uint8_t header[] = {HEADER};
    uint32_t size = n + 5;
    memcpy(b, header, 8);
    b[8] = 0x01;
    b[9] = (uint8_t)(0x80 | (size & 0x7F)), b[10] = (uint8_t)(size >> 7);
    b[11] = 0x01, b[12] = 0x60;
    b[13] = (uint8_t)(0x80 | (n & 0x7F)), b[14] = (uint8_t)(n >> 7);
    memset(b + 15, 0x7F, n);
    b[15 + n] = 0x00;
    return 16 + n;
}

static void test_function_arity_limited(void **state)
{
    (void)state;
    uint8_t b[1100];
    Module *m = NULL;
    assert_null(decode_module(b, module_with_params(1000, b), &m));
    assert_int_equal(m->types[0].nparams, 1000);
    module_free(m);
    wk_error_t *err = decode_module(b, module_with_params(1001, b), &m);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_RESOURCE);
    assert_string_equal(wk_error_message(err), "too many parameters (limit 1000)");
    assert_int_equal(wk_error_offset(err), 13);
    wk_error_delete(err);
}

static void test_too_many_locals_rejected(void **state)
{
    (void)state;
    static const uint8_t b[] = {HEADER, TYPE_VOID, FUNC_ONE, 0x0A, 0x0C, 0x01, 0x0A, 0x02,
                                0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x02, 0x7E, 0x0B};
    DECODE_FAILS(b, "too many locals");
}

static void test_locals_expanded(void **state)
{
    (void)state;
    static const uint8_t b[] = {HEADER, TYPE_VOID, FUNC_ONE,
                                0x0A, 0x08, 0x01, 0x06, 0x02, 0x02, 0x7F, 0x01, 0x7C, 0x0B};
    Module *m = DECODE_OK(b);
    assert_int_equal(m->nfuncs, 1);
    assert_int_equal(m->funcs[0].nlocals, 3);
    assert_memory_equal(m->funcs[0].locals, ((uint8_t[]){0x7F, 0x7F, 0x7C}), 3);
    assert_int_equal(m->funcs[0].body_size, 1);
    assert_int_equal(m->bytes[m->funcs[0].body_offset], 0x0B);
    module_free(m);
}

static void test_function_and_code_counts_agree(void **state)
{
    (void)state;
    static const uint8_t no_code[] = {HEADER, TYPE_VOID, FUNC_ONE};
    static const uint8_t no_func[] = {HEADER, TYPE_VOID, CODE_EMPTY};
    DECODE_FAILS(no_code, "function and code section have inconsistent lengths");
    DECODE_FAILS(no_func, "function and code section have inconsistent lengths");
}

static void test_body_missing_end_unexpected_end(void **state)
{
    (void)state;
    static const uint8_t b[] = {HEADER, TYPE_VOID, FUNC_ONE, 0x0A, 0x05, 0x01, 0x03, 0x00,
                                0x41, 0x01};
    DECODE_FAILS(b, "unexpected end of section or function");
}

static void test_else_outside_if_rejected(void **state)
{
    (void)state;
    static const uint8_t b[] = {HEADER, TYPE_VOID, FUNC_ONE, 0x0A, 0x07, 0x01, 0x05, 0x00,
                                0x02, 0x40, 0x05, 0x0B};
    assert_int_equal(DECODE_FAILS(b, "END opcode expected"), 25);
}

static void test_nesting_limit_enforced(void **state)
{
    (void)state;
    enum { DEPTH = 100001 };
    size_t body = 1 + 2 * DEPTH + DEPTH + 1; /* locals, blocks, ends, final end */
    size_t n = 8 + 6 + 4 + 1 + 3 + 1 + 3 + body;
    uint8_t *b = malloc(n), *p = b;
    static const uint8_t pre[] = {HEADER, TYPE_VOID, FUNC_ONE};
    memcpy(p, pre, sizeof pre);
    p += sizeof pre;
    size_t sec = 1 + 3 + body;
    *p++ = 0x0A;
    *p++ = (uint8_t)(0x80 | (sec & 0x7F)), *p++ = (uint8_t)(0x80 | ((sec >> 7) & 0x7F));
    *p++ = (uint8_t)(sec >> 14);
    *p++ = 0x01;
    *p++ = (uint8_t)(0x80 | (body & 0x7F)), *p++ = (uint8_t)(0x80 | ((body >> 7) & 0x7F));
    *p++ = (uint8_t)(body >> 14);
    *p++ = 0x00;
    for (int i = 0; i < DEPTH; i++) *p++ = 0x02, *p++ = 0x40;
    for (int i = 0; i <= DEPTH; i++) *p++ = 0x0B;
    Module *m = (Module *)(uintptr_t)1;
    wk_error_t *err = decode_module(b, (size_t)(p - b), &m);
    assert_non_null(err);
    assert_int_equal(wk_error_kind(err), WK_ERROR_INVALID);
    assert_non_null(strstr(wk_error_message(err), "nesting"));
    wk_error_delete(err);
    free(b);
}

static void test_imports_indexed_by_kind(void **state)
{
    (void)state;
    static const uint8_t b[] = {
        HEADER, TYPE_VOID,
        0x02, 0x1E, 0x04,                                  /* import section, 4 imports */
        0x01, 'm', 0x01, 'f', 0x00, 0x00,                  /* func type 0 */
        0x01, 'm', 0x01, 'g', 0x03, 0x7E, 0x01,            /* global (mut i64) */
        0x01, 'm', 0x01, 't', 0x01, 0x70, 0x01, 0x02, 0x03, /* table funcref 2..3 */
        0x01, 'm', 0x01, 'h', 0x03, 0x7F, 0x00,            /* global i32 */
    };
    Module *m = DECODE_OK(b);
    assert_int_equal(m->nimports, 4);
    assert_int_equal(module_func_count(m), 1);
    assert_int_equal(module_global_count(m), 2);
    assert_int_equal(module_global_type(m, 0).type, WK_I64);
    assert_true(module_global_type(m, 0).mut);
    assert_int_equal(module_global_type(m, 1).type, WK_I32);
    TableType t = module_table_type(m, 0);
    assert_int_equal(t.limits.min, 2);
    assert_int_equal(t.limits.max, 3);
    assert_true(t.limits.has_max);
    module_free(m);
}

static void test_bad_import_kind_and_mutability_rejected(void **state)
{
    (void)state;
    static const uint8_t kind[] = {HEADER, 0x02, 0x06, 0x01, 0x01, 'm', 0x01, 'f', 0x04};
    static const uint8_t mut[] = {HEADER, 0x02, 0x08, 0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7F,
                                  0x02};
    assert_int_equal(DECODE_FAILS(kind, "malformed import kind"), 15);
    DECODE_FAILS(mut, "malformed mutability");
}

static void test_all_element_encodings_decoded(void **state)
{
    (void)state;
    static const uint8_t b[] = {
        HEADER, TYPE_VOID, FUNC_ONE,
        0x04, 0x04, 0x01, 0x70, 0x00, 0x01, /* table */
        0x09, 0x32, 0x08,
        0x00, 0x41, 0x00, 0x0B, 0x01, 0x00,             /* 0: active, indices */
        0x01, 0x00, 0x01, 0x00,                         /* 1: passive, elemkind, indices */
        0x02, 0x00, 0x41, 0x00, 0x0B, 0x00, 0x01, 0x00, /* 2: active table 0, elemkind */
        0x03, 0x00, 0x01, 0x00,                         /* 3: declarative, indices */
        0x04, 0x41, 0x00, 0x0B, 0x01, 0xD2, 0x00, 0x0B, /* 4: active, exprs */
        0x05, 0x70, 0x01, 0xD0, 0x70, 0x0B,             /* 5: passive, reftype, exprs */
        0x06, 0x00, 0x41, 0x00, 0x0B, 0x70, 0x00,       /* 6: active table 0, no exprs */
        0x07, 0x6F, 0x01, 0xD0, 0x6F, 0x0B,             /* 7: declarative externref */
        CODE_EMPTY,
    };
    static const uint8_t modes[8] = {SEG_ACTIVE, SEG_PASSIVE, SEG_ACTIVE, SEG_DECLARATIVE,
                                     SEG_ACTIVE, SEG_PASSIVE, SEG_ACTIVE, SEG_DECLARATIVE};
    Module *m = DECODE_OK(b);
    assert_int_equal(m->nelems, 8);
    for (int i = 0; i < 8; i++) {
        const Elem *el = &m->elems[i];
        assert_int_equal(el->mode, modes[i]);
        assert_true(i < 4 ? el->exprs == NULL : el->funcs == NULL);
        assert_int_equal(el->count, i == 6 ? 0 : 1);
        assert_int_equal(el->type, i == 7 ? WK_EXTERNREF : WK_FUNCREF);
    }
    assert_int_equal(m->elems[4].exprs[0].size, 3);
    assert_int_equal(m->bytes[m->elems[4].exprs[0].offset], 0xD2);
    assert_int_equal(m->elems[0].offset.size, 3);
    module_free(m);
}

static void test_bad_element_kind_rejected(void **state)
{
    (void)state;
    static const uint8_t flags[] = {HEADER, 0x09, 0x02, 0x01, 0x08};
    static const uint8_t kind[] = {HEADER, 0x09, 0x04, 0x01, 0x01, 0x01, 0x00};
    static const uint8_t reft[] = {HEADER, 0x09, 0x04, 0x01, 0x05, 0x7F, 0x00};
    DECODE_FAILS(flags, "malformed elements segment kind");
    DECODE_FAILS(kind, "malformed element kind");
    DECODE_FAILS(reft, "malformed reference type");
}

static void test_all_data_encodings_decoded(void **state)
{
    (void)state;
    static const uint8_t b[] = {
        HEADER, 0x05, 0x03, 0x01, 0x00, 0x01, /* memory */
        0x0C, 0x01, 0x03,                     /* data count 3 */
        0x0B, 0x11, 0x03,
        0x00, 0x41, 0x05, 0x0B, 0x02, 'h', 'i',
        0x01, 0x01, 'x',
        0x02, 0x00, 0x41, 0x00, 0x0B, 0x00,
    };
    Module *m = DECODE_OK(b);
    assert_int_equal(m->ndatas, 3);
    assert_true(m->has_datacount);
    assert_int_equal(m->datas[0].mode, SEG_ACTIVE);
    assert_int_equal(m->datas[0].size, 2);
    assert_memory_equal(m->bytes + m->datas[0].bytes_offset, "hi", 2);
    assert_int_equal(m->datas[1].mode, SEG_PASSIVE);
    assert_int_equal(m->bytes[m->datas[1].bytes_offset], 'x');
    assert_int_equal(m->datas[2].mode, SEG_ACTIVE);
    assert_int_equal(m->datas[2].size, 0);
    module_free(m);
}

static void test_data_count_rules_enforced(void **state)
{
    (void)state;
    static const uint8_t mismatch[] = {HEADER, 0x0C, 0x01, 0x02, 0x0B, 0x04, 0x01, 0x01, 0x01,
                                       'x'};
    static const uint8_t required[] = {HEADER, TYPE_VOID, FUNC_ONE, 0x05, 0x03, 0x01, 0x00,
                                       0x01, 0x0A, 0x07, 0x01, 0x05, 0x00, 0xFC, 0x09, 0x00,
                                       0x0B, 0x0B, 0x03, 0x01, 0x01, 0x00};
    DECODE_FAILS(mismatch, "data count and data section have inconsistent lengths");
    DECODE_FAILS(required, "data count section required");
}

/* Decodes a module with one function and a name section naming it "foo", the name's length
 * byte being name_len (3 is well-formed). */
static Module *decode_with_func_name(uint8_t name_len)
{
    const uint8_t b[] = {HEADER, TYPE_VOID, FUNC_ONE, CODE_EMPTY,
                         0x00, 0x0D, 0x04, 'n', 'a', 'm', 'e',
                         0x01, 0x06, 0x01, 0x00, name_len, 'f', 'o', 'o'};
    return DECODE_OK(b);
}

static void test_name_section_function_names_kept(void **state)
{
    (void)state;
    Module *m = decode_with_func_name(3);
    assert_int_equal(m->names.nfuncs, 1);
    assert_int_equal(m->names.func_names[0].size, 3);
    assert_memory_equal(m->names.func_names[0].data, "foo", 3);
    module_free(m);
}

static void test_malformed_name_section_ignored(void **state)
{
    (void)state;
    Module *m = decode_with_func_name(7);
    assert_null(m->names.func_names);
    module_free(m);
}

static void test_name_section_local_names_kept(void **state)
{
    (void)state;
    static const uint8_t b[] = {HEADER, TYPE_VOID, FUNC_ONE, CODE_EMPTY,
                                0x00, 0x17, 0x04, 'n', 'a', 'm', 'e',
                                0x01, 0x06, 0x01, 0x00, 0x03, 'f', 'o', 'o',
                                0x02, 0x08, 0x01, 0x00, 0x01, 0x05, 0x03, 'x', 'y', 'z'};
    Module *m = DECODE_OK(b);
    Name f = module_func_name(m, 0), l = module_local_name(m, 0, 5);
    assert_memory_equal(f.data, "foo", 3);
    assert_int_equal(l.size, 3);
    assert_memory_equal(l.data, "xyz", 3);
    assert_int_equal(module_local_name(m, 0, 4).size, 0);
    assert_int_equal(module_func_name(m, 1).size, 0);
    module_free(m);
}

static void test_custom_section_name_must_be_utf8(void **state)
{
    (void)state;
    static const uint8_t b[] = {HEADER, 0x00, 0x03, 0x02, 0xC0, 0x80};
    DECODE_FAILS(b, "malformed UTF-8 encoding");
}

static void test_limits_flags_checked(void **state)
{
    (void)state;
    static const uint8_t two[] = {HEADER, 0x05, 0x03, 0x01, 0x02, 0x00};
    static const uint8_t leb[] = {HEADER, 0x05, 0x04, 0x01, 0x81, 0x00, 0x00};
    DECODE_FAILS(two, "integer too large");
    DECODE_FAILS(leb, "integer representation too long");
}

static void test_const_expr_illegal_opcode_rejected(void **state)
{
    (void)state;
    static const uint8_t b[] = {HEADER, 0x06, 0x05, 0x01, 0x7F, 0x00, 0xF3, 0x0B};
    assert_int_equal(DECODE_FAILS(b, "illegal opcode"), 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_module_decodes),
        cmocka_unit_test(test_header_errors_reported),
        cmocka_unit_test(test_input_bytes_copied),
        cmocka_unit_test(test_sections_out_of_order_rejected),
        cmocka_unit_test(test_section_id_and_size_checked),
        cmocka_unit_test(test_hostile_count_unexpected_end),
        cmocka_unit_test(test_function_arity_limited),
        cmocka_unit_test(test_too_many_locals_rejected),
        cmocka_unit_test(test_locals_expanded),
        cmocka_unit_test(test_function_and_code_counts_agree),
        cmocka_unit_test(test_body_missing_end_unexpected_end),
        cmocka_unit_test(test_else_outside_if_rejected),
        cmocka_unit_test(test_nesting_limit_enforced),
        cmocka_unit_test(test_imports_indexed_by_kind),
        cmocka_unit_test(test_bad_import_kind_and_mutability_rejected),
        cmocka_unit_test(test_all_element_encodings_decoded),
        cmocka_unit_test(test_bad_element_kind_rejected),
        cmocka_unit_test(test_all_data_encodings_decoded),
        cmocka_unit_test(test_data_count_rules_enforced),
        cmocka_unit_test(test_name_section_function_names_kept),
        cmocka_unit_test(test_malformed_name_section_ignored),
        cmocka_unit_test(test_name_section_local_names_kept),
        cmocka_unit_test(test_custom_section_name_must_be_utf8),
        cmocka_unit_test(test_limits_flags_checked),
        cmocka_unit_test(test_const_expr_illegal_opcode_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
