/* Interruption: interrupt requests and deadlines set bits in a store's poll word; compiled code
 * checks the word at function entries and loop headers and calls wk_rt_poll, which traps. One
 * watchdog thread (started on first use, re-started on demand in a forked child) sets the
 * deadline bit of stores whose deadline has passed. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "interrupt.h"
#include "trap.h"

void interrupt_request(VMStore *store)
{
    __atomic_fetch_or(&store->poll, (uint32_t)POLL_INTERRUPT, __ATOMIC_SEQ_CST);
}

void wk_rt_poll(VMContext *vmctx, uint32_t stack_low)
{
    if (stack_low) trap_raise(WK_TRAP_STACK_EXHAUSTED, NULL);
    uint32_t poll = __atomic_load_n(&vmctx->store->poll, __ATOMIC_RELAXED);
    if (poll & (POLL_INTERRUPT | POLL_DEADLINE)) trap_raise(WK_TRAP_INTERRUPTED, NULL);
    if (vmctx->fuel < 0) trap_raise(WK_TRAP_OUT_OF_FUEL, NULL);
}

/* ---- Deadlines --------------------------------------------------------------------------- */

typedef struct Deadline {
    VMStore *store;
    uint64_t at; /* CLOCK_MONOTONIC nanoseconds */
} Deadline;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;     /* signalled when the list changes */
    bool started;            /* the watchdog thread runs in this process */
    Deadline *list;
    size_t n, cap;
} wd = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void cond_init(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wd.cond, &attr);
    pthread_condattr_destroy(&attr);
}

/* fork: the child has no watchdog thread; the next deadline set there starts one. */
static void wd_prepare(void)
{
    pthread_mutex_lock(&wd.lock);
}

static void wd_parent(void)
{
    pthread_mutex_unlock(&wd.lock);
}

static void wd_child(void)
{
    pthread_mutex_init(&wd.lock, NULL);
    cond_init();
    wd.started = false;
}

static void wd_init(void)
{
    cond_init();
    pthread_atfork(wd_prepare, wd_parent, wd_child);
}

/* Index of store's deadline in the list, or wd.n. Under wd.lock. */
static size_t wd_find(const VMStore *store)
{
    size_t i = 0;
    while (i < wd.n && wd.list[i].store != store) i++;
    return i;
}

static void wd_remove(size_t i)
{
    wd.list[i] = wd.list[--wd.n];
}

/* Sets the deadline bit of every store whose deadline has passed and removes it; returns the
 * earliest deadline left (UINT64_MAX: none). Under wd.lock. */
static uint64_t wd_expire(uint64_t now)
{
    uint64_t next = UINT64_MAX;
    for (size_t i = 0; i < wd.n;) {
        if (wd.list[i].at <= now) {
            __atomic_fetch_or(&wd.list[i].store->poll, (uint32_t)POLL_DEADLINE, __ATOMIC_SEQ_CST);
            wd_remove(i);
            continue;
        }
        if (wd.list[i].at < next) next = wd.list[i].at;
        i++;
    }
    return next;
}

static void *wd_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wd.lock);
    for (;;) {
        uint64_t next = wd_expire(now_ns());
        if (next == UINT64_MAX) {
            pthread_cond_wait(&wd.cond, &wd.lock);
            continue;
        }
        struct timespec ts = {(time_t)(next / 1000000000u), (long)(next % 1000000000u)};
        pthread_cond_timedwait(&wd.cond, &wd.lock, &ts);
    }
    return NULL;
}

/* Starts the watchdog thread if this process has none. Under wd.lock. */
static void wd_start(void)
{
    if (wd.started) return;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, (size_t)64 << 10);
    pthread_t t;
    /* Without a thread (out of resources) deadlines do not act; nothing else breaks. */
    wd.started = pthread_create(&t, &attr, wd_main, NULL) == 0;
    pthread_attr_destroy(&attr);
}

/* Adds or updates store's entry; false when out of memory. Under wd.lock. */
static bool wd_put(VMStore *store, uint64_t at)
{
    size_t i = wd_find(store);
    if (i == wd.n) {
        if (wd.n == wd.cap) {
            size_t cap = wd.cap ? 2 * wd.cap : 8;
            Deadline *list = realloc(wd.list, cap * sizeof *list);
            if (!list) return false;
            wd.list = list;
            wd.cap = cap;
        }
        wd.n++;
    }
    wd.list[i] = (Deadline){store, at};
    return true;
}

void interrupt_set_deadline(VMStore *store, uint64_t timeout_ns)
{
    pthread_once(&wd_once, wd_init);
    pthread_mutex_lock(&wd.lock);
    __atomic_fetch_and(&store->poll, ~(uint32_t)POLL_DEADLINE, __ATOMIC_SEQ_CST);
    size_t i = wd_find(store);
    if (timeout_ns == 0) {
        if (i < wd.n) wd_remove(i);
    } else {
        uint64_t now = now_ns();
        uint64_t at = timeout_ns > UINT64_MAX - now ? UINT64_MAX - 1 : now + timeout_ns;
        if (!wd_put(store, at)) /* no room to watch it: the deadline is due at once */
            __atomic_fetch_or(&store->poll, (uint32_t)POLL_DEADLINE, __ATOMIC_SEQ_CST);
        wd_start();
        pthread_cond_signal(&wd.cond);
    }
    pthread_mutex_unlock(&wd.lock);
}

void interrupt_forget(VMStore *store)
{
    pthread_once(&wd_once, wd_init);
    pthread_mutex_lock(&wd.lock);
    size_t i = wd_find(store);
    if (i < wd.n) wd_remove(i);
    pthread_mutex_unlock(&wd.lock);
}
