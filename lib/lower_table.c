/* Lowering of reference instructions (spec 4.4.2) and table instructions (4.4.6): references
 * are pointers (funcref: VMFuncRef *, NULL is null); table accesses go through the runtime
 * helpers, which check bounds; table.size reads the VMTable. */
#include "lower.h"

static void ref_func(Lower *L, uint32_t index)
{
    LLVMValueRef funcs = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, funcs));
    lower_push(L, lower_load_field(L, L->t.ptr, funcs, (uint64_t)index * sizeof(VMFuncRef *)));
}

static void ref_is_null(Lower *L)
{
    LLVMValueRef r = lower_pop(L);
    LLVMValueRef null = LLVMConstPointerNull(L->t.ptr);
    lower_push(L, lower_bool_to_i32(L, LLVMBuildICmp(L->b, LLVMIntEQ, r, null, "")));
}

static void table_size(Lower *L, uint32_t t)
{
    LLVMValueRef tables = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, tables));
    LLVMValueRef tab = lower_load_field(L, L->t.ptr, tables, (uint64_t)t * sizeof(VMTable *));
    lower_push(L, lower_load_field(L, L->t.i32, tab, offsetof(VMTable, size)));
}

static void table_bulk(Lower *L, const Instr *in)
{
    switch (in->op) {
    case OP_TableInit: {
        uint32_t imms[2] = {in->imm.pair.b, in->imm.pair.a};
        lower_bulk(L, "wk_rt_table_init", imms, 2, 3);
        break;
    }
    case OP_ElemDrop: lower_bulk(L, "wk_rt_elem_drop", &in->imm.index, 1, 0); break;
    case OP_TableCopy: {
        uint32_t imms[2] = {in->imm.pair.a, in->imm.pair.b};
        lower_bulk(L, "wk_rt_table_copy", imms, 2, 3);
        break;
    }
    case OP_TableGrow:
        lower_push(L, lower_bulk(L, "wk_rt_table_grow", &in->imm.index, 1, 2));
        break;
    default: lower_bulk(L, "wk_rt_table_fill", &in->imm.index, 1, 3); break;
    }
}

bool lower_table(Lower *L, const Instr *in)
{
    switch (in->op) {
    case OP_RefNull: lower_push(L, LLVMConstPointerNull(L->t.ptr)); break;
    case OP_RefIsNull: ref_is_null(L); break;
    case OP_RefFunc: ref_func(L, in->imm.index); break;
    case OP_TableGet:
        lower_push(L, lower_bulk(L, "wk_rt_table_get", &in->imm.index, 1, 1));
        break;
    case OP_TableSet: lower_bulk(L, "wk_rt_table_set", &in->imm.index, 1, 2); break;
    case OP_TableSize: table_size(L, in->imm.index); break;
    default: table_bulk(L, in); break;
    }
    return true;
}
