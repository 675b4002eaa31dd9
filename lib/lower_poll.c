/* Lowering of the interruption checks (lib/interrupt.c): function entries and loop headers
 * read the store's poll word (a volatile load, so that no loop hoists it) and call wk_rt_poll
 * on a cold path when it is set. */
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

/* if (cond) wk_rt_poll(vmctx, stack_low); then continues in a fresh block. */
static void poll_branch(Lower *L, LLVMValueRef cond, LLVMValueRef stack_low)
{
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "poll");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "");
    lower_cold_br(L, cond, slow, ok);
    LLVMPositionBuilderAtEnd(L->b, slow);
    LLVMValueRef args[2] = {L->vmctx, stack_low};
    lower_call_helper(L, "wk_rt_poll", args, 2);
    LLVMBuildBr(L->b, ok);
    LLVMPositionBuilderAtEnd(L->b, ok);
}

void lower_poll_entry(Lower *L, LLVMValueRef store, LLVMValueRef stack_cond)
{
    L->entry_poll = poll_cond(L, store);
    L->entry_cond = LLVMBuildOr(L->b, stack_cond, L->entry_poll, "");
    poll_branch(L, L->entry_cond, LLVMBuildZExt(L->b, stack_cond, L->t.i32, ""));
}

void lower_poll_drop_entry(Lower *L)
{
    LLVMValueRef no = LLVMConstInt(L->t.i1, 0, 0);
    LLVMReplaceAllUsesWith(L->entry_cond, no);
    LLVMInstructionEraseFromParent(L->entry_cond);
    LLVMReplaceAllUsesWith(L->stack_cond, no);
    LLVMInstructionEraseFromParent(L->stack_cond);
    /* The volatile load would stay: erase it with its compare. */
    LLVMValueRef load = LLVMGetOperand(L->entry_poll, 0);
    LLVMInstructionEraseFromParent(L->entry_poll);
    LLVMInstructionEraseFromParent(load);
}

void lower_poll_loop(Lower *L)
{
    if (!L->poll_store)
        L->poll_store = lower_entry_load(L, L->t.ptr, L->vmctx, offsetof(VMContext, store));
    poll_branch(L, poll_cond(L, L->poll_store), lower_i32(L, 0));
}
