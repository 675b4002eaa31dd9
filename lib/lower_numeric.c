/* Lowering of integer numeric instructions (spec 4.4.1): constants, comparisons, arithmetic
 * with explicit divide-by-zero and overflow traps, masked shift counts, and the sign-extension
 * operators. Float instructions go on to lower_float.c, conversions to lower_convert.c. */
#include "lower.h"

static void unop_intrinsic(Lower *L, const char *name, bool with_flag)
{
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[2] = {a, LLVMConstInt(L->t.i1, 0, 0)};
    lower_push(L, lower_intrinsic(L, name, &ty, 1, args, with_flag ? 2 : 1));
}

static void binop(Lower *L, LLVMOpcode op)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    lower_push(L, LLVMBuildBinOp(L->b, op, a, b, ""));
}

/* Shift count taken modulo the bit width (spec 4.3.2 ishl, ishr). */
static void shift(Lower *L, LLVMOpcode op)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef mask = LLVMConstInt(ty, LLVMGetIntTypeWidth(ty) - 1, 0);
    lower_push(L, LLVMBuildBinOp(L->b, op, a, LLVMBuildAnd(L->b, b, mask, ""), ""));
}

static void rotate(Lower *L, const char *name)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[3] = {a, a, b};
    lower_push(L, lower_intrinsic(L, name, &ty, 1, args, 3));
}

static void compare(Lower *L, LLVMIntPredicate pred)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    lower_push(L, lower_bool_to_i32(L, LLVMBuildICmp(L->b, pred, a, b, "")));
}

static void eqz(Lower *L)
{
    LLVMValueRef a = lower_pop(L);
    LLVMValueRef z = LLVMConstNull(LLVMTypeOf(a));
    lower_push(L, lower_bool_to_i32(L, LLVMBuildICmp(L->b, LLVMIntEQ, a, z, "")));
}

/* div/rem: a zero divisor traps; signed division of INT_MIN by -1 traps, while signed
 * remainder gives 0 (computed with divisor 1 so the machine instruction cannot fault). */
static void divide(Lower *L, LLVMOpcode op)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef zero = LLVMConstNull(ty);
    lower_trap_if(L, LLVMBuildICmp(L->b, LLVMIntEQ, b, zero, ""), WK_TRAP_INT_DIV_ZERO);
    if (op == LLVMSDiv || op == LLVMSRem) {
        unsigned w = LLVMGetIntTypeWidth(ty);
        LLVMValueRef minus1 = LLVMConstAllOnes(ty);
        LLVMValueRef is_m1 = LLVMBuildICmp(L->b, LLVMIntEQ, b, minus1, "");
        if (op == LLVMSDiv) {
            LLVMValueRef min = LLVMConstInt(ty, 1ull << (w - 1), 0);
            LLVMValueRef is_min = LLVMBuildICmp(L->b, LLVMIntEQ, a, min, "");
            lower_trap_if(L, LLVMBuildAnd(L->b, is_m1, is_min, ""), WK_TRAP_INT_OVERFLOW);
        } else {
            b = LLVMBuildSelect(L->b, is_m1, LLVMConstInt(ty, 1, 0), b, "");
        }
    }
    lower_push(L, LLVMBuildBinOp(L->b, op, a, b, ""));
}

/* extendN_s: sign-extend the low `bits` bits in place. */
static void extend_s(Lower *L, unsigned bits)
{
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef narrow = LLVMIntTypeInContext(L->ctx, bits);
    LLVMValueRef t = LLVMBuildTrunc(L->b, a, narrow, "");
    lower_push(L, LLVMBuildSExt(L->b, t, LLVMTypeOf(a), ""));
}

static bool constant(Lower *L, const Instr *in)
{
    switch (in->op) {
    case OP_I32Const: lower_push(L, lower_i32(L, (uint32_t)in->imm.i32)); break;
    case OP_I64Const: lower_push(L, lower_i64(L, (uint64_t)in->imm.i64)); break;
    case OP_F32Const:
        lower_push(L, LLVMConstBitCast(lower_i32(L, in->imm.f32_bits), L->t.f32));
        break;
    case OP_F64Const:
        lower_push(L, LLVMConstBitCast(lower_i64(L, in->imm.f64_bits), L->t.f64));
        break;
    default: return false;
    }
    return true;
}

static bool comparison(Lower *L, Opcode op)
{
    static const LLVMIntPredicate preds[] = {
        LLVMIntEQ, LLVMIntNE, LLVMIntSLT, LLVMIntULT, LLVMIntSGT,
        LLVMIntUGT, LLVMIntSLE, LLVMIntULE, LLVMIntSGE, LLVMIntUGE,
    };
    if (op == OP_I32Eqz || op == OP_I64Eqz) {
        eqz(L);
    } else if (op >= OP_I32Eq && op <= OP_I32GeU) {
        compare(L, preds[op - OP_I32Eq]);
    } else if (op >= OP_I64Eq && op <= OP_I64GeU) {
        compare(L, preds[op - OP_I64Eq]);
    } else {
        return false;
    }
    return true;
}

/* Integer arithmetic: k is the position in the clz..rotr run of opcodes. */
static void arith(Lower *L, unsigned k)
{
    switch (k) {
    case 0: unop_intrinsic(L, "llvm.ctlz", true); break;
    case 1: unop_intrinsic(L, "llvm.cttz", true); break;
    case 2: unop_intrinsic(L, "llvm.ctpop", false); break;
    case 3: binop(L, LLVMAdd); break;
    case 4: binop(L, LLVMSub); break;
    case 5: binop(L, LLVMMul); break;
    case 6: divide(L, LLVMSDiv); break;
    case 7: divide(L, LLVMUDiv); break;
    case 8: divide(L, LLVMSRem); break;
    case 9: divide(L, LLVMURem); break;
    case 10: binop(L, LLVMAnd); break;
    case 11: binop(L, LLVMOr); break;
    case 12: binop(L, LLVMXor); break;
    case 13: shift(L, LLVMShl); break;
    case 14: shift(L, LLVMAShr); break;
    case 15: shift(L, LLVMLShr); break;
    case 16: rotate(L, "llvm.fshl"); break;
    default: rotate(L, "llvm.fshr"); break;
    }
}

bool lower_numeric(Lower *L, const Instr *in)
{
    Opcode op = in->op;
    if (constant(L, in) || comparison(L, op)) return true;
    if (op >= OP_I32Clz && op <= OP_I32Rotr) {
        arith(L, op - OP_I32Clz);
        return true;
    }
    if (op >= OP_I64Clz && op <= OP_I64Rotr) {
        arith(L, op - OP_I64Clz);
        return true;
    }
    switch (op) {
    case OP_I32Extend8S: case OP_I64Extend8S: extend_s(L, 8); return true;
    case OP_I32Extend16S: case OP_I64Extend16S: extend_s(L, 16); return true;
    case OP_I64Extend32S: extend_s(L, 32); return true;
    default: return lower_float(L, in);
    }
}
