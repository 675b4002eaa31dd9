/* Stores: the list of owned runtime objects and the VMStore. */
#include <stdlib.h>

#include "engine.h"
#include "interrupt.h"
#include "store.h"
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
