/* Lowering of calls (spec 4.4.8): direct `notail` calls to defined functions; calls to imports
 * and call_indirect through a VMFuncRef {code, vmctx, type_id}, with the undefined /
 * uninitialized / type-mismatch checks, after recording the caller in the store. */
#include "lower.h"

void lower_set_caller(Lower *L)
{
    LLVMValueRef store = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, store));
    LLVMValueRef idx = lower_i64(L, offsetof(VMStore, caller_vmctx));
    LLVMValueRef p = LLVMBuildGEP2(L->b, L->t.i8, store, &idx, 1, "");
    LLVMBuildStore(L->b, L->vmctx, p);
}

void lower_emit_call(Lower *L, LLVMTypeRef fty, LLVMValueRef callee, LLVMValueRef callee_vmctx,
                     const FuncType *ft)
{
    LLVMValueRef args[ft->nparams + 1];
    args[0] = callee_vmctx;
    lower_pop_n(L, ft->nparams, args + 1);
    LLVMValueRef call = LLVMBuildCall2(L->b, fty, callee, args, ft->nparams + 1, "");
    LLVMSetTailCallKind(call, LLVMTailCallKindNoTail);
    L->calls = true;
    if (ft->nresults == 1) {
        lower_push(L, call);
    } else {
        for (uint32_t i = 0; i < ft->nresults; i++)
            lower_push(L, LLVMBuildExtractValue(L->b, call, i, ""));
    }
}

/* Calls through a VMFuncRef *: its own code and vmctx. */
static void call_ref(Lower *L, LLVMValueRef ref, const FuncType *ft)
{
    LLVMValueRef code = lower_load_field(L, L->t.ptr, ref, offsetof(VMFuncRef, code));
    LLVMValueRef cv = lower_load_field(L, L->t.ptr, ref, offsetof(VMFuncRef, vmctx));
    lower_set_caller(L);
    lower_emit_call(L, lower_func_type(L->ctx, ft), code, cv, ft);
}

void lower_call(Lower *L, const Instr *in)
{
    uint32_t index = in->imm.index;
    const Module *m = L->m;
    const FuncType *ft = module_func_type(m, index);
    if (index < m->nimported_funcs) {
        LLVMValueRef funcs = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, funcs));
        LLVMValueRef ref = lower_entry_load(L, L->t.ptr, funcs, (uint64_t)index * sizeof(void *));
        call_ref(L, ref, ft);
        return;
    }
    if (lower_lazy_call(L, index)) return;
    LLVMValueRef fn = lower_defined_func(L, index);
    lower_emit_call(L, lower_func_type(L->ctx, ft), fn, L->vmctx, ft);
}

/* call_indirect typeidx table: index >= size -> "undefined element"; null -> "uninitialized
 * element <i>"; type_id differs from vmctx->type_ids[typeidx] -> "indirect call type mismatch". */
void lower_call_indirect(Lower *L, const Instr *in)
{
    uint32_t type_index = in->imm.pair.a, table = in->imm.pair.b;
    LLVMValueRef i = lower_pop(L);
    LLVMValueRef tables = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, tables));
    LLVMValueRef tab = lower_entry_load(L, L->t.ptr, tables, (uint64_t)table * sizeof(void *));
    LLVMValueRef size = lower_load_field(L, L->t.i32, tab, offsetof(VMTable, size));
    lower_trap_if(L, LLVMBuildICmp(L->b, LLVMIntUGE, i, size, ""), WK_TRAP_UNDEFINED_ELEMENT);
    LLVMValueRef elems = lower_load_field(L, L->t.ptr, tab, offsetof(VMTable, elems));
    LLVMValueRef i64 = LLVMBuildZExt(L->b, i, L->t.i64, "");
    LLVMValueRef slot = LLVMBuildGEP2(L->b, L->t.ptr, elems, &i64, 1, "");
    LLVMValueRef ref = LLVMBuildLoad2(L->b, L->t.ptr, slot, "");
    LLVMValueRef null = LLVMConstPointerNull(L->t.ptr);
    lower_trap_if_index(L, LLVMBuildICmp(L->b, LLVMIntEQ, ref, null, ""),
                        WK_TRAP_UNINITIALIZED_ELEMENT, i);
    LLVMValueRef ids = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, type_ids));
    LLVMValueRef want = lower_entry_load(L, L->t.i32, ids, (uint64_t)type_index * 4);
    LLVMValueRef have = lower_load_field(L, L->t.i32, ref, offsetof(VMFuncRef, type_id));
    lower_trap_if(L, LLVMBuildICmp(L->b, LLVMIntNE, have, want, ""), WK_TRAP_INDIRECT_CALL_TYPE);
    call_ref(L, ref, &L->m->types[type_index]);
}
