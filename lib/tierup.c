/* Tiered compilation: picks the code of a new module by the engine's strategy; for the tiered
 * strategy compiles the fast tier (or takes O2 from the cache) and runs the O2 compile in a
 * background thread holding a module reference, which then switches the module to O2
 * (compiled_finish_tierup). Jobs are cancelled when nothing but the job holds their module,
 * and when the embedder deletes the engine (which joins them). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "compile.h"
#include "hotqueue.h"
#include "lazy.h"
#include "tierup.h"

/* ---- the engine's jobs ---- */

/* A background O2 compile: a joinable thread, recorded in its engine until joined. */
typedef struct TierJob {
    pthread_t tid;
    wk_module_t *mod; /* referenced by the job until `done` */
    bool done;        /* guarded by the engine's jobs_lock */
    pid_t pid;        /* the process that started it: after fork, the child has no thread */
    struct TierJob *next;
} TierJob;

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
    hotqueue_stop(e->hotq);
    reap_jobs(e, true);
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
        err = compile_module_tier(e->jit, mod->m, JIT_TIER_O2, false, &mod->cancel, &o2);
    wk_error_delete(err); /* the fast tier keeps running: nothing else to report to */
    compiled_finish_tierup(mod, o2);
    pthread_mutex_lock(&e->jobs_lock);
    job->done = true;
    pthread_mutex_unlock(&e->jobs_lock);
    /* Not the engine's last reference: the embedder's is held until the job is joined. */
    compiled_unref(mod);
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
        compiled_finish_tierup(mod, NULL);
        return;
    }
    compiled_ref(mod);
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
        compiled_finish_tierup(mod, NULL);
        compiled_unref(mod);
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
    if (e->strategy == WK_STRATEGY_LAZY && lazy_available()) return lazy_init(mod);
    bool tiered = e->strategy == WK_STRATEGY_TIERED || e->strategy == WK_STRATEGY_LAZY;
    if (!tiered || code_bytes(mod->m) < e->tiered_min_bytes) {
        JitTier tier = e->strategy == WK_STRATEGY_FAST ? JIT_TIER_FAST : JIT_TIER_O2;
        wk_error_t *err = compile_module_tier(e->jit, mod->m, tier, false, NULL, &code);
        atomic_store(&mod->code, code);
        return err;
    }
    wk_error_t *err = compile_module_tier(e->jit, mod->m, JIT_TIER_O2, true, NULL, &code);
    if (err || code) { /* O2 already loaded or in the cache */
        atomic_store(&mod->code, code);
        return err;
    }
    err = compile_module_tier(e->jit, mod->m, JIT_TIER_FAST, false, NULL, &code);
    if (err) return err;
    mod->fast_code = code;
    atomic_store(&mod->code, code);
    start_job(mod);
    return NULL;
}
