/* Unit tests for lib/reader.c: LEB128 limits and unused bits, bounds, UTF-8 names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "expect_error.h"

#include "error.h"
#include "reader.h"

#define READER(arr) ((Reader){(arr), 0, sizeof(arr)})

static void test_u32_one_byte_reads_value(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x7F};
    Reader r = READER(b);
    uint32_t v;
    assert_null(reader_u32(&r, &v));
    assert_int_equal(v, 127);
    assert_int_equal(r.pos, 1);
}

static void test_u32_max_five_bytes_reads_value(void **state)
{
    (void)state;
    static const uint8_t b[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    Reader r = READER(b);
    uint32_t v;
    assert_null(reader_u32(&r, &v));
    assert_int_equal(v, UINT32_MAX);
}

static void test_u32_padded_zero_accepted(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x83, 0x80, 0x80, 0x80, 0x00};
    Reader r = READER(b);
    uint32_t v;
    assert_null(reader_u32(&r, &v));
    assert_int_equal(v, 3);
}

static void test_u32_six_bytes_too_long(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    Reader r = READER(b);
    uint32_t v;
    expect_malformed(reader_u32(&r, &v), "integer representation too long", 4);
}

static void test_u32_unused_bits_set_too_large(void **state)
{
    (void)state;
    static const uint8_t b[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
    Reader r = READER(b);
    uint32_t v;
    expect_malformed(reader_u32(&r, &v), "integer too large", 4);
}

static void test_u32_truncated_unexpected_end(void **state)
{
    (void)state;
    /* The byte after `end` must not be read even though it is in memory. */
    static const uint8_t b[] = {0x80, 0x00};
    Reader r = {b, 0, 1};
    uint32_t v;
    expect_malformed(reader_u32(&r, &v), "unexpected end of section or function", 1);
}

static void test_s32_negative_values_sign_extended(void **state)
{
    (void)state;
    static const uint8_t minus1[] = {0x7F};
    static const uint8_t min[] = {0x80, 0x80, 0x80, 0x80, 0x78};
    int32_t v;
    Reader r = READER(minus1);
    assert_null(reader_s32(&r, &v));
    assert_int_equal(v, -1);
    r = READER(min);
    assert_null(reader_s32(&r, &v));
    assert_int_equal(v, INT32_MIN);
}

static void test_s32_unused_bits_not_sign_too_large(void **state)
{
    (void)state;
    static const uint8_t pos[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F}; /* bit 3 set, bits 4-6 not */
    static const uint8_t neg[] = {0x80, 0x80, 0x80, 0x80, 0x70}; /* bit 3 clear, 4-6 set */
    int32_t v;
    Reader r = READER(pos);
    expect_malformed(reader_s32(&r, &v), "integer too large", 4);
    r = READER(neg);
    expect_malformed(reader_s32(&r, &v), "integer too large", 4);
}

static void test_s33_block_type_range_accepted(void **state)
{
    (void)state;
    static const uint8_t max[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x0F}; /* 2^32 - 1 */
    static const uint8_t bad[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
    int64_t v;
    Reader r = READER(max);
    assert_null(reader_s33(&r, &v));
    assert_int_equal(v, UINT32_MAX);
    r = READER(bad);
    expect_malformed(reader_s33(&r, &v), "integer too large", 4);
}

static void test_s64_ten_bytes_edges(void **state)
{
    (void)state;
    static const uint8_t min[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F};
    static const uint8_t bad[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    static const uint8_t big[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                  0x00};
    int64_t v;
    Reader r = READER(min);
    assert_null(reader_s64(&r, &v));
    assert_true(v == INT64_MIN);
    r = READER(bad);
    expect_malformed(reader_s64(&r, &v), "integer too large", 9);
    r = READER(big);
    expect_malformed(reader_s64(&r, &v), "integer representation too long", 9);
}

static void test_f64_little_endian_bits(void **state)
{
    (void)state;
    static const uint8_t b[] = {0, 0, 0, 0, 0, 0, 0xF0, 0x3F};
    Reader r = READER(b);
    uint64_t bits;
    assert_null(reader_f64(&r, &bits));
    assert_true(bits == 0x3FF0000000000000ull);
    r.pos = 4;
    uint32_t f;
    assert_null(reader_f32(&r, &f));
    assert_int_equal(f, 0x3FF00000u);
    expect_malformed(reader_f32(&r, &f), "unexpected end of section or function", 8);
}

static void test_name_valid_utf8_points_into_bytes(void **state)
{
    (void)state;
    static const uint8_t b[] = {6, 'a', 0xC3, 0xA9, 0xF0, 0x9F, 0x98}; /* truncated emoji */
    static const uint8_t ok[] = {6, 'a', 0xC3, 0xA9, 0xE2, 0x82, 0xAC};
    Name n;
    Reader r = READER(ok);
    assert_null(reader_name(&r, &n));
    assert_int_equal(n.size, 6);
    assert_ptr_equal(n.data, (const char *)ok + 1);
    r = READER(b);
    expect_malformed(reader_name(&r, &n), "malformed UTF-8 encoding", 1);
}

static void test_name_invalid_sequences_rejected(void **state)
{
    (void)state;
    static const uint8_t bad[][5] = {
        {2, 0xC0, 0x80},             /* overlong NUL */
        {3, 0xED, 0xA0, 0x80},       /* surrogate U+D800 */
        {4, 0xF4, 0x90, 0x80, 0x80}, /* above U+10FFFF */
        {1, 0x80},                   /* lone continuation byte */
        {2, 0xE2, 0x28},             /* bad continuation */
        {1, 0xFF},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        Reader r = {bad[i], 0, (size_t)bad[i][0] + 1};
        Name n;
        expect_malformed(reader_name(&r, &n), "malformed UTF-8 encoding", 1);
    }
}

static void test_name_length_beyond_input_out_of_bounds(void **state)
{
    (void)state;
    static const uint8_t b[] = {9, 'a', 'b'};
    Reader r = READER(b);
    Name n;
    expect_malformed(reader_name(&r, &n), "length out of bounds", 0);
}

static void test_len_counts_from_the_field_itself(void **state)
{
    (void)state;
    /* The reference interpreter compares with the bytes left before the length field. */
    static const uint8_t b[] = {3, 'a', 'b'};
    Reader r = READER(b);
    uint32_t n;
    assert_null(reader_len(&r, &n));
    assert_int_equal(n, 3);
    const uint8_t *p;
    expect_malformed(reader_bytes(&r, n, &p), "unexpected end of section or function", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u32_one_byte_reads_value),
        cmocka_unit_test(test_u32_max_five_bytes_reads_value),
        cmocka_unit_test(test_u32_padded_zero_accepted),
        cmocka_unit_test(test_u32_six_bytes_too_long),
        cmocka_unit_test(test_u32_unused_bits_set_too_large),
        cmocka_unit_test(test_u32_truncated_unexpected_end),
        cmocka_unit_test(test_s32_negative_values_sign_extended),
        cmocka_unit_test(test_s32_unused_bits_not_sign_too_large),
        cmocka_unit_test(test_s33_block_type_range_accepted),
        cmocka_unit_test(test_s64_ten_bytes_edges),
        cmocka_unit_test(test_f64_little_endian_bits),
        cmocka_unit_test(test_name_valid_utf8_points_into_bytes),
        cmocka_unit_test(test_name_invalid_sequences_rejected),
        cmocka_unit_test(test_name_length_beyond_input_out_of_bounds),
        cmocka_unit_test(test_len_counts_from_the_field_itself),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
