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
#include "forkgate.h"
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

/* Control nesting past which the O2 IR pipeline goes quadratic (10,000 nested ifs: minutes in
 * SimplifyCFG); such functions get the fast tier's passes instead. */
#define DEEP_NESTING 256

/* True when a function in [lo, hi) nests blocks deeper than DEEP_NESTING. */
static bool part_nests_deep(const Module *m, uint32_t lo, uint32_t hi)
{
    for (uint32_t i = lo; i < hi; i++)
        if (m->funcs[i].max_depth > DEEP_NESTING) return true;
    return false;
}

static void compile_part(Work *w, Part *p, LLVMTargetMachineRef tm)
{
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMContextSetDiscardValueNames(ctx, 1);
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("wasm", ctx);
    jit_prepare_module(w->jit, mod, tm);
    p->err = lower_functions(w->m, jit_mode(w->jit), jit_fuel(w->jit), w->module_id, ctx, mod,
                             p->lo, p->hi);
    /* Every function of a whole-module compile gets the short IR pass list; the tier sets code
     * generation only. That is what always ran: the body scan meant to pick default<O2> for
     * functions nesting at most 256 deep (part_nests_deep) wrapped its depth counter at the
     * body's final `end`, so it never did. Picking it from Func.max_depth measured slower
     * (bench/run full size, engines alternated: lcs 3.9x native instead of 1.1x, geomean
     * 1.36-1.45x instead of 1.28-1.32x), so it stays. */
    if (!p->err) p->err = jit_emit_object(w->jit, pipeline(JIT_TIER_FAST), mod, tm, &p->obj);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
}

/* Compiles parts until none is left, the compile is cancelled or a fork waits (then the
 * caller lets it go ahead and runs another round). Runs inside the fork gate. */
static void work(Work *w)
{
    LLVMTargetMachineRef tm = jit_target_machine(w->jit, w->tier);
    while (!forkgate_pending() && !(w->cancel && atomic_load(w->cancel))) {
        uint32_t k = atomic_fetch_add(&w->next, 1);
        if (k >= w->nparts) break;
        compile_part(w, &w->parts[k], tm);
    }
    LLVMDisposeTargetMachine(tm);
}

/* A worker thread: inside the gate from its creation until its joiner drops it. */
static void *worker(void *arg)
{
    forkgate_adopt();
    work(arg);
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

static void run_round(Work *w, uint32_t nthreads)
{
    if (nthreads <= 1) {
        work(w);
        return;
    }
    pthread_t tids[nthreads];
    uint32_t started = 0;
    for (uint32_t i = 0; i < nthreads; i++) {
        forkgate_hand_over();
        if (pthread_create(&tids[started], NULL, worker, w) == 0) started++;
        else forkgate_drop();
    }
    if (started == 0) work(w);
    for (uint32_t i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
        forkgate_drop();
    }
}

static bool parts_left(Work *w)
{
    return atomic_load(&w->next) < w->nparts && !(w->cancel && atomic_load(w->cancel));
}

/* Compiles every part on up to nthreads threads; a fork waiting for the gate stops the
 * workers at their next part and goes ahead before the next round. Runs inside the gate. */
static void run_workers(Work *w, uint32_t nthreads)
{
    run_round(w, nthreads);
    while (parts_left(w)) {
        forkgate_yield();
        run_round(w, nthreads);
    }
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
    /* Fuel metering changes the code: it is part of the key, beside the bounds mode. */
    codecache_key(m->bytes, m->size, target, (int)tier,
                  (int)jit_mode(jit) | (jit_fuel(jit) ? 0x100 : 0), key);
}

/* Parts from the cache entry of key, when there is one whose nonce is free in this Jit. */
static bool load_cached(Jit *jit, const uint8_t *key, Part **parts, uint32_t *nparts,
                        uint64_t *nonce)
{
    CacheEntry ce;
    char target[1024];
    jit_describe_target(jit, target, sizeof target);
    if (!codecache_load(jit_cache_dir(jit), key, target, &ce)) return false;
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
    char target[1024];
    jit_describe_target(jit, target, sizeof target);
    codecache_store(jit_cache_dir(jit), key, target, &ce, jit_cache_max_bytes(jit));
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

static wk_error_t *compile_gated(Jit *jit, const Module *m, JitTier tier, bool if_cached,
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

wk_error_t *compile_module_tier(Jit *jit, const Module *m, JitTier tier, bool if_cached,
                                const atomic_bool *cancel, CompiledCode **out)
{
    forkgate_enter();
    wk_error_t *e = compile_gated(jit, m, tier, if_cached, cancel, out);
    forkgate_leave();
    return e;
}

/* ---- one function at a time (lazy strategy) ---- */

/* The tier number of the lazy strategy's module keys (distinct from every JitTier). */
#define LAZY_KEY_TIER 100

struct FuncGroup {
    JitGroup *objs;
    uint8_t key[CODECACHE_KEY_SIZE];
};

wk_error_t *compile_group_new(Jit *jit, const Module *m, FuncGroup **out)
{
    FuncGroup *g = calloc(1, sizeof *g);
    if (!g || !(g->objs = jit_group_new(jit))) {
        free(g);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    char target[1024];
    jit_describe_target(jit, target, sizeof target);
    codecache_key(m->bytes, m->size, target, LAZY_KEY_TIER,
                  (int)jit_mode(jit) | (jit_fuel(jit) ? 0x100 : 0), g->key);
    *out = g;
    return NULL;
}

void compile_group_free(Jit *jit, FuncGroup *g)
{
    if (!g) return;
    jit_group_free(jit, g->objs);
    free(g);
}

static wk_error_t *compile_one(Jit *jit, const Module *m, uint32_t index, JitTier tier,
                               uint64_t nonce, LLVMMemoryBufferRef *obj)
{
    LLVMTargetMachineRef tm = jit_thread_target_machine(jit, tier);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMContextSetDiscardValueNames(ctx, 1);
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("wasm", ctx);
    jit_prepare_module(jit, mod, tm);
    unsigned flags = LOWER_INDIRECT_CALLS | (tier == JIT_TIER_FAST ? LOWER_HOT_COUNTS : 0);
    wk_error_t *e =
        lower_functions_with(m, jit_mode(jit), jit_fuel(jit), flags, nonce, ctx, mod, index,
                             index + 1);
    JitTier passes = part_nests_deep(m, index, index + 1) ? JIT_TIER_FAST : tier;
    if (!e) e = jit_emit_object(jit, pipeline(passes), mod, tm, obj);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    return e;
}

/* Loads function `index` from the cache entry of key; false when there is none usable. */
static bool load_cached_func(Jit *jit, FuncGroup *g, const Module *m, uint32_t index,
                             const uint8_t *key, void **out)
{
    CacheEntry ce;
    char target[1024];
    jit_describe_target(jit, target, sizeof target);
    if (!codecache_load(jit_cache_dir(jit), key, target, &ce)) return false;
    bool ok = ce.nobjs == 1 && jit_claim_nonce(jit, ce.nonce);
    if (ok) {
        LLVMMemoryBufferRef obj = LLVMCreateMemoryBufferWithMemoryRangeCopy(
            (const char *)ce.objs[0], ce.sizes[0], "wasm");
        char name[48];
        lower_func_name(name, sizeof name, ce.nonce, m->nimported_funcs + index);
        wk_error_t *e = jit_group_load(jit, g->objs, ce.nonce, obj, name, out);
        ok = e == NULL;
        wk_error_delete(e);
    }
    codecache_entry_free(&ce);
    return ok;
}

wk_error_t *compile_func(Jit *jit, FuncGroup *g, const Module *m, uint32_t index, JitTier tier,
                         bool if_cached, const atomic_bool *cancel, void **out)
{
    *out = NULL;
    uint8_t key[CODECACHE_KEY_SIZE];
    codecache_func_key(g->key, index, (int)tier, key);
    if (jit_cache_dir(jit) && load_cached_func(jit, g, m, index, key, out)) return NULL;
    if (if_cached) return NULL;
    if (cancel && atomic_load(cancel))
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "compilation cancelled");
    uint64_t nonce = jit_fresh_nonce(jit);
    LLVMMemoryBufferRef obj = NULL;
    wk_error_t *e = compile_one(jit, m, index, tier, nonce, &obj);
    if (e) {
        jit_release_nonce(jit, nonce);
        return e;
    }
    if (jit_cache_dir(jit)) {
        uint8_t *bytes = (uint8_t *)LLVMGetBufferStart(obj);
        size_t size = LLVMGetBufferSize(obj);
        CacheEntry ce = {.nonce = nonce, .nobjs = 1, .objs = &bytes, .sizes = &size};
        char target[1024];
    jit_describe_target(jit, target, sizeof target);
    codecache_store(jit_cache_dir(jit), key, target, &ce, jit_cache_max_bytes(jit));
    }
    char name[48];
    lower_func_name(name, sizeof name, nonce, m->nimported_funcs + index);
    return jit_group_load(jit, g->objs, nonce, obj, name, out);
}

wk_error_t *compile_module_objects(Jit *jit, const Module *m, JitTier tier, CacheEntry *out)
{
    uint8_t key[CODECACHE_KEY_SIZE];
    module_key(jit, m, tier, key);
    Part *parts = NULL;
    uint32_t nparts = 0;
    uint64_t nonce = 0;
    wk_error_t *e = build_objects(jit, m, tier, NULL, key, true, &parts, &nparts, &nonce);
    jit_release_nonce(jit, nonce); /* never loaded */
    *out = (CacheEntry){.nonce = nonce, .nobjs = e ? 0 : nparts};
    out->objs = calloc(nparts ? nparts : 1, sizeof *out->objs);
    out->sizes = calloc(nparts ? nparts : 1, sizeof *out->sizes);
    if (!out->objs || !out->sizes) abort();
    for (uint32_t i = 0; i < nparts; i++) {
        if (!e) {
            out->sizes[i] = LLVMGetBufferSize(parts[i].obj);
            out->objs[i] = malloc(out->sizes[i] ? out->sizes[i] : 1);
            if (!out->objs[i]) abort();
            memcpy(out->objs[i], LLVMGetBufferStart(parts[i].obj), out->sizes[i]);
        }
        if (parts[i].obj) LLVMDisposeMemoryBuffer(parts[i].obj);
    }
    free(parts);
    return e;
}

wk_error_t *compile_load_objects(Jit *jit, const Module *m, JitTier tier, const CacheEntry *e,
                                 CompiledCode **out)
{
    uint8_t key[CODECACHE_KEY_SIZE];
    module_key(jit, m, tier, key);
    if ((*out = jit_share_loaded(jit, key))) return NULL;
    if (!jit_claim_nonce(jit, e->nonce)) return compile_module_tier(jit, m, tier, false, NULL, out);
    LLVMMemoryBufferRef *objs = calloc(e->nobjs ? e->nobjs : 1, sizeof *objs);
    if (!objs) abort();
    for (uint32_t i = 0; i < e->nobjs; i++)
        objs[i] = LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)e->objs[i],
                                                            e->sizes[i], "wasm");
    wk_error_t *err = jit_load(jit, m, key, e->nonce, objs, e->nobjs, out);
    free(objs);
    return err;
}

/* ---- priming ---- */

/* A small function with the shapes Wasm code has (a loop, a switch, loads and stores, an
 * atomic load, integer and float arithmetic, a call), compiled at O2 and thrown away. */
static void build_prime(LLVMContextRef ctx, LLVMModuleRef mod)
{
    LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx), ptr = LLVMPointerTypeInContext(ctx, 0);
    LLVMTypeRef f64 = LLVMDoubleTypeInContext(ctx);
    LLVMTypeRef params[2] = {ptr, i64};
    LLVMTypeRef fty = LLVMFunctionType(i64, params, 2, 0);
    LLVMValueRef fn = LLVMAddFunction(mod, "wk_prime", fty);
    LLVMTypeRef sqty = LLVMFunctionType(f64, &f64, 1, 0);
    LLVMValueRef sq = LLVMAddFunction(mod, "llvm.sqrt.f64", sqty);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(ctx, fn, "");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(ctx, fn, "");
    LLVMBasicBlockRef c0 = LLVMAppendBasicBlockInContext(ctx, fn, "");
    LLVMBasicBlockRef c1 = LLVMAppendBasicBlockInContext(ctx, fn, "");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(ctx, fn, "");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(ctx, fn, "");
    LLVMValueRef p = LLVMGetParam(fn, 0), n = LLVMGetParam(fn, 1);
    LLVMValueRef zero = LLVMConstInt(i64, 0, 0), one = LLVMConstInt(i64, 1, 0);
    LLVMPositionBuilderAtEnd(b, entry);
    LLVMBuildBr(b, loop);
    LLVMPositionBuilderAtEnd(b, loop);
    LLVMValueRef i = LLVMBuildPhi(b, i64, ""), acc = LLVMBuildPhi(b, i64, "");
    LLVMValueRef at = LLVMBuildGEP2(b, i64, p, &i, 1, "");
    LLVMValueRef v = LLVMBuildLoad2(b, i64, at, "");
    LLVMValueRef sw = LLVMBuildSwitch(b, LLVMBuildAnd(b, v, LLVMConstInt(i64, 3, 0), ""), next, 2);
    LLVMAddCase(sw, zero, c0);
    LLVMAddCase(sw, one, c1);
    LLVMPositionBuilderAtEnd(b, c0);
    LLVMValueRef a = LLVMBuildLoad2(b, i64, p, "");
    LLVMSetOrdering(a, LLVMAtomicOrderingMonotonic);
    LLVMSetAlignment(a, 8);
    LLVMValueRef m0 = LLVMBuildMul(b, a, LLVMBuildSDiv(b, v, LLVMConstInt(i64, 7, 0), ""), "");
    LLVMBuildBr(b, next);
    LLVMPositionBuilderAtEnd(b, c1);
    LLVMValueRef d = LLVMBuildSIToFP(b, v, f64, "");
    d = LLVMBuildCall2(b, sqty, sq, &d, 1, "");
    LLVMValueRef m1 = LLVMBuildFPToSI(b, LLVMBuildFMul(b, d, d, ""), i64, "");
    LLVMBuildStore(b, m1, at);
    LLVMBuildBr(b, next);
    LLVMPositionBuilderAtEnd(b, next);
    LLVMValueRef t = LLVMBuildPhi(b, i64, "");
    LLVMValueRef tv[3] = {m0, m1, v};
    LLVMBasicBlockRef tb[3] = {c0, c1, loop};
    LLVMAddIncoming(t, tv, tb, 3);
    LLVMValueRef acc2 = LLVMBuildXor(b, LLVMBuildAdd(b, acc, t, ""),
                                     LLVMBuildShl(b, acc, one, ""), "");
    LLVMValueRef i2 = LLVMBuildAdd(b, i, one, "");
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntULT, i2, n, ""), loop, done);
    LLVMValueRef iv[2] = {zero, i2}, av[2] = {zero, acc2};
    LLVMBasicBlockRef ib[2] = {entry, next};
    LLVMAddIncoming(i, iv, ib, 2);
    LLVMAddIncoming(acc, av, ib, 2);
    LLVMPositionBuilderAtEnd(b, done);
    LLVMBuildRet(b, acc2);
    LLVMDisposeBuilder(b);
}

void compile_prime(Jit *jit)
{
    forkgate_enter();
    LLVMTargetMachineRef tm = jit_thread_target_machine(jit, JIT_TIER_O2);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("wk_prime", ctx);
    jit_prepare_module(jit, mod, tm);
    build_prime(ctx, mod);
    LLVMMemoryBufferRef obj = NULL;
    wk_error_t *e = jit_emit_object(jit, pipeline(JIT_TIER_O2), mod, tm, &obj);
    wk_error_delete(e);
    if (obj) LLVMDisposeMemoryBuffer(obj);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    forkgate_leave();
}

wk_error_t *compile_module_ir(const Module *m, BoundsMode mode, char **out)
{
    jit_llvm_init();
    forkgate_enter();
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("wasm", ctx);
    wk_error_t *e = lower_functions(m, mode, false, 0, ctx, mod, 0, m->nfuncs);
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
    forkgate_leave();
    return e;
}
