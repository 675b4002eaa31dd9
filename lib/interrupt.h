/* Interruption: the poll word of a store that compiled code checks at function entries and
 * loop headers, interrupt requests, per-store deadlines (a watchdog thread) and the slow path
 * wk_rt_poll that turns them into traps. */
#ifndef WK_INTERRUPT_H
#define WK_INTERRUPT_H

#include <stdint.h>

#include "vmctx.h"

/* Bits of VMStore.poll. */
enum {
    POLL_INTERRUPT = 1, /* wk_store_interrupt: cleared by the store's next outermost entry */
    POLL_DEADLINE = 2,  /* the deadline passed: cleared by interrupt_set_deadline */
};

/* Asks the call running in store to trap (WK_TRAP_INTERRUPTED). Atomic stores only:
 * thread-safe and async-signal-safe. */
void interrupt_request(VMStore *store);

/* Called by an entry into store that is its outermost one (no call of the store is running):
 * forgets an interrupt request made while nothing ran. */
static inline void interrupt_enter_outermost(VMStore *store)
{
    if (__builtin_expect(__atomic_load_n(&store->poll, __ATOMIC_RELAXED) & POLL_INTERRUPT, 0))
        __atomic_fetch_and(&store->poll, ~(uint32_t)POLL_INTERRUPT, __ATOMIC_RELAXED);
}

/* Sets store's deadline timeout_ns from now (0: none), starting the watchdog thread on first
 * use. Thread-safe. */
void interrupt_set_deadline(VMStore *store, uint64_t timeout_ns);
/* Forgets store's deadline (the store is being freed). */
void interrupt_forget(VMStore *store);

#endif
