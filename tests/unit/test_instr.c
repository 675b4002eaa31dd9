/* Unit tests for lib/instr.c: the opcode table round trip, immediates, illegal encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "expect_error.h"

#include "instr.h"

#define READER(arr) ((Reader){(arr), 0, sizeof(arr)})

/* Encodes op's opcode (prefix + LEB sub-opcode) followed by zero bytes for immediates. */
static size_t encode_opcode(Opcode op, uint8_t *out)
{
    const OpInfo *info = &op_info[op];
    size_t n = 0;
    if (info->prefix) {
        out[n++] = (uint8_t)info->prefix;
        uint32_t c = info->code;
        do {
            uint8_t b = c & 0x7F;
            c >>= 7;
            out[n++] = b | (c ? 0x80 : 0);
        } while (c);
    } else {
        out[n++] = (uint8_t)info->code;
    }
    return n;
}

static void test_instr_read_every_opcode_round_trips(void **state)
{
    (void)state;
    for (int op = 0; op < OP_COUNT; op++) {
        uint8_t buf[64] = {0};
        size_t n = encode_opcode((Opcode)op, buf);
        if (op_info[op].imm == IMM_BLOCK) buf[n] = 0x40;
        if (op_info[op].imm == IMM_REFTYPE) buf[n] = WK_FUNCREF;
        Reader r = READER(buf);
        Instr in;
        wk_error_t *err = instr_read(&r, &in);
        assert_null(err);
        assert_int_equal(in.op, op);
        assert_int_equal(in.offset, 0);
    }
}

static void test_simd_table_has_all_236_instructions(void **state)
{
    (void)state;
    int n = 0;
    for (int op = 0; op < OP_COUNT; op++) n += op_info[op].prefix == 0xFD;
    assert_int_equal(n, 236);
    assert_string_equal(op_info[OP_F64x2PromoteLowF32x4].text, "f64x2.promote_low_f32x4");
    assert_int_equal(op_info[OP_F64x2PromoteLowF32x4].code, 0x5F);
    assert_int_equal(op_info[OP_I8x16Shuffle].code, 0x0D);
}

static void test_illegal_opcodes_rejected(void **state)
{
    (void)state;
    static const uint8_t cases[][4] = {
        {0x06}, {0x12}, {0xC5}, {0xFF}, {0xFC, 0x12}, {0xFD, 0x9A, 0x01}, {0xFD, 0x80, 0x02},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Reader r = {cases[i], 0, 4};
        Instr in;
        expect_malformed(instr_read(&r, &in), "illegal opcode", 0);
    }
}

static void test_memory_size_nonzero_reserved_byte_rejected(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x3F, 0x01};
    Reader r = READER(b);
    Instr in;
    expect_malformed(instr_read(&r, &in), "zero byte expected", 1);
}

static void test_memarg_lane_immediates_decoded(void **state)
{
    (void)state;
    static const uint8_t b[] = {0xFD, 0x55, 0x01, 0x90, 0x03, 0x07}; /* v128.load16_lane */
    Reader r = READER(b);
    Instr in;
    assert_null(instr_read(&r, &in));
    assert_int_equal(in.op, OP_V128Load16Lane);
    assert_int_equal(in.imm.memarg.align, 1);
    assert_int_equal(in.imm.memarg.offset, 400);
    assert_int_equal(in.imm.memarg.lane, 7);
    assert_int_equal(r.pos, sizeof b);
}

static void test_br_table_targets_read_back(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x0E, 0x03, 0x00, 0x81, 0x01, 0x02, 0x05};
    Module m = {.bytes = (uint8_t *)b, .size = sizeof b};
    Reader r = READER(b);
    Instr in;
    assert_null(instr_read(&r, &in));
    assert_int_equal(in.imm.br_table.count, 3);
    assert_int_equal(instr_br_table_target(&m, &in, 0), 0);
    assert_int_equal(instr_br_table_target(&m, &in, 1), 129);
    assert_int_equal(instr_br_table_target(&m, &in, 2), 2);
    assert_int_equal(instr_br_table_target(&m, &in, 3), 5);
    uint32_t all[4];
    instr_br_table_targets(&m, &in, all);
    assert_memory_equal(all, ((uint32_t[]){0, 129, 2, 5}), sizeof all);
}

static void test_br_table_hostile_count_unexpected_end(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x0E, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00};
    Reader r = READER(b);
    Instr in;
    expect_malformed(instr_read(&r, &in), "unexpected end of section or function", 6);
}

static void test_blocktype_forms_decoded(void **state)
{
    (void)state;
    static const uint8_t b[] = {0x02, 0x40, 0x03, 0x7F, 0x04, 0x85, 0x01, 0x02, 0x60};
    Reader r = READER(b);
    Instr in;
    assert_null(instr_read(&r, &in));
    assert_int_equal(in.imm.block.kind, BLOCK_EMPTY);
    assert_null(instr_read(&r, &in));
    assert_int_equal(in.imm.block.kind, BLOCK_VALUE);
    assert_int_equal(in.imm.block.type, WK_I32);
    assert_null(instr_read(&r, &in));
    assert_int_equal(in.imm.block.kind, BLOCK_FUNC);
    assert_int_equal(in.imm.block.index, 133);
    expect_malformed(instr_read(&r, &in), "malformed value type", 8);
}

static void test_ref_null_bad_type_rejected(void **state)
{
    (void)state;
    static const uint8_t b[] = {0xD0, 0x7F};
    Reader r = READER(b);
    Instr in;
    expect_malformed(instr_read(&r, &in), "malformed reference type", 1);
}

static void test_select_t_and_v128_const_decoded(void **state)
{
    (void)state;
    uint8_t b[20] = {0x1C, 0x01, 0x7B, 0xFD, 0x0C};
    for (int i = 0; i < 15; i++) b[5 + i] = (uint8_t)i;
    Reader r = READER(b);
    Instr in;
    assert_null(instr_read(&r, &in));
    assert_int_equal(in.imm.select.count, 1);
    assert_int_equal(in.imm.select.type, WK_V128);
    expect_malformed(instr_read(&r, &in), "unexpected end of section or function", 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_instr_read_every_opcode_round_trips),
        cmocka_unit_test(test_simd_table_has_all_236_instructions),
        cmocka_unit_test(test_illegal_opcodes_rejected),
        cmocka_unit_test(test_memory_size_nonzero_reserved_byte_rejected),
        cmocka_unit_test(test_memarg_lane_immediates_decoded),
        cmocka_unit_test(test_br_table_targets_read_back),
        cmocka_unit_test(test_br_table_hostile_count_unexpected_end),
        cmocka_unit_test(test_blocktype_forms_decoded),
        cmocka_unit_test(test_ref_null_bad_type_rejected),
        cmocka_unit_test(test_select_t_and_v128_const_decoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
