/* Lowering of memory instructions (spec 4.4.7): loads and stores as volatile align-1 accesses
 * at base + zext(addr) + offset (guard mode: unchecked; software mode: compared with the
 * memory's current byte size) and memory.size; memory.grow and the bulk operations are
 * runtime helper calls (lower_helper, named in opcodes.def). */
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

/* Loads Width bytes (opcodes.def) at the popped address; narrow integers are sign- or
 * zero-extended to the result type of the instruction's signature. */
void lower_load(Lower *L, const Instr *in, bool sign)
{
    unsigned bytes = op_info[in->op].width;
    ValType rt = sig_table[op_info[in->op].sig].result;
    LLVMTypeRef result = lower_val_type(L->ctx, rt);
    bool narrow = (rt == WK_I32 && bytes < 4) || (rt == WK_I64 && bytes < 8);
    LLVMTypeRef ty = narrow ? int_type(L, bytes) : result;
    LLVMValueRef p = effective_address(L, in, bytes);
    LLVMValueRef v = LLVMBuildLoad2(L->b, ty, p, "");
    LLVMSetVolatile(v, 1);
    LLVMSetAlignment(v, 1);
    if (narrow)
        v = sign ? LLVMBuildSExt(L->b, v, result, "") : LLVMBuildZExt(L->b, v, result, "");
    lower_push(L, v);
}

/* Stores the popped value, truncated to Width bytes when narrower. */
void lower_store(Lower *L, const Instr *in)
{
    unsigned bytes = op_info[in->op].width;
    LLVMValueRef v = lower_pop(L);
    LLVMTypeRef ty = LLVMTypeOf(v);
    if (LLVMGetTypeKind(ty) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(ty) / 8 != bytes)
        v = LLVMBuildTrunc(L->b, v, int_type(L, bytes), "");
    LLVMValueRef p = effective_address(L, in, bytes);
    LLVMValueRef st = LLVMBuildStore(L->b, v, p);
    LLVMSetVolatile(st, 1);
    LLVMSetAlignment(st, 1);
}

void lower_memory_size(Lower *L, const Instr *in)
{
    LLVMValueRef mem = mem_object(L, in->imm.index);
    lower_push(L, lower_load_field(L, L->t.i32, mem, offsetof(VMMemory, pages)));
}

LLVMValueRef lower_address(Lower *L, const Instr *in, unsigned size)
{
    return effective_address(L, in, size);
}
