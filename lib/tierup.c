/* Tiered compilation: picks the code of a new module by the engine's strategy; for the tiered
 * strategy compiles the fast tier (or takes O2 from the cache), runs the O2 compile in a
 * detached background thread holding a module reference, and switches the module and every
 * attached instance to O2 under the module's lock. Jobs are cancelled when nothing but the
 * job holds their module, and when the embedder deletes the engine (which joins them). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "func.h"
#include "instance.h"
#include "backtrace.h"
#include "tierup.h"

/* ---- the engine's jobs ---- */

/* A background O2 compile: a joinable thread, recorded in its engine until joined. */
struct TierJob {
    pthread_t tid;
    wk_module_t *mod; /* referenced by the job until `done` */
    bool done;        /* guarded by the engine's jobs_lock */
    pid_t pid;        /* the process that started it: after fork, the child has no thread */
    struct TierJob *next;
};

/* Joins and frees the finished jobs of e; with `all`, cancels the others and joins them too. */
static void reap_jobs(wk_engine_t *e, bool all)
{
    for (;;) {
        pthread_mutex_lock(&e->jobs_lock);
        for (TierJob *j = e->jobs; all && j; j = j->next)
            if (!j->done) atomic_store(&j->mod->cancel, true);
        pid_t self = getpid();
        TierJob **pp = &e->jobs;
        while (*pp && !all && !(*pp)->done && (*pp)->pid == self) pp = &(*pp)->next;
        TierJob *found = *pp;
        if (found) *pp = found->next;
        pthread_mutex_unlock(&e->jobs_lock);
        if (!found) return;
        if (found->pid == self) pthread_join(found->tid, NULL);
        free(found);
    }
}

void tierup_engine_shutdown(wk_engine_t *e)
{
    reap_jobs(e, true);
}

/* ---- switching code ---- */

/* Points the defined functions of inst at `code`; the module's lock is held. */
static void repoint(wk_module_t *mod, Instance *inst, const CompiledCode *code)
{
    uint32_t base = mod->m->nimported_funcs;
    for (uint32_t i = 0; i < code->nfuncs; i++)
        __atomic_store_n(&inst->funcs[base + i]->ref.code, code->funcs[i], __ATOMIC_RELEASE);
}

bool module_attach(wk_module_t *mod, Instance *inst)
{
    pthread_mutex_lock(&mod->lock);
    bool ok = true;
    if (mod->ninstances == mod->instances_cap) {
        uint32_t cap = mod->instances_cap ? 2 * mod->instances_cap : 4;
        Instance **list = realloc(mod->instances, cap * sizeof *list);
        if (list) {
            mod->instances = list;
            mod->instances_cap = cap;
        }
        ok = list != NULL;
    }
    if (ok) {
        mod->instances[mod->ninstances++] = inst;
        repoint(mod, inst, atomic_load(&mod->code));
    }
    pthread_mutex_unlock(&mod->lock);
    return ok;
}

void module_detach(wk_module_t *mod, Instance *inst)
{
    pthread_mutex_lock(&mod->lock);
    for (uint32_t i = 0; i < mod->ninstances; i++) {
        if (mod->instances[i] == inst) {
            mod->instances[i] = mod->instances[--mod->ninstances];
            break;
        }
    }
    pthread_mutex_unlock(&mod->lock);
}

/* Ends the tier-up: switches to o2 (when not NULL) and wakes the waiters. */
static void finish(wk_module_t *mod, CompiledCode *o2)
{
    pthread_mutex_lock(&mod->lock);
    if (o2) {
        backtrace_add_code(mod, o2);
        atomic_store(&mod->code, o2);
        for (uint32_t i = 0; i < mod->ninstances; i++) repoint(mod, mod->instances[i], o2);
    }
    atomic_store(&mod->tierup, o2 ? TIERUP_DONE : TIERUP_FAILED);
    pthread_cond_broadcast(&mod->tierup_done);
    pthread_mutex_unlock(&mod->lock);
}

bool module_wait_optimized(wk_module_t *mod)
{
    pthread_mutex_lock(&mod->lock);
    while (atomic_load(&mod->tierup) == TIERUP_PENDING && mod->tierup_pid == getpid())
        pthread_cond_wait(&mod->tierup_done, &mod->lock);
    int state = atomic_load(&mod->tierup);
    pthread_mutex_unlock(&mod->lock);
    if (state == TIERUP_NONE) return mod->engine->strategy != WK_STRATEGY_FAST;
    /* still pending: a forked child, whose parent's job thread does not exist here */
    return state == TIERUP_DONE;
}

/* ---- the job ---- */

static void *job_main(void *arg)
{
    TierJob *job = arg;
    wk_module_t *mod = job->mod;
    wk_engine_t *e = mod->engine;
    CompiledCode *o2 = NULL;
    wk_error_t *err = NULL;
    if (!atomic_load(&mod->cancel))
        err = jit_compile_tier(e->jit, mod->m, JIT_TIER_O2, false, &mod->cancel, &o2);
    wk_error_delete(err); /* the fast tier keeps running: nothing else to report to */
    finish(mod, o2);
    pthread_mutex_lock(&e->jobs_lock);
    job->done = true;
    pthread_mutex_unlock(&e->jobs_lock);
    /* Not the engine's last reference: the embedder's is held until the job is joined. */
    module_unref(mod);
    return NULL;
}

/* Starts the O2 job for mod (fast code in place); when no thread can start, the fast tier
 * stays. */
static void start_job(wk_module_t *mod)
{
    wk_engine_t *e = mod->engine;
    reap_jobs(e, false);
    atomic_store(&mod->tierup, TIERUP_PENDING);
    mod->tierup_pid = getpid();
    TierJob *job = calloc(1, sizeof *job);
    if (!job) {
        finish(mod, NULL);
        return;
    }
    module_ref(mod);
    job->mod = mod;
    job->pid = mod->tierup_pid;
    pthread_mutex_lock(&e->jobs_lock);
    bool started = pthread_create(&job->tid, NULL, job_main, job) == 0;
    if (started) {
        job->next = e->jobs;
        e->jobs = job;
    }
    pthread_mutex_unlock(&e->jobs_lock);
    if (!started) {
        free(job);
        finish(mod, NULL);
        module_unref(mod);
    }
}

static uint64_t code_bytes(const Module *m)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) total += m->funcs[i].body_size;
    return total;
}

wk_error_t *tierup_compile(wk_module_t *mod)
{
    wk_engine_t *e = mod->engine;
    CompiledCode *code = NULL;
    if (e->strategy != WK_STRATEGY_TIERED || code_bytes(mod->m) < e->tiered_min_bytes) {
        JitTier tier = e->strategy == WK_STRATEGY_FAST ? JIT_TIER_FAST : JIT_TIER_O2;
        wk_error_t *err = jit_compile_tier(e->jit, mod->m, tier, false, NULL, &code);
        backtrace_add_code(mod, code);
        atomic_store(&mod->code, code);
        return err;
    }
    wk_error_t *err = jit_compile_tier(e->jit, mod->m, JIT_TIER_O2, true, NULL, &code);
    if (err || code) { /* O2 already loaded or in the cache */
        backtrace_add_code(mod, code);
        atomic_store(&mod->code, code);
        return err;
    }
    err = jit_compile_tier(e->jit, mod->m, JIT_TIER_FAST, false, NULL, &code);
    if (err) return err;
    mod->fast_code = code;
    backtrace_add_code(mod, code);
    atomic_store(&mod->code, code);
    start_job(mod);
    return NULL;
}

void tierup_free(wk_module_t *mod)
{
    Jit *jit = mod->engine->jit;
    backtrace_remove_module(mod);
    CompiledCode *code = atomic_load(&mod->code);
    if (code && code != mod->fast_code) jit_code_free(jit, code);
    if (mod->fast_code) jit_code_free(jit, mod->fast_code);
    free(mod->instances);
}
