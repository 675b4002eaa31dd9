/* wasm.h (see lib/capi.h): configs, engines, stores and the boxes they own, the reference
 * handles shared by every reference type (copy, same, host info, casts), foreign objects and
 * externs. Public wasm_* symbols are defined here. */
#include <assert.h>
#include <stdlib.h>

#include "capi.h"

/* ---- Configs, engines, stores ------------------------------------------------------------ */

wasm_config_t *wasm_config_new(void)
{
    wasm_config_t *c = malloc(sizeof *c);
    if (c) wk_engine_options_default(&c->opts);
    return c;
}

void wasm_config_delete(wasm_config_t *config)
{
    free(config);
}

wasm_engine_t *wasm_engine_new(void)
{
    wasm_config_t *config = wasm_config_new();
    return config ? wasm_engine_new_with_config(config) : NULL;
}

/* The options are wasmkiln's defaults (from the environment: WK_JIT_OPT, WK_CACHE_DIR, ...);
 * wasm.h defines no setter, and wasmkiln.h's wk_engine_new_with takes explicit ones. */
wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *config)
{
    wasm_engine_t *e = malloc(sizeof *e);
    wk_error_t *err = e ? wk_engine_new_with(&config->opts, &e->wk) : NULL;
    wasm_config_delete(config);
    if (err || !e) {
        wk_error_delete(err);
        free(e);
        return NULL;
    }
    return e;
}

/* Stores and modules keep the runtime engine alive, so this may come before their deletion. */
void wasm_engine_delete(wasm_engine_t *engine)
{
    if (!engine) return;
    wk_engine_delete(engine->wk);
    free(engine);
}

wasm_store_t *wasm_store_new(wasm_engine_t *engine)
{
    wasm_store_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->wk = wk_store_new(engine->wk);
    if (!s->wk) {
        free(s);
        return NULL;
    }
    s->engine = engine->wk;
    return s;
}

/* Frees every runtime object of the store (running the finalizers of host functions and of
 * their host info), then the boxes (running the foreign objects' finalizers). */
void wasm_store_delete(wasm_store_t *store)
{
    if (!store) return;
    wk_store_delete(store->wk);
    for (size_t i = 0; i < store->nboxes; i++) {
        CapiBox *b = store->boxes[i];
        hostinfo_release(&b->host);
        capi_ref_delete(b->ref);
        free(b);
    }
    free(store->boxes);
    free(store);
}

CapiBox *capi_store_box(wasm_store_t *store, uint8_t kind, wasm_ref_t *ref)
{
    if (store->nboxes == store->cap) {
        size_t cap = store->cap ? 2 * store->cap : 16;
        CapiBox **boxes = realloc(store->boxes, cap * sizeof *boxes);
        if (!boxes) goto fail;
        store->boxes = boxes;
        store->cap = cap;
    }
    CapiBox *b = calloc(1, sizeof *b);
    if (!b) goto fail;
    b->kind = kind;
    b->ref = ref;
    store->boxes[store->nboxes++] = b;
    return b;
fail:
    capi_ref_delete(ref);
    return NULL;
}

/* ---- Reference handles ------------------------------------------------------------------- */

wasm_ref_t *capi_ref_new(uint8_t kind, wasm_store_t *store, void *obj)
{
    wasm_ref_t *r = malloc(sizeof *r);
    if (!r) return NULL;
    r->kind = kind;
    r->store = store;
    r->of.any = obj;
    return r;
}

wasm_ref_t *capi_ref_copy(const wasm_ref_t *ref)
{
    if (!ref) return NULL;
    if (ref->kind == CAPI_MODULE) atomic_fetch_add(&ref->of.module->refs, 1);
    if (ref->kind == CAPI_TRAP) atomic_fetch_add(&ref->of.trap->refs, 1);
    wasm_ref_t *r = capi_ref_new(ref->kind, ref->store, ref->of.any);
    if (!r && ref->kind == CAPI_MODULE) capi_module_unref(ref->of.module);
    if (!r && ref->kind == CAPI_TRAP) capi_trap_unref(ref->of.trap);
    return r;
}

void capi_ref_delete(wasm_ref_t *ref)
{
    if (!ref) return;
    if (ref->kind == CAPI_MODULE) capi_module_unref(ref->of.module);
    if (ref->kind == CAPI_TRAP) capi_trap_unref(ref->of.trap);
    free(ref);
}

static bool ref_same(const wasm_ref_t *a, const wasm_ref_t *b)
{
    return a->kind == b->kind && a->of.any == b->of.any;
}

wk_extern_t capi_ref_extern(const wasm_ref_t *ref)
{
    wk_extern_t e;
    switch (ref->kind) {
    case CAPI_FUNC: e.kind = WK_EXTERN_FUNC; e.of.func = ref->of.func; break;
    case CAPI_GLOBAL: e.kind = WK_EXTERN_GLOBAL; e.of.global = ref->of.global; break;
    case CAPI_TABLE: e.kind = WK_EXTERN_TABLE; e.of.table = ref->of.table; break;
    default: e.kind = WK_EXTERN_MEMORY; e.of.memory = ref->of.memory; break;
    }
    return e;
}

wasm_extern_t *capi_extern_from_wk(wasm_store_t *store, wk_extern_t ext)
{
    switch (ext.kind) {
    case WK_EXTERN_FUNC: return (wasm_extern_t *)capi_ref_new(CAPI_FUNC, store, ext.of.func);
    case WK_EXTERN_GLOBAL:
        return (wasm_extern_t *)capi_ref_new(CAPI_GLOBAL, store, ext.of.global);
    case WK_EXTERN_TABLE: return (wasm_extern_t *)capi_ref_new(CAPI_TABLE, store, ext.of.table);
    default: return (wasm_extern_t *)capi_ref_new(CAPI_MEMORY, store, ext.of.memory);
    }
}

/* The layer's own host info of a module, trap or foreign object; NULL for runtime objects. */
static HostInfo *own_host_info(const wasm_ref_t *ref)
{
    switch (ref->kind) {
    case CAPI_MODULE: return &ref->of.module->host;
    case CAPI_TRAP: return &ref->of.trap->host;
    case CAPI_FOREIGN: return &ref->of.foreign->host;
    default: return NULL;
    }
}

static void *ref_host_info(const wasm_ref_t *ref)
{
    HostInfo *h = own_host_info(ref);
    if (h) return h->data;
    if (ref->kind == CAPI_INSTANCE) return wk_instance_host_info(ref->of.instance);
    wk_extern_t e = capi_ref_extern(ref);
    return wk_extern_host_info(&e);
}

/* Host info belongs to the object, not the handle: every copy sees it. The finalizer runs once,
 * when the info is replaced or the object dies (runtime objects and foreign objects with their
 * store, modules and traps with their last handle). */
static void ref_set_host_info(wasm_ref_t *ref, void *info, void (*finalizer)(void *))
{
    HostInfo *h = own_host_info(ref);
    if (h) {
        hostinfo_set(h, info, finalizer);
    } else if (ref->kind == CAPI_INSTANCE) {
        wk_instance_set_host_info(ref->of.instance, info, finalizer);
    } else {
        wk_extern_t e = capi_ref_extern(ref);
        wk_extern_set_host_info(&e, info, finalizer);
    }
}

/* The functions every reference type has (WASM_DECLARE_REF_BASE). */
#define CAPI_REF_BASE(name)                                                                    \
    void wasm_##name##_delete(wasm_##name##_t *x)                                              \
    {                                                                                          \
        capi_ref_delete((wasm_ref_t *)x);                                                      \
    }                                                                                          \
    wasm_##name##_t *wasm_##name##_copy(const wasm_##name##_t *x)                              \
    {                                                                                          \
        return (wasm_##name##_t *)capi_ref_copy((const wasm_ref_t *)x);                        \
    }                                                                                          \
    bool wasm_##name##_same(const wasm_##name##_t *a, const wasm_##name##_t *b)                \
    {                                                                                          \
        return ref_same((const wasm_ref_t *)a, (const wasm_ref_t *)b);                         \
    }                                                                                          \
    void *wasm_##name##_get_host_info(const wasm_##name##_t *x)                                \
    {                                                                                          \
        return ref_host_info((const wasm_ref_t *)x);                                           \
    }                                                                                          \
    void wasm_##name##_set_host_info(wasm_##name##_t *x, void *info)                           \
    {                                                                                          \
        ref_set_host_info((wasm_ref_t *)x, info, NULL);                                        \
    }                                                                                          \
    void wasm_##name##_set_host_info_with_finalizer(wasm_##name##_t *x, void *info,            \
                                                    void (*finalizer)(void *))                 \
    {                                                                                          \
        ref_set_host_info((wasm_ref_t *)x, info, finalizer);                                   \
    }

/* The casts to and from wasm_ref_t (WASM_DECLARE_REF); IS(r) tells a handle of this type. */
#define CAPI_REF(name, IS)                                                                     \
    CAPI_REF_BASE(name)                                                                        \
    wasm_ref_t *wasm_##name##_as_ref(wasm_##name##_t *x)                                       \
    {                                                                                          \
        return (wasm_ref_t *)x;                                                                \
    }                                                                                          \
    const wasm_ref_t *wasm_##name##_as_ref_const(const wasm_##name##_t *x)                     \
    {                                                                                          \
        return (const wasm_ref_t *)x;                                                          \
    }                                                                                          \
    wasm_##name##_t *wasm_ref_as_##name(wasm_ref_t *r)                                         \
    {                                                                                          \
        return r && (IS) ? (wasm_##name##_t *)r : NULL;                                        \
    }                                                                                          \
    const wasm_##name##_t *wasm_ref_as_##name##_const(const wasm_ref_t *r)                     \
    {                                                                                          \
        return r && (IS) ? (const wasm_##name##_t *)r : NULL;                                  \
    }

CAPI_REF_BASE(ref)
CAPI_REF(trap, r->kind == CAPI_TRAP)
CAPI_REF(foreign, r->kind == CAPI_FOREIGN)
CAPI_REF(module, r->kind == CAPI_MODULE)
CAPI_REF(func, r->kind == CAPI_FUNC)
CAPI_REF(global, r->kind == CAPI_GLOBAL)
CAPI_REF(table, r->kind == CAPI_TABLE)
CAPI_REF(memory, r->kind == CAPI_MEMORY)
CAPI_REF(extern, r->kind <= CAPI_MEMORY)
CAPI_REF(instance, r->kind == CAPI_INSTANCE)

/* ---- Foreign objects --------------------------------------------------------------------- */

/* A foreign object lives as long as its store: Wasm may hold it as an externref anywhere. */
wasm_foreign_t *wasm_foreign_new(wasm_store_t *store)
{
    CapiBox *b = capi_store_box(store, CAPI_FOREIGN, NULL);
    return b ? (wasm_foreign_t *)capi_ref_new(CAPI_FOREIGN, store, b) : NULL;
}

/* ---- Externs ----------------------------------------------------------------------------- */

wasm_externkind_t wasm_extern_kind(const wasm_extern_t *ext)
{
    return ((const wasm_ref_t *)ext)->kind;
}

/* The casts between externs and their four kinds (a NULL input gives NULL). */
#define CAPI_EXTERN_CASTS(name, KIND)                                                          \
    wasm_extern_t *wasm_##name##_as_extern(wasm_##name##_t *x)                                 \
    {                                                                                          \
        return (wasm_extern_t *)x;                                                             \
    }                                                                                          \
    const wasm_extern_t *wasm_##name##_as_extern_const(const wasm_##name##_t *x)               \
    {                                                                                          \
        return (const wasm_extern_t *)x;                                                       \
    }                                                                                          \
    wasm_##name##_t *wasm_extern_as_##name(wasm_extern_t *e)                                   \
    {                                                                                          \
        return e && ((wasm_ref_t *)e)->kind == KIND ? (wasm_##name##_t *)e : NULL;             \
    }                                                                                          \
    const wasm_##name##_t *wasm_extern_as_##name##_const(const wasm_extern_t *e)               \
    {                                                                                          \
        return e && ((const wasm_ref_t *)e)->kind == KIND ? (const wasm_##name##_t *)e : NULL; \
    }

CAPI_EXTERN_CASTS(func, CAPI_FUNC)
CAPI_EXTERN_CASTS(global, CAPI_GLOBAL)
CAPI_EXTERN_CASTS(table, CAPI_TABLE)
CAPI_EXTERN_CASTS(memory, CAPI_MEMORY)

wasm_externtype_t *wasm_extern_type(const wasm_extern_t *ext)
{
    const wasm_ref_t *r = (const wasm_ref_t *)ext;
    switch (r->kind) {
    case CAPI_FUNC: return (wasm_externtype_t *)wasm_func_type((const wasm_func_t *)ext);
    case CAPI_GLOBAL: return (wasm_externtype_t *)wasm_global_type((const wasm_global_t *)ext);
    case CAPI_TABLE: return (wasm_externtype_t *)wasm_table_type((const wasm_table_t *)ext);
    default: return (wasm_externtype_t *)wasm_memory_type((const wasm_memory_t *)ext);
    }
}
