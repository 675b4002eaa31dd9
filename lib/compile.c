/* The compile driver: a module's code is shared from a loaded identical module, loaded from
 * the code cache, or compiled: the defined functions split into partitions of similar size,
 * each lowered and compiled by a worker thread (one LLVMContext and TargetMachine per worker)
 * to an object, then loaded by the session (jit.c) and stored in the cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/Analysis.h>
#include <pthread.h>

#include "compile.h"
#include "jit_llvm.h"
#include "lower.h"

static const char *pipeline(JitTier tier)
{
    if (tier == JIT_TIER_FAST)
        return "function(sroa,early-cse,instcombine<no-verify-fixpoint>,simplifycfg)";
    return "default<O2>";
}

/* ---- parallel compilation of a module ---- */

typedef struct Part {
    uint32_t lo, hi; /* defined-function indices */
    LLVMMemoryBufferRef obj;
    wk_error_t *err;
} Part;

typedef struct Work {
    const Jit *jit;
    JitTier tier;
    const atomic_bool *cancel; /* or NULL */
    const Module *m;
    uint64_t module_id;
    Part *parts;
    uint32_t nparts;
    atomic_uint next;
} Work;

static void compile_part(Work *w, Part *p, LLVMTargetMachineRef tm)
{
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMContextSetDiscardValueNames(ctx, 1);
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("wasm", ctx);
    jit_prepare_module(w->jit, mod, tm);
    p->err = lower_functions(w->m, jit_mode(w->jit), w->module_id, ctx, mod, p->lo, p->hi);
    /* Every function gets the short IR pass list; the tier sets code generation only. That is
     * what always ran: the body scan meant to pick default<O2> for functions nesting at most
     * 256 deep wrapped its depth counter at the body's final `end`, so it never did. Picking
     * it from Func.max_depth measured slower (bench/run full size, engines alternated: lcs
     * 3.9x native instead of 1.1x, geomean 1.36-1.45x instead of 1.28-1.32x), so it stays. */
    if (!p->err) p->err = jit_emit_object(pipeline(JIT_TIER_FAST), mod, tm, &p->obj);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
}

static void *worker(void *arg)
{
    Work *w = arg;
    LLVMTargetMachineRef tm = jit_target_machine(w->jit, w->tier);
    for (;;) {
        uint32_t k = atomic_fetch_add(&w->next, 1);
        if (k >= w->nparts || (w->cancel && atomic_load(w->cancel))) break;
        compile_part(w, &w->parts[k], tm);
    }
    LLVMDisposeTargetMachine(tm);
    return NULL;
}

/* Splits the defined functions into contiguous parts of similar body size. */
static uint32_t partition(const Module *m, uint32_t want, Part *parts)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) total += m->funcs[i].body_size + 16;
    uint32_t n = 0, lo = 0;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        acc += m->funcs[i].body_size + 16;
        if (acc * want >= total * (n + 1) || i + 1 == m->nfuncs) {
            parts[n++] = (Part){.lo = lo, .hi = i + 1};
            lo = i + 1;
        }
    }
    return n;
}

static uint32_t parts_wanted(const Module *m, uint32_t ncpu)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) total += m->funcs[i].body_size;
    if (ncpu <= 1 || total < 16 * 1024 || m->nfuncs < 8) return 1;
    uint32_t want = 2 * ncpu;
    return want < m->nfuncs ? want : m->nfuncs;
}

static void run_workers(Work *w, uint32_t nthreads)
{
    if (nthreads <= 1) {
        worker(w);
        return;
    }
    pthread_t tids[nthreads];
    uint32_t started = 0;
    for (uint32_t i = 0; i < nthreads; i++)
        if (pthread_create(&tids[started], NULL, worker, w) == 0) started++;
    if (started == 0) worker(w);
    for (uint32_t i = 0; i < started; i++) pthread_join(tids[i], NULL);
}

static uint32_t cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (uint32_t)n;
}

static wk_error_t *compile_parts(Jit *jit, const Module *m, JitTier tier,
                                 const atomic_bool *cancel, uint64_t id, Part *parts,
                                 uint32_t nparts)
{
    Work w = {.jit = jit, .tier = tier, .cancel = cancel, .m = m, .module_id = id,
              .parts = parts, .nparts = nparts};
    uint32_t ncpu = cpu_count();
    run_workers(&w, nparts < ncpu ? nparts : ncpu);
    wk_error_t *e = NULL;
    if (cancel && atomic_load(cancel))
        e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "compilation cancelled");
    for (uint32_t i = 0; i < nparts; i++) {
        if (parts[i].err && !e) e = parts[i].err;
        else if (parts[i].err) wk_error_delete(parts[i].err);
    }
    return e;
}

/* ---- the code cache ---- */

static void module_key(const Jit *jit, const Module *m, JitTier tier,
                       uint8_t key[CODECACHE_KEY_SIZE])
{
    char target[1024];
    jit_describe_target(jit, target, sizeof target);
    codecache_key(m->bytes, m->size, target, (int)tier, (int)jit_mode(jit), key);
}

/* Parts from the cache entry of key, when there is one whose nonce is free in this Jit. */
static bool load_cached(Jit *jit, const uint8_t *key, Part **parts, uint32_t *nparts,
                        uint64_t *nonce)
{
    CacheEntry ce;
    if (!codecache_load(jit_cache_dir(jit), key, &ce)) return false;
    bool ok = jit_claim_nonce(jit, ce.nonce);
    if (ok) {
        *parts = calloc(ce.nobjs ? ce.nobjs : 1, sizeof **parts);
        if (!*parts) abort();
        for (uint32_t i = 0; i < ce.nobjs; i++)
            (*parts)[i].obj = LLVMCreateMemoryBufferWithMemoryRangeCopy(
                (const char *)ce.objs[i], ce.sizes[i], "wasm");
        *nparts = ce.nobjs;
        *nonce = ce.nonce;
    }
    codecache_entry_free(&ce);
    return ok;
}

static void store_cached(Jit *jit, const uint8_t *key, Part *parts, uint32_t nparts,
                         uint64_t nonce)
{
    CacheEntry ce = {.nonce = nonce, .nobjs = nparts};
    ce.objs = calloc(nparts ? nparts : 1, sizeof *ce.objs);
    ce.sizes = calloc(nparts ? nparts : 1, sizeof *ce.sizes);
    if (!ce.objs || !ce.sizes) abort();
    for (uint32_t i = 0; i < nparts; i++) {
        ce.objs[i] = (uint8_t *)LLVMGetBufferStart(parts[i].obj);
        ce.sizes[i] = LLVMGetBufferSize(parts[i].obj);
    }
    codecache_store(jit_cache_dir(jit), key, &ce);
    free(ce.objs);
    free(ce.sizes);
}

/* The objects of m: from the cache when possible, else compiled (and then cached). */
static wk_error_t *build_objects(Jit *jit, const Module *m, JitTier tier,
                                 const atomic_bool *cancel, const uint8_t *key, bool try_cache,
                                 Part **parts, uint32_t *nparts, uint64_t *nonce)
{
    if (try_cache && jit_cache_dir(jit) && load_cached(jit, key, parts, nparts, nonce))
        return NULL;
    *nonce = jit_fresh_nonce(jit);
    uint32_t want = parts_wanted(m, cpu_count());
    *parts = calloc(want ? want : 1, sizeof **parts);
    if (!*parts) abort();
    *nparts = m->nfuncs ? partition(m, want, *parts) : 0;
    wk_error_t *e = compile_parts(jit, m, tier, cancel, *nonce, *parts, *nparts);
    if (!e && jit_cache_dir(jit)) store_cached(jit, key, *parts, *nparts, *nonce);
    return e;
}

/* Compiles (or loads from the cache when try_cache) and loads m's code. */
static wk_error_t *load_module(Jit *jit, const Module *m, JitTier tier,
                               const atomic_bool *cancel, const uint8_t *key, bool try_cache,
                               CompiledCode **out)
{
    Part *parts = NULL;
    uint32_t nparts = 0;
    uint64_t nonce = 0;
    wk_error_t *e = build_objects(jit, m, tier, cancel, key, try_cache, &parts, &nparts, &nonce);
    LLVMMemoryBufferRef *objs = calloc(nparts ? nparts : 1, sizeof *objs);
    if (!objs) abort();
    for (uint32_t i = 0; i < nparts; i++) objs[i] = parts[i].obj;
    free(parts);
    if (!e) {
        e = jit_load(jit, m, key, nonce, objs, nparts, out);
    } else {
        for (uint32_t i = 0; i < nparts; i++)
            if (objs[i]) LLVMDisposeMemoryBuffer(objs[i]);
        jit_release_nonce(jit, nonce);
    }
    free(objs);
    return e;
}

wk_error_t *compile_module(Jit *jit, const Module *m, CompiledCode **out)
{
    return compile_module_tier(jit, m, jit_tier(jit), false, NULL, out);
}

/* True when the cache holds an entry for key (an unreadable one counts: loading will tell). */
static bool cache_has(const Jit *jit, const uint8_t *key)
{
    return jit_cache_dir(jit) && codecache_exists(jit_cache_dir(jit), key);
}

wk_error_t *compile_module_tier(Jit *jit, const Module *m, JitTier tier, bool if_cached,
                                const atomic_bool *cancel, CompiledCode **out)
{
    uint8_t key[CODECACHE_KEY_SIZE];
    module_key(jit, m, tier, key);
    CompiledCode *code = jit_share_loaded(jit, key);
    *out = code;
    if (code || (if_cached && !cache_has(jit, key))) return NULL;
    wk_error_t *e = load_module(jit, m, tier, cancel, key, true, out);
    if (e && jit_cache_dir(jit) && !(cancel && atomic_load(cancel))) { /* damaged cache file? */
        wk_error_delete(e);
        e = load_module(jit, m, tier, cancel, key, false, out);
    }
    return e;
}

wk_error_t *compile_module_ir(const Module *m, BoundsMode mode, char **out)
{
    jit_llvm_init();
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("wasm", ctx);
    wk_error_t *e = lower_functions(m, mode, 0, ctx, mod, 0, m->nfuncs);
    char *msg = NULL;
    if (!e && LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg))
        e = error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "invalid IR: %s", msg);
    LLVMDisposeMessage(msg);
    if (!e) {
        char *ir = LLVMPrintModuleToString(mod);
        *out = strdup(ir);
        LLVMDisposeMessage(ir);
    }
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    return e;
}
