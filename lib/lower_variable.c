/* Lowering of variable instructions (spec 4.4.5): locals are entry-block allocas; globals are
 * reached through vmctx->globals[i] (immutable defined globals with a constant initialiser are
 * folded into constants). */
#include "lower.h"

/* &vmctx->globals[i]->value, loaded once in the entry block. */
static LLVMValueRef global_ptr(Lower *L, uint32_t i)
{
    if (L->global_ptrs[i]) return L->global_ptrs[i];
    LLVMValueRef arr = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, globals));
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(L->b);
    LLVMPositionBuilderBefore(L->b, LLVMGetBasicBlockTerminator(L->alloca_bb));
    LLVMValueRef p = lower_load_field(L, L->t.ptr, arr, (uint64_t)i * sizeof(VMGlobal *));
    LLVMPositionBuilderAtEnd(L->b, cur);
    return L->global_ptrs[i] = p;
}

static void global_get(Lower *L, uint32_t i)
{
    bool folded;
    LLVMValueRef v = lower_const_expr_value(L, i, &folded);
    if (!folded) {
        LLVMTypeRef ty = lower_val_type(L->ctx, module_global_type(L->m, i).type);
        v = LLVMBuildLoad2(L->b, ty, global_ptr(L, i), "");
    }
    lower_push(L, v);
}

static void global_set(Lower *L, uint32_t i)
{
    LLVMBuildStore(L->b, lower_pop(L), global_ptr(L, i));
}

bool lower_variable(Lower *L, const Instr *in)
{
    uint32_t i = in->imm.index;
    switch (in->op) {
    case OP_LocalGet:
        lower_push(L, LLVMBuildLoad2(L->b, lower_val_type(L->ctx, L->local_types[i]),
                                     L->locals[i], ""));
        break;
    case OP_LocalSet: LLVMBuildStore(L->b, lower_pop(L), L->locals[i]); break;
    case OP_LocalTee: LLVMBuildStore(L->b, lower_peek(L, 0), L->locals[i]); break;
    case OP_GlobalGet: global_get(L, i); break;
    case OP_GlobalSet: global_set(L, i); break;
    default: return false;
    }
    return true;
}
