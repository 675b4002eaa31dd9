/* Instructions: the opcode enum and table generated from opcodes.def, and a reader that decodes
 * one instruction with its immediates. Shared by decode, validate and lowering. */
#ifndef WK_INSTR_H
#define WK_INSTR_H

#include <stdbool.h>
#include <stdint.h>

#include "module.h"
#include "reader.h"

typedef enum ImmKind {
    IMM_NONE,
    IMM_BLOCK,         /* blocktype (s33) */
    IMM_LABEL,         /* label index */
    IMM_BR_TABLE,      /* vec(label) label */
    IMM_FUNC,          /* function index (call, ref.func) */
    IMM_CALL_INDIRECT, /* type index, table index */
    IMM_LOCAL,
    IMM_GLOBAL,
    IMM_TABLE,
    IMM_MEMARG,        /* align, offset */
    IMM_MEMIDX,        /* one 0x00 byte (memory.size/grow/fill) */
    IMM_I32,
    IMM_I64,
    IMM_F32,
    IMM_F64,
    IMM_V128,          /* 16 bytes */
    IMM_LANE,          /* one lane byte */
    IMM_MEMARG_LANE,   /* memarg then lane byte */
    IMM_SHUFFLE,       /* 16 lane bytes */
    IMM_SELECT_T,      /* vec(valtype) */
    IMM_REFTYPE,       /* ref.null t */
    IMM_DATA_MEM,      /* memory.init: data index, 0x00 */
    IMM_DATA,          /* data.drop */
    IMM_MEM_MEM,       /* memory.copy: 0x00 0x00 */
    IMM_ELEM_TABLE,    /* table.init: elem index, table index */
    IMM_ELEM,          /* elem.drop */
    IMM_TABLE_TABLE,   /* table.copy: dst table, src table */
} ImmKind;

typedef enum SigId {
#define SIG(name, np, p0, p1, p2, nr, r0) name,
#include "sigs.def"
#undef SIG
    SIG_SPECIAL,
} SigId;

typedef struct Sig {
    uint8_t nparams, nresults;
    ValType params[3];
    ValType result;
} Sig;
extern const Sig sig_table[SIG_SPECIAL];

/* The instruction table. tests/unit/table_check.cmake compiles the generated code against an
 * edited copy (a handler removed) to show that it then fails to build. */
#ifndef WK_OPCODES_DEF
#define WK_OPCODES_DEF "opcodes.def"
#endif

typedef enum Opcode {
#define OP(prefix, code, name, ...) OP_##name,
#include WK_OPCODES_DEF
#undef OP
    OP_COUNT,
} Opcode;

/* The Flags column of opcodes.def. */
enum {
    OPF_BLOCK = 1 << 0, /* opens a block closed by `end` (block, loop, if) */
    OPF_LOOP = 1 << 1,  /* may loop */
    OPF_CALL = 1 << 2,  /* calls a function */
    OPF_BULK = 1 << 3,  /* runs a helper whose running time grows with an operand */
    OPF_CONST = 1 << 4, /* allowed in a constant expression (spec 3.3.10) */
};

typedef struct OpInfo {
    uint16_t prefix; /* 0, 0xFC or 0xFD */
    uint32_t code;
    const char *text;
    ImmKind imm;
    SigId sig;     /* SIG_SPECIAL when validate.c types it by a handler */
    uint8_t width; /* access or lane width in bytes, or 0 */
    uint8_t flags; /* OPF_* */
} OpInfo;
extern const OpInfo op_info[OP_COUNT];

/* Block types: BLOCK_EMPTY, a value type (BLOCK_VALUE), or a type index (BLOCK_FUNC). */
enum { BLOCK_EMPTY, BLOCK_VALUE, BLOCK_FUNC };

/* One decoded instruction. For br_table the targets stay in the bytes: read `count` u32
 * labels starting at `targets_offset`, then the default follows them. */
typedef struct Instr {
    Opcode op;
    uint32_t offset; /* of the first opcode byte */
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        uint8_t v128[16];
        uint32_t index; /* label, func, local, global, table, elem, data */
        struct { uint32_t a, b; } pair; /* call_indirect (type, table), table.init (elem, table),
                                           table.copy (dst, src), memory.init (data, mem),
                                           memory.copy (dst, src) */
        struct { uint8_t kind; ValType type; uint32_t index; } block;
        struct { uint32_t align, offset, memory; uint8_t lane; } memarg;
        struct { uint32_t count, targets_offset, default_label; } br_table;
        uint8_t lane;
        uint8_t shuffle[16];
        struct { uint32_t count; ValType type; } select; /* select t*: count is 1 when valid */
        ValType reftype;
    } imm;
} Instr;

/* Reads one instruction at r's position into *out and advances past it. Checks only that it is
 * well-formed: the opcode exists ("illegal opcode") and immediates are encoded as the spec says
 * (LEB128 limits, "zero byte expected", "malformed reference type", ...). Returns NULL or an
 * owned WK_ERROR_MALFORMED error with the byte offset. */
wk_error_t *instr_read(Reader *r, Instr *out);

/* The value an instruction allowed in constant expressions (OPF_CONST) produces. For
 * global.get and ref.func only kind and index are set. */
ConstValue instr_const_value(const Instr *in);

/* Reads label `i` of a br_table (i == count gives the default). Costs O(i): to visit every
 * label, use instr_br_table_targets. */
uint32_t instr_br_table_target(const Module *m, const Instr *in, uint32_t i);
/* Writes the count + 1 labels of a br_table (the default last) to out, in O(count). */
void instr_br_table_targets(const Module *m, const Instr *in, uint32_t *out);

#endif
