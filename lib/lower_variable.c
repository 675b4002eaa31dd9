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

/* An immutable defined global with a constant initialiser is folded into its value. */
void lower_global_get(Lower *L, const Instr *in)
{
    uint32_t i = in->imm.index;
    const Module *m = L->m;
    const Global *g = i >= m->nimported_globals ? &m->globals[i - m->nimported_globals] : NULL;
    if (g && !g->type.mut && g->init.value.kind == CONST_VALUE) {
        lower_push(L, lower_value(L, &g->init.value));
        return;
    }
    LLVMTypeRef ty = lower_val_type(L->ctx, module_global_type(m, i).type);
    lower_push(L, LLVMBuildLoad2(L->b, ty, global_ptr(L, i), ""));
}

void lower_global_set(Lower *L, const Instr *in)
{
    LLVMBuildStore(L->b, lower_pop(L), global_ptr(L, in->imm.index));
}

void lower_local_get(Lower *L, const Instr *in)
{
    uint32_t i = in->imm.index;
    LLVMTypeRef ty = lower_val_type(L->ctx, L->local_types[i]);
    lower_push(L, LLVMBuildLoad2(L->b, ty, L->locals[i], ""));
}

void lower_local_set(Lower *L, const Instr *in)
{
    LLVMBuildStore(L->b, lower_pop(L), L->locals[in->imm.index]);
}

void lower_local_tee(Lower *L, const Instr *in)
{
    LLVMBuildStore(L->b, lower_peek(L, 0), L->locals[in->imm.index]);
}
