/* Lowering for the lazy strategy (lib/lazy.c): calls to other defined functions through the
 * instance's re-pointable VMFuncRef (so that a function compiled later, or tiered up, is
 * called from code compiled earlier), and hotness counters at function entry and loop headers
 * that call wk_rt_hot when they run out. */
#include "lower.h"

bool lower_lazy_call(Lower *L, uint32_t index)
{
    if (!(L->flags & LOWER_INDIRECT_CALLS) || index == L->func_index) return false;
    const FuncType *ft = module_func_type(L->m, index);
    LLVMValueRef funcs = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, funcs));
    LLVMValueRef ref = lower_entry_load(L, L->t.ptr, funcs, (uint64_t)index * sizeof(void *));
    /* Re-pointed by other threads at any time: a relaxed atomic load on every call. */
    LLVMValueRef code = lower_load_field(L, L->t.ptr, ref, offsetof(VMFuncRef, code));
    LLVMSetOrdering(code, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(code, sizeof(void *));
    lower_emit_call(L, lower_func_type(L->ctx, ft), code, L->vmctx, ft);
    return true;
}

void lower_lazy_tick(Lower *L)
{
    if (!(L->flags & LOWER_HOT_COUNTS)) return;
    LLVMValueRef hot = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, hot));
    LLVMValueRef idx = lower_i64(L, (uint64_t)(L->func_index - L->m->nimported_funcs) * 4);
    LLVMValueRef p = LLVMBuildGEP2(L->b, L->t.i8, hot, &idx, 1, "");
    LLVMValueRef old = LLVMBuildLoad2(L->b, L->t.i32, p, "");
    LLVMSetOrdering(old, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(old, 4);
    LLVMValueRef left = LLVMBuildSub(L->b, old, lower_i32(L, 1), "");
    LLVMValueRef st = LLVMBuildStore(L->b, left, p);
    LLVMSetOrdering(st, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(st, 4);
    LLVMValueRef out = LLVMBuildICmp(L->b, LLVMIntSLT, left, lower_i32(L, 0), "");
    LLVMBasicBlockRef cold = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "hot");
    LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "");
    LLVMBuildCondBr(L->b, out, cold, cont);
    LLVMPositionBuilderAtEnd(L->b, cold);
    LLVMValueRef args[2] = {L->vmctx, lower_i32(L, L->func_index - L->m->nimported_funcs)};
    lower_call_helper(L, HELPER_hot, args, 2);
    LLVMBuildBr(L->b, cont);
    LLVMPositionBuilderAtEnd(L->b, cont);
}
