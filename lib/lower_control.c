/* Lowering of control instructions (spec 4.4.8) and parametric ones (drop, select): blocks,
 * loops and ifs become LLVM blocks with phis for their results (loop headers: for their
 * params); branches add phi incomings; br_table is a switch. */
#include <stdlib.h>
#include <string.h>

#include "lower.h"

static Ctl *push_ctl(Lower *L, uint8_t kind)
{
    if (L->nctl == L->ctl_cap) {
        L->ctl_cap = L->ctl_cap ? 2 * L->ctl_cap : 16;
        L->ctl = realloc(L->ctl, L->ctl_cap * sizeof *L->ctl);
        if (!L->ctl) abort();
    }
    Ctl *c = &L->ctl[L->nctl++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    return c;
}

static void set_block_type(Lower *L, Ctl *c, const Instr *in)
{
    if (in->imm.block.kind == BLOCK_VALUE) {
        c->one = in->imm.block.type;
        c->nresults = 1;
        c->results = &c->one;
    } else if (in->imm.block.kind == BLOCK_FUNC) {
        const FuncType *ft = &L->m->types[in->imm.block.index];
        c->nparams = ft->nparams;
        c->params = ft->types;
        c->nresults = ft->nresults;
        c->results = ft->types + ft->nparams;
    }
}

/* A block with one phi per type, built without moving the builder. */
static LLVMBasicBlockRef block_with_phis(Lower *L, const ValType *types, uint32_t n,
                                         LLVMValueRef **phis)
{
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(L->b);
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "");
    LLVMPositionBuilderAtEnd(L->b, bb);
    *phis = calloc(n ? n : 1, sizeof **phis);
    if (!*phis) abort();
    for (uint32_t i = 0; i < n; i++)
        (*phis)[i] = LLVMBuildPhi(L->b, lower_val_type(L->ctx, types[i]), "");
    LLVMPositionBuilderAtEnd(L->b, cur);
    return bb;
}

static void add_incoming(LLVMValueRef *phis, LLVMValueRef *vals, uint32_t n,
                         LLVMBasicBlockRef from)
{
    for (uint32_t i = 0; i < n; i++) LLVMAddIncoming(phis[i], &vals[i], &from, 1);
}

/* Where a branch to `c` goes and with how many values. */
static LLVMBasicBlockRef branch_target(Ctl *c, uint32_t *n, LLVMValueRef **phis)
{
    if (c->kind == CTL_LOOP) {
        *n = c->nparams;
        *phis = c->loop_phis;
        return c->header;
    }
    *n = c->nresults;
    *phis = c->phis;
    c->end_reached = true;
    return c->end;
}

/* Records the incoming values (top of stack) of an edge from the current block to `c`. */
static LLVMBasicBlockRef branch_edge(Lower *L, Ctl *c)
{
    uint32_t n;
    LLVMValueRef *phis;
    LLVMBasicBlockRef target = branch_target(c, &n, &phis);
    add_incoming(phis, L->stack + L->sp - n, n, LLVMGetInsertBlock(L->b));
    return target;
}

static void enter_dead(Lower *L)
{
    L->dead = true;
    L->dead_depth = 0;
    L->sp = L->ctl[L->nctl - 1].height;
}

static void open_block(Lower *L, uint8_t kind, const Instr *in)
{
    Ctl *c = push_ctl(L, kind);
    set_block_type(L, c, in);
    c->height = L->sp - c->nparams;
    c->end = block_with_phis(L, c->results, c->nresults, &c->phis);
}

void lower_loop(Lower *L, const Instr *in)
{
    open_block(L, CTL_LOOP, in);
    Ctl *c = &L->ctl[L->nctl - 1];
    c->header = block_with_phis(L, c->params, c->nparams, &c->loop_phis);
    LLVMBuildBr(L->b, branch_edge(L, c));
    LLVMPositionBuilderAtEnd(L->b, c->header);
    lower_lazy_tick(L);
    L->sp = c->height;
    for (uint32_t i = 0; i < c->nparams; i++) lower_push(L, c->loop_phis[i]);
    lower_poll_loop(L);
}

void lower_if(Lower *L, const Instr *in)
{
    LLVMValueRef cond = lower_pop(L);
    open_block(L, CTL_IF, in);
    Ctl *c = &L->ctl[L->nctl - 1];
    c->if_params = calloc(c->nparams ? c->nparams : 1, sizeof *c->if_params);
    if (!c->if_params) abort();
    memcpy(c->if_params, L->stack + c->height, c->nparams * sizeof *c->if_params);
    LLVMBasicBlockRef then_bb = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "then");
    c->else_bb = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "else");
    LLVMValueRef b = LLVMBuildICmp(L->b, LLVMIntNE, cond, lower_i32(L, 0), "");
    LLVMBuildCondBr(L->b, b, then_bb, c->else_bb);
    LLVMPositionBuilderAtEnd(L->b, then_bb);
}

/* Falls through from the current arm into `end` (when reachable). */
static void fall_to_end(Lower *L, Ctl *c)
{
    if (L->dead) return;
    add_incoming(c->phis, L->stack + L->sp - c->nresults, c->nresults, LLVMGetInsertBlock(L->b));
    c->end_reached = true;
    LLVMBuildBr(L->b, c->end);
}

void lower_else(Lower *L)
{
    Ctl *c = &L->ctl[L->nctl - 1];
    fall_to_end(L, c);
    c->has_else = true;
    LLVMPositionBuilderAtEnd(L->b, c->else_bb);
    L->dead = false;
    L->sp = c->height;
    for (uint32_t i = 0; i < c->nparams; i++) lower_push(L, c->if_params[i]);
}

static void build_return(Lower *L, LLVMValueRef *vals)
{
    const FuncType *ft = L->type;
    if (ft->nresults == 0) {
        LLVMBuildRetVoid(L->b);
    } else if (ft->nresults == 1) {
        LLVMBuildRet(L->b, vals[0]);
    } else {
        LLVMBuildAggregateRet(L->b, vals, ft->nresults);
    }
}

void lower_end(Lower *L)
{
    Ctl *c = &L->ctl[L->nctl - 1];
    fall_to_end(L, c);
    if (c->kind == CTL_IF && !c->has_else) {
        /* The implicit else passes the params through as results. */
        LLVMPositionBuilderAtEnd(L->b, c->else_bb);
        add_incoming(c->phis, c->if_params, c->nresults, c->else_bb);
        LLVMBuildBr(L->b, c->end);
        c->end_reached = true;
    }
    L->sp = c->height;
    if (c->end_reached) {
        LLVMPositionBuilderAtEnd(L->b, c->end);
        L->dead = false;
        for (uint32_t i = 0; i < c->nresults; i++) lower_push(L, c->phis[i]);
        if (c->kind == CTL_FUNC) build_return(L, c->phis);
    } else {
        LLVMDeleteBasicBlock(c->end);
        L->dead = true;
        L->dead_depth = 0;
    }
    free(c->phis);
    free(c->loop_phis);
    free(c->if_params);
    L->nctl--;
}

void lower_br(Lower *L, const Instr *in)
{
    LLVMBuildBr(L->b, branch_edge(L, &L->ctl[L->nctl - 1 - in->imm.index]));
    enter_dead(L);
}

void lower_br_if(Lower *L, const Instr *in)
{
    uint32_t label = in->imm.index;
    LLVMValueRef cond = lower_pop(L);
    LLVMValueRef b = LLVMBuildICmp(L->b, LLVMIntNE, cond, lower_i32(L, 0), "");
    LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(L->ctx, L->fn, "");
    LLVMBuildCondBr(L->b, b, branch_edge(L, &L->ctl[L->nctl - 1 - label]), cont);
    LLVMPositionBuilderAtEnd(L->b, cont);
}

void lower_br_table(Lower *L, const Instr *in)
{
    LLVMValueRef index = lower_pop(L);
    uint32_t n = in->imm.br_table.count;
    /* All targets in one pass: reading them one by one is quadratic in the table size. */
    uint32_t *labels = malloc(((size_t)n + 1) * sizeof *labels);
    if (!labels) abort();
    instr_br_table_targets(L->m, in, labels);
    LLVMBasicBlockRef target = branch_edge(L, &L->ctl[L->nctl - 1 - labels[n]]);
    LLVMValueRef sw = LLVMBuildSwitch(L->b, index, target, n);
    for (uint32_t i = 0; i < n; i++)
        LLVMAddCase(sw, lower_i32(L, i), branch_edge(L, &L->ctl[L->nctl - 1 - labels[i]]));
    free(labels);
    enter_dead(L);
}

void lower_return(Lower *L)
{
    build_return(L, L->stack + L->sp - L->type->nresults);
    enter_dead(L);
}

void lower_select(Lower *L)
{
    LLVMValueRef cond = lower_pop(L);
    LLVMValueRef b = lower_pop(L);
    LLVMValueRef a = lower_pop(L);
    LLVMValueRef c = LLVMBuildICmp(L->b, LLVMIntNE, cond, lower_i32(L, 0), "");
    lower_push(L, LLVMBuildSelect(L->b, c, a, b, ""));
}

void lower_control_begin_func(Lower *L)
{
    Ctl *c = push_ctl(L, CTL_FUNC);
    c->nresults = L->type->nresults;
    c->results = L->type->types + L->type->nparams;
    c->height = 0;
    c->end = block_with_phis(L, c->results, c->nresults, &c->phis);
}

void lower_block(Lower *L, const Instr *in)
{
    open_block(L, CTL_BLOCK, in);
}

void lower_unreachable(Lower *L)
{
    lower_trap(L, WK_TRAP_UNREACHABLE);
    enter_dead(L);
}

void lower_nop(Lower *L)
{
    (void)L;
}

void lower_drop(Lower *L)
{
    lower_pop(L);
}
