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
typedef struct Lower {
    const Module *m;
    BoundsMode mode;
    uint64_t module_id; /* the symbol nonce of the compiled module */
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LowerTypes t;
    wk_error_t *err;
    LLVMAttributeRef strictfp;

    /* Per function. */
    uint32_t func_index; /* in the function index space */
    const FuncType *type;
    LLVMValueRef fn, vmctx;
    bool strict;                 /* uses constrained FP intrinsics: the function is strictfp */
    bool calls;                  /* calls Wasm or host functions (not a leaf) */
    LLVMValueRef stack_cond;     /* the prologue's "sp below the limit" condition */
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
wk_error_t *lower_functions(const Module *m, BoundsMode mode, uint64_t module_id,
                            LLVMContextRef ctx, LLVMModuleRef mod, uint32_t lo, uint32_t hi);
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
/* Same, through wk_rt_trap_index: the trap message ends with `index` (an i32). */
void lower_trap_if_index(Lower *L, LLVMValueRef cond, uint32_t kind, LLVMValueRef index);
/* Calls wk_rt_trap unconditionally (the current block ends). */
void lower_trap(Lower *L, uint32_t kind);
/* A runtime helper from WK_RT_HELPERS, declared on first use. */
LLVMValueRef lower_helper(Lower *L, const char *name, LLVMTypeRef *fn_type);
LLVMValueRef lower_call_helper(Lower *L, const char *name, LLVMValueRef *args, unsigned n);
/* Calls helper `name` with (vmctx, imms as i32..., nops popped operands...). */
LLVMValueRef lower_bulk(Lower *L, const char *name, const uint32_t *imms, unsigned nimm,
                        unsigned nops);
/* Calls intrinsic `name` overloaded on types[0..ntypes). */
LLVMValueRef lower_intrinsic(Lower *L, const char *name, LLVMTypeRef *types, unsigned ntypes,
                             LLVMValueRef *args, unsigned nargs);
/* Loads a field of type `ty` at byte offset `off` from pointer `base`. */
LLVMValueRef lower_load_field(Lower *L, LLVMTypeRef ty, LLVMValueRef base, uint64_t off);
/* Loads vmctx field at `off` in the entry block (values fixed for the instance's life). */
LLVMValueRef lower_entry_load(Lower *L, LLVMTypeRef ty, LLVMValueRef base, uint64_t off);
/* The constant value of global `global_index` when it is an immutable defined global whose
 * initialiser is a single constant (*folded = true); otherwise NULL with *folded = false. */
LLVMValueRef lower_const_expr_value(Lower *L, uint32_t global_index, bool *folded);

/* Family entry points: each returns false with L->err set on an unsupported instruction. */
bool lower_control(Lower *L, const Instr *in);
bool lower_variable(Lower *L, const Instr *in);
bool lower_memory(Lower *L, const Instr *in);
bool lower_numeric(Lower *L, const Instr *in);
bool lower_float(Lower *L, const Instr *in);
bool lower_convert(Lower *L, const Instr *in);
bool lower_table(Lower *L, const Instr *in);
bool lower_call(Lower *L, const Instr *in);
/* lower_simd.c: every 0xFD-prefixed (SIMD) instruction. */
bool lower_simd(Lower *L, const Instr *in);

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

/* The declaration of defined function `index` (index space), added on first use. */
LLVMValueRef lower_defined_func(Lower *L, uint32_t index);

/* lower_call.c: stores vmctx into vmctx->store->caller_vmctx (before leaving the instance). */
void lower_set_caller(Lower *L);
/* Calls `callee` of Wasm type ft with args, pushing the results; `notail`. */
void lower_emit_call(Lower *L, LLVMTypeRef fty, LLVMValueRef callee, LLVMValueRef callee_vmctx,
                     const FuncType *ft);

#endif
