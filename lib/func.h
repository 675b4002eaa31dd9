/* Functions: Wasm functions of an instance and host functions (C callbacks), calls from the
 * host into either, and the value conversions between wk_val_t and WasmVal. */
#ifndef WK_FUNC_H
#define WK_FUNC_H

#include <stdint.h>

#include "code.h"
#include "hostinfo.h"
#include "module.h"
#include "store.h"
#include "vmctx.h"

struct Instance;

struct wk_func {
    VMFuncRef ref;      /* first: a wk_func_t * is the VMFuncRef * tables and funcs[] hold */
    wk_store_t *store;
    FuncType type;      /* the engine's canonical type (ref.type_id) */
    struct Instance *inst;        /* defining instance, or NULL for a host function */
    uint32_t index;               /* defined-function index in inst's module */
    Trampoline tramp;             /* host->Wasm trampoline, fetched on first call */
    wk_host_callback_t callback;  /* host functions only */
    void *env;
    void (*finalizer)(void *env);
    HostInfo host;
};

/* A new host function of `type` in store (store-owned). Errors: WK_ERROR_RESOURCE, or a
 * compile error of the adapter. */
wk_error_t *func_new_host(wk_store_t *store, const FuncType *type, wk_host_callback_t cb,
                          void *env, void (*finalizer)(void *), wk_func_t **out);
/* A new Wasm function of inst (store-owned) with its code and engine type id. */
wk_error_t *func_new_wasm(wk_store_t *store, struct Instance *inst, uint32_t index,
                          uint32_t type_id, wk_func_t **out);

/* Calls func with args (checked against its type); results receive the results. Returns NULL
 * or an owned trap. */
wk_trap_t *func_call(wk_func_t *func, const wk_val_t *args, size_t nargs, wk_val_t *results,
                     size_t nresults);

/* Calls func without checking: vals[0..nparams) hold the arguments in the type's kinds and,
 * unless a trap is returned, vals[0..nresults) the results afterwards (vals has
 * max(nparams, nresults) slots). Returns NULL or an owned trap. */
wk_trap_t *func_call_raw(wk_func_t *func, WasmVal *vals);

/* Runs host function func's callback: sets the result kinds, calls it, checks the kinds it
 * left. Returns NULL or the (owned) trap. */
wk_trap_t *func_run_host(wk_func_t *func, const wk_caller_t *caller, const wk_val_t *args,
                         wk_val_t *results);

/* Value conversions for a value of type t. */
wk_val_t val_from_raw(ValType t, const WasmVal *raw);
WasmVal val_to_raw(const wk_val_t *v);

#endif
