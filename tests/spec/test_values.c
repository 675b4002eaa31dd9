/* Unit tests for tests/spec/values.c: parsing wast2json values, NaN patterns, v128 lanes,
 * references, and the printed forms used in failure messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "runner.h"

/* Parses a JSON value text into v; fails the test when it does not parse. */
static void parse(const char *json, Value *v)
{
    cJSON *j = cJSON_Parse(json);
    char err[128] = "";
    assert_non_null(j);
    bool ok = value_parse(j, v, err, sizeof err);
    cJSON_Delete(j);
    assert_true(ok);
}

static bool parses(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    Value v;
    char err[128];
    bool ok = value_parse(j, &v, err, sizeof err);
    cJSON_Delete(j);
    return ok;
}

static wk_val_t f32_bits(uint32_t bits)
{
    wk_val_t v = {.kind = WK_F32};
    v.of.f32_bits = bits;
    return v;
}

static wk_val_t f64_bits(uint64_t bits)
{
    wk_val_t v = {.kind = WK_F64};
    v.of.f64_bits = bits;
    return v;
}

static void test_value_i32_unsigned_decimal_matches_negative(void **state)
{
    (void)state;
    Value e;
    parse("{\"type\": \"i32\", \"value\": \"4294967295\"}", &e);
    wk_val_t got = wk_val_i32(-1);
    assert_true(value_match(&e, &got));
    got = wk_val_i32(1);
    assert_false(value_match(&e, &got));
}

static void test_value_kind_mismatch_fails(void **state)
{
    (void)state;
    Value e;
    parse("{\"type\": \"i64\", \"value\": \"1\"}", &e);
    wk_val_t got = wk_val_i32(1);
    assert_false(value_match(&e, &got));
}

static void test_value_nan_canonical_only_quiet_bit(void **state)
{
    (void)state;
    Value e;
    parse("{\"type\": \"f32\", \"value\": \"nan:canonical\"}", &e);
    wk_val_t got = f32_bits(0x7fc00000);
    assert_true(value_match(&e, &got));
    got = f32_bits(0xffc00000); /* sign is free */
    assert_true(value_match(&e, &got));
    got = f32_bits(0x7fc00001);
    assert_false(value_match(&e, &got));
}

static void test_value_nan_arithmetic_needs_quiet_bit(void **state)
{
    (void)state;
    Value e;
    parse("{\"type\": \"f64\", \"value\": \"nan:arithmetic\"}", &e);
    wk_val_t got = f64_bits(0x7ff8000000000001);
    assert_true(value_match(&e, &got));
    got = f64_bits(0x7ff4000000000000); /* signalling */
    assert_false(value_match(&e, &got));
    got = f64_bits(0x3ff0000000000000);
    assert_false(value_match(&e, &got));
}

static void test_value_float_exact_by_bits(void **state)
{
    (void)state;
    Value e;
    parse("{\"type\": \"f32\", \"value\": \"2147483648\"}", &e); /* -0.0 */
    wk_val_t got = f32_bits(0x80000000);
    assert_true(value_match(&e, &got));
    got = f32_bits(0);
    assert_false(value_match(&e, &got));
}

static void test_value_v128_lanes_little_endian(void **state)
{
    (void)state;
    Value e;
    parse("{\"type\": \"v128\", \"lane_type\": \"i16\", \"value\": [\"1\", \"2\", \"3\", \"4\", "
          "\"5\", \"6\", \"7\", \"65535\"]}",
          &e);
    wk_val_t got = {.kind = WK_V128};
    for (int i = 0; i < 7; i++) got.of.v128[2 * i] = (uint8_t)(i + 1);
    got.of.v128[14] = 0xff;
    got.of.v128[15] = 0xff;
    assert_true(value_match(&e, &got));
    got.of.v128[15] = 0x7f;
    assert_false(value_match(&e, &got));
}

static void test_value_v128_float_lane_patterns(void **state)
{
    (void)state;
    Value e;
    parse("{\"type\": \"v128\", \"lane_type\": \"f32\", \"value\": [\"nan:canonical\", "
          "\"nan:arithmetic\", \"0\", \"1065353216\"]}",
          &e);
    uint32_t lanes[4] = {0x7fc00000, 0xffe00000, 0, 0x3f800000};
    wk_val_t got = {.kind = WK_V128};
    memcpy(got.of.v128, lanes, 16);
    assert_true(value_match(&e, &got));
    lanes[0] = 0x7fe00000;
    memcpy(got.of.v128, lanes, 16);
    assert_false(value_match(&e, &got));
}

static void test_value_externref_distinct_per_number(void **state)
{
    (void)state;
    Value one, one_again, two, null;
    parse("{\"type\": \"externref\", \"value\": \"1\"}", &one);
    parse("{\"type\": \"externref\", \"value\": \"1\"}", &one_again);
    parse("{\"type\": \"externref\", \"value\": \"2\"}", &two);
    parse("{\"type\": \"externref\", \"value\": \"null\"}", &null);
    assert_non_null(one.val.of.externref);
    assert_ptr_equal(one.val.of.externref, one_again.val.of.externref);
    assert_ptr_not_equal(one.val.of.externref, two.val.of.externref);
    assert_null(null.val.of.externref);
    assert_false(value_match(&two, &one.val));
    externref_free_all();
}

static void test_value_funcref_null_rejects_function(void **state)
{
    (void)state;
    Value e;
    parse("{\"type\": \"funcref\", \"value\": \"null\"}", &e);
    wk_val_t got = {.kind = WK_FUNCREF};
    assert_true(value_match(&e, &got));
    got.of.funcref = (wk_func_t *)&e; /* any non-null function */
    assert_false(value_match(&e, &got));
}

static void test_value_malformed_rejected(void **state)
{
    (void)state;
    assert_false(parses("{\"type\": \"i32\", \"value\": \"12x\"}"));
    assert_false(parses("{\"type\": \"i33\", \"value\": \"1\"}"));
    assert_false(parses("{\"type\": \"v128\", \"lane_type\": \"i32\", \"value\": [\"1\"]}"));
}

static void test_value_format_shows_bits_and_patterns(void **state)
{
    (void)state;
    Value e;
    char buf[256];
    parse("{\"type\": \"v128\", \"lane_type\": \"f64\", \"value\": [\"nan:canonical\", "
          "\"4607182418800017408\"]}",
          &e);
    value_format(&e, buf, sizeof buf);
    assert_string_equal(buf, "v128:f64x2:nan:canonical 0x3ff0000000000000(1)");
    wk_val_t got = wk_val_i64(-1);
    value_format_got(&got, LANE_NONE, buf, sizeof buf);
    assert_string_equal(buf, "i64:18446744073709551615");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_i32_unsigned_decimal_matches_negative),
        cmocka_unit_test(test_value_kind_mismatch_fails),
        cmocka_unit_test(test_value_nan_canonical_only_quiet_bit),
        cmocka_unit_test(test_value_nan_arithmetic_needs_quiet_bit),
        cmocka_unit_test(test_value_float_exact_by_bits),
        cmocka_unit_test(test_value_v128_lanes_little_endian),
        cmocka_unit_test(test_value_v128_float_lane_patterns),
        cmocka_unit_test(test_value_externref_distinct_per_number),
        cmocka_unit_test(test_value_funcref_null_rejects_function),
        cmocka_unit_test(test_value_malformed_rejected),
        cmocka_unit_test(test_value_format_shows_bits_and_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
