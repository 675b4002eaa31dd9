/* Ctrl-C during Wasm: while the main thread runs Wasm with the GIL released, a SIGINT handler
 * stacked on Python's own interrupts the store it runs, then passes the signal on; the call
 * returns an "interrupted" trap and py_errors_raise_trap runs Python's handler
 * (KeyboardInterrupt). A signal handler sees no module state: the running store and the
 * previous handler are process-wide, as Python's signal handling is. */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "py_internal.h"

static _Atomic(wk_store_t *) main_store;      /* what the main thread runs now, or NULL */
static struct sigaction prev_sigint;          /* the handler ours passes SIGINT on to */
static unsigned long main_ident;              /* threading.main_thread().ident */

static void on_sigint(int sig, siginfo_t *si, void *uc)
{
    wk_store_t *s = atomic_load(&main_store);
    if (s) wk_store_interrupt(s);
    if (prev_sigint.sa_flags & SA_SIGINFO)
        prev_sigint.sa_sigaction(sig, si, uc);
    else if (prev_sigint.sa_handler != SIG_DFL && prev_sigint.sa_handler != SIG_IGN)
        prev_sigint.sa_handler(sig);
}

/* Puts on_sigint over the current SIGINT handler unless it is there already or there is no
 * handler to pass the signal on to (SIG_DFL ends the process anyway, SIG_IGN ignores it). */
static void ensure_handler(void)
{
    struct sigaction cur;
    if (sigaction(SIGINT, NULL, &cur) != 0) return;
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigint) return;
    if (!(cur.sa_flags & SA_SIGINFO) && (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN))
        return;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    prev_sigint = cur;
    struct sigaction sa = cur;
    sa.sa_sigaction = on_sigint;
    sa.sa_flags = (cur.sa_flags | SA_SIGINFO) & ~SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

wk_store_t *py_interrupt_begin(wk_store_t *store)
{
    if (PyThread_get_thread_ident() != main_ident) return NULL;
    ensure_handler();
    return atomic_exchange(&main_store, store);
}

void py_interrupt_end(wk_store_t *previous)
{
    if (PyThread_get_thread_ident() == main_ident) atomic_store(&main_store, previous);
}

int py_interrupt_init(PyObject *mod, WkState *st)
{
    (void)mod;
    (void)st;
    PyObject *threading = PyImport_ImportModule("threading");
    PyObject *main = threading ? PyObject_CallMethod(threading, "main_thread", NULL) : NULL;
    PyObject *ident = main ? PyObject_GetAttrString(main, "ident") : NULL;
    if (ident) main_ident = PyLong_AsUnsignedLong(ident);
    Py_XDECREF(ident);
    Py_XDECREF(main);
    Py_XDECREF(threading);
    return PyErr_Occurred() ? -1 : 0;
}
