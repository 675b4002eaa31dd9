/* Lowering of reference instructions (spec 4.4.2) and table instructions (4.4.6): references
 * are pointers (funcref: VMFuncRef *, NULL is null); table accesses go through the runtime
 * helpers, which check bounds; table.size reads the VMTable. */
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

void lower_table_get(Lower *L, const Instr *in)
{
    lower_push(L, lower_bulk(L, HELPER_table_get, &in->imm.index, 1, 1));
}

void lower_table_set(Lower *L, const Instr *in)
{
    lower_bulk(L, HELPER_table_set, &in->imm.index, 1, 2);
}

void lower_table_init(Lower *L, const Instr *in)
{
    uint32_t imms[2] = {in->imm.pair.b, in->imm.pair.a};
    lower_bulk(L, HELPER_table_init, imms, 2, 3);
}

void lower_elem_drop(Lower *L, const Instr *in)
{
    lower_bulk(L, HELPER_elem_drop, &in->imm.index, 1, 0);
}

void lower_table_copy(Lower *L, const Instr *in)
{
    uint32_t imms[2] = {in->imm.pair.a, in->imm.pair.b};
    lower_bulk(L, HELPER_table_copy, imms, 2, 3);
}

void lower_table_grow(Lower *L, const Instr *in)
{
    lower_push(L, lower_bulk(L, HELPER_table_grow, &in->imm.index, 1, 2));
}

void lower_table_fill(Lower *L, const Instr *in)
{
    lower_bulk(L, HELPER_table_fill, &in->imm.index, 1, 3);
}
