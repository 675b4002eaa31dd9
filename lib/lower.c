/* Lowering driver: one Wasm function body -> one LLVM function. Owns the value stack, the
 * function prologue (locals, stack-limit check), trap blocks, helper and intrinsic
 * declarations, and the opcode switch generated from opcodes.def that calls each
 * instruction's handler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

LLVMTypeRef lower_val_type(LLVMContextRef ctx, ValType t)
{
    switch (t) {
    case WK_I32: return LLVMInt32TypeInContext(ctx);
    case WK_I64: return LLVMInt64TypeInContext(ctx);
    case WK_F32: return LLVMFloatTypeInContext(ctx);
    case WK_F64: return LLVMDoubleTypeInContext(ctx);
    case WK_V128: return LLVMVectorType(LLVMInt64TypeInContext(ctx), 2);
    default: return LLVMPointerTypeInContext(ctx, 0);
    }
}

LLVMTypeRef lower_result_type(LLVMContextRef ctx, const FuncType *ft)
{
    if (ft->nresults == 0) return LLVMVoidTypeInContext(ctx);
    if (ft->nresults == 1) return lower_val_type(ctx, ft->types[ft->nparams]);
    LLVMTypeRef fields[ft->nresults];
    for (uint32_t i = 0; i < ft->nresults; i++)
        fields[i] = lower_val_type(ctx, ft->types[ft->nparams + i]);
    return LLVMStructTypeInContext(ctx, fields, ft->nresults, 0);
}

LLVMTypeRef lower_func_type(LLVMContextRef ctx, const FuncType *ft)
{
    LLVMTypeRef params[ft->nparams + 1];
    params[0] = LLVMPointerTypeInContext(ctx, 0);
    for (uint32_t i = 0; i < ft->nparams; i++)
        params[i + 1] = lower_val_type(ctx, ft->types[i]);
    return LLVMFunctionType(lower_result_type(ctx, ft), params, ft->nparams + 1, 0);
}

void lower_func_name(char *buf, size_t size, uint64_t module_id, uint32_t index)
{
    snprintf(buf, size, "wk_%016llx_f%u", (unsigned long long)module_id, index);
}

/* ---- value stack ---- */

void lower_push(Lower *L, LLVMValueRef v)
{
    if (L->sp == L->stack_cap) {
        L->stack_cap = L->stack_cap ? 2 * L->stack_cap : 64;
        L->stack = realloc(L->stack, L->stack_cap * sizeof *L->stack);
        if (!L->stack) abort();
    }
    L->stack[L->sp++] = v;
}

LLVMValueRef lower_pop(Lower *L)
{
    return L->stack[--L->sp];
}

LLVMValueRef lower_peek(Lower *L, uint32_t depth)
{
    return L->stack[L->sp - 1 - depth];
}

void lower_pop_n(Lower *L, uint32_t n, LLVMValueRef *out)
{
    L->sp -= n;
    if (n) memcpy(out, L->stack + L->sp, n * sizeof *out);
}

LLVMValueRef lower_i32(Lower *L, uint64_t v)
{
    return LLVMConstInt(L->t.i32, v, 0);
}

LLVMValueRef lower_i64(Lower *L, uint64_t v)
{
    return LLVMConstInt(L->t.i64, v, 0);
}

LLVMValueRef lower_bool_to_i32(Lower *L, LLVMValueRef b)
{
    return LLVMBuildZExt(L->b, b, L->t.i32, "");
}

/* ---- helpers, intrinsics, fields ---- */

/* Runtime helper signatures, from vmctx.h's table. */
typedef struct HelperSig {
    const char *name;
    uint8_t traps, result, nparams, params[6];
} HelperSig;

static const HelperSig helper_sigs[] = {
#define WK_RT_HELPER_SIG(name, traps, result, ...)                                      \
    [HELPER_##name] = {WK_RT_SYMBOL_NAME(name), traps, result, WK_COUNT(__VA_ARGS__), \
                       {__VA_ARGS__}},
    WK_RT_HELPERS(WK_RT_HELPER_SIG)
#undef WK_RT_HELPER_SIG
};

static LLVMTypeRef abi_type(LLVMContextRef ctx, uint8_t t)
{
    switch (t) {
    case ABI_VOID: return LLVMVoidTypeInContext(ctx);
    case ABI_I32: return LLVMInt32TypeInContext(ctx);
    default: return LLVMPointerTypeInContext(ctx, 0);
    }
}

static void add_fn_attr(LLVMContextRef ctx, LLVMValueRef fn, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(ctx, kind, 0));
}

LLVMValueRef lower_helper_decl(LLVMModuleRef mod, HelperId id, LLVMTypeRef *fn_type)
{
    const HelperSig *h = &helper_sigs[id];
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    LLVMTypeRef params[6];
    for (unsigned i = 0; i < h->nparams; i++) params[i] = abi_type(ctx, h->params[i]);
    *fn_type = LLVMFunctionType(abi_type(ctx, h->result), params, h->nparams, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(mod, h->name);
    if (fn) return fn;
    fn = LLVMAddFunction(mod, h->name, *fn_type);
    add_fn_attr(ctx, fn, "nounwind");
    if (h->traps) {
        add_fn_attr(ctx, fn, "noreturn");
        add_fn_attr(ctx, fn, "cold");
    }
    return fn;
}

LLVMValueRef lower_call_helper(Lower *L, HelperId id, LLVMValueRef *args, unsigned n)
{
    LLVMTypeRef fty;
    LLVMValueRef fn = lower_helper_decl(L->mod, id, &fty);
    return LLVMBuildCall2(L->b, fty, fn, args, n, "");
}

LLVMValueRef lower_intrinsic(Lower *L, const char *name, LLVMTypeRef *types, unsigned ntypes,
                             LLVMValueRef *args, unsigned nargs)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(L->mod, id, types, ntypes);
    LLVMTypeRef fty = LLVMIntrinsicGetType(L->ctx, id, types, ntypes);
    LLVMValueRef call = LLVMBuildCall2(L->b, fty, fn, args, nargs, "");
    if (strncmp(name, "llvm.experimental.constrained.", 30) == 0) {
        LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex, L->strictfp);
        L->strict = true;
    }
    return call;
}

LLVMValueRef lower_load_field(Lower *L, LLVMTypeRef ty, LLVMValueRef base, uint64_t off)
{
    LLVMValueRef idx = lower_i64(L, off);
    LLVMValueRef p = off ? LLVMBuildGEP2(L->b, L->t.i8, base, &idx, 1, "") : base;
    return LLVMBuildLoad2(L->b, ty, p, "");
}

LLVMValueRef lower_entry_load(Lower *L, LLVMTypeRef ty, LLVMValueRef base, uint64_t off)
{
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(L->b);
    LLVMPositionBuilderBefore(L->b, LLVMGetBasicBlockTerminator(L->alloca_bb));
    LLVMValueRef v = lower_load_field(L, ty, base, off);
    LLVMPositionBuilderAtEnd(L->b, cur);
    return v;
}

/* Calls helper `id` with (vmctx, the immediates `args` selects as i32, the remaining params
 * popped); pushes its result if it has one. */
void lower_helper(Lower *L, const Instr *in, HelperId id, HelperArgs args)
{
    const HelperSig *h = &helper_sigs[id];
    LLVMValueRef vals[6] = {L->vmctx};
    unsigned nimm = args == HELPER_INDEX ? 1 : 2;
    uint32_t a = in->imm.pair.a, b = in->imm.pair.b;
    vals[1] = lower_i32(L, args == HELPER_INDEX ? in->imm.index : args == HELPER_PAIR_AB ? a : b);
    if (nimm == 2) vals[2] = lower_i32(L, args == HELPER_PAIR_AB ? b : a);
    lower_pop_n(L, h->nparams - 1 - nimm, vals + 1 + nimm);
    LLVMValueRef r = lower_call_helper(L, id, vals, h->nparams);
    if (h->result != ABI_VOID) lower_push(L, r);
}

/* ---- traps ---- */

static LLVMValueRef branch_weights(Lower *L, uint32_t taken, uint32_t not_taken)
{
    LLVMMetadataRef ops[3] = {
        LLVMMDStringInContext2(L->ctx, "branch_weights", 14),
        LLVMValueAsMetadata(lower_i32(L, taken)),
        LLVMValueAsMetadata(lower_i32(L, not_taken)),
    };
    return LLVMMetadataAsValue(L->ctx, LLVMMDNodeInContext2(L->ctx, ops, 3));
}

static LLVMBasicBlockRef trap_block(Lower *L, uint32_t kind)
{
    if (L->trap_bb[kind]) return L->trap_bb[kind];
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(L->b);
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "trap");
    LLVMPositionBuilderAtEnd(L->b, bb);
    LLVMValueRef args[2] = {L->vmctx, lower_i32(L, kind)};
    lower_call_helper(L, HELPER_trap, args, 2);
    LLVMBuildUnreachable(L->b);
    LLVMPositionBuilderAtEnd(L->b, cur);
    return L->trap_bb[kind] = bb;
}

void lower_cold_br(Lower *L, LLVMValueRef cond, LLVMBasicBlockRef cold, LLVMBasicBlockRef ok)
{
    LLVMValueRef br = LLVMBuildCondBr(L->b, cond, cold, ok);
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(L->ctx, "prof", 4), branch_weights(L, 1, 1 << 20));
}

void lower_trap_if(Lower *L, LLVMValueRef cond, uint32_t kind)
{
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "");
    lower_cold_br(L, cond, trap_block(L, kind), ok);
    LLVMPositionBuilderAtEnd(L->b, ok);
}

void lower_trap_if_index(Lower *L, LLVMValueRef cond, uint32_t kind, LLVMValueRef index)
{
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "");
    LLVMBasicBlockRef trap = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "trap");
    LLVMValueRef br = LLVMBuildCondBr(L->b, cond, trap, ok);
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(L->ctx, "prof", 4), branch_weights(L, 1, 1 << 20));
    LLVMPositionBuilderAtEnd(L->b, trap);
    LLVMValueRef args[3] = {L->vmctx, lower_i32(L, kind), index};
    lower_call_helper(L, HELPER_trap_index, args, 3);
    LLVMBuildUnreachable(L->b);
    LLVMPositionBuilderAtEnd(L->b, ok);
}

void lower_trap(Lower *L, uint32_t kind)
{
    LLVMBuildBr(L->b, trap_block(L, kind));
}

/* ---- constants ---- */

LLVMValueRef lower_value(Lower *L, const ConstValue *c)
{
    switch (c->type) {
    case WK_I32: return lower_i32(L, c->bits[0]);
    case WK_I64: return lower_i64(L, c->bits[0]);
    case WK_F32: return LLVMConstBitCast(lower_i32(L, c->bits[0]), L->t.f32);
    case WK_F64: return LLVMConstBitCast(lower_i64(L, c->bits[0]), L->t.f64);
    case WK_V128: {
        LLVMValueRef halves[2] = {lower_i64(L, c->bits[0]), lower_i64(L, c->bits[1])};
        return LLVMConstVector(halves, 2);
    }
    default: return LLVMConstPointerNull(L->t.ptr); /* ref.null */
    }
}

/* ---- function driver ---- */

static void init_types(Lower *L)
{
    LLVMContextRef c = L->ctx;
    L->t = (LowerTypes){
        .void_ = LLVMVoidTypeInContext(c), .i1 = LLVMInt1TypeInContext(c),
        .i8 = LLVMInt8TypeInContext(c),    .i16 = LLVMInt16TypeInContext(c),
        .i32 = LLVMInt32TypeInContext(c),  .i64 = LLVMInt64TypeInContext(c),
        .f32 = LLVMFloatTypeInContext(c),  .f64 = LLVMDoubleTypeInContext(c),
        .ptr = LLVMPointerTypeInContext(c, 0),
        .v128 = LLVMVectorType(LLVMInt64TypeInContext(c), 2),
    };
    unsigned k = LLVMGetEnumAttributeKindForName("strictfp", 8);
    L->strictfp = LLVMCreateEnumAttribute(c, k, 0);
}

/* Declares (or finds) defined function `index` of the index space. */
static LLVMValueRef func_decl(Lower *L, uint32_t index)
{
    char name[48];
    lower_func_name(name, sizeof name, L->module_id, index);
    LLVMValueRef fn = LLVMGetNamedFunction(L->mod, name);
    if (fn) return fn;
    fn = LLVMAddFunction(L->mod, name, lower_func_type(L->ctx, module_func_type(L->m, index)));
    add_fn_attr(L->ctx, fn, "nounwind");
    return fn;
}

LLVMValueRef lower_defined_func(Lower *L, uint32_t index)
{
    return func_decl(L, index);
}

static void set_func_attrs(Lower *L)
{
    LLVMValueRef fn = L->fn;
    LLVMAttributeRef probe = LLVMCreateStringAttribute(L->ctx, "probe-stack", 11, "inline-asm", 10);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, probe);
    LLVMSetVisibility(fn, LLVMProtectedVisibility);
}

static LLVMValueRef zero_of(Lower *L, ValType t)
{
    LLVMTypeRef ty = lower_val_type(L->ctx, t);
    return LLVMConstNull(ty);
}

/* Entry block: one alloca per local, params stored, other locals zeroed. */
static void setup_locals(Lower *L, const Func *f)
{
    const FuncType *ft = L->type;
    L->nlocals = ft->nparams + f->nlocals;
    L->locals = calloc(L->nlocals ? L->nlocals : 1, sizeof *L->locals);
    L->local_types = calloc(L->nlocals ? L->nlocals : 1, sizeof *L->local_types);
    if (!L->locals || !L->local_types) abort();
    for (uint32_t i = 0; i < L->nlocals; i++) {
        ValType t = i < ft->nparams ? ft->types[i] : f->locals[i - ft->nparams];
        L->local_types[i] = t;
        L->locals[i] = LLVMBuildAlloca(L->b, lower_val_type(L->ctx, t), "");
        LLVMValueRef init = i < ft->nparams ? LLVMGetParam(L->fn, i + 1) : zero_of(L, t);
        LLVMBuildStore(L->b, init, L->locals[i]);
    }
}

/* sp < vmctx->store->stack_limit -> trap "call stack exhausted"; with the interruption check
 * (lower_poll.c) in one branch. */
static void stack_check(Lower *L)
{
    LLVMValueRef store = lower_load_field(L, L->t.ptr, L->vmctx, offsetof(VMContext, store));
    LLVMValueRef limit = lower_load_field(L, L->t.ptr, store, offsetof(VMStore, stack_limit));
    LLVMValueRef sp = lower_intrinsic(L, "llvm.stacksave", &L->t.ptr, 1, NULL, 0);
    LLVMValueRef spi = LLVMBuildPtrToInt(L->b, sp, L->t.i64, "");
    LLVMValueRef li = LLVMBuildPtrToInt(L->b, limit, L->t.i64, "");
    L->stack_cond = LLVMBuildICmp(L->b, LLVMIntULT, spi, li, "");
    lower_poll_entry(L, store, L->stack_cond);
}

/* A leaf function (no calls) with a small body cannot recurse, and its frame (at most a slot
 * per local and per instruction) fits in the reserve the runtime keeps below the stack
 * limit: its check is dropped, so inlined leaves cost nothing in loops. Its interruption check
 * goes too: without calls it runs long only in loops, whose headers check. */
static void drop_leaf_stack_check(Lower *L, const Func *f)
{
    uint64_t slots = (uint64_t)L->nlocals + f->body_size;
    if (L->calls || slots * 16 > 32 * 1024) return;
    lower_poll_drop_entry(L);
}

/* One case per line of opcodes.def: lower_<handler>(L, args...). */
static void dispatch(Lower *L, const Instr *in)
{
    switch (in->op) {
#define OP(prefix, code, name, text, imm, check, width, flags, handler, ...) \
    case OP_##name: lower_##handler(L, ##__VA_ARGS__); break;
#include WK_OPCODES_DEF
#undef OP
    case OP_COUNT: break;
    }
}

/* While dead, only block structure matters: count nested blocks, act on our else/end. */
static bool skip_dead(Lower *L, const Instr *in)
{
    if (op_info[in->op].flags & OPF_BLOCK) {
        L->dead_depth++;
        return true;
    }
    switch (in->op) {
    case OP_End:
        if (L->dead_depth == 0) return false;
        L->dead_depth--;
        return true;
    case OP_Else:
        return L->dead_depth != 0;
    default:
        return true;
    }
}

static void reset_function_state(Lower *L)
{
    free(L->locals);
    free(L->local_types);
    free(L->mem_bases);
    free(L->global_ptrs);
    for (uint32_t i = 0; i < L->nctl; i++) {
        free(L->ctl[i].phis);
        free(L->ctl[i].loop_phis);
        free(L->ctl[i].if_params);
    }
    L->locals = L->mem_bases = L->global_ptrs = NULL;
    L->local_types = NULL;
    L->nctl = L->sp = 0;
    L->dead = false;
    L->strict = false;
    L->calls = false;
    L->dead_depth = 0;
    L->poll_store = NULL;
    L->fuel_due = 0;
    memset(L->trap_bb, 0, sizeof L->trap_bb);
}

static wk_error_t *lower_body(Lower *L, const Func *f)
{
    const Module *m = L->m;
    Reader r = {m->bytes, f->body_offset, (size_t)f->body_offset + f->body_size};
    lower_control_begin_func(L);
    while (L->nctl > 0) {
        Instr in;
        wk_error_t *e = instr_read(&r, &in);
        if (e) return e;
        if (L->dead && skip_dead(L, &in)) continue;
        if (L->fuel && !L->dead) lower_fuel_count(L, &in);
        dispatch(L, &in);
    }
    return NULL;
}

static wk_error_t *lower_one(Lower *L, uint32_t defined)
{
    const Module *m = L->m;
    const Func *f = &m->funcs[defined];
    L->func_index = m->nimported_funcs + defined;
    L->type = &m->types[f->type];
    L->fn = func_decl(L, L->func_index);
    set_func_attrs(L);
    L->vmctx = LLVMGetParam(L->fn, 0);
    L->mem_bases = calloc(module_memory_count(m) + 1, sizeof *L->mem_bases);
    L->global_ptrs = calloc(module_global_count(m) + 1, sizeof *L->global_ptrs);
    if (!L->mem_bases || !L->global_ptrs) abort();
    L->alloca_bb = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "entry");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "body");
    LLVMPositionBuilderAtEnd(L->b, L->alloca_bb);
    setup_locals(L, f);
    LLVMBuildBr(L->b, body);
    LLVMPositionBuilderAtEnd(L->b, body);
    stack_check(L);
    lower_lazy_tick(L);
    wk_error_t *e = lower_body(L, f);
    if (!e) drop_leaf_stack_check(L, f);
    /* Only functions with constrained intrinsics are strictfp: it limits optimisation. */
    if (L->strict) LLVMAddAttributeAtIndex(L->fn, LLVMAttributeFunctionIndex, L->strictfp);
    reset_function_state(L);
    return e;
}

wk_error_t *lower_functions(const Module *m, BoundsMode mode, bool fuel, uint64_t module_id,
                            LLVMContextRef ctx, LLVMModuleRef mod, uint32_t lo, uint32_t hi)
{
    return lower_functions_with(m, mode, fuel, 0, module_id, ctx, mod, lo, hi);
}

wk_error_t *lower_functions_with(const Module *m, BoundsMode mode, bool fuel, unsigned flags,
                                 uint64_t module_id, LLVMContextRef ctx, LLVMModuleRef mod,
                                 uint32_t lo, uint32_t hi)
{
    Lower L = {.m = m, .mode = mode, .fuel = fuel, .flags = flags, .module_id = module_id,
               .ctx = ctx, .mod = mod};
    L.b = LLVMCreateBuilderInContext(ctx);
    init_types(&L);
    /* Never NULL: `L->stack + height` with an empty stack must not be NULL + 0 (UB). */
    L.stack_cap = 64;
    L.stack = malloc(L.stack_cap * sizeof *L.stack);
    if (!L.stack) abort();
    wk_error_t *e = NULL;
    for (uint32_t i = lo; i < hi && !e; i++) e = lower_one(&L, i);
    reset_function_state(&L);
    free(L.stack);
    free(L.ctl);
    LLVMDisposeBuilder(L.b);
    return e;
}
