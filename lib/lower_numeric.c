/* Lowering of integer numeric instructions (spec 4.4.1): constants, comparisons, arithmetic
 * with explicit divide-by-zero and overflow traps, masked shift counts, and the sign-extension
 * operators. Each lower_<handler> is named by the Lower column of opcodes.def. */
#include "lower.h"

void lower_iunary(Lower *L, const char *name, bool with_flag)
{
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[2] = {a, LLVMConstInt(L->t.i1, 0, 0)};
    lower_push(L, lower_intrinsic(L, name, &ty, 1, args, with_flag ? 2 : 1));
}

void lower_ibinop(Lower *L, LLVMOpcode op)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    lower_push(L, LLVMBuildBinOp(L->b, op, a, b, ""));
}

/* Shift count taken modulo the bit width (spec 4.3.2 ishl, ishr). */
void lower_ishift(Lower *L, LLVMOpcode op)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef mask = LLVMConstInt(ty, LLVMGetIntTypeWidth(ty) - 1, 0);
    lower_push(L, LLVMBuildBinOp(L->b, op, a, LLVMBuildAnd(L->b, b, mask, ""), ""));
}

void lower_irotate(Lower *L, const char *name)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[3] = {a, a, b};
    lower_push(L, lower_intrinsic(L, name, &ty, 1, args, 3));
}

void lower_icmp(Lower *L, LLVMIntPredicate pred)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    lower_push(L, lower_bool_to_i32(L, LLVMBuildICmp(L->b, pred, a, b, "")));
}

void lower_eqz(Lower *L)
{
    LLVMValueRef a = lower_pop(L);
    LLVMValueRef z = LLVMConstNull(LLVMTypeOf(a));
    lower_push(L, lower_bool_to_i32(L, LLVMBuildICmp(L->b, LLVMIntEQ, a, z, "")));
}

/* div/rem: a zero divisor traps; signed division of INT_MIN by -1 traps, while signed
 * remainder gives 0 (computed with divisor 1 so the machine instruction cannot fault). */
void lower_idiv(Lower *L, LLVMOpcode op)
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
void lower_extend_s(Lower *L, unsigned bits)
{
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef narrow = LLVMIntTypeInContext(L->ctx, bits);
    LLVMValueRef t = LLVMBuildTrunc(L->b, a, narrow, "");
    lower_push(L, LLVMBuildSExt(L->b, t, LLVMTypeOf(a), ""));
}

/* i32/i64/f32/f64/v128.const: the value instr_const_value reads from the immediate. */
void lower_constant(Lower *L, const Instr *in)
{
    ConstValue c = instr_const_value(in);
    lower_push(L, lower_value(L, &c));
}
