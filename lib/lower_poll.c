/* Lowering of the interruption checks (lib/interrupt.c) and of fuel metering: function
 * entries and loop headers read the store's poll word (a volatile load, so that no loop
 * hoists it) and, with fuel, test vmctx->fuel < 0; either calls wk_rt_poll on a cold path.
 * With fuel, straight-line runs of instructions are charged to vmctx->fuel at their end. */
#include <stddef.h>

#include "lower.h"

/* vmctx->store->poll != 0 */
static LLVMValueRef poll_cond(Lower *L, LLVMValueRef store)
{
    LLVMValueRef off = lower_i64(L, offsetof(VMStore, poll));
    LLVMValueRef p = LLVMBuildGEP2(L->b, L->t.i8, store, &off, 1, "");
    LLVMValueRef word = LLVMBuildLoad2(L->b, L->t.i32, p, "poll");
    LLVMSetVolatile(word, 1);
    return LLVMBuildICmp(L->b, LLVMIntNE, word, lower_i32(L, 0), "");
}

static LLVMValueRef fuel_ptr(Lower *L)
{
    LLVMValueRef off = lower_i64(L, offsetof(VMContext, fuel));
    return LLVMBuildGEP2(L->b, L->t.i8, L->vmctx, &off, 1, "");
}

/* The poll condition, or'ed with vmctx->fuel < 0 when metering. */
static LLVMValueRef with_fuel(Lower *L, LLVMValueRef poll)
{
    if (!L->fuel) return poll;
    LLVMValueRef fuel = LLVMBuildLoad2(L->b, L->t.i64, fuel_ptr(L), "fuel");
    LLVMValueRef out = LLVMBuildICmp(L->b, LLVMIntSLT, fuel, lower_i64(L, 0), "");
    return LLVMBuildOr(L->b, poll, out, "");
}

/* if (cond) wk_rt_poll(vmctx, stack_low); then continues in a fresh block. */
static void poll_branch(Lower *L, LLVMValueRef cond, LLVMValueRef stack_low)
{
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "poll");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "");
    lower_cold_br(L, cond, slow, ok);
    LLVMPositionBuilderAtEnd(L->b, slow);
    LLVMValueRef args[2] = {L->vmctx, stack_low};
    lower_call_helper(L, HELPER_poll, args, 2);
    LLVMBuildBr(L->b, ok);
    LLVMPositionBuilderAtEnd(L->b, ok);
}

void lower_poll_entry(Lower *L, LLVMValueRef store, LLVMValueRef stack_cond)
{
    L->entry_poll = poll_cond(L, store);
    L->entry_any = with_fuel(L, L->entry_poll);
    L->entry_cond = LLVMBuildOr(L->b, stack_cond, L->entry_any, "");
    poll_branch(L, L->entry_cond, LLVMBuildZExt(L->b, stack_cond, L->t.i32, ""));
}

void lower_poll_drop_entry(Lower *L)
{
    LLVMValueRef no = LLVMConstInt(L->t.i1, 0, 0);
    LLVMReplaceAllUsesWith(L->entry_cond, no);
    LLVMInstructionEraseFromParent(L->entry_cond);
    if (L->entry_any != L->entry_poll) LLVMInstructionEraseFromParent(L->entry_any);
    LLVMReplaceAllUsesWith(L->stack_cond, no);
    LLVMInstructionEraseFromParent(L->stack_cond);
    /* The volatile load would stay: erase it with its compare (a fuel load is dead code). */
    LLVMValueRef load = LLVMGetOperand(L->entry_poll, 0);
    LLVMInstructionEraseFromParent(L->entry_poll);
    LLVMInstructionEraseFromParent(load);
}

void lower_poll_loop(Lower *L)
{
    if (!L->poll_store)
        L->poll_store = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, store));
    poll_branch(L, with_fuel(L, poll_cond(L, L->poll_store)), lower_i32(L, 0));
}

/* vmctx->fuel -= the instructions counted since the last charge. */
static void fuel_charge(Lower *L)
{
    if (L->fuel_due == 0) return;
    LLVMValueRef p = fuel_ptr(L);
    LLVMValueRef fuel = LLVMBuildLoad2(L->b, L->t.i64, p, "");
    LLVMBuildStore(L->b, LLVMBuildSub(L->b, fuel, lower_i64(L, L->fuel_due), ""), p);
    L->fuel_due = 0;
}

void lower_fuel_count(Lower *L, const Instr *in)
{
    L->fuel_due++;
    switch (in->op) {
    case OP_Unreachable: case OP_Loop: case OP_If: case OP_Else: case OP_End: case OP_Br:
    case OP_BrIf: case OP_BrTable: case OP_Return: case OP_Call: case OP_CallIndirect:
        fuel_charge(L);
        break;
    default:
        break;
    }
}
