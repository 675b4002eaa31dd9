/* Tiered compilation: picks the code of a new module by the engine's strategy; for the tiered
 * strategy compiles the fast tier (or takes O2 from the cache) and queues the O2 compile for
 * the process's background thread; the job holds a module reference and then switches the
 * module to O2 (compiled_finish_tierup). Jobs are cancelled when nothing but the job holds
 * their module, and when the embedder deletes the engine (which waits for them). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "backtrace.h"
#include "compile.h"
#include "forkgate.h"
#include "hotqueue.h"
#include "lazy.h"
#include "tierup.h"

/* ---- the engine's jobs ---- */

/* A background O2 compile, recorded in its engine until reaped, queued for the background
 * thread until it starts. */
typedef struct TierJob {
    wk_module_t *mod; /* referenced by the job until it is done */
    bool done;        /* guarded by the engine's jobs_lock */
    pid_t pid;        /* the process that queued it: after fork, the child does not run it */
    struct TierJob *next;  /* in the engine's list */
    struct TierJob *queued; /* in the queue of the background thread */
} TierJob;

/* Frees the finished jobs of e; with `all`, cancels the others of this process, waits for
 * them to end and frees them too (the parent's jobs, in a forked child: at once). */
static void reap_jobs(wk_engine_t *e, bool all)
{
    pid_t self = getpid();
    pthread_mutex_lock(&e->jobs_lock);
    for (TierJob *j = e->jobs; all && j; j = j->next)
        if (!j->done && j->pid == self) atomic_store(&j->mod->cancel, true);
    TierJob **pp = &e->jobs;
    while (*pp) {
        TierJob *j = *pp;
        if (all && !j->done && j->pid == self) {
            pthread_cond_wait(&e->jobs_done, &e->jobs_lock);
            pp = &e->jobs; /* the list may have changed while waiting */
            continue;
        }
        if (j->done || (all && j->pid != self)) {
            *pp = j->next;
            free(j);
        } else {
            pp = &j->next;
        }
    }
    pthread_mutex_unlock(&e->jobs_lock);
}

void tierup_engine_shutdown(wk_engine_t *e)
{
    hotqueue_stop(e->hotq);
    reap_jobs(e, true);
}

/* ---- the background thread ---- */

/* One thread per process runs the jobs, oldest first. It never ends, so that no thread start
 * or exit can overlap a fork; it is started again, on demand, in a forked child. */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_filled = PTHREAD_COND_INITIALIZER;
static TierJob *queue_head, *queue_tail; /* guarded by queue_lock */
static bool runner_started;              /* in this process; guarded by queue_lock */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* The parent's thread and queue do not exist in the child (its jobs' modules stay fast). */
static void after_fork_child(void)
{
    pthread_mutex_init(&queue_lock, NULL);
    pthread_cond_init(&queue_filled, NULL);
    queue_head = queue_tail = NULL;
    runner_started = false;
}

static void install_atfork(void)
{
    pthread_atfork(NULL, NULL, after_fork_child);
}

/* Compiles O2 for the job's module and switches it; runs inside the fork gate. */
static void run_job(TierJob *job)
{
    wk_module_t *mod = job->mod;
    wk_engine_t *e = mod->engine;
    CompiledCode *o2 = NULL;
    wk_error_t *err = NULL;
    if (!atomic_load(&mod->cancel))
        err = compile_module_tier(e->jit, mod->m, JIT_TIER_O2, false, &mod->cancel, &o2);
    wk_error_delete(err); /* the fast tier keeps running: nothing else to report to */
    compiled_finish_tierup(mod, o2);
    /* Not the engine's last reference: the embedder's is held until the job is done. */
    compiled_unref(mod);
    pthread_mutex_lock(&e->jobs_lock);
    job->done = true;
    pthread_cond_broadcast(&e->jobs_done);
    pthread_mutex_unlock(&e->jobs_lock);
}

static void *runner_main(void *arg)
{
    (void)arg;
    forkgate_adopt();
    forkgate_leave(); /* started: idle (outside the gate) until a job comes */
    for (;;) {
        pthread_mutex_lock(&queue_lock);
        while (!queue_head) pthread_cond_wait(&queue_filled, &queue_lock);
        TierJob *job = queue_head;
        queue_head = job->queued;
        if (!queue_head) queue_tail = NULL;
        pthread_mutex_unlock(&queue_lock);
        forkgate_enter();
        run_job(job);
        forkgate_leave();
    }
    return NULL;
}

/* Queues job, starting the background thread if this process has none. False when no thread
 * can start. Runs inside the fork gate. */
static bool enqueue(TierJob *job)
{
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&queue_lock);
    bool ok = runner_started;
    if (!ok) {
        pthread_attr_t attr;
        pthread_t tid;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        forkgate_hand_over();
        ok = runner_started = pthread_create(&tid, &attr, runner_main, NULL) == 0;
        if (!ok) forkgate_drop();
        pthread_attr_destroy(&attr);
    }
    if (ok) {
        if (queue_tail) queue_tail->queued = job;
        else queue_head = job;
        queue_tail = job;
        pthread_cond_signal(&queue_filled);
    }
    pthread_mutex_unlock(&queue_lock);
    return ok;
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
    job->next = e->jobs;
    e->jobs = job;
    pthread_mutex_unlock(&e->jobs_lock);
    forkgate_enter();
    bool queued = enqueue(job);
    forkgate_leave();
    if (!queued) {
        compiled_finish_tierup(mod, NULL);
        compiled_unref(mod);
        pthread_mutex_lock(&e->jobs_lock);
        job->done = true;
        pthread_mutex_unlock(&e->jobs_lock);
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
        backtrace_add_code(mod, code);
        atomic_store(&mod->code, code);
        return err;
    }
    wk_error_t *err = compile_module_tier(e->jit, mod->m, JIT_TIER_O2, true, NULL, &code);
    if (err || code) { /* O2 already loaded or in the cache */
        backtrace_add_code(mod, code);
        atomic_store(&mod->code, code);
        return err;
    }
    err = compile_module_tier(e->jit, mod->m, JIT_TIER_FAST, false, NULL, &code);
    if (err) return err;
    mod->fast_code = code;
    backtrace_add_code(mod, code);
    atomic_store(&mod->code, code);
    start_job(mod);
    return NULL;
}
