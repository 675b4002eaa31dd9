/* The background O2 worker of the lazy strategy (see hotqueue.h): a FIFO of requests per
 * engine, one worker thread at nice +5, the compile guard (a writer-preferring rwlock that
 * fork() takes for writing) and the fork and exit handlers over every live queue. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hotqueue.h"
#include "lazy.h"

#define WORKER_NICE 5

typedef struct HotItem {
    wk_module_t *mod;
    uint32_t index;
} HotItem;

struct HotQueue {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* requests queued, or stop */
    pthread_cond_t idle; /* `current` changed */
    HotItem *items;
    uint32_t head, n, cap; /* items[head .. head + n) */
    wk_module_t *current;  /* the module whose request the worker runs, or NULL */
    HotItem running;
    atomic_bool cancel;    /* cancels the running compile */
    bool stop;
    bool has_thread;
    pid_t pid; /* the process whose worker `tid` is */
    pthread_t tid;
    struct HotQueue *next; /* in `all` */
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t guard;
static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static HotQueue *all;

static void init_guard(void)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&guard, &attr);
    pthread_rwlockattr_destroy(&attr);
}

void compile_guard_enter(void)
{
    pthread_rwlock_rdlock(&guard);
}

void compile_guard_leave(void)
{
    pthread_rwlock_unlock(&guard);
}

/* fork(): no compile in flight, every queue consistent. */
static void fork_prepare(void)
{
    pthread_rwlock_wrlock(&guard);
    pthread_mutex_lock(&all_lock);
    for (HotQueue *q = all; q; q = q->next) pthread_mutex_lock(&q->lock);
}

static void fork_parent(void)
{
    for (HotQueue *q = all; q; q = q->next) pthread_mutex_unlock(&q->lock);
    pthread_mutex_unlock(&all_lock);
    pthread_rwlock_unlock(&guard);
}

static void requeue_front(HotQueue *q, HotItem it);

/* The child has no worker: the request the parent's worker had taken goes back to the queue,
 * and the next push or kick starts a worker. Its locks and conditions are made anew (the
 * forking thread has another id here, and the other threads' waits are gone). */
static void fork_child(void)
{
    for (HotQueue *q = all; q; q = q->next) {
        if (q->current) requeue_front(q, q->running);
        q->current = NULL;
        q->has_thread = false;
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->wake, NULL);
        pthread_cond_init(&q->idle, NULL);
    }
    pthread_mutex_init(&all_lock, NULL);
    init_guard();
}

static void at_exit(void)
{
    pthread_mutex_lock(&all_lock);
    for (HotQueue *q = all; q; q = q->next) hotqueue_stop(q);
    pthread_mutex_unlock(&all_lock);
}

static void init_once(void)
{
    init_guard();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    atexit(at_exit);
}

HotQueue *hotqueue_new(wk_engine_t *e)
{
    (void)e;
    pthread_once(&once, init_once);
    HotQueue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    pthread_cond_init(&q->idle, NULL);
    pthread_mutex_lock(&all_lock);
    q->next = all;
    all = q;
    pthread_mutex_unlock(&all_lock);
    return q;
}

static bool grow(HotQueue *q)
{
    if (q->head + q->n < q->cap) return true;
    if (q->head > 0) { /* compact */
        for (uint32_t i = 0; i < q->n; i++) q->items[i] = q->items[q->head + i];
        q->head = 0;
        if (q->n < q->cap) return true;
    }
    uint32_t cap = q->cap ? 2 * q->cap : 64;
    HotItem *items = realloc(q->items, cap * sizeof *items);
    if (!items) return false;
    q->items = items;
    q->cap = cap;
    return true;
}

static void requeue_front(HotQueue *q, HotItem it)
{
    if (q->head > 0) {
        q->items[--q->head] = it;
        q->n++;
    } else if (grow(q)) {
        for (uint32_t i = q->n; i > 0; i--) q->items[i] = q->items[i - 1];
        q->items[0] = it;
        q->n++;
    }
}

static void *worker(void *arg)
{
    HotQueue *q = arg;
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKER_NICE);
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->stop && q->n == 0) pthread_cond_wait(&q->wake, &q->lock);
        if (q->stop) break;
        q->running = q->items[q->head++];
        q->n--;
        q->current = q->running.mod;
        atomic_store(&q->cancel, false);
        pthread_mutex_unlock(&q->lock);
        lazy_optimize(q->running.mod, q->running.index, &q->cancel);
        pthread_mutex_lock(&q->lock);
        q->current = NULL;
        pthread_cond_broadcast(&q->idle);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* Starts the worker when none runs in this process; q->lock held. */
static bool ensure_worker(HotQueue *q)
{
    pid_t self = getpid();
    if (q->has_thread && q->pid == self) return true;
    if (q->stop) return false;
    if (pthread_create(&q->tid, NULL, worker, q) != 0) return false;
    q->has_thread = true;
    q->pid = self;
    return true;
}

bool hotqueue_push(HotQueue *q, wk_module_t *mod, uint32_t index)
{
    if (!q) return false;
    pthread_mutex_lock(&q->lock);
    bool ok = !q->stop && ensure_worker(q) && grow(q);
    if (ok) {
        q->items[q->head + q->n++] = (HotItem){.mod = mod, .index = index};
        pthread_cond_signal(&q->wake);
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

void hotqueue_kick(HotQueue *q)
{
    if (!q) return;
    pthread_mutex_lock(&q->lock);
    if (q->n > 0) ensure_worker(q);
    pthread_mutex_unlock(&q->lock);
}

void hotqueue_forget(HotQueue *q, wk_module_t *mod)
{
    if (!q) return;
    pthread_mutex_lock(&q->lock);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < q->n; i++) {
        HotItem it = q->items[q->head + i];
        if (it.mod != mod) q->items[q->head + kept++] = it;
    }
    q->n = kept;
    if (q->current == mod) atomic_store(&q->cancel, true);
    while (q->current == mod && q->has_thread && q->pid == getpid())
        pthread_cond_wait(&q->idle, &q->lock);
    pthread_mutex_unlock(&q->lock);
}

void hotqueue_stop(HotQueue *q)
{
    if (!q) return;
    pthread_mutex_lock(&q->lock);
    q->stop = true;
    q->n = 0;
    atomic_store(&q->cancel, true);
    pthread_cond_broadcast(&q->wake);
    bool join = q->has_thread && q->pid == getpid();
    q->has_thread = false;
    pthread_mutex_unlock(&q->lock);
    if (join) pthread_join(q->tid, NULL);
}

void hotqueue_delete(HotQueue *q)
{
    if (!q) return;
    hotqueue_stop(q);
    pthread_mutex_lock(&all_lock);
    HotQueue **pp = &all;
    while (*pp && *pp != q) pp = &(*pp)->next;
    if (*pp) *pp = q->next;
    pthread_mutex_unlock(&all_lock);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->wake);
    pthread_cond_destroy(&q->idle);
    free(q->items);
    free(q);
}
