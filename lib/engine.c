/* Engines: the bounds mode probe, options, the compiler session and thunks, type interning. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "engine.h"
#include "jit.h"
#include "hotqueue.h"
#include "thunk.h"

BoundsMode engine_bounds_for(bool force_software)
{
    if (force_software) return BOUNDS_SOFTWARE;
    size_t size = (size_t)(WK_MEMORY_RESERVATION + WK_MEMORY_GUARD);
    void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return BOUNDS_SOFTWARE;
    munmap(p, size);
    return BOUNDS_GUARD;
}

BoundsMode engine_probe_bounds(void)
{
    const char *env = getenv("WK_BOUNDS");
    return engine_bounds_for(env && strcmp(env, "software") == 0);
}

void wk_engine_options_default(wk_engine_options_t *opts)
{
    const char *opt = getenv("WK_JIT_OPT"), *cache = getenv("WK_CACHE_DIR");
    const char *bounds = getenv("WK_BOUNDS");
    opts->strategy = WK_STRATEGY_LAZY;
    opts->cache_max_bytes = 0;
    if (opt && (strcmp(opt, "2") == 0 || strcmp(opt, "o2") == 0))
        opts->strategy = WK_STRATEGY_O2;
    else if (opt && (strcmp(opt, "0") == 0 || strcmp(opt, "fast") == 0))
        opts->strategy = WK_STRATEGY_FAST;
    else if (opt && strcmp(opt, "tiered") == 0)
        opts->strategy = WK_STRATEGY_TIERED;
    else if (opt && strcmp(opt, "lazy") == 0)
        opts->strategy = WK_STRATEGY_LAZY;
    opts->cache_dir = cache && cache[0] ? cache : NULL;
    opts->software_bounds = bounds && strcmp(bounds, "software") == 0;
    const char *min = getenv("WK_TIER_MIN_BYTES");
    opts->tiered_min_bytes = min && min[0] ? (uint32_t)strtoul(min, NULL, 10) : 0;
    const char *fuel = getenv("WK_FUEL");
    opts->fuel = fuel && strcmp(fuel, "1") == 0;
}

wk_error_t *engine_new(BoundsMode mode, wk_engine_t **out)
{
    wk_engine_options_t opts;
    wk_engine_options_default(&opts);
    return engine_new_with(mode, &opts, out);
}

wk_error_t *engine_new_with(BoundsMode mode, const wk_engine_options_t *opts,
                            wk_engine_t **out)
{
    wk_engine_t *e = calloc(1, sizeof *e);
    if (!e) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    e->mode = mode;
    e->strategy = opts->strategy;
    e->fuel = opts->fuel;
    e->tiered_min_bytes = opts->tiered_min_bytes ? opts->tiered_min_bytes : 64 * 1024;
    atomic_init(&e->refs, 1);
    JitOptions jo = {.tier = opts->strategy == WK_STRATEGY_FAST ? JIT_TIER_FAST : JIT_TIER_O2,
                     .cache_dir = opts->cache_dir, .fuel = opts->fuel,
                     .cache_max_bytes = opts->cache_max_bytes ? opts->cache_max_bytes
                                                              : (uint64_t)512 << 20};
    wk_error_t *err = jit_new_with(mode, &jo, &e->jit);
    if (!err) err = thunk_cache_new(e->jit, &e->thunks);
    if (!err && !(e->hotq = hotqueue_new(e)))
        err = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    bool has_cache = opts->cache_dir && opts->cache_dir[0];
    if (!err && has_cache && !(e->cache_dir = strdup(opts->cache_dir)))
        err = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    if (err) {
        hotqueue_delete(e->hotq);
        thunk_cache_delete(e->thunks);
        jit_delete(e->jit);
        free(e);
        return err;
    }
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->jobs_lock, NULL);
    *out = e;
    return NULL;
}

void engine_ref(wk_engine_t *engine)
{
    atomic_fetch_add(&engine->refs, 1);
}

void engine_unref(wk_engine_t *engine)
{
    if (!engine || atomic_fetch_sub(&engine->refs, 1) != 1) return;
    hotqueue_delete(engine->hotq);
    thunk_cache_delete(engine->thunks);
    jit_delete(engine->jit);
    for (uint32_t i = 0; i < engine->ntypes; i++) free(engine->types[i].types);
    free(engine->types);
    free(engine->hashes);
    free(engine->cache_dir);
    pthread_mutex_destroy(&engine->lock);
    pthread_mutex_destroy(&engine->jobs_lock);
    free(engine);
}

static uint64_t type_hash(const FuncType *t)
{
    uint64_t h = 1469598103934665603ull ^ t->nparams;
    uint32_t n = t->nparams + t->nresults;
    for (uint32_t i = 0; i < n; i++) h = (h ^ t->types[i]) * 1099511628211ull;
    return h;
}

static bool type_equal(const FuncType *a, const FuncType *b)
{
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           memcmp(a->types, b->types, a->nparams + a->nresults) == 0;
}

/* Appends a copy of t; the lock is held. */
static uint32_t type_add(wk_engine_t *e, const FuncType *t, uint64_t h)
{
    if (e->ntypes == e->cap) {
        uint32_t cap = e->cap ? e->cap * 2 : 64;
        FuncType *types = realloc(e->types, cap * sizeof *types);
        if (!types) return UINT32_MAX;
        e->types = types;
        uint64_t *hashes = realloc(e->hashes, cap * sizeof *hashes);
        if (!hashes) return UINT32_MAX;
        e->hashes = hashes;
        e->cap = cap;
    }
    size_t n = t->nparams + t->nresults;
    ValType *copy = malloc(n ? n : 1);
    if (!copy) return UINT32_MAX;
    memcpy(copy, t->types, n);
    e->types[e->ntypes] = (FuncType){t->nparams, t->nresults, copy};
    e->hashes[e->ntypes] = h;
    return e->ntypes++;
}

uint32_t engine_intern_type(wk_engine_t *engine, const FuncType *type)
{
    uint64_t h = type_hash(type);
    pthread_mutex_lock(&engine->lock);
    uint32_t id = UINT32_MAX;
    for (uint32_t i = 0; i < engine->ntypes && id == UINT32_MAX; i++) {
        if (engine->hashes[i] == h && type_equal(&engine->types[i], type)) id = i;
    }
    if (id == UINT32_MAX) id = type_add(engine, type, h);
    pthread_mutex_unlock(&engine->lock);
    return id;
}

FuncType engine_type(wk_engine_t *engine, uint32_t id)
{
    pthread_mutex_lock(&engine->lock);
    FuncType t = engine->types[id];
    pthread_mutex_unlock(&engine->lock);
    return t;
}
