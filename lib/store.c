/* Stores: the list of owned runtime objects and the VMStore. */
#include <stdlib.h>

#include "engine.h"
#include "store.h"
#include "trap.h"

wk_store_t *store_new(wk_engine_t *engine)
{
    wk_store_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    engine_ref(engine);
    s->engine = engine;
    trap_ensure_handler();
    return s;
}

void store_delete(wk_store_t *store)
{
    if (!store) return;
    for (size_t i = store->nobjs; i-- > 0;) store->objs[i].free_fn(store->objs[i].obj);
    free(store->objs);
    engine_unref(store->engine);
    free(store);
}

bool store_own(wk_store_t *store, void *obj, void (*free_fn)(void *obj))
{
    if (store->nobjs == store->cap) {
        size_t cap = store->cap ? store->cap * 2 : 16;
        StoreObj *objs = realloc(store->objs, cap * sizeof *objs);
        if (!objs) {
            free_fn(obj);
            return false;
        }
        store->objs = objs;
        store->cap = cap;
    }
    store->objs[store->nobjs++] = (StoreObj){obj, free_fn};
    return true;
}
