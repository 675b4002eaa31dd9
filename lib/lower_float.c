/* Lowering of float instructions (spec 4.3.3): arithmetic through constrained intrinsics
 * (fpexcept.maytrap) so LLVM never folds away the quieting of a signalling NaN; abs, neg and
 * copysign as bit operations; min/max with NaN propagation and -0 < +0; comparisons. Each
 * lower_<handler> is named by the Lower column of opcodes.def. */
#include <string.h>

#include "lower.h"

static LLVMValueRef md_string(Lower *L, const char *s)
{
    return LLVMMetadataAsValue(L->ctx, LLVMMDStringInContext2(L->ctx, s, strlen(s)));
}

/* Calls llvm.experimental.constrained.<op> on args; `rounding` adds round.tonearest. */
static LLVMValueRef constrained(Lower *L, const char *op, LLVMValueRef *args, unsigned n,
                                bool rounding)
{
    char name[64] = "llvm.experimental.constrained.";
    strcat(name, op);
    LLVMValueRef all[4];
    memcpy(all, args, n * sizeof *args);
    if (rounding) all[n++] = md_string(L, "round.tonearest");
    all[n++] = md_string(L, "fpexcept.maytrap");
    LLVMTypeRef ty = LLVMTypeOf(args[0]);
    return lower_intrinsic(L, name, &ty, 1, all, n);
}

LLVMValueRef lower_constrained_conv(Lower *L, const char *op, LLVMTypeRef to, LLVMValueRef a,
                                    bool rounding)
{
    char name[64] = "llvm.experimental.constrained.";
    strcat(name, op);
    LLVMValueRef args[3] = {a};
    unsigned n = 1;
    if (rounding) args[n++] = md_string(L, "round.tonearest");
    args[n++] = md_string(L, "fpexcept.maytrap");
    LLVMTypeRef types[2] = {to, LLVMTypeOf(a)};
    return lower_intrinsic(L, name, types, 2, args, n);
}

static LLVMTypeRef bits_type(Lower *L, LLVMValueRef f)
{
    return LLVMTypeOf(f) == L->t.f32 ? L->t.i32 : L->t.i64;
}

static LLVMValueRef sign_mask(LLVMTypeRef ity)
{
    unsigned w = LLVMGetIntTypeWidth(ity);
    return LLVMConstInt(ity, 1ull << (w - 1), 0);
}

/* abs/neg/copysign touch only the sign bit (spec: no NaN canonicalisation). */
void lower_fsign(Lower *L, bool is_abs, bool is_neg)
{
    LLVMValueRef b = is_abs || is_neg ? NULL : lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef fty = LLVMTypeOf(a), ity = bits_type(L, a);
    LLVMValueRef ai = LLVMBuildBitCast(L->b, a, ity, "");
    LLVMValueRef m = sign_mask(ity);
    LLVMValueRef r;
    if (is_abs) {
        r = LLVMBuildAnd(L->b, ai, LLVMConstNot(m), "");
    } else if (is_neg) {
        r = LLVMBuildXor(L->b, ai, m, "");
    } else {
        LLVMValueRef bi = LLVMBuildBitCast(L->b, b, ity, "");
        LLVMValueRef mag = LLVMBuildAnd(L->b, ai, LLVMConstNot(m), "");
        r = LLVMBuildOr(L->b, mag, LLVMBuildAnd(L->b, bi, m, ""), "");
    }
    lower_push(L, LLVMBuildBitCast(L->b, r, fty, ""));
}

/* min/max: a NaN operand gives a quiet NaN (a + b); equal operands combine their bits so
 * min(-0, +0) = -0 and max(-0, +0) = +0. */
void lower_fmin_max(Lower *L, bool is_min)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef fty = LLVMTypeOf(a), ity = bits_type(L, a);
    LLVMValueRef args[2] = {a, b};
    LLVMValueRef nan = constrained(L, "fadd", args, 2, true);
    LLVMValueRef ai = LLVMBuildBitCast(L->b, a, ity, "");
    LLVMValueRef bi = LLVMBuildBitCast(L->b, b, ity, "");
    LLVMValueRef eq_bits = is_min ? LLVMBuildOr(L->b, ai, bi, "") : LLVMBuildAnd(L->b, ai, bi, "");
    LLVMValueRef r = LLVMBuildBitCast(L->b, eq_bits, fty, "");
    LLVMRealPredicate lt = is_min ? LLVMRealOLT : LLVMRealOGT;
    r = LLVMBuildSelect(L->b, LLVMBuildFCmp(L->b, lt, b, a, ""), b, r, "");
    r = LLVMBuildSelect(L->b, LLVMBuildFCmp(L->b, lt, a, b, ""), a, r, "");
    r = LLVMBuildSelect(L->b, LLVMBuildFCmp(L->b, LLVMRealUNO, a, b, ""), nan, r, "");
    lower_push(L, r);
}

void lower_funary(Lower *L, const char *op, bool rounding)
{
    LLVMValueRef a = lower_pop(L);
    lower_push(L, constrained(L, op, &a, 1, rounding));
}

void lower_fbinary(Lower *L, const char *op)
{
    LLVMValueRef args[2];
    args[1] = lower_pop(L);
    args[0] = lower_pop(L);
    lower_push(L, constrained(L, op, args, 2, true));
}

void lower_fcmp(Lower *L, LLVMRealPredicate pred)
{
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    lower_push(L, lower_bool_to_i32(L, LLVMBuildFCmp(L->b, pred, a, b, "")));
}

LLVMValueRef lower_constrained(Lower *L, const char *op, LLVMValueRef *args, unsigned n,
                               bool rounding)
{
    return constrained(L, op, args, n, rounding);
}
