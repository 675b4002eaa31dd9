/* Lowering of the SIMD instructions (0xFD prefix, spec 4.3.5, 4.4.3, 4.4.7): v128 is <2 x i64>
 * on the value stack, bitcast per operation; generic vector IR only, with float arithmetic
 * through the same constrained intrinsics as the scalar ops (lower_float.c). Each
 * lower_simd_<handler> is named by the Lower column of opcodes_simd.def. */

#include "lower.h"

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

/* i8/i16 lanes take the low bits of an i32 operand. */
static LLVMValueRef to_lane(Lower *L, LLVMValueRef x, Shape s)
{
    LLVMTypeRef lt = lane_type(L, s);
    return LLVMTypeOf(x) == lt ? x : LLVMBuildTrunc(L->b, x, lt, "");
}

void lower_simd_splat(Lower *L, Shape s)
{
    push_v(L, splat(L, to_lane(L, lower_pop(L), s), lanes(s)));
}

void lower_simd_extract_lane(Lower *L, const Instr *in, Shape s, bool sign)
{
    uint8_t lane = in->imm.lane;
    LLVMValueRef v = pop_as(L, s);
    LLVMValueRef x = LLVMBuildExtractElement(L->b, v, lower_i32(L, lane), "");
    if (s == S_I8 || s == S_I16)
        x = sign ? LLVMBuildSExt(L->b, x, L->t.i32, "") : LLVMBuildZExt(L->b, x, L->t.i32, "");
    lower_push(L, x);
}

void lower_simd_replace_lane(Lower *L, const Instr *in, Shape s)
{
    uint8_t lane = in->imm.lane;
    LLVMValueRef x = to_lane(L, lower_pop(L), s);
    LLVMValueRef v = pop_as(L, s);
    push_v(L, LLVMBuildInsertElement(L->b, v, x, lower_i32(L, lane), ""));
}

void lower_simd_shuffle(Lower *L, const Instr *in)
{
    const uint8_t *lanes16 = in->imm.shuffle;
    LLVMValueRef b = pop_as(L, S_I8);
    LLVMValueRef a = pop_as(L, S_I8);
    unsigned idx[16] = {0};
    for (unsigned i = 0; i < 16; i++) idx[i] = lanes16[i];
    push_v(L, shuffle(L, a, b, idx, 16));
}

/* swizzle: lane i = a[b[i]] when b[i] < 16, else 0. Written as a variable permute of a by
 * b & 15 then masked; the x86 backend turns the pattern into pshufb (checked with llc 19). */
void lower_simd_swizzle(Lower *L)
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
void lower_simd_load_extend(Lower *L, const Instr *in, Shape s, bool sign)
{
    LLVMTypeRef ty = LLVMVectorType(lane_type(L, s), lanes(s) / 2);
    push_v(L, widen(L, mem_load(L, in, ty, 8), sign));
}

void lower_simd_load_splat(Lower *L, const Instr *in, Shape s)
{
    unsigned bytes = 16 / lanes(s);
    push_v(L, splat(L, mem_load(L, in, lane_type(L, s), bytes), lanes(s)));
}

void lower_simd_load_zero(Lower *L, const Instr *in, Shape s)
{
    LLVMValueRef x = mem_load(L, in, lane_type(L, s), 16 / lanes(s));
    LLVMValueRef z = LLVMConstNull(vec_type(L, s));
    push_v(L, LLVMBuildInsertElement(L->b, z, x, lower_i32(L, 0), ""));
}

void lower_simd_load_lane(Lower *L, const Instr *in, Shape s)
{
    LLVMValueRef v = pop_as(L, s);
    LLVMValueRef x = mem_load(L, in, lane_type(L, s), 16 / lanes(s));
    push_v(L, LLVMBuildInsertElement(L->b, v, x, lower_i32(L, in->imm.memarg.lane), ""));
}

void lower_simd_store_lane(Lower *L, const Instr *in, Shape s)
{
    LLVMValueRef v = pop_as(L, s);
    LLVMValueRef x = LLVMBuildExtractElement(L->b, v, lower_i32(L, in->imm.memarg.lane), "");
    mem_store(L, in, x, 16 / lanes(s));
}

void lower_simd_load(Lower *L, const Instr *in)
{
    push_v(L, mem_load(L, in, L->t.v128, 16));
}

void lower_simd_store(Lower *L, const Instr *in)
{
    LLVMValueRef v = lower_pop(L);
    mem_store(L, in, v, 16);
}

/* ---- bitwise and boolean ---- */

void lower_simd_not(Lower *L)
{
    push_v(L, LLVMBuildNot(L->b, lower_pop(L), ""));
}

/* v128.and, or, xor. */
void lower_simd_bitop(Lower *L, LLVMOpcode op)
{
    LLVMValueRef b = lower_pop(L), a = lower_pop(L);
    push_v(L, LLVMBuildBinOp(L->b, op, a, b, ""));
}

void lower_simd_andnot(Lower *L)
{
    LLVMValueRef b = lower_pop(L), a = lower_pop(L);
    push_v(L, LLVMBuildAnd(L->b, a, LLVMBuildNot(L->b, b, ""), ""));
}

void lower_simd_bitselect(Lower *L)
{
    LLVMValueRef c = lower_pop(L), b = lower_pop(L), a = lower_pop(L);
    LLVMValueRef x = LLVMBuildAnd(L->b, a, c, "");
    LLVMValueRef y = LLVMBuildAnd(L->b, b, LLVMBuildNot(L->b, c, ""), "");
    push_v(L, LLVMBuildOr(L->b, x, y, ""));
}

void lower_simd_any_true(Lower *L)
{
    LLVMValueRef v = cast_to(L, lower_pop(L), LLVMIntTypeInContext(L->ctx, 128));
    LLVMValueRef nz = LLVMBuildICmp(L->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    lower_push(L, lower_bool_to_i32(L, nz));
}

void lower_simd_all_true(Lower *L, Shape s)
{
    LLVMValueRef v = pop_as(L, s);
    LLVMValueRef nz = LLVMBuildICmp(L->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    lower_push(L, lower_bool_to_i32(L, call1(L, "llvm.vector.reduce.and", nz)));
}

void lower_simd_bitmask(Lower *L, Shape s)
{
    LLVMValueRef v = pop_as(L, s);
    LLVMValueRef neg = LLVMBuildICmp(L->b, LLVMIntSLT, v, LLVMConstNull(LLVMTypeOf(v)), "");
    LLVMValueRef bits = LLVMBuildBitCast(L->b, neg, LLVMIntTypeInContext(L->ctx, lanes(s)), "");
    lower_push(L, LLVMBuildZExt(L->b, bits, L->t.i32, ""));
}

/* ---- integer lanes ---- */

void lower_simd_icmp(Lower *L, Shape s, LLVMIntPredicate pred)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    push_v(L, LLVMBuildSExt(L->b, LLVMBuildICmp(L->b, pred, a, b, ""), vec_type(L, s), ""));
}

void lower_simd_ibinop(Lower *L, Shape s, LLVMOpcode op)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    push_v(L, LLVMBuildBinOp(L->b, op, a, b, ""));
}

void lower_simd_ibin_intrinsic(Lower *L, Shape s, const char *name)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    push_v(L, call2(L, name, a, b));
}

void lower_simd_iabs(Lower *L, Shape s)
{
    LLVMValueRef a = pop_as(L, s);
    push_v(L, call2(L, "llvm.abs", a, LLVMConstInt(L->t.i1, 0, 0)));
}

void lower_simd_ineg(Lower *L, Shape s)
{
    push_v(L, LLVMBuildNeg(L->b, pop_as(L, s), ""));
}

void lower_simd_popcnt(Lower *L)
{
    push_v(L, call1(L, "llvm.ctpop", pop_as(L, S_I8)));
}

/* Shift counts are taken modulo the lane width. */
void lower_simd_ishift(Lower *L, Shape s, LLVMOpcode op)
{
    LLVMValueRef n = lower_pop(L);
    unsigned w = LLVMGetIntTypeWidth(lane_type(L, s));
    n = LLVMBuildAnd(L->b, n, lower_i32(L, w - 1), "");
    n = w == 64 ? LLVMBuildZExt(L->b, n, L->t.i64, "") : to_lane(L, n, s);
    LLVMValueRef a = pop_as(L, s);
    push_v(L, LLVMBuildBinOp(L->b, op, a, splat(L, n, lanes(s)), ""));
}

/* avgr_u: (a + b + 1) / 2 computed without overflow in wider lanes. */
void lower_simd_avgr_u(Lower *L, Shape s)
{
    LLVMValueRef b = widen(L, pop_as(L, s), false), a = widen(L, pop_as(L, s), false);
    LLVMValueRef one = const_splat(LLVMConstInt(lane_type(L, s + 1), 1, 0), lanes(s));
    LLVMValueRef sum = LLVMBuildAdd(L->b, LLVMBuildAdd(L->b, a, b, ""), one, "");
    push_v(L, LLVMBuildTrunc(L->b, LLVMBuildLShr(L->b, sum, one, ""), vec_type(L, s), ""));
}

/* q15mulr_sat_s: (a * b + 0x4000) >> 15, saturated (only -32768 * -32768 overflows). */
void lower_simd_q15mulr(Lower *L)
{
    LLVMValueRef b = widen(L, pop_as(L, S_I16), true), a = widen(L, pop_as(L, S_I16), true);
    LLVMValueRef round = const_splat(lower_i32(L, 0x4000), 8);
    LLVMValueRef p = LLVMBuildAdd(L->b, LLVMBuildMul(L->b, a, b, ""), round, "");
    LLVMValueRef shifted = LLVMBuildAShr(L->b, p, const_splat(lower_i32(L, 15), 8), "");
    LLVMValueRef sat = call2(L, "llvm.smin", shifted, const_splat(lower_i32(L, 0x7fff), 8));
    push_v(L, LLVMBuildTrunc(L->b, sat, vec_type(L, S_I16), ""));
}

/* i32x4.dot_i16x8_s: products of the signed 16-bit lanes, adjacent pairs added. */
void lower_simd_dot(Lower *L)
{
    LLVMValueRef b = widen(L, pop_as(L, S_I16), true), a = widen(L, pop_as(L, S_I16), true);
    LLVMValueRef p = LLVMBuildMul(L->b, a, b, "");
    push_v(L, LLVMBuildAdd(L->b, pick(L, p, 0, 2, 4), pick(L, p, 1, 2, 4), ""));
}

/* extadd_pairwise of narrow shape s: adjacent lanes extended and added. */
void lower_simd_extadd_pairwise(Lower *L, Shape s, bool sign)
{
    LLVMValueRef a = pop_as(L, s);
    unsigned n = lanes(s) / 2;
    LLVMValueRef even = widen(L, pick(L, a, 0, 2, n), sign);
    LLVMValueRef odd = widen(L, pick(L, a, 1, 2, n), sign);
    push_v(L, LLVMBuildAdd(L->b, even, odd, ""));
}

void lower_simd_extmul(Lower *L, Shape s, bool high, bool sign)
{
    LLVMValueRef b = half_widened(L, pop_as(L, s), s, high, sign);
    LLVMValueRef a = half_widened(L, pop_as(L, s), s, high, sign);
    push_v(L, LLVMBuildMul(L->b, a, b, ""));
}

void lower_simd_extend(Lower *L, Shape s, bool high, bool sign)
{
    push_v(L, half_widened(L, pop_as(L, s), s, high, sign));
}

/* narrow of wide shape s: both operands' lanes clamped to the narrow signed/unsigned range. */
void lower_simd_narrow(Lower *L, Shape s, bool sign)
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

void lower_simd_fcmp(Lower *L, Shape s, LLVMRealPredicate pred)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    LLVMValueRef c = LLVMBuildFCmp(L->b, pred, a, b, "");
    push_v(L, LLVMBuildSExt(L->b, c, vec_type(L, int_shape(s)), ""));
}

/* abs/neg on the sign bits only (no NaN canonicalisation). */
void lower_simd_fsign(Lower *L, Shape s, bool is_abs)
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

void lower_simd_funary(Lower *L, Shape s, const char *op, bool rounding)
{
    LLVMValueRef a = pop_as(L, s);
    push_v(L, lower_constrained(L, op, &a, 1, rounding));
}

void lower_simd_fbinary(Lower *L, Shape s, const char *op)
{
    LLVMValueRef args[2];
    args[1] = pop_as(L, s);
    args[0] = pop_as(L, s);
    push_v(L, lower_constrained(L, op, args, 2, true));
}

/* min/max as the scalar ops: a NaN lane gives a quiet NaN (a + b); equal lanes combine their
 * bits so min(-0, +0) = -0 and max(-0, +0) = +0. */
void lower_simd_fmin_max(Lower *L, Shape s, bool is_min)
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
void lower_simd_fpmin_max(Lower *L, Shape s, bool is_min)
{
    LLVMValueRef b = pop_as(L, s), a = pop_as(L, s);
    LLVMValueRef c = is_min ? LLVMBuildFCmp(L->b, LLVMRealOLT, b, a, "")
                            : LLVMBuildFCmp(L->b, LLVMRealOLT, a, b, "");
    push_v(L, LLVMBuildSelect(L->b, c, b, a, ""));
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
void lower_simd_trunc_sat(Lower *L, Shape from, bool sign)
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

void lower_simd_convert(Lower *L, Shape to, bool sign)
{
    LLVMValueRef a = pop_as(L, S_I32);
    if (to == S_F64) a = pick(L, a, 0, 1, 2);
    LLVMTypeRef ty = vec_type(L, to);
    push_v(L, sign ? LLVMBuildSIToFP(L->b, a, ty, "") : LLVMBuildUIToFP(L->b, a, ty, ""));
}

void lower_simd_demote(Lower *L)
{
    LLVMValueRef a = pop_as(L, S_F64);
    LLVMTypeRef to = LLVMVectorType(L->t.f32, 2);
    push_v(L, zero_extend_lanes(L, lower_constrained_conv(L, "fptrunc", to, a, true), 2));
}

void lower_simd_promote(Lower *L)
{
    LLVMValueRef a = pick(L, pop_as(L, S_F32), 0, 1, 2);
    push_v(L, lower_constrained_conv(L, "fpext", vec_type(L, S_F64), a, false));
}
