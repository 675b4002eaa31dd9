/* The engine's background O2 compiles for the lazy strategy: a queue of (module, function)
 * and one worker thread per engine (a budget for 2 cores: the other core, at a lower
 * priority), started on the first request and again in a fork()ed child. Dropping a module
 * removes its queued requests and waits for the one running (at most one function's
 * compile); deleting the engine, or exit(), stops the worker the same way.
 *
 * Fork safety: every LLVM compile of the lazy strategy and every change of a queue runs
 * inside the fork gate (lib/forkgate.h), which fork() waits for, so a child never inherits a
 * half-done LLVM operation or queue and can compile itself; the worker is started again in
 * the child on its first request. */
#ifndef WK_HOTQUEUE_H
#define WK_HOTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

typedef struct HotQueue HotQueue;

/* A queue for engine e (no thread yet). NULL when out of memory. */
HotQueue *hotqueue_new(wk_engine_t *e);
/* Stops the worker (hotqueue_stop) and frees the queue. Accepts NULL. */
void hotqueue_delete(HotQueue *q);

/* Stops the worker for good (wk_engine_delete): its compile is cancelled, what is queued is
 * dropped and later requests fail. */
void hotqueue_stop(HotQueue *q);
/* Starts a worker when requests are queued and none runs in this process (a fork()ed child
 * that inherited requests). */
void hotqueue_kick(HotQueue *q);

/* Asks for the O2 compile of defined function `index` of mod (lazy_optimize); called inside
 * the fork gate. False when no worker thread can run (the function stays in the fast tier). */
bool hotqueue_push(HotQueue *q, wk_module_t *mod, uint32_t index);
/* Drops mod's queued requests and waits for its running one: mod is being freed. */
void hotqueue_forget(HotQueue *q, wk_module_t *mod);

#endif
