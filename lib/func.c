/* Functions: creation of Wasm and host functions, host->Wasm calls through the JIT's
 * trampolines inside a trap entry, and wk_val_t <-> WasmVal conversion. */
#include <stdlib.h>
#include <string.h>

#include "compiled.h"
#include "engine.h"
#include "func.h"
#include "instance.h"
#include "thunk.h"
#include "trap.h"

/* Every member of WasmVal and of wk_val_t.of sits at offset 0 of a 16-byte union. The
 * conversions read only the kind's own bytes and write whole words: a load wider than the
 * store that wrote the value (wk_val_i32 and compiled code store 4 bytes of an i32), or one
 * spanning several stores, cannot be forwarded from them and stalls for longer than a whole
 * call takes. */
_Static_assert(sizeof(WasmVal) == 16 && sizeof(wk_raw_t) == 16, "value layouts");

wk_val_t val_from_raw(ValType t, const WasmVal *raw)
{
    if (t == WK_I32 || t == WK_F32) return (wk_val_t){.kind = t, .of.i64 = raw->i32};
    if (t != WK_V128) return (wk_val_t){.kind = t, .of.i64 = (int64_t)raw->i64};
    wk_val_t v = {.kind = t};
    memcpy(v.of.v128, raw->v128, 16);
    return v;
}

WasmVal val_to_raw(const wk_val_t *v)
{
    ValType t = v->kind;
    if (t == WK_I32 || t == WK_F32) return (WasmVal){.i64 = (uint32_t)v->of.i32};
    if (t != WK_V128) return (WasmVal){.i64 = (uint64_t)v->of.i64};
    WasmVal r;
    memcpy(r.v128, v->of.v128, 16);
    return r;
}

static void func_free(void *p)
{
    wk_func_t *f = p;
    hostinfo_release(&f->host);
    if (f->finalizer) f->finalizer(f->env);
    free(f);
}

static void func_rebind(void *p, wk_store_t *to)
{
    ((wk_func_t *)p)->store = to;
}

static wk_error_t *func_alloc(wk_store_t *store, uint32_t type_id, wk_func_t **out)
{
    wk_func_t *f = calloc(1, sizeof *f);
    if (!f) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    f->store = store;
    f->ref.type_id = type_id;
    f->type = engine_type(store->engine, type_id);
    *out = f;
    return NULL;
}

wk_error_t *func_new_host(wk_store_t *store, const FuncType *type, wk_host_callback_t cb,
                          void *env, void (*finalizer)(void *), wk_func_t **out)
{
    uint32_t id = engine_intern_type(store->engine, type);
    if (id == UINT32_MAX) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    wk_func_t *f = NULL;
    wk_error_t *err = func_alloc(store, id, &f);
    if (!err) err = thunk_host_adapter(store->engine->thunks, id, &f->type, &f->ref.code);
    if (err) {
        free(f);
        return err;
    }
    f->ref.vmctx = (VMContext *)f; /* wk_rt_host_call finds the function from its context */
    f->callback = cb;
    f->env = env;
    f->finalizer = finalizer;
    if (!store_own_rebind(store, f, func_free, func_rebind))
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    *out = f;
    return NULL;
}

wk_error_t *func_new_wasm(wk_store_t *store, Instance *inst, uint32_t index, uint32_t type_id,
                          wk_func_t **out)
{
    wk_func_t *f = NULL;
    wk_error_t *err = func_alloc(store, type_id, &f);
    if (err) return err;
    f->ref.code = inst->module->code->funcs[index];
    f->index = index;
    f->ref.vmctx = &inst->vm;
    f->inst = inst;
    if (!store_own_rebind(store, f, func_free, func_rebind))
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    *out = f;
    return NULL;
}

/* NULL when args match the type, else a host trap saying what is wrong. */
static wk_trap_t *check_args(const FuncType *t, const wk_val_t *args, size_t nargs,
                             size_t nresults)
{
    if (nargs != t->nparams || nresults != t->nresults)
        return trap_new_host("wrong number of arguments or results: expected %u and %u",
                             t->nparams, t->nresults);
    for (size_t i = 0; i < nargs; i++) {
        if (args[i].kind != t->types[i])
            return trap_new_host("argument %zu has the wrong type", i);
    }
    return NULL;
}

/* NULL when no funcref among vals belongs to another store than `store`, else a host trap. */
static wk_trap_t *check_stores(const wk_store_t *store, const wk_val_t *vals, size_t n,
                               const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (vals[i].kind == WK_FUNCREF && vals[i].of.funcref &&
            vals[i].of.funcref->store != store)
            return trap_new_host("%s %zu is a function of another store", what, i);
    }
    return NULL;
}

wk_trap_t *func_run_host(wk_func_t *func, const wk_caller_t *caller, const wk_val_t *args,
                         wk_val_t *results)
{
    const FuncType *t = &func->type;
    for (uint32_t i = 0; i < t->nresults; i++) results[i].kind = t->types[t->nparams + i];
    wk_trap_t *trap = func->callback(func->env, caller, args, results);
    if (trap) return trap;
    for (uint32_t i = 0; i < t->nresults; i++) {
        if (results[i].kind != t->types[t->nparams + i])
            return trap_new_host("host function returned a result of the wrong type");
    }
    return check_stores(func->store, results, t->nresults, "host function result");
}

/* Compiles func's trampoline on its first call. NULL or a host trap. */
static __attribute__((noinline)) wk_trap_t *fetch_trampoline(wk_func_t *func)
{
    wk_error_t *err = thunk_trampoline(func->store->engine->thunks, func->ref.type_id,
                                       &func->type, &func->tramp);
    if (!err) return NULL;
    wk_trap_t *trap = trap_new_host("cannot compile a trampoline: %s", wk_error_message(err));
    wk_error_delete(err);
    return trap;
}

/* A host function called with raw slots: converts to and from wk_val_t. */
static wk_trap_t *call_host_raw(wk_func_t *func, WasmVal *vals)
{
    const FuncType *t = &func->type;
    enum { SMALL = 16 };
    wk_val_t small[SMALL];
    size_t n = (size_t)t->nparams + t->nresults;
    wk_val_t *args = n > SMALL ? malloc(n * sizeof *args) : small;
    if (!args) return trap_new_host("out of memory");
    for (uint32_t i = 0; i < t->nparams; i++) args[i] = val_from_raw(t->types[i], &vals[i]);
    wk_val_t *results = args + t->nparams;
    wk_caller_t no_caller = {NULL};
    wk_trap_t *trap = func_run_host(func, &no_caller, args, results);
    for (uint32_t i = 0; !trap && i < t->nresults; i++) vals[i] = val_to_raw(&results[i]);
    if (args != small) free(args);
    return trap;
}

wk_trap_t *func_call_raw(wk_func_t *func, WasmVal *vals)
{
    if (__builtin_expect(func->callback != NULL, 0)) return call_host_raw(func, vals);
    if (__builtin_expect(!func->tramp, 0)) {
        wk_trap_t *trap = fetch_trampoline(func);
        if (trap) return trap;
    }
    /* Relaxed: the tier-up thread may re-point code (lib/tierup.c); either version is valid. */
    void *code = __atomic_load_n(&func->ref.code, __ATOMIC_RELAXED);
    return trap_call(&func->store->vm, func->tramp, code, func->ref.vmctx, vals);
}

static wk_trap_t *call_wasm(wk_func_t *func, const wk_val_t *args, wk_val_t *results)
{
    const FuncType *t = &func->type;
    enum { SMALL = 16 };
    WasmVal small[SMALL];
    size_t n = t->nparams > t->nresults ? t->nparams : t->nresults;
    WasmVal *vals = n > SMALL ? malloc(n * sizeof *vals) : small;
    if (!vals) return trap_new_host("out of memory");
    for (uint32_t i = 0; i < t->nparams; i++) vals[i] = val_to_raw(&args[i]);
    wk_trap_t *trap = func_call_raw(func, vals);
    if (!trap) {
        for (uint32_t i = 0; i < t->nresults; i++)
            results[i] = val_from_raw(t->types[t->nparams + i], &vals[i]);
    }
    if (vals != small) free(vals);
    return trap;
}

wk_trap_t *func_call(wk_func_t *func, const wk_val_t *args, size_t nargs, wk_val_t *results,
                     size_t nresults)
{
    wk_trap_t *trap = check_args(&func->type, args, nargs, nresults);
    if (!trap) trap = check_stores(func->store, args, nargs, "argument");
    if (trap) return trap;
    wk_caller_t no_caller = {NULL};
    return func->callback ? func_run_host(func, &no_caller, args, results)
                          : call_wasm(func, args, results);
}
