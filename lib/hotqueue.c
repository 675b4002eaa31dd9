/* The background O2 worker of the lazy strategy (see hotqueue.h): a FIFO of requests per
 * engine, one worker thread at nice +5, and the fork and exit handlers over every live queue.
 * Every change of a queue is made inside the fork gate (lib/forkgate.h); the worker waits for
 * requests outside it and compiles inside it. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compile.h"
#include "engine.h"
#include "forkgate.h"
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
    wk_engine_t *engine;
    struct HotQueue *next; /* in `all` */
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static HotQueue *all;

static void requeue_front(HotQueue *q, HotItem it);

/* The child of a fork(). Every change of a queue (and of `all`) is made inside the fork gate
 * (lib/forkgate.h), so the child's queues are consistent; it has no worker: the next push or
 * kick starts one. The locks and conditions are made anew (a thread that does not exist here
 * may have held a lock while waiting outside the gate). */
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
}

static void at_exit(void)
{
    pthread_mutex_lock(&all_lock);
    for (HotQueue *q = all; q; q = q->next) hotqueue_stop(q);
    pthread_mutex_unlock(&all_lock);
}

static void init_once(void)
{
    pthread_atfork(NULL, NULL, fork_child);
}

/* exit() runs its handlers in the reverse order of their registration, the destructors of
 * LLVM's C++ statics among them, each registered when the static is first used: at_exit
 * (which stops the workers, waiting for a compile in flight) must be registered after every
 * static a worker's compile uses, or a compile still running meets destroyed statics. So the
 * first worker of the process starts after a priming O2 compile on this thread, then the
 * handler is registered, and registered again after each of the first EXIT_REREGISTER
 * compiles of the workers (statics first used by them; the handler is idempotent). */
#define EXIT_REREGISTER 32
static atomic_uint reregistered;

static void register_exit(wk_engine_t *e)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static bool done;
    pthread_mutex_lock(&lock);
    if (!done) {
        compile_prime(e->jit);
        atexit(at_exit);
        done = true;
    }
    pthread_mutex_unlock(&lock);
}

HotQueue *hotqueue_new(wk_engine_t *e)
{
    pthread_once(&once, init_once);
    HotQueue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->engine = e;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    pthread_cond_init(&q->idle, NULL);
    forkgate_enter();
    pthread_mutex_lock(&all_lock);
    q->next = all;
    all = q;
    pthread_mutex_unlock(&all_lock);
    forkgate_leave();
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

/* Waits (outside the fork gate) until requests are queued or the queue stops. */
static void wait_for_work(HotQueue *q)
{
    pthread_mutex_lock(&q->lock);
    while (!q->stop && q->n == 0) pthread_cond_wait(&q->wake, &q->lock);
    pthread_mutex_unlock(&q->lock);
}

/* Inside the gate from its creation (ensure_worker hands it over) to its first wait; then in
 * it only while taking a request and compiling it. */
static void *worker(void *arg)
{
    HotQueue *q = arg;
    forkgate_adopt();
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKER_NICE);
    forkgate_leave();
    for (;;) {
        wait_for_work(q);
        forkgate_enter();
        pthread_mutex_lock(&q->lock);
        bool stop = q->stop;
        bool got = !stop && q->n > 0;
        if (got) {
            q->running = q->items[q->head++];
            q->n--;
            q->current = q->running.mod;
            atomic_store(&q->cancel, false);
        }
        pthread_mutex_unlock(&q->lock);
        if (got) {
            lazy_optimize(q->running.mod, q->running.index, &q->cancel);
            if (atomic_fetch_add(&reregistered, 1) < EXIT_REREGISTER) atexit(at_exit);
            pthread_mutex_lock(&q->lock);
            q->current = NULL;
            pthread_cond_broadcast(&q->idle);
            pthread_mutex_unlock(&q->lock);
        }
        forkgate_leave();
        if (stop) break;
    }
    return NULL;
}

/* Starts the worker when none runs in this process; q->lock held, inside the gate. */
static bool ensure_worker(HotQueue *q)
{
    pid_t self = getpid();
    if (q->has_thread && q->pid == self) return true;
    if (q->stop) return false;
    register_exit(q->engine);
    forkgate_hand_over();
    if (pthread_create(&q->tid, NULL, worker, q) != 0) {
        forkgate_drop();
        return false;
    }
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
    forkgate_enter();
    pthread_mutex_lock(&q->lock);
    if (q->n > 0) ensure_worker(q);
    pthread_mutex_unlock(&q->lock);
    forkgate_leave();
}

void hotqueue_forget(HotQueue *q, wk_module_t *mod)
{
    if (!q) return;
    forkgate_enter();
    pthread_mutex_lock(&q->lock);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < q->n; i++) {
        HotItem it = q->items[q->head + i];
        if (it.mod != mod) q->items[q->head + kept++] = it;
    }
    q->n = kept;
    if (q->current == mod) atomic_store(&q->cancel, true);
    pthread_mutex_unlock(&q->lock);
    forkgate_leave();
    /* The running compile ends (outside the gate: a fork may go ahead meanwhile). */
    pthread_mutex_lock(&q->lock);
    while (q->current == mod && q->has_thread && q->pid == getpid())
        pthread_cond_wait(&q->idle, &q->lock);
    pthread_mutex_unlock(&q->lock);
}

void hotqueue_stop(HotQueue *q)
{
    if (!q) return;
    forkgate_enter();
    pthread_mutex_lock(&q->lock);
    q->stop = true;
    q->n = 0;
    atomic_store(&q->cancel, true);
    pthread_cond_broadcast(&q->wake);
    bool join = q->has_thread && q->pid == getpid();
    q->has_thread = false;
    pthread_mutex_unlock(&q->lock);
    forkgate_leave();
    if (join) pthread_join(q->tid, NULL);
}

void hotqueue_delete(HotQueue *q)
{
    if (!q) return;
    hotqueue_stop(q);
    forkgate_enter();
    pthread_mutex_lock(&all_lock);
    HotQueue **pp = &all;
    while (*pp && *pp != q) pp = &(*pp)->next;
    if (*pp) *pp = q->next;
    pthread_mutex_unlock(&all_lock);
    forkgate_leave();
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->wake);
    pthread_cond_destroy(&q->idle);
    free(q->items);
    free(q);
}
