/* Lowering of the SIMD instructions (0xFD prefix, spec 4.3.5, 4.4.3, 4.4.7): v128 is <2 x i64>
 * on the value stack, bitcast per operation; generic vector IR only, with float arithmetic
 * through the same constrained intrinsics as the scalar ops (lower_float.c). */

#include "lower.h"

typedef enum Shape { S_I8, S_I16, S_I32, S_I64, S_F32, S_F64 } Shape;

static unsigned lanes(Shape s)
{
    static const unsigned n[] = {16, 8, 4, 2, 4, 2};
    return n[s];
}

static LLVMTypeRef lane_type(Lower *L, Shape s)
{
    const LowerTypes *t = &L->t;
    const LLVMTypeRef types[] = {t->i8, t->i16, t->i32, t->i64, t->f32, t->f64};
    return types[s];
}

static LLVMTypeRef vec_type(Lower *L, Shape s)
{
    return LLVMVectorType(lane_type(L, s), lanes(s));
}

/* The integer shape of the same lane width (f32 -> i32, f64 -> i64). */
static Shape int_shape(Shape s)
{
    return s == S_F32 ? S_I32 : s == S_F64 ? S_I64 : s;
}

static LLVMValueRef cast_to(Lower *L, LLVMValueRef v, LLVMTypeRef ty)
{
    return LLVMTypeOf(v) == ty ? v : LLVMBuildBitCast(L->b, v, ty, "");
}

static LLVMValueRef pop_as(Lower *L, Shape s)
{
    return cast_to(L, lower_pop(L), vec_type(L, s));
}

static void push_v(Lower *L, LLVMValueRef v)
{
    lower_push(L, cast_to(L, v, L->t.v128));
}

/* A constant vector of n copies of constant c. */
static LLVMValueRef const_splat(LLVMValueRef c, unsigned n)
{
    LLVMValueRef elems[16];
    for (unsigned i = 0; i < n; i++) elems[i] = c;
    return LLVMConstVector(elems, n);
}

static LLVMValueRef int_splat(Lower *L, Shape s, uint64_t v)
{
    return const_splat(LLVMConstInt(lane_type(L, s), v, 0), lanes(s));
}

/* Shuffles a and b (b may be NULL: poison) with the n lane indices idx. */
static LLVMValueRef shuffle(Lower *L, LLVMValueRef a, LLVMValueRef b, const unsigned *idx,
                            unsigned n)
{
    LLVMValueRef mask[16];
    for (unsigned i = 0; i < n; i++) mask[i] = lower_i32(L, idx[i]);
    if (!b) b = LLVMGetPoison(LLVMTypeOf(a));
    return LLVMBuildShuffleVector(L->b, a, b, LLVMConstVector(mask, n), "");
}

static LLVMValueRef splat(Lower *L, LLVMValueRef x, unsigned n)
{
    LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(x), n);
    LLVMValueRef v = LLVMBuildInsertElement(L->b, LLVMGetPoison(vt), x, lower_i32(L, 0), "");
    unsigned zeros[16] = {0};
    return shuffle(L, v, NULL, zeros, n);
}

/* Lanes [first, first + n) of v with the given stride: halves and even/odd lanes. */
static LLVMValueRef pick(Lower *L, LLVMValueRef v, unsigned first, unsigned stride, unsigned n)
{
    unsigned idx[16] = {0};
    for (unsigned i = 0; i < n; i++) idx[i] = first + i * stride;
    return shuffle(L, v, NULL, idx, n);
}

/* Sign- or zero-extends the integer vector v to lanes twice as wide. */
static LLVMValueRef widen(Lower *L, LLVMValueRef v, bool sign)
{
    LLVMTypeRef vt = LLVMTypeOf(v);
    unsigned w = LLVMGetIntTypeWidth(LLVMGetElementType(vt));
    LLVMTypeRef wide = LLVMVectorType(LLVMIntTypeInContext(L->ctx, 2 * w), LLVMGetVectorSize(vt));
    return sign ? LLVMBuildSExt(L->b, v, wide, "") : LLVMBuildZExt(L->b, v, wide, "");
}

/* The low or high half of the lanes of narrow shape s, extended. */
static LLVMValueRef half_widened(Lower *L, LLVMValueRef v, Shape s, bool high, bool sign)
{
    unsigned n = lanes(s) / 2;
    return widen(L, pick(L, v, high ? n : 0, 1, n), sign);
}

static LLVMValueRef call1(Lower *L, const char *name, LLVMValueRef a)
{
    LLVMTypeRef ty = LLVMTypeOf(a);
    return lower_intrinsic(L, name, &ty, 1, &a, 1);
}

static LLVMValueRef call2(Lower *L, const char *name, LLVMValueRef a, LLVMValueRef b)
{
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[2] = {a, b};
    return lower_intrinsic(L, name, &ty, 1, args, 2);
}

/* ---- constants, lanes, shuffles ---- */

static void v128_const(Lower *L, const uint8_t *bytes)
{
    LLVMValueRef halves[2];
    for (unsigned h = 0; h < 2; h++) {
        uint64_t x = 0;
        for (unsigned i = 0; i < 8; i++) x |= (uint64_t)bytes[8 * h + i] << (8 * i);
        halves[h] = lower_i64(L, x);
    }
    lower_push(L, LLVMConstVector(halves, 2));
}

/* i8/i16 lanes take the low bits of an i32 operand. */
static LLVMValueRef to_lane(Lower *L, LLVMValueRef x, Shape s)
{
    LLVMTypeRef lt = lane_type(L, s);
    return LLVMTypeOf(x) == lt ? x : LLVMBuildTrunc(L->b, x, lt, "");
}

static void splat_op(Lower *L, Shape s)
{
    push_v(L, splat(L, to_lane(L, lower_pop(L), s), lanes(s)));
}

static void extract_lane(Lower *L, Shape s, uint8_t lane, bool sign)
{
    LLVMValueRef v = pop_as(L, s);
    LLVMValueRef x = LLVMBuildExtractElement(L->b, v, lower_i32(L, lane), "");
    if (s == S_I8 || s == S_I16)
        x = sign ? LLVMBuildSExt(L->b, x, L->t.i32, "") : LLVMBuildZExt(L->b, x, L->t.i32, "");
    lower_push(L, x);
}

static void replace_lane(Lower *L, Shape s, uint8_t lane)
{
    LLVMValueRef x = to_lane(L, lower_pop(L), s);
    LLVMValueRef v = pop_as(L, s);
    push_v(L, LLVMBuildInsertElement(L->b, v, x, lower_i32(L, lane), ""));
}

static void shuffle_op(Lower *L, const uint8_t *lanes16)
{
    LLVMValueRef b = pop_as(L, S_I8);
    LLVMValueRef a = pop_as(L, S_I8);
    unsigned idx[16] = {0};
    for (unsigned i = 0; i < 16; i++) idx[i] = lanes16[i];
    push_v(L, shuffle(L, a, b, idx, 16));
}

/* swizzle: lane i = a[b[i]] when b[i] < 16, else 0. Written as a variable permute of a by
 * b & 15 then masked; the x86 backend turns the pattern into pshufb (checked with llc 19). */
static void swizzle(Lower *L)
{
    LLVMValueRef b = pop_as(L, S_I8);
    LLVMValueRef a = pop_as(L, S_I8);
    LLVMValueRef m = LLVMBuildAnd(L->b, b, int_splat(L, S_I8, 15), "");
    LLVMValueRef r = LLVMGetPoison(vec_type(L, S_I8));
    for (unsigned i = 0; i < 16; i++) {
        LLVMValueRef k = LLVMBuildExtractElement(L->b, m, lower_i32(L, i), "");
        LLVMValueRef e = LLVMBuildExtractElement(L->b, a, k, "");
        r = LLVMBuildInsertElement(L->b, r, e, lower_i32(L, i), "");
    }
    LLVMValueRef in = LLVMBuildICmp(L->b, LLVMIntULT, b, int_splat(L, S_I8, 16), "");
    push_v(L, LLVMBuildAnd(L->b, r, LLVMBuildSExt(L->b, in, vec_type(L, S_I8), ""), ""));
}

/* ---- memory ---- */

static LLVMValueRef mem_load(Lower *L, const Instr *in, LLVMTypeRef ty, unsigned bytes)
{
    LLVMValueRef v = LLVMBuildLoad2(L->b, ty, lower_address(L, in, bytes), "");
    LLVMSetVolatile(v, 1);
    LLVMSetAlignment(v, 1);
    return v;
}

static void mem_store(Lower *L, const Instr *in, LLVMValueRef v, unsigned bytes)
{
    LLVMValueRef st = LLVMBuildStore(L->b, v, lower_address(L, in, bytes));
    LLVMSetVolatile(st, 1);
    LLVMSetAlignment(st, 1);
}

/* v128.loadMxN_s/u: 8 bytes of narrow shape s, each lane extended. */
static void load_extend(Lower *L, const Instr *in, Shape s, bool sign)
{
    LLVMTypeRef ty = LLVMVectorType(lane_type(L, s), lanes(s) / 2);
    push_v(L, widen(L, mem_load(L, in, ty, 8), sign));
}

static void load_splat(Lower *L, const Instr *in, Shape s)
{
    unsigned bytes = 16 / lanes(s);
    push_v(L, splat(L, mem_load(L, in, lane_type(L, s), bytes), lanes(s)));
}

static void load_zero(Lower *L, const Instr *in, Shape s)
{
    LLVMValueRef x = mem_load(L, in, lane_type(L, s), 16 / lanes(s));
    LLVMValueRef z = LLVMConstNull(vec_type(L, s));
    push_v(L, LLVMBuildInsertElement(L->b, z, x, lower_i32(L, 0), ""));
}

static void load_lane(Lower *L, const Instr *in, Shape s)
{
    LLVMValueRef v = pop_as(L, s);
    LLVMValueRef x = mem_load(L, in, lane_type(L, s), 16 / lanes(s));
    push_v(L, LLVMBuildInsertElement(L->b, v, x, lower_i32(L, in->imm.memarg.lane), ""));
}

static void store_lane(Lower *L, const Instr *in, Shape s)
{
    LLVMValueRef v = pop_as(L, s);
    LLVMValueRef x = LLVMBuildExtractElement(L->b, v, lower_i32(L, in->imm.memarg.lane), "");
    mem_store(L, in, x, 16 / lanes(s));
}

static bool memory_op(Lower *L, const Instr *in)
{
    switch (in->op) {
    case OP_V128Load: push_v(L, mem_load(L, in, L->t.v128, 16)); break;
    case OP_V128Load8x8S: load_extend(L, in, S_I8, true); break;
    case OP_V128Load8x8U: load_extend(L, in, S_I8, false); break;
    case OP_V128Load16x4S: load_extend(L, in, S_I16, true); break;
    case OP_V128Load16x4U: load_extend(L, in, S_I16, false); break;
    case OP_V128Load32x2S: load_extend(L, in, S_I32, true); break;
    case OP_V128Load32x2U: load_extend(L, in, S_I32, false); break;
    case OP_V128Load8Splat: load_splat(L, in, S_I8); break;
    case OP_V128Load16Splat: load_splat(L, in, S_I16); break;
    case OP_V128Load32Splat: load_splat(L, in, S_I32); break;
    case OP_V128Load64Splat: load_splat(L, in, S_I64); break;
    case OP_V128Store: {
        LLVMValueRef v = lower_pop(L);
        mem_store(L, in, v, 16);
        break;
    }
    case OP_V128Load32Zero: load_zero(L, in, S_I32); break;
    case OP_V128Load64Zero: load_zero(L, in, S_I64); break;
    case OP_V128Load8Lane: load_lane(L, in, S_I8); break;
    case OP_V128Load16Lane: load_lane(L, in, S_I16); break;
    case OP_V128Load32Lane: load_lane(L, in, S_I32); break;
    case OP_V128Load64Lane: load_lane(L, in, S_I64); break;
    case OP_V128Store8Lane: store_lane(L, in, S_I8); break;
    case OP_V128Store16Lane: store_lane(L, in, S_I16); break;
    case OP_V128Store32Lane: store_lane(L, in, S_I32); break;
    case OP_V128Store64Lane: store_lane(L, in, S_I64); break;
    default: return false;
    }
    return true;
}

/* ---- bitwise and boolean ---- */

static void bitwise(Lower *L, Opcode op)
{
    if (op == OP_V128Not) {
        push_v(L, LLVMBuildNot(L->b, lower_pop(L), ""));
        return;
    }
    if (op == OP_V128Bitselect) {
        LLVMValueRef c = lower_pop(L), b = lower_pop(L), a = lower_pop(L);
        LLVMValueRef x = LLVMBuildAnd(L->b, a, c, "");
        LLVMValueRef y = LLVMBuildAnd(L->b, b, LLVMBuildNot(L->b, c, ""), "");
        push_v(L, LLVMBuildOr(L->b, x, y, ""));
        return;
    }
    LLVMValueRef b = lower_pop(L), a = lower_pop(L);
    switch (op) {
    case OP_V128And: push_v(L, LLVMBuildAnd(L->b, a, b, "")); break;
    case OP_V128Andnot: push_v(L, LLVMBuildAnd(L->b, a, LLVMBuildNot(L->b, b, ""), "")); break;
    case OP_V128Or: push_v(L, LLVMBuildOr(L->b, a, b, "")); break;
    default: push_v(L, LLVMBuildXor(L->b, a, b, "")); break;
    }
}

static void any_true(Lower *L)
{
    LLVMValueRef v = cast_to(L, lower_pop(L), LLVMIntTypeInContext(L->ctx, 128));
    LLVMValueRef nz = LLVMBuildICmp(L->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    lower_push(L, lower_bool_to_i32(L, nz));
}

static void all_true(Lower *L, Shape s)
{
    LLVMValueRef v = pop_as(L, s);
    LLVMValueRef nz = LLVMBuildICmp(L->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    lower_push(L, lower_bool_to_i32(L, call1(L, "llvm.vector.reduce.and", nz)));
}

static void bitmask(Lower *L, Shape s)
{
    LLVMValueRef v = pop_as(L, s);
    LLVMValueRef neg = LLVMBuildICmp(L->b, LLVMIntSLT, v, LLVMConstNull(LLVMTypeOf(v)), "");
    LLVMValueRef bits = LLVMBuildBitCast(L->b, neg, LLVMIntTypeInContext(L->ctx, lanes(s)), "");
    lower_push(L, LLVMBuildZExt(L->b, bits, L->t.i32, ""));
}

/* ---- integer lanes ---- */

static void icompare(Lower *L, Shape s, LLVMIntPredicate pred)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    push_v(L, LLVMBuildSExt(L->b, LLVMBuildICmp(L->b, pred, a, b, ""), vec_type(L, s), ""));
}

static void ibinop(Lower *L, Shape s, LLVMOpcode op)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    push_v(L, LLVMBuildBinOp(L->b, op, a, b, ""));
}

static void ibin_intrinsic(Lower *L, Shape s, const char *name)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    push_v(L, call2(L, name, a, b));
}

static void iunary(Lower *L, Shape s, Opcode kind)
{
    LLVMValueRef a = pop_as(L, s);
    switch (kind) {
    case OP_I8x16Abs: push_v(L, call2(L, "llvm.abs", a, LLVMConstInt(L->t.i1, 0, 0))); break;
    case OP_I8x16Neg: push_v(L, LLVMBuildNeg(L->b, a, "")); break;
    default: push_v(L, call1(L, "llvm.ctpop", a)); break;
    }
}

/* Shift counts are taken modulo the lane width. */
static void ishift(Lower *L, Shape s, LLVMOpcode op)
{
    LLVMValueRef n = lower_pop(L);
    unsigned w = LLVMGetIntTypeWidth(lane_type(L, s));
    n = LLVMBuildAnd(L->b, n, lower_i32(L, w - 1), "");
    n = w == 64 ? LLVMBuildZExt(L->b, n, L->t.i64, "") : to_lane(L, n, s);
    LLVMValueRef a = pop_as(L, s);
    push_v(L, LLVMBuildBinOp(L->b, op, a, splat(L, n, lanes(s)), ""));
}

/* avgr_u: (a + b + 1) / 2 computed without overflow in wider lanes. */
static void avgr_u(Lower *L, Shape s)
{
    LLVMValueRef b = widen(L, pop_as(L, s), false), a = widen(L, pop_as(L, s), false);
    LLVMValueRef one = const_splat(LLVMConstInt(lane_type(L, s + 1), 1, 0), lanes(s));
    LLVMValueRef sum = LLVMBuildAdd(L->b, LLVMBuildAdd(L->b, a, b, ""), one, "");
    push_v(L, LLVMBuildTrunc(L->b, LLVMBuildLShr(L->b, sum, one, ""), vec_type(L, s), ""));
}

/* q15mulr_sat_s: (a * b + 0x4000) >> 15, saturated (only -32768 * -32768 overflows). */
static void q15mulr(Lower *L)
{
    LLVMValueRef b = widen(L, pop_as(L, S_I16), true), a = widen(L, pop_as(L, S_I16), true);
    LLVMValueRef round = const_splat(lower_i32(L, 0x4000), 8);
    LLVMValueRef p = LLVMBuildAdd(L->b, LLVMBuildMul(L->b, a, b, ""), round, "");
    LLVMValueRef shifted = LLVMBuildAShr(L->b, p, const_splat(lower_i32(L, 15), 8), "");
    LLVMValueRef sat = call2(L, "llvm.smin", shifted, const_splat(lower_i32(L, 0x7fff), 8));
    push_v(L, LLVMBuildTrunc(L->b, sat, vec_type(L, S_I16), ""));
}

/* i32x4.dot_i16x8_s: products of the signed 16-bit lanes, adjacent pairs added. */
static void dot(Lower *L)
{
    LLVMValueRef b = widen(L, pop_as(L, S_I16), true), a = widen(L, pop_as(L, S_I16), true);
    LLVMValueRef p = LLVMBuildMul(L->b, a, b, "");
    push_v(L, LLVMBuildAdd(L->b, pick(L, p, 0, 2, 4), pick(L, p, 1, 2, 4), ""));
}

/* extadd_pairwise of narrow shape s: adjacent lanes extended and added. */
static void extadd_pairwise(Lower *L, Shape s, bool sign)
{
    LLVMValueRef a = pop_as(L, s);
    unsigned n = lanes(s) / 2;
    LLVMValueRef even = widen(L, pick(L, a, 0, 2, n), sign);
    LLVMValueRef odd = widen(L, pick(L, a, 1, 2, n), sign);
    push_v(L, LLVMBuildAdd(L->b, even, odd, ""));
}

static void extmul(Lower *L, Shape s, bool high, bool sign)
{
    LLVMValueRef b = half_widened(L, pop_as(L, s), s, high, sign);
    LLVMValueRef a = half_widened(L, pop_as(L, s), s, high, sign);
    push_v(L, LLVMBuildMul(L->b, a, b, ""));
}

static void extend(Lower *L, Shape s, bool high, bool sign)
{
    push_v(L, half_widened(L, pop_as(L, s), s, high, sign));
}

/* narrow of wide shape s: both operands' lanes clamped to the narrow signed/unsigned range. */
static void narrow(Lower *L, Shape s, bool sign)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    unsigned n = lanes(s), w = LLVMGetIntTypeWidth(lane_type(L, s)) / 2;
    unsigned idx[16] = {0};
    for (unsigned i = 0; i < 2 * n; i++) idx[i] = i;
    LLVMValueRef v = shuffle(L, a, b, idx, 2 * n);
    LLVMTypeRef lt = lane_type(L, s);
    uint64_t lo = sign ? (uint64_t)-(int64_t)(1ull << (w - 1)) : 0;
    uint64_t hi = sign ? (1ull << (w - 1)) - 1 : (1ull << w) - 1;
    v = call2(L, "llvm.smax", v, const_splat(LLVMConstInt(lt, lo, 1), 2 * n));
    v = call2(L, "llvm.smin", v, const_splat(LLVMConstInt(lt, hi, 0), 2 * n));
    LLVMTypeRef out = LLVMVectorType(LLVMIntTypeInContext(L->ctx, w), 2 * n);
    push_v(L, LLVMBuildTrunc(L->b, v, out, ""));
}

/* ---- float lanes ---- */

static void fcompare(Lower *L, Shape s, LLVMRealPredicate pred)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    LLVMValueRef c = LLVMBuildFCmp(L->b, pred, a, b, "");
    push_v(L, LLVMBuildSExt(L->b, c, vec_type(L, int_shape(s)), ""));
}

/* abs/neg on the sign bits only (no NaN canonicalisation). */
static void fsign(Lower *L, Shape s, bool is_abs)
{
    Shape is = int_shape(s);
    LLVMValueRef a = pop_as(L, is);
    unsigned w = LLVMGetIntTypeWidth(lane_type(L, is));
    LLVMValueRef m = int_splat(L, is, 1ull << (w - 1));
    if (is_abs)
        push_v(L, LLVMBuildAnd(L->b, a, LLVMConstNot(m), ""));
    else
        push_v(L, LLVMBuildXor(L->b, a, m, ""));
}

static void funary(Lower *L, Shape s, const char *op, bool rounding)
{
    LLVMValueRef a = pop_as(L, s);
    push_v(L, lower_constrained(L, op, &a, 1, rounding));
}

static void fbinary(Lower *L, Shape s, const char *op)
{
    LLVMValueRef args[2];
    args[1] = pop_as(L, s);
    args[0] = pop_as(L, s);
    push_v(L, lower_constrained(L, op, args, 2, true));
}

/* min/max as the scalar ops: a NaN lane gives a quiet NaN (a + b); equal lanes combine their
 * bits so min(-0, +0) = -0 and max(-0, +0) = +0. */
static void fmin_max(Lower *L, Shape s, bool is_min)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    LLVMTypeRef ity = vec_type(L, int_shape(s));
    LLVMValueRef args[2] = {a, b};
    LLVMValueRef nan = lower_constrained(L, "fadd", args, 2, true);
    LLVMValueRef ai = LLVMBuildBitCast(L->b, a, ity, ""), bi = LLVMBuildBitCast(L->b, b, ity, "");
    LLVMValueRef eq = is_min ? LLVMBuildOr(L->b, ai, bi, "") : LLVMBuildAnd(L->b, ai, bi, "");
    LLVMValueRef r = LLVMBuildBitCast(L->b, eq, vec_type(L, s), "");
    LLVMRealPredicate lt = is_min ? LLVMRealOLT : LLVMRealOGT;
    r = LLVMBuildSelect(L->b, LLVMBuildFCmp(L->b, lt, b, a, ""), b, r, "");
    r = LLVMBuildSelect(L->b, LLVMBuildFCmp(L->b, lt, a, b, ""), a, r, "");
    r = LLVMBuildSelect(L->b, LLVMBuildFCmp(L->b, LLVMRealUNO, a, b, ""), nan, r, "");
    push_v(L, r);
}

/* pmin(a, b) = b < a ? b : a; pmax(a, b) = a < b ? b : a (spec 4.3.3 fpmin/fpmax). */
static void fpmin_max(Lower *L, Shape s, bool is_min)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    LLVMValueRef c = is_min ? LLVMBuildFCmp(L->b, LLVMRealOLT, b, a, "")
                            : LLVMBuildFCmp(L->b, LLVMRealOLT, a, b, "");
    push_v(L, LLVMBuildSelect(L->b, c, b, a, ""));
}

/* k: position in the abs..pmax run of f32x4/f64x2 opcodes (abs neg sqrt add sub mul div min
 * max pmin pmax). */
static void farith(Lower *L, Shape s, unsigned k)
{
    static const char *const ops[] = {"fadd", "fsub", "fmul", "fdiv"};
    switch (k) {
    case 0: fsign(L, s, true); break;
    case 1: fsign(L, s, false); break;
    case 2: funary(L, s, "sqrt", true); break;
    case 3: case 4: case 5: case 6: fbinary(L, s, ops[k - 3]); break;
    case 7: fmin_max(L, s, true); break;
    case 8: fmin_max(L, s, false); break;
    case 9: fpmin_max(L, s, true); break;
    default: fpmin_max(L, s, false); break;
    }
}

/* ---- conversions ---- */

/* Appends zero lanes to the n-lane vector v, giving 2n lanes. */
static LLVMValueRef zero_extend_lanes(Lower *L, LLVMValueRef v, unsigned n)
{
    unsigned idx[16] = {0};
    for (unsigned i = 0; i < 2 * n; i++) idx[i] = i;
    return shuffle(L, v, LLVMConstNull(LLVMTypeOf(v)), idx, 2 * n);
}

/* trunc_sat to i32 lanes (spec 4.3.4): lanes in range convert directly (NaN and lanes below
 * it convert 0.0), the others are replaced by the bounds. Not llvm.fpto*i.sat, which the x86
 * backend scalarises. */
static void trunc_sat(Lower *L, Shape from, bool sign)
{
    LLVMValueRef a = pop_as(L, from);
    unsigned n = lanes(from);
    LLVMTypeRef ft = lane_type(L, from), it = LLVMVectorType(L->t.i32, n);
    LLVMValueRef lo = const_splat(LLVMConstReal(ft, sign ? -2147483648.0 : 0.0), n);
    LLVMValueRef hi = const_splat(LLVMConstReal(ft, sign ? 2147483648.0 : 4294967296.0), n);
    LLVMValueRef below = LLVMBuildFCmp(L->b, LLVMRealOLT, a, lo, "");
    LLVMValueRef above = LLVMBuildFCmp(L->b, LLVMRealOGE, a, hi, "");
    LLVMValueRef in = LLVMBuildFCmp(L->b, LLVMRealOLT, a, hi, "");
    in = LLVMBuildAnd(L->b, in, LLVMBuildFCmp(L->b, LLVMRealOGE, a, lo, ""), "");
    LLVMValueRef safe = LLVMBuildSelect(L->b, in, a, LLVMConstNull(LLVMTypeOf(a)), "");
    LLVMValueRef r =
        sign ? LLVMBuildFPToSI(L->b, safe, it, "") : LLVMBuildFPToUI(L->b, safe, it, "");
    uint64_t max = sign ? INT32_MAX : UINT32_MAX;
    r = LLVMBuildSelect(L->b, above, const_splat(lower_i32(L, max), n), r, "");
    if (sign) r = LLVMBuildSelect(L->b, below, const_splat(lower_i32(L, 1u << 31), n), r, "");
    push_v(L, n == 4 ? r : zero_extend_lanes(L, r, n));
}

static void convert(Lower *L, Shape to, bool sign)
{
    LLVMValueRef a = pop_as(L, S_I32);
    if (to == S_F64) a = pick(L, a, 0, 1, 2);
    LLVMTypeRef ty = vec_type(L, to);
    push_v(L, sign ? LLVMBuildSIToFP(L->b, a, ty, "") : LLVMBuildUIToFP(L->b, a, ty, ""));
}

static void demote(Lower *L)
{
    LLVMValueRef a = pop_as(L, S_F64);
    LLVMTypeRef to = LLVMVectorType(L->t.f32, 2);
    push_v(L, zero_extend_lanes(L, lower_constrained_conv(L, "fptrunc", to, a, true), 2));
}

static void promote(Lower *L)
{
    LLVMValueRef a = pick(L, pop_as(L, S_F32), 0, 1, 2);
    push_v(L, lower_constrained_conv(L, "fpext", vec_type(L, S_F64), a, false));
}

static bool conversion(Lower *L, Opcode op)
{
    switch (op) {
    case OP_I32x4TruncSatF32x4S: trunc_sat(L, S_F32, true); break;
    case OP_I32x4TruncSatF32x4U: trunc_sat(L, S_F32, false); break;
    case OP_I32x4TruncSatF64x2SZero: trunc_sat(L, S_F64, true); break;
    case OP_I32x4TruncSatF64x2UZero: trunc_sat(L, S_F64, false); break;
    case OP_F32x4ConvertI32x4S: convert(L, S_F32, true); break;
    case OP_F32x4ConvertI32x4U: convert(L, S_F32, false); break;
    case OP_F64x2ConvertLowI32x4S: convert(L, S_F64, true); break;
    case OP_F64x2ConvertLowI32x4U: convert(L, S_F64, false); break;
    case OP_F32x4DemoteF64x2Zero: demote(L); break;
    case OP_F64x2PromoteLowF32x4: promote(L); break;
    default: return false;
    }
    return true;
}

/* ---- dispatch ---- */

static const LLVMIntPredicate int_preds[] = {
    LLVMIntEQ, LLVMIntNE, LLVMIntSLT, LLVMIntULT, LLVMIntSGT,
    LLVMIntUGT, LLVMIntSLE, LLVMIntULE, LLVMIntSGE, LLVMIntUGE,
};
static const LLVMRealPredicate real_preds[] = {
    LLVMRealOEQ, LLVMRealUNE, LLVMRealOLT, LLVMRealOGT, LLVMRealOLE, LLVMRealOGE,
};

static bool comparison(Lower *L, Opcode op)
{
    static const LLVMIntPredicate i64_preds[] = {
        LLVMIntEQ, LLVMIntNE, LLVMIntSLT, LLVMIntSGT, LLVMIntSLE, LLVMIntSGE,
    };
    if (op >= OP_I8x16Eq && op <= OP_I8x16GeU) icompare(L, S_I8, int_preds[op - OP_I8x16Eq]);
    else if (op >= OP_I16x8Eq && op <= OP_I16x8GeU) icompare(L, S_I16, int_preds[op - OP_I16x8Eq]);
    else if (op >= OP_I32x4Eq && op <= OP_I32x4GeU) icompare(L, S_I32, int_preds[op - OP_I32x4Eq]);
    else if (op >= OP_I64x2Eq && op <= OP_I64x2GeS) icompare(L, S_I64, i64_preds[op - OP_I64x2Eq]);
    else if (op >= OP_F32x4Eq && op <= OP_F32x4Ge) fcompare(L, S_F32, real_preds[op - OP_F32x4Eq]);
    else if (op >= OP_F64x2Eq && op <= OP_F64x2Ge) fcompare(L, S_F64, real_preds[op - OP_F64x2Eq]);
    else return false;
    return true;
}

static bool lane_op(Lower *L, const Instr *in)
{
    uint8_t k = in->imm.lane;
    switch (in->op) {
    case OP_V128Const: v128_const(L, in->imm.v128); break;
    case OP_I8x16Shuffle: shuffle_op(L, in->imm.shuffle); break;
    case OP_I8x16Swizzle: swizzle(L); break;
    case OP_I8x16Splat: splat_op(L, S_I8); break;
    case OP_I16x8Splat: splat_op(L, S_I16); break;
    case OP_I32x4Splat: splat_op(L, S_I32); break;
    case OP_I64x2Splat: splat_op(L, S_I64); break;
    case OP_F32x4Splat: splat_op(L, S_F32); break;
    case OP_F64x2Splat: splat_op(L, S_F64); break;
    case OP_I8x16ExtractLaneS: extract_lane(L, S_I8, k, true); break;
    case OP_I8x16ExtractLaneU: extract_lane(L, S_I8, k, false); break;
    case OP_I16x8ExtractLaneS: extract_lane(L, S_I16, k, true); break;
    case OP_I16x8ExtractLaneU: extract_lane(L, S_I16, k, false); break;
    case OP_I32x4ExtractLane: extract_lane(L, S_I32, k, false); break;
    case OP_I64x2ExtractLane: extract_lane(L, S_I64, k, false); break;
    case OP_F32x4ExtractLane: extract_lane(L, S_F32, k, false); break;
    case OP_F64x2ExtractLane: extract_lane(L, S_F64, k, false); break;
    case OP_I8x16ReplaceLane: replace_lane(L, S_I8, k); break;
    case OP_I16x8ReplaceLane: replace_lane(L, S_I16, k); break;
    case OP_I32x4ReplaceLane: replace_lane(L, S_I32, k); break;
    case OP_I64x2ReplaceLane: replace_lane(L, S_I64, k); break;
    case OP_F32x4ReplaceLane: replace_lane(L, S_F32, k); break;
    case OP_F64x2ReplaceLane: replace_lane(L, S_F64, k); break;
    default: return false;
    }
    return true;
}

static bool boolean_op(Lower *L, Opcode op)
{
    switch (op) {
    case OP_V128Not: case OP_V128And: case OP_V128Andnot: case OP_V128Or: case OP_V128Xor:
    case OP_V128Bitselect: bitwise(L, op); break;
    case OP_V128AnyTrue: any_true(L); break;
    case OP_I8x16AllTrue: all_true(L, S_I8); break;
    case OP_I16x8AllTrue: all_true(L, S_I16); break;
    case OP_I32x4AllTrue: all_true(L, S_I32); break;
    case OP_I64x2AllTrue: all_true(L, S_I64); break;
    case OP_I8x16Bitmask: bitmask(L, S_I8); break;
    case OP_I16x8Bitmask: bitmask(L, S_I16); break;
    case OP_I32x4Bitmask: bitmask(L, S_I32); break;
    case OP_I64x2Bitmask: bitmask(L, S_I64); break;
    default: return false;
    }
    return true;
}

/* Operations that exist for several integer shapes, named by their i8x16 opcode. */
static void int_common(Lower *L, Shape s, Opcode kind)
{
    switch (kind) {
    case OP_I8x16Abs: case OP_I8x16Neg: case OP_I8x16Popcnt: iunary(L, s, kind); break;
    case OP_I8x16Shl: ishift(L, s, LLVMShl); break;
    case OP_I8x16ShrS: ishift(L, s, LLVMAShr); break;
    case OP_I8x16ShrU: ishift(L, s, LLVMLShr); break;
    case OP_I8x16Add: ibinop(L, s, LLVMAdd); break;
    case OP_I8x16Sub: ibinop(L, s, LLVMSub); break;
    case OP_I8x16AddSatS: ibin_intrinsic(L, s, "llvm.sadd.sat"); break;
    case OP_I8x16AddSatU: ibin_intrinsic(L, s, "llvm.uadd.sat"); break;
    case OP_I8x16SubSatS: ibin_intrinsic(L, s, "llvm.ssub.sat"); break;
    case OP_I8x16SubSatU: ibin_intrinsic(L, s, "llvm.usub.sat"); break;
    case OP_I8x16MinS: ibin_intrinsic(L, s, "llvm.smin"); break;
    case OP_I8x16MinU: ibin_intrinsic(L, s, "llvm.umin"); break;
    case OP_I8x16MaxS: ibin_intrinsic(L, s, "llvm.smax"); break;
    case OP_I8x16MaxU: ibin_intrinsic(L, s, "llvm.umax"); break;
    default: avgr_u(L, s); break;
    }
}

/* Operations shared by several integer shapes, each mapped to its i8x16 form. */
static bool shared_int_op(Lower *L, Opcode op)
{
    static const struct { Opcode op, as; Shape s; } map[] = {
#define I8(x) {OP_I8x16##x, OP_I8x16##x, S_I8}
#define I16(x) {OP_I16x8##x, OP_I8x16##x, S_I16}
#define I32(x) {OP_I32x4##x, OP_I8x16##x, S_I32}
#define I64(x) {OP_I64x2##x, OP_I8x16##x, S_I64}
        I8(Abs), I8(Neg), I8(Popcnt), I8(Shl), I8(ShrS), I8(ShrU), I8(Add), I8(AddSatS),
        I8(AddSatU), I8(Sub), I8(SubSatS), I8(SubSatU), I8(MinS), I8(MinU), I8(MaxS), I8(MaxU),
        I8(AvgrU),
        I16(Abs), I16(Neg), I16(Shl), I16(ShrS), I16(ShrU), I16(Add), I16(AddSatS), I16(AddSatU),
        I16(Sub), I16(SubSatS), I16(SubSatU), I16(MinS), I16(MinU), I16(MaxS), I16(MaxU),
        I16(AvgrU),
        I32(Abs), I32(Neg), I32(Shl), I32(ShrS), I32(ShrU), I32(Add), I32(Sub), I32(MinS),
        I32(MinU), I32(MaxS), I32(MaxU),
        I64(Abs), I64(Neg), I64(Shl), I64(ShrS), I64(ShrU), I64(Add), I64(Sub),
#undef I8
#undef I16
#undef I32
#undef I64
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].op == op) {
            int_common(L, map[i].s, map[i].as);
            return true;
        }
    }
    return false;
}

static bool widening_op(Lower *L, Opcode op)
{
    switch (op) {
    case OP_I16x8ExtaddPairwiseI8x16S: extadd_pairwise(L, S_I8, true); break;
    case OP_I16x8ExtaddPairwiseI8x16U: extadd_pairwise(L, S_I8, false); break;
    case OP_I32x4ExtaddPairwiseI16x8S: extadd_pairwise(L, S_I16, true); break;
    case OP_I32x4ExtaddPairwiseI16x8U: extadd_pairwise(L, S_I16, false); break;
    case OP_I16x8ExtmulLowI8x16S: extmul(L, S_I8, false, true); break;
    case OP_I16x8ExtmulHighI8x16S: extmul(L, S_I8, true, true); break;
    case OP_I16x8ExtmulLowI8x16U: extmul(L, S_I8, false, false); break;
    case OP_I16x8ExtmulHighI8x16U: extmul(L, S_I8, true, false); break;
    case OP_I32x4ExtmulLowI16x8S: extmul(L, S_I16, false, true); break;
    case OP_I32x4ExtmulHighI16x8S: extmul(L, S_I16, true, true); break;
    case OP_I32x4ExtmulLowI16x8U: extmul(L, S_I16, false, false); break;
    case OP_I32x4ExtmulHighI16x8U: extmul(L, S_I16, true, false); break;
    case OP_I64x2ExtmulLowI32x4S: extmul(L, S_I32, false, true); break;
    case OP_I64x2ExtmulHighI32x4S: extmul(L, S_I32, true, true); break;
    case OP_I64x2ExtmulLowI32x4U: extmul(L, S_I32, false, false); break;
    case OP_I64x2ExtmulHighI32x4U: extmul(L, S_I32, true, false); break;
    case OP_I16x8ExtendLowI8x16S: extend(L, S_I8, false, true); break;
    case OP_I16x8ExtendHighI8x16S: extend(L, S_I8, true, true); break;
    case OP_I16x8ExtendLowI8x16U: extend(L, S_I8, false, false); break;
    case OP_I16x8ExtendHighI8x16U: extend(L, S_I8, true, false); break;
    case OP_I32x4ExtendLowI16x8S: extend(L, S_I16, false, true); break;
    case OP_I32x4ExtendHighI16x8S: extend(L, S_I16, true, true); break;
    case OP_I32x4ExtendLowI16x8U: extend(L, S_I16, false, false); break;
    case OP_I32x4ExtendHighI16x8U: extend(L, S_I16, true, false); break;
    case OP_I64x2ExtendLowI32x4S: extend(L, S_I32, false, true); break;
    case OP_I64x2ExtendHighI32x4S: extend(L, S_I32, true, true); break;
    case OP_I64x2ExtendLowI32x4U: extend(L, S_I32, false, false); break;
    case OP_I64x2ExtendHighI32x4U: extend(L, S_I32, true, false); break;
    case OP_I8x16NarrowI16x8S: narrow(L, S_I16, true); break;
    case OP_I8x16NarrowI16x8U: narrow(L, S_I16, false); break;
    case OP_I16x8NarrowI32x4S: narrow(L, S_I32, true); break;
    case OP_I16x8NarrowI32x4U: narrow(L, S_I32, false); break;
    default: return false;
    }
    return true;
}

static bool other_int_op(Lower *L, Opcode op)
{
    switch (op) {
    case OP_I16x8Mul: ibinop(L, S_I16, LLVMMul); break;
    case OP_I32x4Mul: ibinop(L, S_I32, LLVMMul); break;
    case OP_I64x2Mul: ibinop(L, S_I64, LLVMMul); break;
    case OP_I16x8Q15mulrSatS: q15mulr(L); break;
    case OP_I32x4DotI16x8S: dot(L); break;
    default: return widening_op(L, op);
    }
    return true;
}

static bool float_op(Lower *L, Opcode op)
{
    if (op >= OP_F32x4Abs && op <= OP_F32x4Pmax) farith(L, S_F32, op - OP_F32x4Abs);
    else if (op >= OP_F64x2Abs && op <= OP_F64x2Pmax) farith(L, S_F64, op - OP_F64x2Abs);
    else if (op == OP_F32x4Ceil) funary(L, S_F32, "ceil", false);
    else if (op == OP_F32x4Floor) funary(L, S_F32, "floor", false);
    else if (op == OP_F32x4Trunc) funary(L, S_F32, "trunc", false);
    else if (op == OP_F32x4Nearest) funary(L, S_F32, "roundeven", false);
    else if (op == OP_F64x2Ceil) funary(L, S_F64, "ceil", false);
    else if (op == OP_F64x2Floor) funary(L, S_F64, "floor", false);
    else if (op == OP_F64x2Trunc) funary(L, S_F64, "trunc", false);
    else if (op == OP_F64x2Nearest) funary(L, S_F64, "roundeven", false);
    else return conversion(L, op);
    return true;
}

bool lower_simd(Lower *L, const Instr *in)
{
    Opcode op = in->op;
    if (memory_op(L, in) || lane_op(L, in) || comparison(L, op) || boolean_op(L, op) ||
        float_op(L, op) || shared_int_op(L, op) || other_int_op(L, op))
        return true;
    L->err = error_new(WK_ERROR_UNSUPPORTED, in->offset, "instruction %s not supported by the JIT",
                       op_info[op].text);
    return false;
}
