/* Lowering of memory instructions (spec 4.4.7): loads and stores as volatile align-1 accesses
 * at base + zext(addr) + offset (guard mode: unchecked; software mode: compared with the
 * memory's current byte size), memory.size/grow, and the bulk operations via runtime helpers. */
#include "lower.h"

/* VMMemory * of memory `i`, loaded once in the entry block. */
static LLVMValueRef mem_object(Lower *L, uint32_t i)
{
    if (i == 0) return lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, mem0));
    LLVMValueRef arr = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, memories));
    return lower_entry_load(L, L->t.ptr, arr, (uint64_t)i * sizeof(VMMemory *));
}

/* Base address of memory `i`: it never moves, so it is loaded once per function. */
static LLVMValueRef mem_base(Lower *L, uint32_t i)
{
    if (L->mem_bases[i]) return L->mem_bases[i];
    LLVMValueRef base;
    if (i == 0)
        base = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, mem0_base));
    else
        base = lower_entry_load(L, L->t.ptr, mem_object(L, i), offsetof(VMMemory, base));
    return L->mem_bases[i] = base;
}

/* The host address of an access of `size` bytes at the popped i32 address + offset. */
static LLVMValueRef effective_address(Lower *L, const Instr *in, unsigned size)
{
    uint32_t mem = in->imm.memarg.memory;
    LLVMValueRef addr = LLVMBuildZExt(L->b, lower_pop(L), L->t.i64, "");
    LLVMValueRef ea = LLVMBuildAdd(L->b, addr, lower_i64(L, in->imm.memarg.offset), "");
    if (L->mode == BOUNDS_SOFTWARE) {
        LLVMValueRef end = LLVMBuildAdd(L->b, ea, lower_i64(L, size), "");
        LLVMValueRef bytes =
            lower_load_field(L, L->t.i64, mem_object(L, mem), offsetof(VMMemory, bytes));
        lower_trap_if(L, LLVMBuildICmp(L->b, LLVMIntUGT, end, bytes, ""), WK_TRAP_MEMORY_OOB);
    }
    return LLVMBuildGEP2(L->b, L->t.i8, mem_base(L, mem), &ea, 1, "");
}

static LLVMTypeRef int_type(Lower *L, unsigned bytes)
{
    return bytes == 1 ? L->t.i8 : bytes == 2 ? L->t.i16 : bytes == 4 ? L->t.i32 : L->t.i64;
}

/* Loads `bytes` bytes of type `ty`; narrow integers are extended to `result`. */
static void load(Lower *L, const Instr *in, LLVMTypeRef ty, LLVMTypeRef result, bool sign)
{
    unsigned bytes = (unsigned)(LLVMGetTypeKind(ty) == LLVMIntegerTypeKind
                                    ? LLVMGetIntTypeWidth(ty) / 8
                                    : (ty == L->t.f32 ? 4 : 8));
    LLVMValueRef p = effective_address(L, in, bytes);
    LLVMValueRef v = LLVMBuildLoad2(L->b, ty, p, "");
    LLVMSetVolatile(v, 1);
    LLVMSetAlignment(v, 1);
    if (ty != result)
        v = sign ? LLVMBuildSExt(L->b, v, result, "") : LLVMBuildZExt(L->b, v, result, "");
    lower_push(L, v);
}

/* Stores the popped value, truncated to `bytes` when narrower. */
static void store(Lower *L, const Instr *in, unsigned bytes)
{
    LLVMValueRef v = lower_pop(L);
    LLVMTypeRef ty = LLVMTypeOf(v);
    if (LLVMGetTypeKind(ty) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(ty) / 8 != bytes)
        v = LLVMBuildTrunc(L->b, v, int_type(L, bytes), "");
    LLVMValueRef p = effective_address(L, in, bytes);
    LLVMValueRef st = LLVMBuildStore(L->b, v, p);
    LLVMSetVolatile(st, 1);
    LLVMSetAlignment(st, 1);
}

static void memory_size(Lower *L)
{
    LLVMValueRef mem = mem_object(L, 0);
    lower_push(L, lower_load_field(L, L->t.i32, mem, offsetof(VMMemory, pages)));
}

static void memory_bulk(Lower *L, const Instr *in)
{
    uint32_t zero = 0;
    switch (in->op) {
    case OP_MemoryGrow: lower_push(L, lower_bulk(L, "wk_rt_memory_grow", &zero, 1, 1)); break;
    case OP_MemoryInit: {
        uint32_t imms[2] = {in->imm.pair.b, in->imm.pair.a};
        lower_bulk(L, "wk_rt_memory_init", imms, 2, 3);
        break;
    }
    case OP_DataDrop: lower_bulk(L, "wk_rt_data_drop", &in->imm.index, 1, 0); break;
    case OP_MemoryCopy: {
        uint32_t imms[2] = {in->imm.pair.a, in->imm.pair.b};
        lower_bulk(L, "wk_rt_memory_copy", imms, 2, 3);
        break;
    }
    default: lower_bulk(L, "wk_rt_memory_fill", &zero, 1, 3); break;
    }
}

bool lower_memory(Lower *L, const Instr *in)
{
    LowerTypes *t = &L->t;
    switch (in->op) {
    case OP_I32Load: load(L, in, t->i32, t->i32, false); break;
    case OP_I64Load: load(L, in, t->i64, t->i64, false); break;
    case OP_F32Load: load(L, in, t->f32, t->f32, false); break;
    case OP_F64Load: load(L, in, t->f64, t->f64, false); break;
    case OP_I32Load8S: load(L, in, t->i8, t->i32, true); break;
    case OP_I32Load8U: load(L, in, t->i8, t->i32, false); break;
    case OP_I32Load16S: load(L, in, t->i16, t->i32, true); break;
    case OP_I32Load16U: load(L, in, t->i16, t->i32, false); break;
    case OP_I64Load8S: load(L, in, t->i8, t->i64, true); break;
    case OP_I64Load8U: load(L, in, t->i8, t->i64, false); break;
    case OP_I64Load16S: load(L, in, t->i16, t->i64, true); break;
    case OP_I64Load16U: load(L, in, t->i16, t->i64, false); break;
    case OP_I64Load32S: load(L, in, t->i32, t->i64, true); break;
    case OP_I64Load32U: load(L, in, t->i32, t->i64, false); break;
    case OP_I32Store: case OP_F32Store: case OP_I64Store32: store(L, in, 4); break;
    case OP_I64Store: case OP_F64Store: store(L, in, 8); break;
    case OP_I32Store8: case OP_I64Store8: store(L, in, 1); break;
    case OP_I32Store16: case OP_I64Store16: store(L, in, 2); break;
    case OP_MemorySize: memory_size(L); break;
    default: memory_bulk(L, in); break;
    }
    return true;
}

LLVMValueRef lower_address(Lower *L, const Instr *in, unsigned size)
{
    return effective_address(L, in, size);
}
