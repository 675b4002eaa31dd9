/* Traps: wk_trap_t objects, the per-thread entry records that traps siglongjmp to, the
 * SIGSEGV/SIGBUS/SIGILL/SIGFPE handler (acts only for faults from Wasm, chains otherwise) and
 * the per-entry Wasm stack limit. */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "trap.h"

/* ---- Trap objects ------------------------------------------------------------------------ */

const char *trap_kind_message(uint32_t kind)
{
    switch (kind) {
#define X(k, msg)                                                                              \
    case k:                                                                                    \
        return msg;
        WK_TRAP_KINDS(X)
#undef X
    }
    return "unknown trap";
}

static wk_trap_t *trap_alloc(wk_trap_kind_t kind, char *message)
{
    wk_trap_t *t = calloc(1, sizeof *t);
    if (!t || !message) {
        free(t);
        free(message);
        abort(); /* out of memory while trapping: nothing sensible to return */
    }
    t->kind = kind;
    t->message = message;
    return t;
}

wk_trap_t *trap_new_payload(const char *message, void *data, void (*finalizer)(void *))
{
    wk_trap_t *t = trap_alloc(WK_TRAP_HOST, strdup(message ? message : ""));
    t->data = data;
    t->finalizer = finalizer;
    return t;
}

void trap_delete(wk_trap_t *trap)
{
    if (!trap) return;
    if (trap->data && trap->finalizer) trap->finalizer(trap->data);
    free(trap->message);
    free(trap);
}

wk_trap_t *trap_new_kind(uint32_t kind)
{
    return trap_alloc((wk_trap_kind_t)kind, strdup(trap_kind_message(kind)));
}

wk_trap_t *trap_new_host(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    return trap_alloc(WK_TRAP_HOST, msg);
}

/* ---- Per-thread state -------------------------------------------------------------------- */

/* Initial-exec TLS: the signal handler reads these, and a dlopen'ed library's default TLS
 * model may allocate on a thread's first access, which a handler must never do. */
#define TLS static _Thread_local __attribute__((tls_model("initial-exec")))

TLS TrapEntry *tls_top;
TLS volatile bool tls_in_wasm;
TLS uint8_t *tls_stack_lo;  /* lowest usable address of this thread's stack */
TLS bool tls_altstack_done;
TLS uint8_t *tls_limit;   /* Wasm stack limit of the outermost entry */

bool trap_in_entry(void)
{
    return tls_top != NULL;
}

bool trap_set_in_wasm(bool in_wasm)
{
    bool old = tls_in_wasm;
    tls_in_wasm = in_wasm;
    return old;
}

/* The lowest address of the current thread's stack (its guard excluded). */
static uint8_t *thread_stack_lo(void)
{
    if (tls_stack_lo) return tls_stack_lo;
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0, guard = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_getguardsize(&attr, &guard);
        pthread_attr_destroy(&attr);
    }
    if (!addr) { /* unknown: assume a conservative 1 MiB below the current frame */
        addr = (uint8_t *)__builtin_frame_address(0) - ((size_t)1 << 20);
        guard = 0;
    }
    tls_stack_lo = (uint8_t *)addr + guard;
    return tls_stack_lo;
}

/* The limit for an outermost entry at `sp`: at most WK_MAX_WASM_STACK below it, and leaving
 * at least a quarter of the remaining stack (>= 64 KiB) for host code and signal frames. */
static uint8_t *stack_limit_for(uint8_t *sp)
{
    uint8_t *lo = thread_stack_lo();
    uintptr_t avail = sp > lo ? (uintptr_t)(sp - lo) : 0;
    uintptr_t reserve = avail / 4 < ((uintptr_t)256 << 10) ? avail / 4 : ((uintptr_t)256 << 10);
    if (reserve < ((uintptr_t)64 << 10)) reserve = (uintptr_t)64 << 10;
    uintptr_t use = avail > reserve ? avail - reserve : 0;
    if (use > WK_MAX_WASM_STACK) use = WK_MAX_WASM_STACK;
    return sp - use;
}

/* ---- Fault address ranges ---------------------------------------------------------------- */

#define MAX_RANGES 16384
static struct {
    _Atomic(uintptr_t) base;
    _Atomic(uint64_t) size;
} ranges[MAX_RANGES];
static _Atomic(uint32_t) ranges_used; /* high-water mark */
static pthread_mutex_t ranges_lock = PTHREAD_MUTEX_INITIALIZER;

bool trap_register_range(const void *base, uint64_t size)
{
    bool ok = false;
    pthread_mutex_lock(&ranges_lock);
    uint32_t n = atomic_load(&ranges_used);
    uint32_t i = 0;
    while (i < n && atomic_load(&ranges[i].base) != 0) i++;
    if (i < MAX_RANGES) {
        atomic_store(&ranges[i].size, size);
        atomic_store(&ranges[i].base, (uintptr_t)base);
        if (i == n) atomic_store(&ranges_used, n + 1);
        ok = true;
    }
    pthread_mutex_unlock(&ranges_lock);
    return ok;
}

void trap_unregister_range(const void *base)
{
    pthread_mutex_lock(&ranges_lock);
    uint32_t n = atomic_load(&ranges_used);
    for (uint32_t i = 0; i < n; i++) {
        if (atomic_load(&ranges[i].base) == (uintptr_t)base) atomic_store(&ranges[i].base, 0);
    }
    pthread_mutex_unlock(&ranges_lock);
}

static bool in_ranges(uintptr_t a)
{
    uint32_t n = atomic_load(&ranges_used);
    for (uint32_t i = 0; i < n; i++) {
        uintptr_t b = atomic_load(&ranges[i].base);
        if (b && a >= b && a - b < atomic_load(&ranges[i].size)) return true;
    }
    return false;
}

/* ---- Signal handling --------------------------------------------------------------------- */

static const int fault_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
#define NSIGNALS (sizeof fault_signals / sizeof fault_signals[0])
static struct sigaction prev_actions[NSIGNALS];
static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;

static int signal_slot(int sig)
{
    for (size_t i = 0; i < NSIGNALS; i++) {
        if (fault_signals[i] == sig) return (int)i;
    }
    return -1;
}

/* Frame of the handler currently running a previous handler (NULL: none). A handler that
 * siglongjmps away leaves it set, so only a frame below it counts as re-entry. */
TLS uint8_t *tls_chain_frame;

/* Passes a fault we do not own to whatever handler was installed before ours. When that
 * handler re-raises into us (CPython's faulthandler restores its previous handler, which may
 * be ours, and raises again), the default action is taken instead of looping. */
static void chain_signal(int sig, siginfo_t *si, void *uc)
{
    int slot = signal_slot(sig);
    struct sigaction *prev = &prev_actions[slot < 0 ? 0 : slot];
    bool dfl = prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN;
    uint8_t *frame = __builtin_frame_address(0);
    bool reentered = tls_chain_frame && frame < tls_chain_frame;
    if (reentered || (!(prev->sa_flags & SA_SIGINFO) && dfl)) {
        /* Re-executing the faulting instruction with the default action ends the process,
         * as it would have without us; a sent signal is delivered again. */
        signal(sig, SIG_DFL);
        if (si->si_code <= 0) raise(sig);
        return;
    }
    tls_chain_frame = frame;
    if (prev->sa_flags & SA_SIGINFO)
        prev->sa_sigaction(sig, si, uc);
    else
        prev->sa_handler(sig);
    tls_chain_frame = NULL;
}

/* Decides whether a fault on this thread is a Wasm trap, and of which kind (0: not ours). */
static uint32_t classify_fault(int sig, const siginfo_t *si)
{
    if (!tls_top || !tls_in_wasm || si->si_code <= 0) return 0;
    uintptr_t addr = (uintptr_t)si->si_addr;
    if (sig == SIGSEGV || sig == SIGBUS) {
        if (in_ranges(addr)) return WK_TRAP_MEMORY_OOB;
        uintptr_t lo = (uintptr_t)tls_stack_lo;
        if (lo && addr < lo + 4096 && addr + ((uintptr_t)1 << 20) >= lo)
            return WK_TRAP_STACK_EXHAUSTED;
        return 0;
    }
    if (sig == SIGFPE) return si->si_code == FPE_INTOVF ? WK_TRAP_INT_OVERFLOW
                                                       : WK_TRAP_INT_DIV_ZERO;
    return WK_TRAP_UNREACHABLE; /* SIGILL: llvm.trap / ud2 in compiled code */
}

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
    uint32_t kind = classify_fault(sig, si);
    if (kind) trap_raise(kind, NULL);
    /* A handler installed over ours (CPython's faulthandler) saw a Wasm fault first, put us
     * back and re-raised it: returning lets the faulting instruction run again, and fault
     * again, into us. */
    if (si->si_code == SI_TKILL && tls_top && tls_in_wasm) return;
    chain_signal(sig, si, uc);
}

static bool handler_installed(int sig)
{
    struct sigaction cur;
    if (sigaction(sig, NULL, &cur) != 0) return true;
    return (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == fault_handler;
}

void trap_ensure_handler(void)
{
    if (handler_installed(SIGSEGV) && handler_installed(SIGILL)) return;
    pthread_mutex_lock(&handler_lock);
    for (size_t i = 0; i < NSIGNALS; i++) {
        if (handler_installed(fault_signals[i])) continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = fault_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(fault_signals[i], &sa, &prev_actions[i]);
    }
    pthread_mutex_unlock(&handler_lock);
}

/* Re-checks the handler at most every 10 ms (per process): the check costs two system calls,
 * an entry should cost tens of nanoseconds. A handler installed on top of ours in between
 * still passes Wasm faults on to us (see fault_handler for a re-raised SIGSEGV). */
static void recheck_handler(void)
{
    static _Atomic(uint64_t) last_check;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    uint64_t last = atomic_load_explicit(&last_check, memory_order_relaxed);
    if (last && now - last < 10000000u) return;
    atomic_store_explicit(&last_check, now, memory_order_relaxed);
    trap_ensure_handler();
}

#define ALTSTACK_SIZE ((size_t)64 << 10)
static pthread_key_t altstack_key;
static pthread_once_t altstack_once = PTHREAD_ONCE_INIT;

/* Thread exit: switches our alternate stack off and frees it. */
static void altstack_free(void *mem)
{
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == mem) {
        stack_t off = {.ss_flags = SS_DISABLE};
        sigaltstack(&off, NULL);
    }
    munmap(mem, ALTSTACK_SIZE);
}

static void altstack_key_create(void)
{
    pthread_key_create(&altstack_key, altstack_free);
}

/* Gives this thread an alternate signal stack (once) unless it already has one, so that a
 * fault near the end of the stack can still be handled. Freed when the thread exits. */
static void ensure_altstack(void)
{
    if (tls_altstack_done) return;
    tls_altstack_done = true;
    stack_t old;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) && old.ss_sp) return;
    void *mem = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (mem == MAP_FAILED) return;
    stack_t ss = {.ss_sp = mem, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) {
        munmap(mem, ALTSTACK_SIZE);
        return;
    }
    pthread_once(&altstack_once, altstack_key_create);
    pthread_setspecific(altstack_key, mem);
}

/* ---- Entries ----------------------------------------------------------------------------- */

_Noreturn void trap_raise(uint32_t kind, wk_trap_t *host_trap)
{
    TrapEntry *e = tls_top;
    if (!e) abort(); /* a trap with no entry to return to is a runtime bug */
    e->kind = kind;
    e->host_trap = host_trap;
    siglongjmp(e->buf, 1);
}

static void entry_push(TrapEntry *e, VMStore *store)
{
    bool outermost = tls_top == NULL;
    if (outermost) {
        recheck_handler();
        ensure_altstack();
    }
    e->prev = tls_top;
    e->store = store;
    e->saved_limit = store->stack_limit;
    e->saved_in_wasm = tls_in_wasm;
    e->kind = 0;
    e->host_trap = NULL;
    if (outermost) tls_limit = stack_limit_for(__builtin_frame_address(0));
    store->stack_limit = tls_limit;
    tls_top = e;
    tls_in_wasm = true;
}

static wk_trap_t *entry_pop(TrapEntry *e)
{
    tls_top = e->prev;
    tls_in_wasm = e->saved_in_wasm;
    e->store->stack_limit = e->saved_limit;
    if (!e->kind) return NULL;
    if (e->host_trap) return e->host_trap;
    return trap_new_kind(e->kind);
}

wk_trap_t *trap_call(VMStore *store, Trampoline tramp, void *code, VMContext *vmctx,
                     WasmVal *vals)
{
    TrapEntry e;
    entry_push(&e, store);
    if (sigsetjmp(e.buf, 0) == 0) tramp(code, vmctx, vals);
    return entry_pop(&e);
}
