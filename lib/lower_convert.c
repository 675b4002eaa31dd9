/* Lowering of conversions (spec 4.3.4): wrap/extend, trapping float-to-int truncation with
 * explicit NaN and range checks, saturating truncation, int-to-float, demote/promote
 * (constrained, so NaNs are quieted), reinterpretations. */
#include <math.h>

#include "lower.h"

static LLVMValueRef fconst(LLVMTypeRef ty, double v)
{
    return LLVMConstReal(ty, v);
}

/* trunc_<f>_<s|u> to an integer of `w` bits: NaN -> "invalid conversion to integer",
 * out of range -> "integer overflow". */
static void trunc_trapping(Lower *L, unsigned w, bool sign)
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

static void trunc_sat(Lower *L, unsigned w, bool sign)
{
    LLVMValueRef a = lower_pop(L);
    LLVMTypeRef types[2] = {LLVMIntTypeInContext(L->ctx, w), LLVMTypeOf(a)};
    const char *name = sign ? "llvm.fptosi.sat" : "llvm.fptoui.sat";
    lower_push(L, lower_intrinsic(L, name, types, 2, &a, 1));
}

static void cast(Lower *L, LLVMOpcode op, LLVMTypeRef to)
{
    LLVMValueRef a = lower_pop(L);
    lower_push(L, LLVMBuildCast(L->b, op, a, to, ""));
}

static void fconv(Lower *L, const char *op, LLVMTypeRef to, bool rounding)
{
    LLVMValueRef a = lower_pop(L);
    lower_push(L, lower_constrained_conv(L, op, to, a, rounding));
}

static bool trunc_ops(Lower *L, Opcode op)
{
    switch (op) {
    case OP_I32TruncF32S: case OP_I32TruncF64S: trunc_trapping(L, 32, true); break;
    case OP_I32TruncF32U: case OP_I32TruncF64U: trunc_trapping(L, 32, false); break;
    case OP_I64TruncF32S: case OP_I64TruncF64S: trunc_trapping(L, 64, true); break;
    case OP_I64TruncF32U: case OP_I64TruncF64U: trunc_trapping(L, 64, false); break;
    case OP_I32TruncSatF32S: case OP_I32TruncSatF64S: trunc_sat(L, 32, true); break;
    case OP_I32TruncSatF32U: case OP_I32TruncSatF64U: trunc_sat(L, 32, false); break;
    case OP_I64TruncSatF32S: case OP_I64TruncSatF64S: trunc_sat(L, 64, true); break;
    case OP_I64TruncSatF32U: case OP_I64TruncSatF64U: trunc_sat(L, 64, false); break;
    default: return false;
    }
    return true;
}

bool lower_convert(Lower *L, const Instr *in)
{
    LowerTypes *t = &L->t;
    if (trunc_ops(L, in->op)) return true;
    switch (in->op) {
    case OP_I32WrapI64: cast(L, LLVMTrunc, t->i32); break;
    case OP_I64ExtendI32S: cast(L, LLVMSExt, t->i64); break;
    case OP_I64ExtendI32U: cast(L, LLVMZExt, t->i64); break;
    case OP_F32ConvertI32S: case OP_F32ConvertI64S: cast(L, LLVMSIToFP, t->f32); break;
    case OP_F32ConvertI32U: case OP_F32ConvertI64U: cast(L, LLVMUIToFP, t->f32); break;
    case OP_F64ConvertI32S: case OP_F64ConvertI64S: cast(L, LLVMSIToFP, t->f64); break;
    case OP_F64ConvertI32U: case OP_F64ConvertI64U: cast(L, LLVMUIToFP, t->f64); break;
    case OP_F32DemoteF64: fconv(L, "fptrunc", t->f32, true); break;
    case OP_F64PromoteF32: fconv(L, "fpext", t->f64, false); break;
    case OP_I32ReinterpretF32: cast(L, LLVMBitCast, t->i32); break;
    case OP_I64ReinterpretF64: cast(L, LLVMBitCast, t->i64); break;
    case OP_F32ReinterpretI32: cast(L, LLVMBitCast, t->f32); break;
    case OP_F64ReinterpretI64: cast(L, LLVMBitCast, t->f64); break;
    default:
        L->err = error_new(WK_ERROR_UNSUPPORTED, in->offset,
                           "instruction %s not supported by the JIT", op_info[in->op].text);
        return false;
    }
    return true;
}
