/* Stores: the list of owned runtime objects and the VMStore. */
#include <stdlib.h>

#include "engine.h"
#include "error.h"
#include "interrupt.h"
#include "global.h"
#include "memory.h"
#include "store.h"
#include "table.h"
#include "trap.h"

wk_store_t *store_new(wk_engine_t *engine)
{
    wk_store_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    engine_ref(engine);
    s->engine = engine;
    s->vm.stack_budget = WK_MAX_WASM_STACK;
    trap_ensure_handler();
    return s;
}

void store_delete(wk_store_t *store)
{
    if (!store) return;
    interrupt_forget(&store->vm);
    for (size_t i = store->nobjs; i-- > 0;) store->objs[i].free_fn(store->objs[i].obj);
    free(store->objs);
    engine_unref(store->engine);
    free(store);
}

uint32_t store_memory_cap(const wk_store_t *store)
{
    uint64_t bytes = store->limits.memory_bytes;
    return bytes == 0 || bytes / WK_PAGE_SIZE >= WK_MAX_PAGES ? WK_MAX_PAGES
                                                               : (uint32_t)(bytes / WK_PAGE_SIZE);
}

uint32_t store_table_cap(const wk_store_t *store)
{
    return store->limits.table_elements ? store->limits.table_elements : UINT32_MAX;
}

bool store_own(wk_store_t *store, void *obj, void (*free_fn)(void *obj))
{
    return store_own_rebind(store, obj, free_fn, NULL);
}

bool store_own_kind(wk_store_t *store, void *obj, void (*free_fn)(void *obj), uint8_t kind)
{
    if (!store_own_rebind(store, obj, free_fn, NULL)) return false;
    store->objs[store->nobjs - 1].kind = kind;
    return true;
}

void store_visit_externrefs(const wk_store_t *store, void (*visit)(void *ref, void *env),
                            void *env)
{
    for (size_t i = 0; i < store->nobjs; i++) {
        const StoreObj *o = &store->objs[i];
        if (o->kind == STORE_TABLE) {
            const wk_table_t *t = o->obj;
            if (t->vm.elem_type != WK_EXTERNREF) continue;
            for (uint32_t j = 0; j < t->vm.size; j++)
                if (t->vm.elems[j]) visit(t->vm.elems[j], env);
        } else if (o->kind == STORE_GLOBAL) {
            const wk_global_t *g = o->obj;
            if (g->type.type == WK_EXTERNREF && g->vm.value.ref) visit(g->vm.value.ref, env);
        }
    }
}

/* Room for n more objects; false when out of memory. */
static bool store_reserve(wk_store_t *store, size_t n)
{
    if (store->nobjs + n <= store->cap) return true;
    size_t cap = store->cap ? store->cap : 16;
    while (cap < store->nobjs + n) cap *= 2;
    StoreObj *objs = realloc(store->objs, cap * sizeof *objs);
    if (!objs) return false;
    store->objs = objs;
    store->cap = cap;
    return true;
}

/* Points the owner field of a table, global or memory at its new store (API checks read it). */
static void rehome(StoreObj *o, wk_store_t *to)
{
    switch (o->kind) {
    case STORE_TABLE: ((wk_table_t *)o->obj)->store = to; break;
    case STORE_GLOBAL: ((wk_global_t *)o->obj)->store = to; break;
    case STORE_MEMORY: ((wk_memory_t *)o->obj)->store = to; break;
    default: break;
    }
}

wk_error_t *store_merge(wk_store_t *into, wk_store_t *from)
{
    if (into == from) return NULL;
    if (into->engine != from->engine)
        return error_new(WK_ERROR_USAGE, WK_NO_OFFSET,
                         "objects of different engines cannot be linked together");
    if (from->vm.running)
        return error_new(WK_ERROR_USAGE, WK_NO_OFFSET,
                         "cannot merge a store whose Wasm code is running");
    if (!store_reserve(into, from->nobjs))
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    for (size_t i = 0; i < from->nobjs; i++) {
        StoreObj *o = &from->objs[i];
        if (o->rebind) o->rebind(o->obj, into);
        rehome(o, into);
        into->objs[into->nobjs++] = *o;
    }
    from->nobjs = 0;
    return NULL;
}

bool store_own_rebind(wk_store_t *store, void *obj, void (*free_fn)(void *obj),
                      void (*rebind)(void *obj, wk_store_t *to))
{
    if (!store_reserve(store, 1)) {
        free_fn(obj);
        return false;
    }
    store->objs[store->nobjs++] = (StoreObj){obj, free_fn, rebind, STORE_OTHER};
    return true;
}
