/* Fork safety of the library's background threads. Code that touches LLVM, allocates or takes
 * the compiler's locks runs inside the gate; fork() (a pthread_atfork handler) waits until no
 * thread is inside and holds new entries back until it returns, so a child never inherits LLVM
 * state, an allocator lock or a compiler lock taken mid-operation by a thread that does not
 * exist in the child. A thread the library starts is inside from its birth (forkgate_hand_over
 * in the creator, forkgate_adopt in the thread) until its joiner has seen it exit
 * (forkgate_drop), so thread start and exit never overlap a fork either. */
#ifndef WK_FORKGATE_H
#define WK_FORKGATE_H

#include <stdbool.h>

/* Enters / leaves the gate (nestable per thread). The outermost enter blocks while a fork is
 * in progress, so it must not be called while holding a lock that code inside the gate takes. */
void forkgate_enter(void);
void forkgate_leave(void);

/* True when a fork waits for the threads inside: a long task should reach a point where it
 * can pause (forkgate_yield, or end so that its joiner yields). */
bool forkgate_pending(void);
/* Lets a pending fork go ahead: leaves the gate completely, then enters it again to the same
 * nesting (blocking until the fork is done). */
void forkgate_yield(void);

/* Thread hand-over: the creator (inside the gate) counts the new thread in before
 * pthread_create; the thread calls forkgate_adopt first; after pthread_join (or a failed
 * pthread_create) the creator calls forkgate_drop. */
void forkgate_hand_over(void);
void forkgate_adopt(void);
void forkgate_drop(void);

#endif
