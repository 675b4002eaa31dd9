/* Lowering of reference instructions (spec 4.4.2) and table instructions (4.4.6): references
 * are pointers (funcref: VMFuncRef *, NULL is null); table.size reads the VMTable; the other
 * table instructions are runtime helper calls (lower_helper, named in opcodes.def), which
 * check bounds. */
#include "lower.h"

void lower_ref_null(Lower *L)
{
    lower_push(L, LLVMConstPointerNull(L->t.ptr));
}

void lower_ref_func(Lower *L, const Instr *in)
{
    LLVMValueRef funcs = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, funcs));
    uint64_t off = (uint64_t)in->imm.index * sizeof(VMFuncRef *);
    lower_push(L, lower_load_field(L, L->t.ptr, funcs, off));
}

void lower_ref_is_null(Lower *L)
{
    LLVMValueRef r = lower_pop(L);
    LLVMValueRef null = LLVMConstPointerNull(L->t.ptr);
    lower_push(L, lower_bool_to_i32(L, LLVMBuildICmp(L->b, LLVMIntEQ, r, null, "")));
}

void lower_table_size(Lower *L, const Instr *in)
{
    LLVMValueRef tables = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, tables));
    uint64_t off = (uint64_t)in->imm.index * sizeof(VMTable *);
    LLVMValueRef tab = lower_load_field(L, L->t.ptr, tables, off);
    lower_push(L, lower_load_field(L, L->t.i32, tab, offsetof(VMTable, size)));
}
