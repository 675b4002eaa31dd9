/* Lowering of conversions (spec 4.3.4): wrap/extend, trapping float-to-int truncation with
 * explicit NaN and range checks, saturating truncation, int-to-float, demote/promote
 * (constrained, so NaNs are quieted), reinterpretations. Each lower_<handler> is named by the
 * Lower column of opcodes.def. */
#include <math.h>

#include "lower.h"

static LLVMValueRef fconst(LLVMTypeRef ty, double v)
{
    return LLVMConstReal(ty, v);
}

/* trunc_<f>_<s|u> to an integer of `w` bits: NaN -> "invalid conversion to integer",
 * out of range -> "integer overflow". */
void lower_trunc(Lower *L, unsigned w, bool sign)
{
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef fty = LLVMTypeOf(a), ity = LLVMIntTypeInContext(L->ctx, w);
    lower_trap_if(L, LLVMBuildFCmp(L->b, LLVMRealUNO, a, a, ""), WK_TRAP_INVALID_CONVERSION);
    LLVMValueRef lo_ok, hi_ok;
    if (!sign) {
        lo_ok = LLVMBuildFCmp(L->b, LLVMRealOGT, a, fconst(fty, -1.0), "");
        hi_ok = LLVMBuildFCmp(L->b, LLVMRealOLT, a, fconst(fty, ldexp(1.0, (int)w)), "");
    } else {
        double lo = -ldexp(1.0, (int)w - 1);
        if (w == 32 && fty == L->t.f64)
            lo_ok = LLVMBuildFCmp(L->b, LLVMRealOGT, a, fconst(fty, lo - 1.0), "");
        else
            lo_ok = LLVMBuildFCmp(L->b, LLVMRealOGE, a, fconst(fty, lo), "");
        hi_ok = LLVMBuildFCmp(L->b, LLVMRealOLT, a, fconst(fty, ldexp(1.0, (int)w - 1)), "");
    }
    LLVMValueRef ok = LLVMBuildAnd(L->b, lo_ok, hi_ok, "");
    lower_trap_if(L, LLVMBuildNot(L->b, ok, ""), WK_TRAP_INT_OVERFLOW);
    lower_push(L, sign ? LLVMBuildFPToSI(L->b, a, ity, "") : LLVMBuildFPToUI(L->b, a, ity, ""));
}

void lower_trunc_sat(Lower *L, unsigned w, bool sign)
{
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef types[2] = {LLVMIntTypeInContext(L->ctx, w), LLVMTypeOf(a)};
    const char *name = sign ? "llvm.fptosi.sat" : "llvm.fptoui.sat";
    lower_push(L, lower_intrinsic(L, name, types, 2, &a, 1));
}

void lower_cast(Lower *L, LLVMOpcode op, ValType to)
{
    LLVMValueRef a = lower_pop(L);
    lower_push(L, LLVMBuildCast(L->b, op, a, lower_val_type(L->ctx, to), ""));
}

void lower_fconv(Lower *L, const char *op, ValType to, bool rounding)
{
    LLVMValueRef a = lower_pop(L);
    lower_push(L, lower_constrained_conv(L, op, lower_val_type(L->ctx, to), a, rounding));
}
