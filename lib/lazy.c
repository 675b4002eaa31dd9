/* The lazy strategy (see lazy.h): per-module stubs, per-function states, the first-call
 * compile (lazy_resolve, reached from a stub), hotness requests (wk_rt_hot) and the O2
 * switch (lazy_optimize). The module's lock guards the states and every code switch. */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "compiled.h"
#include "forkgate.h"
#include "func.h"
#include "hotqueue.h"
#include "instance.h"
#include "lazy.h"
#include "lazy_stub.h"
#include "trap.h"

/* Calls plus loop iterations a fast-tier function runs before it asks for O2. */
#define HOT_BUDGET 20000
/* Less stack than this left on the calling thread: the compile runs on a thread of its own. */
#define COMPILE_STACK_ROOM ((size_t)1 << 20)
#define COMPILE_THREAD_STACK ((size_t)16 << 20)

typedef struct LazySlot {
    wk_module_t *mod;
    uint32_t index; /* defined-function index */
} LazySlot;

struct LazyCode {
    FuncGroup *group;
    LazySlot *slots;
    void *stubs;
    size_t stubs_size;
    int32_t *hot;
    uint8_t *state;         /* LAZY_*, per defined function */
    uint32_t pending;       /* functions in LAZY_QUEUED */
    uint32_t failed;        /* O2 compiles that failed */
    uint32_t firsts;        /* first-call compiles done */
    pthread_cond_t changed; /* broadcast on every state change */
    CompiledCode code;      /* what mod->code points at: funcs[i] is function i's code now */
};

bool lazy_available(void)
{
    return lazy_stub_supported();
}

wk_error_t *lazy_init(wk_module_t *mod)
{
    const Module *m = mod->m;
    uint32_t n = m->nfuncs;
    LazyCode *lc = calloc(1, sizeof *lc);
    if (!lc) return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    mod->lazy = lc;
    pthread_cond_init(&lc->changed, NULL);
    size_t k = n ? n : 1;
    lc->slots = calloc(k, sizeof *lc->slots);
    lc->hot = malloc(k * sizeof *lc->hot);
    lc->state = calloc(k, 1);
    lc->code.funcs = calloc(k, sizeof *lc->code.funcs);
    void **ptrs = calloc(k, sizeof *ptrs);
    if (!lc->slots || !lc->hot || !lc->state || !lc->code.funcs || !ptrs) {
        free(ptrs);
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory");
    }
    for (uint32_t i = 0; i < n; i++) {
        lc->slots[i] = (LazySlot){.mod = mod, .index = i};
        ptrs[i] = &lc->slots[i];
        lc->hot[i] = HOT_BUDGET;
    }
    lc->stubs = lazy_stub_alloc(ptrs, n, &lc->stubs_size);
    free(ptrs);
    if (!lc->stubs)
        return error_new(WK_ERROR_RESOURCE, WK_NO_OFFSET, "out of memory for lazy stubs");
    lc->code.nfuncs = n;
    for (uint32_t i = 0; i < n; i++) lc->code.funcs[i] = lazy_stub_at(lc->stubs, i);
    wk_error_t *e = compile_group_new(mod->engine->jit, m, &lc->group);
    if (e) return e;
    atomic_store(&mod->code, &lc->code);
    return NULL;
}

int32_t *lazy_hot_counters(wk_module_t *mod)
{
    return mod->lazy ? mod->lazy->hot : NULL;
}

void lazy_free(wk_module_t *mod)
{
    LazyCode *lc = mod->lazy;
    if (!lc) return;
    if (lc->group) compile_group_free(mod->engine->jit, lc->group);
    lazy_stub_free(lc->stubs, lc->stubs_size);
    pthread_cond_destroy(&lc->changed);
    free(lc->slots);
    free(lc->hot);
    free(lc->state);
    free(lc->code.funcs);
    free(lc);
    mod->lazy = NULL;
}

/* Makes `code` function i's code in the module and in every attached instance; mod->lock is
 * held. */
static void install(wk_module_t *mod, uint32_t i, void *code, uint8_t state)
{
    LazyCode *lc = mod->lazy;
    uint32_t fi = mod->m->nimported_funcs + i;
    __atomic_store_n(&lc->code.funcs[i], code, __ATOMIC_RELEASE);
    for (uint32_t k = 0; k < mod->ninstances; k++)
        __atomic_store_n(&mod->instances[k]->funcs[fi]->ref.code, code, __ATOMIC_RELEASE);
    lc->state[i] = state;
    pthread_cond_broadcast(&lc->changed);
}

int lazy_state(wk_module_t *mod, uint32_t index)
{
    pthread_mutex_lock(&mod->lock);
    int st = mod->lazy->state[index];
    pthread_mutex_unlock(&mod->lock);
    return st;
}

uint32_t lazy_first_compiles(wk_module_t *mod)
{
    pthread_mutex_lock(&mod->lock);
    uint32_t n = mod->lazy->firsts;
    pthread_mutex_unlock(&mod->lock);
    return n;
}

/* ---- the first call ---- */

typedef struct FirstCompile {
    wk_module_t *mod;
    uint32_t index;
    void *code;
    uint8_t state;
    wk_error_t *err;
} FirstCompile;

/* O2 code from the object cache when it is there, else the fast tier. */
static void *first_compile(void *arg)
{
    FirstCompile *fc = arg;
    Jit *jit = fc->mod->engine->jit;
    LazyCode *lc = fc->mod->lazy;
    fc->err = compile_func(jit, lc->group, fc->mod->m, fc->index, JIT_TIER_O2, true, NULL,
                               &fc->code);
    fc->state = LAZY_O2;
    if (!fc->err && !fc->code) {
        fc->err = compile_func(jit, lc->group, fc->mod->m, fc->index, JIT_TIER_FAST, false,
                                   NULL, &fc->code);
        fc->state = LAZY_FAST;
    }
    return NULL;
}

static void *first_compile_thread(void *arg)
{
    forkgate_adopt();
    return first_compile(arg);
}

/* first_compile on this thread, or on one with a big stack when this one is short of it (a
 * first call deep in a recursion: LLVM needs room). */
static void first_compile_somewhere(FirstCompile *fc)
{
    if (trap_stack_room() >= COMPILE_STACK_ROOM) {
        first_compile(fc);
        return;
    }
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, COMPILE_THREAD_STACK);
    forkgate_hand_over(); /* the thread is inside the fork gate until joined */
    bool started = pthread_create(&tid, &attr, first_compile_thread, fc) == 0;
    pthread_attr_destroy(&attr);
    if (started) pthread_join(tid, NULL);
    forkgate_drop();
    if (!started) first_compile(fc);
}

void *lazy_resolve(void *slot)
{
    LazySlot *s = slot;
    wk_module_t *mod = s->mod;
    LazyCode *lc = mod->lazy;
    uint32_t i = s->index;
    bool was_in_wasm = trap_set_in_wasm(false);
    forkgate_enter(); /* before mod->lock: see forkgate.h */
    pthread_mutex_lock(&mod->lock);
    while (lc->state[i] == LAZY_COMPILING) pthread_cond_wait(&lc->changed, &mod->lock);
    FirstCompile fc = {.mod = mod, .index = i};
    if (lc->state[i] != LAZY_STUB) {
        fc.code = lc->code.funcs[i];
    } else {
        lc->state[i] = LAZY_COMPILING;
        pthread_mutex_unlock(&mod->lock);
        first_compile_somewhere(&fc);
        pthread_mutex_lock(&mod->lock);
        if (fc.err) {
            lc->state[i] = LAZY_STUB; /* the next call tries again */
            pthread_cond_broadcast(&lc->changed);
        } else {
            install(mod, i, fc.code, fc.state);
            lc->firsts++;
        }
    }
    pthread_mutex_unlock(&mod->lock);
    forkgate_leave();
    trap_set_in_wasm(was_in_wasm);
    if (fc.err) {
        wk_trap_t *t = trap_new_host("compiling function %u: %s", mod->m->nimported_funcs + i,
                                     wk_error_message(fc.err));
        wk_error_delete(fc.err);
        trap_raise(WK_TRAP_HOST, t);
    }
    return fc.code;
}

/* ---- tier-up ---- */

void wk_rt_hot(VMContext *vmctx, uint32_t index)
{
    wk_module_t *mod = vmctx->instance->module;
    LazyCode *lc = mod->lazy;
    __atomic_store_n(&lc->hot[index], INT32_MAX, __ATOMIC_RELAXED);
    forkgate_enter(); /* the state and the queue change together, never across a fork */
    pthread_mutex_lock(&mod->lock);
    if (lc->state[index] == LAZY_FAST) {
        if (hotqueue_push(mod->engine->hotq, mod, index)) {
            lc->state[index] = LAZY_QUEUED;
            lc->pending++;
        } else {
            lc->state[index] = LAZY_FINAL;
        }
        pthread_cond_broadcast(&lc->changed);
    }
    pthread_mutex_unlock(&mod->lock);
    forkgate_leave();
}

void lazy_optimize(wk_module_t *mod, uint32_t index, const atomic_bool *cancel)
{
    LazyCode *lc = mod->lazy;
    void *code = NULL;
    wk_error_t *e = compile_func(mod->engine->jit, lc->group, mod->m, index, JIT_TIER_O2,
                                     false, cancel, &code);
    pthread_mutex_lock(&mod->lock);
    if (lc->state[index] == LAZY_QUEUED) {
        lc->pending--;
        if (!e && code) {
            install(mod, index, code, LAZY_O2);
        } else {
            lc->state[index] = LAZY_FINAL;
            lc->failed++;
            pthread_cond_broadcast(&lc->changed);
        }
    }
    pthread_mutex_unlock(&mod->lock);
    wk_error_delete(e);
}

bool lazy_wait_optimized(wk_module_t *mod)
{
    LazyCode *lc = mod->lazy;
    hotqueue_kick(mod->engine->hotq);
    pthread_mutex_lock(&mod->lock);
    while (lc->pending > 0) pthread_cond_wait(&lc->changed, &mod->lock);
    bool ok = lc->failed == 0;
    pthread_mutex_unlock(&mod->lock);
    return ok;
}
