/* libFuzzer target: arbitrary bytes -> wk_module_new -> wk_instance_new (imports satisfied by
 * host stand-ins made from the import types) -> every exported function called with zero and
 * with input-derived arguments. To keep each run bounded, only modules that provably end soon
 * are instantiated: no loop, call_indirect or bulk memory/table instruction, direct calls
 * forming no cycle, and at most MAX_CALLS calls per entry; the others are compiled and dropped. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_env.h"
#include "instr.h"
#include "reader.h"
#include "wasmkiln.h"

#define MAX_CALLS 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static wk_engine_t *engine;

/* Host stand-in: writes zero results of the right kinds. */
static wk_trap_t *host_zero(void *env, const wk_caller_t *caller, const wk_val_t *args,
                            wk_val_t *results)
{
    const wk_functype_t *type = env;
    (void)caller;
    (void)args;
    for (size_t i = 0; i < type->nresults; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].kind = type->results[i];
    }
    return NULL;
}

static bool op_unbounded(Opcode op)
{
    switch (op) {
    case OP_Loop: case OP_CallIndirect: case OP_MemoryInit: case OP_MemoryCopy:
    case OP_MemoryFill: case OP_TableGrow: case OP_TableInit: case OP_TableCopy: case OP_TableFill:
        return true;
    default:
        return false;
    }
}

/* Calls made by one entry into defined function i (itself included), or UINT64_MAX when
 * unbounded: a loop, a cycle, or more than MAX_CALLS. calls[] caches results; 0 = not yet,
 * UINT64_MAX - 1 = in progress. Depth is at most the function count (the module decoded). */
static uint64_t count_calls(const Module *m, uint32_t i, uint64_t *calls)
{
    if (calls[i] == UINT64_MAX - 1) return UINT64_MAX; /* a cycle */
    if (calls[i]) return calls[i];
    calls[i] = UINT64_MAX - 1;
    const Func *f = &m->funcs[i];
    Reader r = {m->bytes, f->body_offset, (size_t)f->body_offset + f->body_size};
    uint64_t total = 1;
    while (!reader_eof(&r) && total <= MAX_CALLS) {
        Instr in;
        wk_error_t *err = instr_read(&r, &in);
        if (err || op_unbounded(in.op)) {
            wk_error_delete(err);
            total = UINT64_MAX;
        } else if (in.op == OP_Call && in.imm.index >= m->nimported_funcs) {
            uint64_t n = count_calls(m, in.imm.index - m->nimported_funcs, calls);
            total = n > MAX_CALLS ? UINT64_MAX : total + n;
        }
    }
    calls[i] = total > MAX_CALLS ? UINT64_MAX : total;
    return calls[i];
}

static bool all_bounded(wk_module_t *mod)
{
    const Module *m = mod->m;
    if (m->nfuncs > 10000) return false; /* keeps count_calls' recursion shallow */
    uint64_t *calls = calloc(m->nfuncs + 1, sizeof *calls);
    bool ok = calls != NULL;
    for (uint32_t i = 0; ok && i < m->nfuncs; i++) ok = count_calls(m, i, calls) <= MAX_CALLS;
    free(calls);
    return ok;
}

static wk_val_t zero_of(wk_valkind_t kind)
{
    wk_val_t v;
    memset(&v, 0, sizeof v);
    v.kind = kind;
    return v;
}

/* A stand-in for one import; false when the runtime refuses it (a clean error). */
static bool make_import(wk_store_t *store, const wk_externtype_t *type, wk_extern_t *out)
{
    wk_error_t *err = NULL;
    out->kind = type->kind;
    switch (type->kind) {
    case WK_EXTERN_FUNC:
        /* type outlives the store, its arrays are the module's. */
        out->of.func = wk_func_new(store, &type->of.func, host_zero, (void *)&type->of.func, NULL);
        return out->of.func != NULL;
    case WK_EXTERN_TABLE:
        err = wk_table_new(store, &type->of.table, zero_of(type->of.table.elem), &out->of.table);
        break;
    case WK_EXTERN_MEMORY:
        err = wk_memory_new(store, &type->of.memory, &out->of.memory);
        break;
    case WK_EXTERN_GLOBAL:
        err = wk_global_new(store, &type->of.global, zero_of(type->of.global.kind),
                            &out->of.global);
        break;
    }
    if (err) {
        wk_error_delete(err);
        return false;
    }
    return true;
}

/* Argument i of a call: zero, or bits taken from the input (seed) when derived. */
static wk_val_t arg_of(wk_valkind_t kind, const uint8_t *data, size_t size, size_t i, bool derived)
{
    wk_val_t v = zero_of(kind);
    if (!derived || kind == WK_FUNCREF || kind == WK_EXTERNREF || size == 0) return v;
    for (size_t b = 0; b < 16; b++) v.of.v128[b] = data[(i * 16 + b) % size];
    return v;
}

static void call_export(wk_func_t *func, const uint8_t *data, size_t size, bool derived)
{
    wk_functype_t type = wk_func_type(func);
    wk_val_t args[type.nparams + 1], results[type.nresults + 1];
    for (size_t i = 0; i < type.nparams; i++)
        args[i] = arg_of(type.params[i], data, size, i, derived);
    wk_trap_delete(wk_func_call(func, args, type.nparams, results, type.nresults));
}

static void run(wk_module_t *mod, const uint8_t *data, size_t size)
{
    wk_store_t *store = wk_store_new(engine);
    size_t n = wk_module_import_count(mod);
    wk_extern_t *imports = calloc(n ? n : 1, sizeof *imports);
    wk_externtype_t *types = calloc(n ? n : 1, sizeof *types); /* host envs: outlive store */
    bool ok = imports && types;
    for (size_t i = 0; ok && i < n; i++) {
        wk_name_t module_name, name;
        wk_module_import(mod, i, &module_name, &name, &types[i]);
        ok = make_import(store, &types[i], &imports[i]);
    }
    wk_instance_t *inst = NULL;
    wk_trap_t *trap = NULL;
    if (ok) wk_error_delete(wk_instance_new(store, mod, imports, n, &inst, &trap));
    wk_trap_delete(trap);
    for (size_t i = 0; inst && i < wk_instance_export_count(inst); i++) {
        wk_extern_t ext = wk_instance_export(inst, i);
        if (ext.kind != WK_EXTERN_FUNC) continue;
        call_export(ext.of.func, data, size, false);
        call_export(ext.of.func, data, size, true);
    }
    wk_store_delete(store);
    free(imports);
    free(types);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine) {
        wk_error_t *err = engine_env_new(&engine);
        if (err) abort(); /* a fuzz target has no one to report to */
    }
    wk_module_t *mod = NULL;
    wk_error_t *err = wk_module_new(engine, data, size, &mod);
    if (err) {
        wk_error_delete(err);
        return 0;
    }
    if (all_bounded(mod)) run(mod, data, size);
    wk_module_delete(mod);
    return 0;
}
