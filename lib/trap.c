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
#include <ucontext.h>

#include "backtrace.h"
#include "interrupt.h"
#include "trap.h"

/* ---- Trap objects ------------------------------------------------------------------------ */

static const struct {
    uint32_t kind;
    const char *name, *message;
} trap_kinds[] = {
#define X(k, name, msg) {k, name, msg},
    WK_TRAP_KINDS(X)
#undef X
};

/* The row of trap_kinds for kind, or -1. */
static int kind_row(uint32_t kind)
{
    for (size_t i = 0; i < sizeof trap_kinds / sizeof trap_kinds[0]; i++)
        if (trap_kinds[i].kind == kind) return (int)i;
    return -1;
}

const char *trap_kind_message(uint32_t kind)
{
    int i = kind_row(kind);
    return i < 0 ? "unknown trap" : trap_kinds[i].message;
}

const char *trap_kind_name(uint32_t kind)
{
    int i = kind_row(kind);
    return i < 0 ? "unknown" : trap_kinds[i].name;
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
    backtrace_free_frames(trap);
    free(trap->message);
    free(trap);
}

wk_trap_t *trap_new_kind(uint32_t kind)
{
    return trap_alloc((wk_trap_kind_t)kind, strdup(trap_kind_message(kind)));
}

wk_trap_t *trap_new_exit(uint32_t code)
{
    wk_trap_t *t = trap_new_host("exit with code %u", code);
    t->kind = WK_TRAP_EXIT;
    t->exit_code = code;
    return t;
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

/* Initial-exec TLS: the signal handler reads it, and a dlopen'ed library's default TLS model
 * may allocate on a thread's first access, which a handler must never do. One struct, so an
 * entry computes the thread's address once. */
typedef struct ThreadState {
    TrapEntry *top;            /* innermost entry, or NULL */
    uint8_t *limit;            /* Wasm stack limit of the outermost entry */
    uint8_t *stack_lo;         /* lowest usable address of this thread's stack */
    uint8_t *chain_frame;      /* see chain_signal */
    uint8_t *limit_frame;      /* the outermost entry frame `limit` was computed for */
    uintptr_t limit_budget;    /* and the store's stack budget it was computed with */
    uint32_t recheck_in;       /* outermost entries until the handler is checked again */
    void **pcs;                /* TRAP_MAX_PCS slots: the frames of the trap being raised */
    uint32_t npcs, more_pcs;   /* recorded and only counted return addresses */
    volatile bool in_wasm;
    bool altstack_done;
} ThreadState;

static _Thread_local __attribute__((tls_model("initial-exec"))) ThreadState tls;

bool trap_in_entry(void)
{
    return tls.top != NULL;
}

bool trap_set_in_wasm(bool in_wasm)
{
    bool old = tls.in_wasm;
    tls.in_wasm = in_wasm;
    return old;
}

/* The lowest address of the current thread's stack (its guard excluded). */
static uint8_t *thread_stack_lo(void)
{
    if (tls.stack_lo) return tls.stack_lo;
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
    tls.stack_lo = (uint8_t *)addr + guard;
    return tls.stack_lo;
}

size_t trap_stack_room(void)
{
    uint8_t *sp = __builtin_frame_address(0), *lo = thread_stack_lo();
    return sp > lo ? (size_t)(sp - lo) : 0;
}

/* The limit for an outermost entry at `sp`: at most `budget` below it, and leaving at least a
 * quarter of the remaining stack (>= 64 KiB, <= 256 KiB) for host code and signal frames. */
static uint8_t *stack_limit_for(uint8_t *sp, uintptr_t budget)
{
    uint8_t *lo = thread_stack_lo();
    uintptr_t avail = sp > lo ? (uintptr_t)(sp - lo) : 0;
    uintptr_t reserve = avail / 4 < ((uintptr_t)256 << 10) ? avail / 4 : ((uintptr_t)256 << 10);
    if (reserve < ((uintptr_t)64 << 10)) reserve = (uintptr_t)64 << 10;
    uintptr_t use = avail > reserve ? avail - reserve : 0;
    if (budget == 0) budget = WK_MAX_WASM_STACK;
    if (use > budget) use = budget;
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

/* ---- Frames ---------------------------------------------------------------------------- */

/* Records in tls.pcs the code addresses of the frames from (pc, fp) up to the innermost
 * entry: pc (when not NULL), then the return address of each frame-pointer record. Compiled
 * code and this library keep frame pointers, so the chain is valid up to trap_call's frame,
 * which lies above the entry record; every step is checked to climb towards it. Async-signal
 * safe. Addresses that are not Wasm code are dropped later (backtrace_resolve). */
static void capture_frames(void *pc, void **fp)
{
    ThreadState *t = &tls;
    t->npcs = t->more_pcs = 0;
    if (!t->pcs) return;
    void **bound = (void **)t->top;
    if (pc) t->pcs[t->npcs++] = pc;
    while (fp && fp < bound && ((uintptr_t)fp & (sizeof(void *) - 1)) == 0) {
        void *ret = fp[1];
        void **next = fp[0];
        if (t->npcs < TRAP_MAX_PCS) t->pcs[t->npcs++] = (uint8_t *)ret - 1; /* in the call */
        else t->more_pcs++;
        if (next <= fp) break;
        fp = next;
    }
}

/* Jumps to the innermost entry with the trap (see trap_raise). */
static _Noreturn void raise_in_entry(uint32_t kind, wk_trap_t *host_trap)
{
    TrapEntry *e = tls.top;
    if (!e) abort(); /* a trap with no entry to return to is a runtime bug */
    e->kind = kind;
    e->host_trap = host_trap;
    TRAP_LONGJMP(e->buf);
}

/* The interrupted pc and frame pointer of a fault (NULL where this CPU is not handled). */
static void fault_frame(const ucontext_t *uc, void **pc, void ***fp)
{
#if defined(__x86_64__)
    *pc = (void *)uc->uc_mcontext.gregs[REG_RIP];
    *fp = (void **)uc->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
    *pc = (void *)uc->uc_mcontext.pc;
    *fp = (void **)uc->uc_mcontext.regs[29];
#else
    (void)uc;
    *pc = NULL;
    *fp = NULL;
#endif
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

/* Passes a fault we do not own to whatever handler was installed before ours. tls.chain_frame
 * is the frame of the handler currently running a previous handler (NULL: none); a handler
 * that siglongjmps away leaves it set, so only a frame below it counts as re-entry. When that
 * handler re-raises into us (CPython's faulthandler restores its previous handler, which may
 * be ours, and raises again), the default action is taken instead of looping. */
static void chain_signal(int sig, siginfo_t *si, void *uc)
{
    int slot = signal_slot(sig);
    struct sigaction *prev = &prev_actions[slot < 0 ? 0 : slot];
    bool dfl = prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN;
    uint8_t *frame = __builtin_frame_address(0);
    bool reentered = tls.chain_frame && frame < tls.chain_frame;
    if (reentered || (!(prev->sa_flags & SA_SIGINFO) && dfl)) {
        /* Re-executing the faulting instruction with the default action ends the process,
         * as it would have without us; a sent signal is delivered again. */
        signal(sig, SIG_DFL);
        if (si->si_code <= 0) raise(sig);
        return;
    }
    tls.chain_frame = frame;
    if (prev->sa_flags & SA_SIGINFO)
        prev->sa_sigaction(sig, si, uc);
    else
        prev->sa_handler(sig);
    tls.chain_frame = NULL;
}

/* Decides whether a fault on this thread is a Wasm trap, and of which kind (0: not ours). */
static uint32_t classify_fault(int sig, const siginfo_t *si)
{
    if (!tls.top || !tls.in_wasm || si->si_code <= 0) return 0;
    uintptr_t addr = (uintptr_t)si->si_addr;
    if (sig == SIGSEGV || sig == SIGBUS) {
        if (in_ranges(addr)) return WK_TRAP_MEMORY_OOB;
        uintptr_t lo = (uintptr_t)tls.stack_lo;
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
    if (kind) {
        /* The jump leaves without sigreturn: give back the mask the fault interrupted (the
         * kernel blocked nothing more, SA_NODEFER, but a handler chaining to us may have). */
        sigprocmask(SIG_SETMASK, &((ucontext_t *)uc)->uc_sigmask, NULL);
        void *pc;
        void **fp;
        fault_frame(uc, &pc, &fp);
        capture_frames(pc, fp);
        raise_in_entry(kind, NULL);
    }
    /* A handler installed over ours (CPython's faulthandler) saw a Wasm fault first, put us
     * back and re-raised it: returning lets the faulting instruction run again, and fault
     * again, into us. */
    if (si->si_code == SI_TKILL && tls.top && tls.in_wasm) return;
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

/* The installed handler is checked again (two system calls; an entry costs tens of
 * nanoseconds) on a thread's first outermost entry, on the first entry into each store and
 * then on every RECHECK_EVERY-th outermost entry of a thread, so that a handler installed on
 * top of ours that does not pass Wasm faults on (a test harness's, say) is put below ours
 * again. One that does pass them on (CPython's faulthandler re-raises) needs no check: see
 * fault_handler. A clock would bound the delay by time instead, but reading one costs more
 * than the rest of an entry. */
#define RECHECK_EVERY 1024u

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
    if (tls.altstack_done) return;
    tls.altstack_done = true;
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

static pthread_key_t pcs_key;
static pthread_once_t pcs_once = PTHREAD_ONCE_INIT;

static void pcs_key_create(void)
{
    pthread_key_create(&pcs_key, free);
}

/* Gives this thread its frame buffer (once; freed when the thread exits). Without memory,
 * traps carry no frames. */
static void ensure_pcs(ThreadState *t)
{
    if (t->pcs) return;
    t->pcs = malloc(TRAP_MAX_PCS * sizeof *t->pcs);
    if (!t->pcs) return;
    pthread_once(&pcs_once, pcs_key_create);
    pthread_setspecific(pcs_key, t->pcs);
}

/* ---- Entries ----------------------------------------------------------------------------- */


_Noreturn void trap_raise(uint32_t kind, wk_trap_t *host_trap)
{
    capture_frames(NULL, __builtin_frame_address(0));
    raise_in_entry(kind, host_trap);
}

/* The thread-level part of an outermost entry into store whose frame is at `frame`, when
 * anything is to be done (see trap_call): the handler check when due (see RECHECK_EVERY), once
 * the alternate stack, and the stack limit for a new frame. */
static __attribute__((noinline)) void enter_outermost(ThreadState *t, VMStore *store,
                                                      uint8_t *frame)
{
    bool moved = frame != t->limit_frame; /* else trap_call has counted this entry */
    if (moved && t->recheck_in) t->recheck_in--;
    if (t->recheck_in == 0 || !store->entered) {
        t->recheck_in = RECHECK_EVERY;
        store->entered = 1;
        trap_ensure_handler();
    }
    ensure_altstack();
    ensure_pcs(t);
    t->limit = stack_limit_for(frame, store->stack_budget);
    t->limit_frame = frame;
    t->limit_budget = store->stack_budget;
}

wk_trap_t *trap_call(VMStore *store, Trampoline tramp, void *code, VMContext *vmctx,
                     WasmVal *vals)
{
    ThreadState *t = &tls;
    TrapEntry e;
    e.prev = t->top;
    if (!e.prev) {
        /* Calls in a loop enter from one frame: only the count changes. */
        uint8_t *frame = __builtin_frame_address(0);
        if (__builtin_expect(frame != t->limit_frame || store->stack_budget != t->limit_budget ||
                                 --t->recheck_in == 0 || !store->entered,
                             0))
            enter_outermost(t, store, frame);
    }
    e.store = store;
    if (store->running++ == 0) interrupt_enter_outermost(store);
    e.saved_limit = store->stack_limit;
    e.saved_in_wasm = t->in_wasm;
    e.kind = 0;
    e.host_trap = NULL;
    store->stack_limit = t->limit;
    t->top = &e;
    t->in_wasm = true;
    if (TRAP_SETJMP(e.buf) == 0) tramp(code, vmctx, vals);
    t = &tls;
    t->top = e.prev;
    t->in_wasm = e.saved_in_wasm;
    e.store->stack_limit = e.saved_limit;
    e.store->running--;
    if (__builtin_expect(!e.kind, 1)) return NULL;
    wk_trap_t *trap = e.host_trap ? e.host_trap : trap_new_kind(e.kind);
    backtrace_resolve(trap, (void *const *)t->pcs, t->pcs ? t->npcs : 0, t->more_pcs);
    return trap;
}
