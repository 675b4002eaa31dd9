/* Lowering Wasm function bodies to LLVM IR: the state shared by lower.c (driver, value stack,
 * helpers) and the per-family files lower_*.c. Private to the JIT; includes llvm-c. */
#ifndef WK_LOWER_H
#define WK_LOWER_H

#include <stdbool.h>
#include <stdint.h>

#include <llvm-c/Core.h>

#include "error.h"
#include "instr.h"
#include "code.h"
#include "module.h"
#include "vmctx.h"

#define LOWER_TRAP_SLOTS 16

enum { CTL_FUNC, CTL_BLOCK, CTL_LOOP, CTL_IF };

/* SIMD lane shapes (the Lower column of opcodes_simd.def). */
typedef enum Shape { S_I8, S_I16, S_I32, S_I64, S_F32, S_F64 } Shape;

/* The runtime helpers of vmctx.h's WK_RT_HELPERS. */
typedef enum HelperId {
#define WK_RT_HELPER_ID(name, ...) HELPER_##name,
    WK_RT_HELPERS(WK_RT_HELPER_ID)
#undef WK_RT_HELPER_ID
} HelperId;

/* The immediates a helper call passes after the VMContext (the Lower column's `helper`). */
typedef enum HelperArgs {
    HELPER_INDEX,   /* imm.index */
    HELPER_PAIR_AB, /* imm.pair.a, imm.pair.b */
    HELPER_PAIR_BA, /* imm.pair.b, imm.pair.a */
} HelperArgs;

/* One entry of the control stack (spec 3.3.5 / 4.4.8). */
typedef struct Ctl {
    uint8_t kind;
    bool has_else;      /* CTL_IF: the else arm was seen */
    bool end_reached;   /* some branch or fallthrough goes to `end` */
    uint32_t nparams, nresults;
    const ValType *params, *results;
    ValType one;        /* storage for a single-value block type */
    uint32_t height;    /* value stack height below the params */
    LLVMBasicBlockRef end;     /* continuation after `end` */
    LLVMBasicBlockRef header;  /* CTL_LOOP: branch target */
    LLVMBasicBlockRef else_bb; /* CTL_IF */
    LLVMValueRef *phis;        /* nresults phis in `end` (loop: nparams phis in header too) */
    LLVMValueRef *loop_phis;
    LLVMValueRef *if_params;   /* CTL_IF: params to push again at `else` */
} Ctl;

/* Basic LLVM types of one context. */
typedef struct LowerTypes {
    LLVMTypeRef void_, i1, i8, i16, i32, i64, f32, f64, ptr, v128;
} LowerTypes;

/* Lowering state for one LLVM module (a partition of the Wasm module's functions). */
/* Lowering flags (lower_functions_with). */
enum {
    LOWER_INDIRECT_CALLS = 1, /* calls to other defined functions through vmctx->funcs */
    LOWER_HOT_COUNTS = 2,     /* hotness counters (vmctx->hot) at entry and loop headers */
};

typedef struct Lower {
    const Module *m;
    BoundsMode mode;
    unsigned flags;     /* LOWER_* */
    bool fuel;            /* fuel metering: count instructions, charge vmctx->fuel */
    uint32_t fuel_due;    /* instructions lowered since the last charge */
    uint64_t module_id; /* the symbol nonce of the compiled module */
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LowerTypes t;
    LLVMAttributeRef strictfp;

    /* Per function. */
    uint32_t func_index; /* in the function index space */
    const FuncType *type;
    LLVMValueRef fn, vmctx;
    bool strict;                 /* uses constrained FP intrinsics: the function is strictfp */
    bool calls;                  /* calls Wasm or host functions (not a leaf) */
    LLVMValueRef stack_cond;     /* the prologue's "sp below the limit" condition */
    LLVMValueRef entry_cond;     /* the prologue's "stack low or poll word set" condition */
    LLVMValueRef entry_poll;     /* the prologue's "poll word set" compare */
    LLVMValueRef entry_any;      /* entry_poll, or'ed with "out of fuel" when metering */
    LLVMValueRef poll_store;     /* vmctx->store loaded in the entry block, or NULL */
    LLVMBasicBlockRef alloca_bb; /* entry block: allocas and cached vmctx loads */
    LLVMValueRef *locals;        /* allocas */
    ValType *local_types;
    uint32_t nlocals;
    LLVMValueRef *stack;
    uint32_t sp, stack_cap;
    Ctl *ctl;
    uint32_t nctl, ctl_cap;
    bool dead;           /* current code is unreachable: skipping to the matching else/end */
    uint32_t dead_depth; /* blocks opened while dead */
    LLVMBasicBlockRef trap_bb[LOWER_TRAP_SLOTS];
    LLVMValueRef *mem_bases;    /* per memory index, cached in the entry block */
    LLVMValueRef *global_ptrs;  /* per global index */
} Lower;

/* lower.c: driver. */

/* Lowers defined functions [lo, hi) (defined-function indices) of m into `mod`, a module of
 * `ctx`, with symbol names from lower_func_name. Returns NULL or an owned error. */
wk_error_t *lower_functions(const Module *m, BoundsMode mode, bool fuel, uint64_t module_id,
                            LLVMContextRef ctx, LLVMModuleRef mod, uint32_t lo, uint32_t hi);
/* The same with LOWER_* flags. */
wk_error_t *lower_functions_with(const Module *m, BoundsMode mode, bool fuel, unsigned flags,
                                 uint64_t module_id, LLVMContextRef ctx, LLVMModuleRef mod,
                                 uint32_t lo, uint32_t hi);
/* Writes the symbol name of function `index` (index space) of module `module_id`. */
void lower_func_name(char *buf, size_t size, uint64_t module_id, uint32_t index);
/* The LLVM function type `ret (ptr vmctx, params...)` of a Wasm function type. */
LLVMTypeRef lower_func_type(LLVMContextRef ctx, const FuncType *ft);
LLVMTypeRef lower_val_type(LLVMContextRef ctx, ValType t);
LLVMTypeRef lower_result_type(LLVMContextRef ctx, const FuncType *ft);

void lower_push(Lower *L, LLVMValueRef v);
LLVMValueRef lower_pop(Lower *L);
LLVMValueRef lower_peek(Lower *L, uint32_t depth);
/* Pops n values into out[0..n) in stack order (out[n-1] was on top). */
void lower_pop_n(Lower *L, uint32_t n, LLVMValueRef *out);
LLVMValueRef lower_i32(Lower *L, uint64_t v);
LLVMValueRef lower_i64(Lower *L, uint64_t v);
LLVMValueRef lower_bool_to_i32(Lower *L, LLVMValueRef b);
/* Branches to a trap of `kind` (cold) when cond is true; continues in a fresh block. */
void lower_trap_if(Lower *L, LLVMValueRef cond, uint32_t kind);
/* Branches to `cold` when cond is true (weighted as rare), else to `ok`. */
void lower_cold_br(Lower *L, LLVMValueRef cond, LLVMBasicBlockRef cold, LLVMBasicBlockRef ok);
/* Same, through wk_rt_trap_index: the trap message ends with `index` (an i32). */
void lower_trap_if_index(Lower *L, LLVMValueRef cond, uint32_t kind, LLVMValueRef index);
/* Calls wk_rt_trap unconditionally (the current block ends). */
void lower_trap(Lower *L, uint32_t kind);
/* The declaration of runtime helper `id` in `mod` (added on first use), its type in *fn_type. */
LLVMValueRef lower_helper_decl(LLVMModuleRef mod, HelperId id, LLVMTypeRef *fn_type);
LLVMValueRef lower_call_helper(Lower *L, HelperId id, LLVMValueRef *args, unsigned n);
/* Calls intrinsic `name` overloaded on types[0..ntypes). */
LLVMValueRef lower_intrinsic(Lower *L, const char *name, LLVMTypeRef *types, unsigned ntypes,
                             LLVMValueRef *args, unsigned nargs);
/* Loads a field of type `ty` at byte offset `off` from pointer `base`. */
LLVMValueRef lower_load_field(Lower *L, LLVMTypeRef ty, LLVMValueRef base, uint64_t off);
/* Loads vmctx field at `off` in the entry block (values fixed for the instance's life). */
LLVMValueRef lower_entry_load(Lower *L, LLVMTypeRef ty, LLVMValueRef base, uint64_t off);
/* The LLVM constant of a CONST_VALUE (numbers, v128, null references). */
LLVMValueRef lower_value(Lower *L, const ConstValue *c);

/* lower_float.c: constrained conversion `op` (fptrunc, fpext) of a to type `to`. */
LLVMValueRef lower_constrained_conv(Lower *L, const char *op, LLVMTypeRef to, LLVMValueRef a,
                                    bool rounding);
/* lower_float.c: constrained float operation `op` (fadd, sqrt, ...) on n args of one type. */
LLVMValueRef lower_constrained(Lower *L, const char *op, LLVMValueRef *args, unsigned n,
                               bool rounding);
/* lower_memory.c: host address of a `size`-byte access at the popped i32 address + the memarg
 * offset of `in`, bounds-checked as the scalar loads and stores are. */
LLVMValueRef lower_address(Lower *L, const Instr *in, unsigned size);

/* lower_control.c: called by the driver to open the function body's block and to finish. */
void lower_control_begin_func(Lower *L);

/* lower_poll.c: the interruption checks (lib/interrupt.c). At the function entry: one branch
 * taken when stack_cond (sp below the limit) or the store's poll word is set, to wk_rt_poll;
 * sets L->entry_cond. At a loop header (the builder at its end): the poll word check. */
void lower_poll_entry(Lower *L, LLVMValueRef store, LLVMValueRef stack_cond);
void lower_poll_loop(Lower *L);
/* Removes the entry check (a leaf function: see lower.c). */
void lower_poll_drop_entry(Lower *L);
/* Fuel metering, called by the driver for each reachable instruction before it is lowered:
 * counts it and, before an instruction that ends straight-line code (branches, block
 * boundaries, calls, returns), charges vmctx->fuel with the count. */
void lower_fuel_count(Lower *L, const Instr *in);

/* The declaration of defined function `index` (index space), added on first use. */
LLVMValueRef lower_defined_func(Lower *L, uint32_t index);

/* lower_lazy.c: with LOWER_INDIRECT_CALLS, emits the call of defined function `index` (not
 * the current one) through its VMFuncRef and returns true; else returns false. */
bool lower_lazy_call(Lower *L, uint32_t index);
/* lower_lazy.c: with LOWER_HOT_COUNTS, counts one event (entry or loop iteration) of the
 * current function: vmctx->hot[defined index] -= 1, calling wk_rt_hot when it goes below 0. */
void lower_lazy_tick(Lower *L);

/* lower_call.c: stores vmctx into vmctx->store->caller_vmctx (before leaving the instance). */
void lower_set_caller(Lower *L);
/* Calls `callee` of Wasm type ft with args, pushing the results; `notail`. */
void lower_emit_call(Lower *L, LLVMTypeRef fty, LLVMValueRef callee, LLVMValueRef callee_vmctx,
                     const FuncType *ft);

/* ---- Instruction handlers: the Lower column of opcodes.def names them; the driver calls
 * lower_<handler>(L, args...) for each instruction of a validated body (operands are on the
 * value stack, results are pushed). None can fail. ---- */

/* lower.c: a runtime helper (bulk memory and table operations, table.get/set, grow) */
void lower_helper(Lower *L, const Instr *in, HelperId id, HelperArgs args);
/* lower_control.c (spec 4.4.8; drop and select, 4.4.4) */
void lower_unreachable(Lower *L);
void lower_nop(Lower *L);
void lower_block(Lower *L, const Instr *in);
void lower_loop(Lower *L, const Instr *in);
void lower_if(Lower *L, const Instr *in);
void lower_else(Lower *L);
void lower_end(Lower *L);
void lower_br(Lower *L, const Instr *in);
void lower_br_if(Lower *L, const Instr *in);
void lower_br_table(Lower *L, const Instr *in);
void lower_return(Lower *L);
void lower_drop(Lower *L);
void lower_select(Lower *L);
/* lower_call.c */
void lower_call(Lower *L, const Instr *in);
void lower_call_indirect(Lower *L, const Instr *in);
/* lower_variable.c */
void lower_local_get(Lower *L, const Instr *in);
void lower_local_set(Lower *L, const Instr *in);
void lower_local_tee(Lower *L, const Instr *in);
void lower_global_get(Lower *L, const Instr *in);
void lower_global_set(Lower *L, const Instr *in);
/* lower_table.c: references and tables */
void lower_ref_null(Lower *L);
void lower_ref_is_null(Lower *L);
void lower_ref_func(Lower *L, const Instr *in);
void lower_table_size(Lower *L, const Instr *in);
/* lower_memory.c: `sign` extends a narrow load signed */
void lower_load(Lower *L, const Instr *in, bool sign);
void lower_store(Lower *L, const Instr *in);
void lower_memory_size(Lower *L, const Instr *in);
/* lower_numeric.c: integer ops of the operands' type */
void lower_constant(Lower *L, const Instr *in);
void lower_eqz(Lower *L);
void lower_icmp(Lower *L, LLVMIntPredicate pred);
void lower_ibinop(Lower *L, LLVMOpcode op);
void lower_idiv(Lower *L, LLVMOpcode op); /* div/rem with their traps */
void lower_ishift(Lower *L, LLVMOpcode op);
void lower_irotate(Lower *L, const char *intrinsic);
void lower_iunary(Lower *L, const char *intrinsic, bool with_flag);
void lower_extend_s(Lower *L, unsigned bits);
/* lower_float.c */
void lower_fcmp(Lower *L, LLVMRealPredicate pred);
void lower_fsign(Lower *L, bool is_abs, bool is_neg); /* neither: copysign */
void lower_funary(Lower *L, const char *op, bool rounding);
void lower_fbinary(Lower *L, const char *op);
void lower_fmin_max(Lower *L, bool is_min);
/* lower_convert.c */
void lower_trunc(Lower *L, unsigned bits, bool sign);
void lower_trunc_sat(Lower *L, unsigned bits, bool sign);
void lower_cast(Lower *L, LLVMOpcode op, ValType to);
void lower_fconv(Lower *L, const char *op, ValType to, bool rounding);
/* lower_simd.c: v128 instructions on lanes of shape s (narrow shape: of the operands) */
void lower_simd_load(Lower *L, const Instr *in);
void lower_simd_store(Lower *L, const Instr *in);
void lower_simd_load_extend(Lower *L, const Instr *in, Shape s, bool sign);
void lower_simd_load_splat(Lower *L, const Instr *in, Shape s);
void lower_simd_load_zero(Lower *L, const Instr *in, Shape s);
void lower_simd_load_lane(Lower *L, const Instr *in, Shape s);
void lower_simd_store_lane(Lower *L, const Instr *in, Shape s);
void lower_simd_shuffle(Lower *L, const Instr *in);
void lower_simd_swizzle(Lower *L);
void lower_simd_splat(Lower *L, Shape s);
void lower_simd_extract_lane(Lower *L, const Instr *in, Shape s, bool sign);
void lower_simd_replace_lane(Lower *L, const Instr *in, Shape s);
void lower_simd_icmp(Lower *L, Shape s, LLVMIntPredicate pred);
void lower_simd_fcmp(Lower *L, Shape s, LLVMRealPredicate pred);
void lower_simd_not(Lower *L);
void lower_simd_bitop(Lower *L, LLVMOpcode op);
void lower_simd_andnot(Lower *L);
void lower_simd_bitselect(Lower *L);
void lower_simd_any_true(Lower *L);
void lower_simd_all_true(Lower *L, Shape s);
void lower_simd_bitmask(Lower *L, Shape s);
void lower_simd_iabs(Lower *L, Shape s);
void lower_simd_ineg(Lower *L, Shape s);
void lower_simd_popcnt(Lower *L);
void lower_simd_ishift(Lower *L, Shape s, LLVMOpcode op);
void lower_simd_ibinop(Lower *L, Shape s, LLVMOpcode op);
void lower_simd_ibin_intrinsic(Lower *L, Shape s, const char *intrinsic);
void lower_simd_avgr_u(Lower *L, Shape s);
void lower_simd_q15mulr(Lower *L);
void lower_simd_dot(Lower *L);
void lower_simd_extadd_pairwise(Lower *L, Shape s, bool sign);
void lower_simd_extmul(Lower *L, Shape s, bool high, bool sign);
void lower_simd_extend(Lower *L, Shape s, bool high, bool sign);
void lower_simd_narrow(Lower *L, Shape s, bool sign);
void lower_simd_fsign(Lower *L, Shape s, bool is_abs);
void lower_simd_funary(Lower *L, Shape s, const char *op, bool rounding);
void lower_simd_fbinary(Lower *L, Shape s, const char *op);
void lower_simd_fmin_max(Lower *L, Shape s, bool is_min);
void lower_simd_fpmin_max(Lower *L, Shape s, bool is_min);
void lower_simd_trunc_sat(Lower *L, Shape from, bool sign);
void lower_simd_convert(Lower *L, Shape to, bool sign);
void lower_simd_demote(Lower *L);
void lower_simd_promote(Lower *L);

#endif
