/* The runtime helpers compiled code calls (vmctx.h): bulk memory and table instructions with
 * the spec's bounds rules (spec 4.4.7-4.4.8), growth, segment drops and host calls. */
#include <stdlib.h>
#include <string.h>

#include "compiled.h"
#include "func.h"
#include "instance.h"
#include "memory.h"
#include "table.h"
#include "trap.h"

static Instance *inst_of(VMContext *vmctx)
{
    return vmctx->instance;
}

/* True when [start, start + n) does not fit in size. */
static bool out_of(uint64_t start, uint64_t n, uint64_t size)
{
    return start + n > size;
}

void wk_rt_trap(VMContext *vmctx, uint32_t kind)
{
    (void)vmctx;
    trap_raise(kind, NULL);
}

void wk_rt_trap_index(VMContext *vmctx, uint32_t kind, uint32_t index)
{
    (void)vmctx;
    wk_trap_t *t = trap_new_host("%s %u", trap_kind_message(kind), index);
    t->kind = (wk_trap_kind_t)kind;
    trap_raise(kind, t);
}

uint32_t wk_rt_memory_grow(VMContext *vmctx, uint32_t mem, uint32_t delta)
{
    uint32_t prev;
    wk_memory_t *m = (wk_memory_t *)vmctx->memories[mem];
    return memory_grow(m, delta, &prev) ? prev : UINT32_MAX;
}

void wk_rt_memory_init(VMContext *vmctx, uint32_t mem, uint32_t data, uint32_t dst,
                       uint32_t src, uint32_t n)
{
    Instance *inst = inst_of(vmctx);
    VMMemory *m = vmctx->memories[mem];
    if (out_of(src, n, inst->data_sizes[data]) || out_of(dst, n, m->bytes))
        trap_raise(WK_TRAP_MEMORY_OOB, NULL);
    const Data *d = &inst->module->m->datas[data];
    if (n) memcpy(m->base + dst, inst->module->m->bytes + d->bytes_offset + src, n);
}

void wk_rt_data_drop(VMContext *vmctx, uint32_t data)
{
    inst_of(vmctx)->data_sizes[data] = 0;
}

void wk_rt_memory_copy(VMContext *vmctx, uint32_t dst_mem, uint32_t src_mem, uint32_t dst,
                       uint32_t src, uint32_t n)
{
    VMMemory *d = vmctx->memories[dst_mem], *s = vmctx->memories[src_mem];
    if (out_of(src, n, s->bytes) || out_of(dst, n, d->bytes))
        trap_raise(WK_TRAP_MEMORY_OOB, NULL);
    if (n) memmove(d->base + dst, s->base + src, n);
}

void wk_rt_memory_fill(VMContext *vmctx, uint32_t mem, uint32_t dst, uint32_t val, uint32_t n)
{
    VMMemory *m = vmctx->memories[mem];
    if (out_of(dst, n, m->bytes)) trap_raise(WK_TRAP_MEMORY_OOB, NULL);
    if (n) memset(m->base + dst, (int)(uint8_t)val, n);
}

void *wk_rt_table_get(VMContext *vmctx, uint32_t table, uint32_t i)
{
    VMTable *t = vmctx->tables[table];
    if (i >= t->size) trap_raise(WK_TRAP_TABLE_OOB, NULL);
    return t->elems[i];
}

void wk_rt_table_set(VMContext *vmctx, uint32_t table, uint32_t i, void *v)
{
    VMTable *t = vmctx->tables[table];
    if (i >= t->size) trap_raise(WK_TRAP_TABLE_OOB, NULL);
    t->elems[i] = v;
}

uint32_t wk_rt_table_grow(VMContext *vmctx, uint32_t table, void *init, uint32_t delta)
{
    uint32_t prev;
    wk_table_t *t = (wk_table_t *)vmctx->tables[table];
    return table_grow(t, delta, init, &prev) ? prev : UINT32_MAX;
}

void wk_rt_table_fill(VMContext *vmctx, uint32_t table, uint32_t i, void *v, uint32_t n)
{
    VMTable *t = vmctx->tables[table];
    if (out_of(i, n, t->size)) trap_raise(WK_TRAP_TABLE_OOB, NULL);
    for (uint32_t k = 0; k < n; k++) t->elems[i + k] = v;
}

void wk_rt_table_copy(VMContext *vmctx, uint32_t dst_table, uint32_t src_table, uint32_t dst,
                      uint32_t src, uint32_t n)
{
    VMTable *d = vmctx->tables[dst_table], *s = vmctx->tables[src_table];
    if (out_of(src, n, s->size) || out_of(dst, n, d->size)) trap_raise(WK_TRAP_TABLE_OOB, NULL);
    if (n) memmove(d->elems + dst, s->elems + src, (size_t)n * sizeof(void *));
}

void wk_rt_table_init(VMContext *vmctx, uint32_t table, uint32_t elem, uint32_t dst,
                      uint32_t src, uint32_t n)
{
    Instance *inst = inst_of(vmctx);
    VMTable *t = vmctx->tables[table];
    if (out_of(src, n, inst->elem_sizes[elem]) || out_of(dst, n, t->size))
        trap_raise(WK_TRAP_TABLE_OOB, NULL);
    if (n) memcpy(t->elems + dst, inst->elem_items[elem] + src, (size_t)n * sizeof(void *));
}

void wk_rt_elem_drop(VMContext *vmctx, uint32_t elem)
{
    inst_of(vmctx)->elem_sizes[elem] = 0;
}

/* Converts the raw params to wk_val_t, runs the callback as host code, and converts the
 * results back. Returns the callback's trap. */
static wk_trap_t *host_invoke(wk_func_t *f, WasmVal *vals, wk_val_t *args, wk_val_t *results)
{
    const FuncType *t = &f->type;
    for (uint32_t i = 0; i < t->nparams; i++) args[i] = val_from_raw(t->types[i], &vals[i]);
    VMContext *caller_ctx = f->store->vm.caller_vmctx;
    wk_caller_t caller = {caller_ctx ? caller_ctx->instance : NULL};
    bool was_in_wasm = trap_set_in_wasm(false);
    wk_trap_t *trap = func_run_host(f, &caller, args, results);
    trap_set_in_wasm(was_in_wasm);
    f->store->vm.caller_vmctx = caller_ctx;
    if (trap) return trap;
    for (uint32_t i = 0; i < t->nresults; i++) vals[i] = val_to_raw(&results[i]);
    return NULL;
}

void wk_rt_host_call(VMContext *host_ctx, WasmVal *vals)
{
    wk_func_t *f = (wk_func_t *)host_ctx;
    enum { SMALL = 16 };
    wk_val_t small_args[SMALL], small_results[SMALL];
    wk_val_t *args = small_args, *results = small_results;
    const FuncType *t = &f->type;
    if (t->nparams > SMALL) args = malloc(t->nparams * sizeof *args);
    if (t->nresults > SMALL) results = malloc(t->nresults * sizeof *results);
    wk_trap_t *trap;
    if (!args || !results)
        trap = trap_new_host("out of memory calling a host function");
    else
        trap = host_invoke(f, vals, args, results);
    if (args != small_args) free(args);
    if (results != small_results) free(results);
    if (trap) trap_raise(WK_TRAP_HOST, trap);
}
