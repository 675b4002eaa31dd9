/* wasm.h (see lib/capi.h): values and their conversion to wasmkiln's, functions (host
 * functions with and without environment, calls), traps and frames. Public wasm_* symbols are
 * defined here. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "capi.h"

/* ---- Values ------------------------------------------------------------------------------ */

void wasm_val_delete(wasm_val_t *v)
{
    if (wasm_valkind_is_ref(v->kind) && v->of.ref) capi_ref_delete(v->of.ref);
    v->of.ref = NULL;
}

void wasm_val_copy(wasm_val_t *out, const wasm_val_t *v)
{
    *out = *v;
    if (wasm_valkind_is_ref(v->kind)) out->of.ref = capi_ref_copy(v->of.ref);
}

/* The externref bits of ref: its foreign object, or a new box holding a copy of the handle. */
static bool externref_of(wasm_store_t *store, const wasm_ref_t *ref, void **out)
{
    if (!ref || ref->kind == CAPI_FOREIGN) {
        *out = ref ? ref->of.foreign : NULL;
        return true;
    }
    wasm_ref_t *copy = capi_ref_copy(ref);
    *out = copy ? capi_store_box(store, ref->kind, copy) : NULL;
    return *out != NULL;
}

bool capi_val_to_wk(wasm_store_t *store, const wasm_val_t *v, wk_valkind_t want, wk_val_t *out)
{
    out->kind = want;
    if (want == WK_FUNCREF || want == WK_EXTERNREF) {
        const wasm_ref_t *r = v->of.ref;
        if (!wasm_valkind_is_ref(v->kind)) return false;
        if (want == WK_EXTERNREF) return externref_of(store, r, &out->of.externref);
        if (r && r->kind != CAPI_FUNC) return false;
        out->of.funcref = r ? r->of.func : NULL;
        return true;
    }
    if (capi_valkind_to_wk(v->kind) != want || want == WK_V128) return false;
    switch (want) {
    case WK_I32: *out = wk_val_i32(v->of.i32); break;
    case WK_I64: *out = wk_val_i64(v->of.i64); break;
    case WK_F32: *out = wk_val_f32(v->of.f32); break;
    default: *out = wk_val_f64(v->of.f64); break;
    }
    return true;
}

/* A new handle for externref bits (a CapiBox of store, or NULL). */
static wasm_ref_t *ref_of_externref(wasm_store_t *store, void *bits)
{
    CapiBox *b = bits;
    if (!b) return NULL;
    if (b->kind == CAPI_FOREIGN) return capi_ref_new(CAPI_FOREIGN, store, b);
    return capi_ref_copy(b->ref);
}

void capi_val_from_wk(wasm_store_t *store, const wk_val_t *v, wasm_val_t *out)
{
    out->kind = capi_valkind_from_wk(v->kind);
    switch (v->kind) {
    case WK_I32: out->of.i32 = v->of.i32; break;
    case WK_I64: out->of.i64 = v->of.i64; break;
    case WK_F32: out->of.f32 = wk_val_as_f32(v); break;
    case WK_F64: out->of.f64 = wk_val_as_f64(v); break;
    case WK_FUNCREF:
        out->of.ref = v->of.funcref ? capi_ref_new(CAPI_FUNC, store, v->of.funcref) : NULL;
        break;
    case WK_EXTERNREF: out->of.ref = ref_of_externref(store, v->of.externref); break;
    default: memcpy(&out->of.i64, v->of.v128, 8); break; /* v128: the low half only */
    }
}

/* ---- Traps and frames -------------------------------------------------------------------- */

void capi_trap_unref(CapiTrap *t)
{
    if (atomic_fetch_sub(&t->refs, 1) != 1) return;
    hostinfo_release(&t->host);
    wasm_name_delete(&t->message);
    wasm_frame_vec_delete(&t->trace);
    free(t);
}

/* A new trap of store whose message is bytes[0..size) plus a NUL unless it ends in one. */
static wasm_trap_t *trap_new(wasm_store_t *store, const char *bytes, size_t size)
{
    CapiTrap *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    bool nul = size && bytes[size - 1] == '\0';
    wasm_byte_vec_new_uninitialized(&t->message, size + !nul);
    if (t->message.size) {
        memcpy(t->message.data, bytes, size);
        t->message.data[t->message.size - 1] = '\0';
    }
    atomic_init(&t->refs, 1);
    wasm_trap_t *r = (wasm_trap_t *)capi_ref_new(CAPI_TRAP, store, t);
    if (!r) capi_trap_unref(t);
    return r;
}

wasm_trap_t *wasm_trap_new(wasm_store_t *store, const wasm_message_t *message)
{
    return trap_new(store, message->data, message->size);
}

wasm_trap_t *capi_trap_new_message(wasm_store_t *store, const char *message)
{
    return trap_new(store, message, strlen(message) + 1);
}

void wasm_trap_message(const wasm_trap_t *trap, wasm_message_t *out)
{
    wasm_byte_vec_copy(out, &((const wasm_ref_t *)trap)->of.trap->message);
}

wasm_frame_t *wasm_trap_origin(const wasm_trap_t *trap)
{
    const wasm_frame_vec_t *trace = &((const wasm_ref_t *)trap)->of.trap->trace;
    return trace->size ? wasm_frame_copy(trace->data[0]) : NULL;
}

void wasm_trap_trace(const wasm_trap_t *trap, wasm_frame_vec_t *out)
{
    wasm_frame_vec_copy(out, &((const wasm_ref_t *)trap)->of.trap->trace);
}

/* What a host function's wasm.h trap travels as through the runtime: a WK_TRAP_HOST trap whose
 * payload is the wasm_trap_t (freed with it unless taken back by capi_trap_from_wk). */
static wk_trap_t *trap_to_wk(wasm_trap_t *trap)
{
    const char *message = ((wasm_ref_t *)trap)->of.trap->message.data;
    return wk_trap_new(message ? message : "", trap, (void (*)(void *))wasm_trap_delete);
}

wasm_trap_t *capi_trap_from_wk(wasm_store_t *store, wk_trap_t *trap)
{
    wasm_trap_t *t = NULL;
    if (wk_trap_kind(trap) == WK_TRAP_HOST) t = wk_trap_take_data(trap);
    if (!t) t = capi_trap_new_message(store, wk_trap_message(trap));
    wk_trap_delete(trap);
    return t;
}

void wasm_frame_delete(wasm_frame_t *frame)
{
    if (!frame) return;
    wasm_instance_delete(frame->instance);
    free(frame);
}

wasm_frame_t *wasm_frame_copy(const wasm_frame_t *frame)
{
    wasm_frame_t *f = malloc(sizeof *f);
    if (!f) return NULL;
    *f = *frame;
    f->instance = wasm_instance_copy(frame->instance);
    return f;
}

wasm_instance_t *wasm_frame_instance(const wasm_frame_t *frame)
{
    return frame->instance;
}

uint32_t wasm_frame_func_index(const wasm_frame_t *frame)
{
    return frame->func_index;
}

size_t wasm_frame_func_offset(const wasm_frame_t *frame)
{
    return frame->func_offset;
}

size_t wasm_frame_module_offset(const wasm_frame_t *frame)
{
    return frame->module_offset;
}

/* ---- Host functions ---------------------------------------------------------------------- */

/* A host function's environment as the runtime holds it (freed with the function). */
typedef struct HostFunc {
    wasm_store_t *store;
    wasm_func_callback_t callback;
    wasm_func_callback_with_env_t callback_with_env;
    void *env;
    void (*finalizer)(void *env);
    size_t nparams, nresults;
    wk_valkind_t kinds[]; /* params then results */
} HostFunc;

static void host_func_free(void *p)
{
    HostFunc *h = p;
    if (h->finalizer) h->finalizer(h->env);
    free(h);
}

/* Values on the stack up to this many, else on the heap. */
#define SMALL_VALS 16

static wasm_val_t *vals_alloc(size_t n, wasm_val_t *small)
{
    wasm_val_t *v = n <= SMALL_VALS ? small : malloc(n * sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = (wasm_val_t)WASM_INIT_VAL;
    return v;
}

static void vals_free(wasm_val_t *v, size_t n, wasm_val_t *small)
{
    for (size_t i = 0; i < n; i++) wasm_val_delete(&v[i]);
    if (v != small) free(v);
}

/* Converts a callback's results (consumed) into the runtime's; NULL or a trap. */
static wk_trap_t *host_results(HostFunc *h, wasm_val_t *res, wk_val_t *results)
{
    const wk_valkind_t *kinds = h->kinds + h->nparams;
    for (size_t i = 0; i < h->nresults; i++) {
        if (!capi_val_to_wk(h->store, &res[i], kinds[i], &results[i]))
            return wk_trap_new("host function returned a result of the wrong type", NULL, NULL);
    }
    return NULL;
}

/* The runtime callback of every wasm.h host function: converts the arguments (new handles for
 * references, deleted afterwards), calls the wasm.h callback, converts its results back. */
static wk_trap_t *host_call(void *env, const wk_caller_t *caller, const wk_val_t *args,
                            wk_val_t *results)
{
    (void)caller;
    HostFunc *h = env;
    wasm_val_t small_args[SMALL_VALS], small_res[SMALL_VALS];
    wasm_val_t *a = vals_alloc(h->nparams, small_args), *r = vals_alloc(h->nresults, small_res);
    wk_trap_t *trap = NULL;
    if (!a || !r) {
        trap = wk_trap_new("out of memory", NULL, NULL);
        goto done;
    }
    for (size_t i = 0; i < h->nparams; i++) capi_val_from_wk(h->store, &args[i], &a[i]);
    for (size_t i = 0; i < h->nresults; i++)
        r[i].kind = capi_valkind_from_wk(h->kinds[h->nparams + i]);
    wasm_val_vec_t av = {h->nparams, a}, rv = {h->nresults, r};
    wasm_trap_t *t = h->callback ? h->callback(&av, &rv) : h->callback_with_env(h->env, &av, &rv);
    trap = t ? trap_to_wk(t) : host_results(h, r, results);
done:
    if (a) vals_free(a, h->nparams, small_args);
    if (r) vals_free(r, h->nresults, small_res);
    return trap;
}

/* The wasmkiln function type of t in kinds (params then results). */
static wk_functype_t functype_to_wk(const wasm_functype_t *t, wk_valkind_t *kinds)
{
    for (size_t i = 0; i < t->params.size; i++)
        kinds[i] = capi_valkind_to_wk(t->params.data[i]->kind);
    for (size_t i = 0; i < t->results.size; i++)
        kinds[t->params.size + i] = capi_valkind_to_wk(t->results.data[i]->kind);
    return (wk_functype_t){t->params.size, kinds, t->results.size, kinds + t->params.size};
}

static wasm_func_t *func_new(wasm_store_t *store, const wasm_functype_t *type,
                             wasm_func_callback_t cb, wasm_func_callback_with_env_t cb_env,
                             void *env, void (*finalizer)(void *))
{
    size_t n = type->params.size + type->results.size;
    HostFunc *h = malloc(sizeof *h + n);
    if (!h) return NULL;
    *h = (HostFunc){store, cb, cb_env, env, finalizer, type->params.size, type->results.size};
    wk_functype_t wt = functype_to_wk(type, h->kinds);
    wk_func_t *f = wk_func_new(store->wk, &wt, host_call, h, host_func_free);
    if (!f) {
        free(h); /* the finalizer is not run: the function was never made */
        return NULL;
    }
    return (wasm_func_t *)capi_ref_new(CAPI_FUNC, store, f);
}

wasm_func_t *wasm_func_new(wasm_store_t *store, const wasm_functype_t *type,
                           wasm_func_callback_t callback)
{
    assert(store && type && callback);
    return func_new(store, type, callback, NULL, NULL, NULL);
}

/* finalizer(env) runs once, when the store is deleted. */
wasm_func_t *wasm_func_new_with_env(wasm_store_t *store, const wasm_functype_t *type,
                                    wasm_func_callback_with_env_t callback, void *env,
                                    void (*finalizer)(void *))
{
    assert(store && type && callback);
    return func_new(store, type, NULL, callback, env, finalizer);
}

static wk_func_t *func_of(const wasm_func_t *func)
{
    return ((const wasm_ref_t *)func)->of.func;
}

wasm_functype_t *wasm_func_type(const wasm_func_t *func)
{
    wk_externtype_t t = {.kind = WK_EXTERN_FUNC, .of.func = wk_func_type(func_of(func))};
    return (wasm_functype_t *)capi_externtype_from_wk(&t);
}

size_t wasm_func_param_arity(const wasm_func_t *func)
{
    return wk_func_type(func_of(func)).nparams;
}

size_t wasm_func_result_arity(const wasm_func_t *func)
{
    return wk_func_type(func_of(func)).nresults;
}

/* ---- Calls ------------------------------------------------------------------------------- */

/* args must have exactly the parameters' count and kinds; results receive owned values and
 * need a slot per result unless the call traps (the upstream examples call functions that
 * trap with an empty results vector). A trap is returned, never raised. */
wasm_trap_t *wasm_func_call(const wasm_func_t *func, const wasm_val_vec_t *args,
                            wasm_val_vec_t *results)
{
    wasm_store_t *store = ((const wasm_ref_t *)func)->store;
    wk_functype_t t = wk_func_type(func_of(func));
    if (args->size != t.nparams)
        return capi_trap_new_message(store, "wrong number of arguments");
    wk_val_t small[2 * SMALL_VALS];
    size_t n = t.nparams + t.nresults;
    wk_val_t *a = n <= 2 * SMALL_VALS ? small : malloc(n * sizeof *a);
    if (!a) return capi_trap_new_message(store, "out of memory");
    wk_val_t *r = a + t.nparams;
    wasm_trap_t *trap = NULL;
    for (size_t i = 0; i < t.nparams && !trap; i++) {
        if (!capi_val_to_wk(store, &args->data[i], t.params[i], &a[i]))
            trap = capi_trap_new_message(store, "argument of the wrong type");
    }
    wk_trap_t *wt = trap ? NULL : wk_func_call(func_of(func), a, t.nparams, r, t.nresults);
    if (wt) trap = capi_trap_from_wk(store, wt);
    if (!trap && results->size < t.nresults)
        trap = capi_trap_new_message(store, "results vector too short");
    for (size_t i = 0; i < t.nresults && !trap; i++)
        capi_val_from_wk(store, &r[i], &results->data[i]);
    if (a != small) free(a);
    return trap;
}
