/* The fork gate: a count of threads inside, and atfork handlers that wait for it to reach zero
 * before fork() and reset it in the child (where only the forking thread exists). */
#include <pthread.h>
#include <stdatomic.h>

#include "forkgate.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static unsigned active;              /* threads inside the gate; guarded by lock */
static atomic_bool forking;          /* between the prepare and the parent/child handlers */
static _Thread_local unsigned depth; /* this thread's nesting */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Runs in the forking thread: from here until the fork returns, `lock` stays held. */
static void before_fork(void)
{
    pthread_mutex_lock(&lock);
    atomic_store(&forking, true);
    while (active > (depth ? 1u : 0u)) pthread_cond_wait(&changed, &lock);
}

static void after_fork_parent(void)
{
    atomic_store(&forking, false);
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

/* Only this thread exists in the child: the others' counts and waits are gone. */
static void after_fork_child(void)
{
    active = depth ? 1 : 0;
    atomic_store(&forking, false);
    pthread_cond_init(&changed, NULL);
    pthread_mutex_unlock(&lock);
}

static void install(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

void forkgate_enter(void)
{
    if (depth++) return;
    pthread_once(&once, install);
    pthread_mutex_lock(&lock);
    while (atomic_load(&forking)) pthread_cond_wait(&changed, &lock);
    active++;
    pthread_mutex_unlock(&lock);
}

void forkgate_drop(void)
{
    pthread_mutex_lock(&lock);
    active--;
    if (atomic_load(&forking)) pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

void forkgate_leave(void)
{
    if (--depth == 0) forkgate_drop();
}

bool forkgate_pending(void)
{
    return atomic_load(&forking);
}

void forkgate_yield(void)
{
    unsigned saved = depth;
    if (!saved) return;
    depth = 0;
    forkgate_drop();
    forkgate_enter();
    depth = saved;
}

void forkgate_hand_over(void)
{
    pthread_mutex_lock(&lock);
    active++;
    pthread_mutex_unlock(&lock);
}

void forkgate_adopt(void)
{
    depth = 1;
}
