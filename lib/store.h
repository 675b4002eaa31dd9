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
    void (*rebind)(void *obj, wk_store_t *to); /* re-homes obj when its store is merged */
    uint8_t kind; /* STORE_TABLE, STORE_GLOBAL, STORE_MEMORY or STORE_OTHER: what
                   * store_visit_externrefs reads and store_merge re-homes */
} StoreObj;

enum { STORE_OTHER, STORE_TABLE, STORE_GLOBAL, STORE_MEMORY };

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
/* store_own for an object that points back at its store: rebind(obj, to) re-points it when
 * its store is merged into another (store_merge). */
bool store_own_rebind(wk_store_t *store, void *obj, void (*free_fn)(void *obj),
                      void (*rebind)(void *obj, wk_store_t *to));
/* Moves every object of `from` into `into` (same engine; `from` not running Wasm), leaving
 * `from` empty and usable. Errors: WK_ERROR_USAGE (different engines, a running store),
 * WK_ERROR_RESOURCE. */
wk_error_t *store_merge(wk_store_t *into, wk_store_t *from);
/* store_own for a table, global or memory (kind STORE_TABLE / STORE_GLOBAL / STORE_MEMORY), whose
 * externrefs store_visit_externrefs reports and whose owner field store_merge re-homes. */
bool store_own_kind(wk_store_t *store, void *obj, void (*free_fn)(void *obj), uint8_t kind);
/* Calls visit(ref, env) for every non-null externref held by the store's tables and globals. */
void store_visit_externrefs(const wk_store_t *store, void (*visit)(void *ref, void *env),
                            void *env);

#endif
