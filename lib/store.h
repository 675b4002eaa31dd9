/* Stores: own every runtime object created in them (instances, functions, memories, tables,
 * globals) and the per-store VMStore that compiled code sees. */
#ifndef WK_STORE_H
#define WK_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "vmctx.h"
#include "wasmkiln.h"

typedef struct StoreObj {
    void *obj;
    void (*free_fn)(void *obj);
} StoreObj;

struct wk_store {
    wk_engine_t *engine;
    VMStore vm;
    wk_store_limits_t limits; /* as set by wk_store_set_limits (zeros: none) */
    StoreObj *objs; /* freed in reverse order of creation */
    size_t nobjs, cap;
};

/* A new empty store of engine (NULL when out of memory). Installs the fault handler. */
wk_store_t *store_new(wk_engine_t *engine);
/* Frees the store and everything it owns. Accepts NULL. */
void store_delete(wk_store_t *store);
/* The largest size in pages / elements the store lets a memory / table have. */
uint32_t store_memory_cap(const wk_store_t *store);
uint32_t store_table_cap(const wk_store_t *store);

/* Hands obj to the store, which calls free_fn(obj) when it dies. On failure (out of memory)
 * frees obj at once and returns false. */
bool store_own(wk_store_t *store, void *obj, void (*free_fn)(void *obj));

#endif
