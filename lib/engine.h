/* Engines and compiled modules: the compiler, the bounds-check mode and the engine-wide table
 * of canonical function types (type ids) that makes call_indirect work across modules. */
#ifndef WK_ENGINE_H
#define WK_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "jit.h"
#include "wasmkiln.h"
#include "module.h"

struct wk_engine {
    atomic_uint refs; /* the embedder's, plus one per store and module */
    Jit *jit;
    BoundsMode mode;
    wk_strategy_t strategy;
    char *cache_dir;      /* or NULL */
    pthread_mutex_t lock; /* guards the type table */
    uint32_t ntypes, cap;
    FuncType *types;      /* canonical copies; types[i].types never moves */
    uint64_t *hashes;
};

/* A compiled module; refcounted so that instances keep it alive after wk_module_delete. */
struct wk_module {
    atomic_uint refs;
    wk_engine_t *engine;
    Module *m;
    CompiledCode *code;
    uint32_t *type_ids; /* module type index -> engine type id */
    atomic_uchar *bounded; /* per defined function: 0 unknown, 1 bounded, 2 not */
};

/* Probes whether guard-page memories are possible (an 8 GiB PROT_NONE reservation works);
 * the environment variable WK_BOUNDS=software forces software checks. */
BoundsMode engine_probe_bounds(void);
/* BOUNDS_SOFTWARE when forced, else whether guard pages are possible (ignores WK_BOUNDS). */
BoundsMode engine_bounds_for(bool force_software);

/* A new engine with the given bounds mode and its compiler, configured from the environment
 * (wk_engine_options_default). Returns NULL or an owned error. */
wk_error_t *engine_new(BoundsMode mode, wk_engine_t **out);
/* The same with explicit options (opts->software_bounds is ignored: `mode` decides). */
wk_error_t *engine_new_with(BoundsMode mode, const wk_engine_options_t *opts,
                            wk_engine_t **out);
/* Takes / drops a reference; the last one frees the engine. engine_unref accepts NULL. */
void engine_ref(wk_engine_t *engine);
void engine_unref(wk_engine_t *engine);

/* The engine-wide id of a function type (interned on first sight). Thread-safe. Returns
 * UINT32_MAX only when out of memory. */
uint32_t engine_intern_type(wk_engine_t *engine, const FuncType *type);
/* The canonical type of an id; its `types` array lives as long as the engine. */
FuncType engine_type(wk_engine_t *engine, uint32_t id);

/* Decodes, validates and compiles; *out gets a module with one reference. */
wk_error_t *engine_module_new(wk_engine_t *engine, const uint8_t *bytes, size_t size,
                              wk_module_t **out);
/* True when defined function `index` (imports excluded) has no loop, call, call_indirect and
 * no memory/table instruction that may take long (grow, fill, copy, init): every call of it
 * returns in a time bounded by its size. Computed on first use; thread-safe. */
bool module_func_bounded(wk_module_t *mod, uint32_t index);

void module_ref(wk_module_t *mod);
/* Drops a reference; the last one frees the module and its code. Accepts NULL. */
void module_unref(wk_module_t *mod);

#endif
