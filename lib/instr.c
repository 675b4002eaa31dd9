/* The instruction table (op_info, sig_table, generated from opcodes.def and sigs.def) and
 * instr_read, which decodes one instruction and its immediates (spec 5.4). */
#include <string.h>

#include "error.h"
#include "instr.h"

const Sig sig_table[SIG_SPECIAL] = {
#define SIG(name, np, p0, p1, p2, nr, r0) [name] = {np, nr, {p0, p1, p2}, r0},
#include "sigs.def"
#undef SIG
};

const OpInfo op_info[OP_COUNT] = {
#define T(sig) SIG_##sig
#define V(...) SIG_SPECIAL
#define OP(prefix, code, name, text, imm, check, width, flags, ...) \
    [OP_##name] = {prefix, code, text, imm, check, width, flags},
#include WK_OPCODES_DEF
#undef OP
#undef V
#undef T
};

/* Opcode lookup: index = byte for single-byte opcodes, 256 + sub-opcode for 0xFC, 512 +
 * sub-opcode for 0xFD. Entries hold Opcode + 1; 0 means no such instruction. */
#define LOOKUP_INDEX(prefix, code) ((prefix) == 0 ? (code) : (prefix) == 0xFC ? 256 + (code) \
                                                                           : 512 + (code))
static const uint16_t op_lookup[768] = {
#define OP(prefix, code, name, ...) [LOOKUP_INDEX(prefix, code)] = OP_##name + 1,
#include WK_OPCODES_DEF
#undef OP
};

/* Decodes the opcode (with its prefix and sub-opcode) at r into *op. */
static wk_error_t *read_opcode(Reader *r, Opcode *op)
{
    size_t start = r->pos;
    uint8_t b;
    TRY(reader_u8(r, &b));
    unsigned idx = b;
    if (b == 0xFC || b == 0xFD) {
        uint32_t sub;
        TRY(reader_u32(r, &sub));
        if (sub >= 256) return error_malformed(start, "illegal opcode");
        idx = (b == 0xFC ? 256 : 512) + sub;
    }
    if (!op_lookup[idx]) return error_malformed(start, "illegal opcode");
    *op = (Opcode)(op_lookup[idx] - 1);
    return NULL;
}

static wk_error_t *read_zero(Reader *r)
{
    uint8_t b;
    TRY(reader_u8(r, &b));
    if (b != 0) return error_malformed(r->pos - 1, "zero byte expected");
    return NULL;
}

/* blocktype (spec 5.4.1): 0x40, a value type, or a non-negative s33 type index. */
static wk_error_t *read_blocktype(Reader *r, Instr *in)
{
    if (r->pos >= r->end) return reader_u8(r, &(uint8_t){0});
    uint8_t b = r->base[r->pos];
    if (b == 0x40) {
        r->pos++;
        in->imm.block.kind = BLOCK_EMPTY;
        return NULL;
    }
    if ((b & 0xC0) == 0x40) {
        if (!reader_is_valtype(b)) return error_malformed(r->pos, "malformed value type");
        r->pos++;
        in->imm.block.kind = BLOCK_VALUE;
        in->imm.block.type = b;
        return NULL;
    }
    int64_t x;
    TRY(reader_s33(r, &x));
    in->imm.block.kind = BLOCK_FUNC;
    in->imm.block.index = (x < 0 || x > UINT32_MAX) ? UINT32_MAX : (uint32_t)x;
    return NULL;
}

static wk_error_t *read_memarg(Reader *r, Instr *in)
{
    TRY(reader_u32(r, &in->imm.memarg.align));
    TRY(reader_u32(r, &in->imm.memarg.offset));
    in->imm.memarg.memory = 0;
    return NULL;
}

/* br_table: the labels stay in the bytes; this checks their encoding and skips them. */
static wk_error_t *read_br_table(Reader *r, Instr *in)
{
    uint32_t n, label;
    TRY(reader_u32(r, &n));
    if (n > r->end - r->pos) return reader_unexpected_end(r);
    in->imm.br_table.count = n;
    in->imm.br_table.targets_offset = (uint32_t)r->pos;
    for (uint32_t i = 0; i < n; i++) TRY(reader_u32(r, &label));
    return reader_u32(r, &in->imm.br_table.default_label);
}

static wk_error_t *read_select_t(Reader *r, Instr *in)
{
    uint32_t n;
    TRY(reader_u32(r, &n));
    if (n > r->end - r->pos) return reader_unexpected_end(r);
    in->imm.select.count = n;
    in->imm.select.type = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t t;
        TRY(reader_u8(r, &t));
        if (!reader_is_valtype(t)) return error_malformed(r->pos - 1, "malformed value type");
        if (i == 0) in->imm.select.type = t;
    }
    return NULL;
}

static wk_error_t *read_raw(Reader *r, uint8_t *dst, size_t n)
{
    const uint8_t *p;
    TRY(reader_bytes(r, n, &p));
    memcpy(dst, p, n);
    return NULL;
}

static wk_error_t *read_pair(Reader *r, Instr *in)
{
    TRY(reader_u32(r, &in->imm.pair.a));
    return reader_u32(r, &in->imm.pair.b);
}

static wk_error_t *read_immediates(Reader *r, Instr *in)
{
    switch (op_info[in->op].imm) {
    case IMM_NONE: return NULL;
    case IMM_BLOCK: return read_blocktype(r, in);
    case IMM_LABEL: case IMM_FUNC: case IMM_LOCAL: case IMM_GLOBAL: case IMM_TABLE:
    case IMM_DATA: case IMM_ELEM:
        return reader_u32(r, &in->imm.index);
    case IMM_BR_TABLE: return read_br_table(r, in);
    case IMM_CALL_INDIRECT: case IMM_ELEM_TABLE: case IMM_TABLE_TABLE: return read_pair(r, in);
    case IMM_MEMARG: return read_memarg(r, in);
    case IMM_MEMIDX: /* memory index 0, encoded as one zero byte */
        in->imm.index = 0;
        return read_zero(r);
    case IMM_I32: return reader_s32(r, &in->imm.i32);
    case IMM_I64: return reader_s64(r, &in->imm.i64);
    case IMM_F32: return reader_f32(r, &in->imm.f32_bits);
    case IMM_F64: return reader_f64(r, &in->imm.f64_bits);
    case IMM_V128: return read_raw(r, in->imm.v128, 16);
    case IMM_LANE: return reader_u8(r, &in->imm.lane);
    case IMM_MEMARG_LANE:
        TRY(read_memarg(r, in));
        return reader_u8(r, &in->imm.memarg.lane);
    case IMM_SHUFFLE: return read_raw(r, in->imm.shuffle, 16);
    case IMM_SELECT_T: return read_select_t(r, in);
    case IMM_REFTYPE: return reader_reftype(r, &in->imm.reftype);
    case IMM_DATA_MEM:
        TRY(reader_u32(r, &in->imm.pair.a));
        in->imm.pair.b = 0;
        return read_zero(r);
    case IMM_MEM_MEM:
        in->imm.pair.a = in->imm.pair.b = 0;
        TRY(read_zero(r));
        return read_zero(r);
    }
    return NULL;
}

wk_error_t *instr_read(Reader *r, Instr *out)
{
    out->offset = (uint32_t)r->pos;
    TRY(read_opcode(r, &out->op));
    return read_immediates(r, out);
}

static ConstValue const_bits(ValType type, uint64_t lo, uint64_t hi)
{
    return (ConstValue){CONST_VALUE, type, 0, {lo, hi}};
}

/* Little-endian bytes p[0..8) as a number. */
static uint64_t le64(const uint8_t *p)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < 8; i++) x |= (uint64_t)p[i] << (8 * i);
    return x;
}

ConstValue instr_const_value(const Instr *in)
{
    switch (in->op) {
    case OP_I32Const: return const_bits(WK_I32, (uint32_t)in->imm.i32, 0);
    case OP_I64Const: return const_bits(WK_I64, (uint64_t)in->imm.i64, 0);
    case OP_F32Const: return const_bits(WK_F32, in->imm.f32_bits, 0);
    case OP_F64Const: return const_bits(WK_F64, in->imm.f64_bits, 0);
    case OP_V128Const: return const_bits(WK_V128, le64(in->imm.v128), le64(in->imm.v128 + 8));
    case OP_RefNull: return const_bits(in->imm.reftype, 0, 0);
    case OP_RefFunc: return (ConstValue){CONST_FUNC, WK_FUNCREF, in->imm.index, {0, 0}};
    default: return (ConstValue){CONST_GLOBAL, 0, in->imm.index, {0, 0}}; /* global.get */
    }
}

uint32_t instr_br_table_target(const Module *m, const Instr *in, uint32_t i)
{
    Reader r = {m->bytes, in->imm.br_table.targets_offset, m->size};
    uint32_t label = in->imm.br_table.default_label;
    if (i >= in->imm.br_table.count) return label;
    /* The targets were checked when the module was decoded: reading them cannot fail. */
    for (uint32_t k = 0; k <= i; k++) wk_error_delete(reader_u32(&r, &label));
    return label;
}

void instr_br_table_targets(const Module *m, const Instr *in, uint32_t *out)
{
    Reader r = {m->bytes, in->imm.br_table.targets_offset, m->size};
    uint32_t n = in->imm.br_table.count;
    for (uint32_t k = 0; k < n; k++) wk_error_delete(reader_u32(&r, &out[k]));
    out[n] = in->imm.br_table.default_label;
}
